-- scan_queue: the running index goes; the reaper finds running jobs through the slots.
--
-- Why: every claim is a non-HOT update, so each index on scan_queue costs an insertion per claimed
-- job (and the bottom-up cleanup of the version it replaces). scan_queue_running (company_id, where
-- running) was read only by the claim's count of running jobs per company, which
-- 20261125000200_scan_queue_claim_by_slots.sql replaced by the slots, and by the reaper, which now
-- walks the slots instead: every running job holds exactly one (tests: scan_queue_company_slots).
-- Dashboards (scan_queue_stats) count by status over a company's jobs and never used it; a company's
-- cascade uses scan_queue_company_created.
-- Measured (bench/queue.ts drive, 4 no-op workers, 10,000 jobs, 4 interleaved rounds, each variant in
-- its own database of one cluster): 1.04–1.23× the throughput with the index (median 1.14×).

drop index public.scan_queue_running;

create or replace function public.reap_expired_scan_jobs()
returns table (requeued integer, dead integer, cancelled integer)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_requeued integer;
  v_dead integer;
  v_cancelled integer;
  v_companies uuid[];
  v_jobs uuid[];
begin
  with expired as (
    -- Every running job holds a slot (claim_scan_jobs takes one, every exit from running frees it):
    -- the slots are the list of running jobs, a few rows per company.
    select q.id from public.scan_queue_company_slots s
    join public.scan_queue q on q.id = s.job_id
    where q.status = 'running' and q.lease_expires_at < v_now
    for update of q skip locked
  ), reaped as (
    update public.scan_queue q
    set status = case when q.cancel_requested_at is not null then 'cancelled'
                      when q.attempts - q.attempts_waived >= q.max_attempts then 'dead'
                      else 'pending' end,
        run_after = v_now,
        completed_at = case when q.cancel_requested_at is not null or q.attempts - q.attempts_waived >= q.max_attempts
                            then v_now end,
        error = pg_catalog.format('lease expired at %s: worker %s stopped heartbeating during attempt %s',
                                  q.lease_expires_at, q.worker_id, q.attempts),
        lease_expires_at = null
    from expired e where q.id = e.id
    returning q.*
  ), logged as (
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, data, created_at)
    select r.id, r.company_id, 'reaped', r.attempts, r.worker_id, r.error,
           pg_catalog.jsonb_build_object('next_status', r.status), v_now
    from reaped r
  )
  select (count(*) filter (where r.status = 'pending'))::integer,
         (count(*) filter (where r.status = 'dead'))::integer,
         (count(*) filter (where r.status = 'cancelled'))::integer,
         array_agg(r.company_id), array_agg(r.id)
    into v_requeued, v_dead, v_cancelled, v_companies, v_jobs
  from reaped r;
  perform public.scan_queue_free_slots(v_companies, v_jobs);
  if v_companies is not null then
    perform pg_catalog.pg_notify('scan_queue_jobs', '');
  end if;
  return query select v_requeued, v_dead, v_cancelled;
end $$;
