-- The reaper frees the seats of the workers whose jobs it reaps (supabase/schemas/27_scan_queue_housekeeping.sql).

-- Jobs whose lease expired (their worker died, or lost the database for longer than a lease):
-- pending again at once, or dead when their attempts are spent, or cancelled when a cancel was
-- requested. Rows locked by a worker finishing right now are skipped: that worker's write wins.
-- Leases are short (30 s, renewed by heartbeats every 10 s) and the reaper runs every 10 s, so a
-- killed worker's job is claimable again within ~40 s, and claimed at once: the reaper notifies.
-- A worker whose job it reaps has stopped heartbeating — killed, most often (546 WORKER_LIMIT): its
-- seat under max_scan_workers is freed here too, instead of lapsing at the end of its budget
-- (~170 s later), so a burst of kills cannot hold every seat and stall the dispatch. A worker that
-- was only slow loses its seat early: at most one worker more than the cap, for a while.
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
  v_finished uuid[];
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
         array_agg(r.company_id), array_agg(r.id),
         array_agg(r.id) filter (where r.status <> 'pending')
    into v_requeued, v_dead, v_cancelled, v_companies, v_jobs, v_finished
  from reaped r;
  perform public.scan_queue_free_slots(v_companies, v_jobs);
  if v_finished is not null then
    perform public.scan_queue_job_finished(v_finished);
  end if;
  if v_companies is not null then
    delete from public.scan_workers w
    where w.worker_id in (select q.worker_id from public.scan_queue q where q.id = any (v_jobs));
    perform pg_catalog.pg_notify('scan_queue_jobs', '');
  end if;
  return query select v_requeued, v_dead, v_cancelled;
end $$;

