-- Operator actions: cancel and retry.

-- Pending → cancelled at once. Running → cancel requested; the worker learns it at its next
-- heartbeat, which finishes the job as cancelled. Finished jobs: refused.
create function public.cancel_scan_job(p_job_id uuid, p_reason text default null)
returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_job public.scan_queue;
begin
  update public.scan_queue q
  set status = case when q.status = 'pending' then 'cancelled' else q.status end,
      completed_at = case when q.status = 'pending' then v_now else q.completed_at end,
      cancel_requested_at = coalesce(q.cancel_requested_at, v_now),
      error = case when q.status = 'pending' then coalesce(p_reason, q.error) else q.error end
  where q.id = p_job_id and q.status in ('pending', 'running')
  returning q.* into v_job;
  if not found then
    return public.scan_queue_refusal(p_job_id, null, 'cancel');
  end if;
  insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, created_at)
  values (v_job.id, v_job.company_id, case when v_job.status = 'cancelled' then 'cancelled' else 'cancel_requested' end,
          v_job.attempts, v_job.worker_id, p_reason, v_now);
  return public.scan_queue_accepted(v_job, case when v_job.status = 'running'
    then 'cancel requested: the worker stops at its next heartbeat' end);
end $$;

-- Dead or cancelled → pending now, with a fresh budget of max_attempts and of waiting on outages.
-- Its follow-up, if any, already became a job of its own when it finished: cleared. Refused while
-- another live job holds the same dedupe key.
create function public.retry_scan_job(p_job_id uuid)
returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_job public.scan_queue;
  v_live uuid;
begin
  begin
    update public.scan_queue q
    set status = 'pending', run_after = v_now, attempts_waived = q.attempts, completed_at = null,
        cancel_requested_at = null, lease_expires_at = null, result = null, follow_up = null,
        source_outage_since = null
    where q.id = p_job_id and q.status in ('dead', 'cancelled')
    returning q.* into v_job;
  exception when unique_violation then
    select q2.id into v_live from public.scan_queue q1 join public.scan_queue q2
      on q2.company_id = q1.company_id and q2.dedupe_key = q1.dedupe_key and q2.status in ('pending', 'running')
    where q1.id = p_job_id;
    select * into v_job from public.scan_queue where id = p_job_id;
    return row(false, v_job.id, v_job.attempts, v_job.status, v_job.run_after, null, false,
               pg_catalog.format('retry refused: job %s holds the same dedupe key (%s) and is live', v_live, v_job.dedupe_key)
              )::public.scan_job_write;
  end;
  if v_job.id is null then
    return public.scan_queue_refusal(p_job_id, null, 'retry');
  end if;
  insert into public.scan_job_events (job_id, company_id, kind, attempt, message, created_at)
  values (v_job.id, v_job.company_id, 'retried', v_job.attempts, 'retried by an operator', v_now);
  perform pg_catalog.pg_notify('scan_queue_jobs', '');
  return public.scan_queue_accepted(v_job);
end $$;
