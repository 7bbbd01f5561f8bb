-- Issue 24 #8: a dead Slack digest retried after Slack recovered posted again on every attempt and
-- recorded nothing — the retry numbered its attempts from 1 again over the dead round's rows (the
-- log's primary key refused each record after Slack had taken the post). A retry is now a new round
-- whose numbers continue (earlier_attempts), and recording an attempt is idempotent.

alter table public.slack_deliveries add column earlier_attempts integer not null default 0;

-- The delivery of a company's digest for a week, made once: a delivered one stays delivered
-- (a re-run sends nothing); a dead one gets a new round of attempts (someone retried the job, after
-- fixing the webhook or after Slack recovered), numbered on after the dead round's; a pending one
-- continues where it stopped. Answers the row.
create or replace function public.prepare_slack_delivery(p_company_id uuid, p_period_start date, p_payload jsonb, p_job_id uuid default null)
returns public.slack_deliveries
language sql volatile security definer set search_path = ''
as $$
  insert into public.slack_deliveries as d (company_id, kind, period_start, payload, job_id, created_at, updated_at)
  values (p_company_id, 'weekly_digest', p_period_start, p_payload, p_job_id, public.scan_queue_now(), public.scan_queue_now())
  on conflict (company_id, kind, period_start) do update
    set payload = case when d.status = 'delivered' then d.payload else excluded.payload end,
        job_id = excluded.job_id,
        earlier_attempts = case when d.status = 'dead' then d.attempts else d.earlier_attempts end,
        status = case when d.status = 'dead' then 'pending' else d.status end,
        dead_at = case when d.status = 'dead' then null else d.dead_at end,
        updated_at = excluded.updated_at
  returning d.*
$$;

-- One attempt's outcome ('delivered', 'retry' or 'dead'), logged, and the delivery moved on.
-- Idempotent: the same attempt recorded again with the same outcome answers true and changes
-- nothing (a worker whose first record of a post Slack took was cut off records it again, rather
-- than post again). Refused (false) when the delivery is no longer pending at that attempt:
-- another worker finished it.
create or replace function public.record_slack_attempt(p_delivery_id uuid, p_attempt integer, p_status_code integer, p_outcome text,
  p_error text, p_duration_ms integer) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_delivery public.slack_deliveries;
begin
  update public.slack_deliveries d
  set attempts = p_attempt, last_status_code = p_status_code, last_error = case when p_outcome = 'delivered' then null else p_error end,
      status = case p_outcome when 'retry' then 'pending' else p_outcome end,
      delivered_at = case when p_outcome = 'delivered' then v_now end,
      dead_at = case when p_outcome = 'dead' then v_now end,
      updated_at = v_now
  where d.id = p_delivery_id and d.status = 'pending' and d.attempts = p_attempt - 1
  returning d.* into v_delivery;
  if not found then
    return exists (select 1 from public.slack_delivery_attempts a
                   where a.delivery_id = p_delivery_id and a.attempt = p_attempt and a.outcome = p_outcome);
  end if;
  insert into public.slack_delivery_attempts (delivery_id, attempt, company_id, attempted_at, status_code, outcome, error, duration_ms)
  values (p_delivery_id, p_attempt, v_delivery.company_id, v_now, p_status_code, p_outcome, p_error, p_duration_ms);
  return true;
end $$;
