-- Issue 24 #12, what CI found after it: a database out of reach for longer than a lease (restarted,
-- or up but answering no new connection for 40 s) raced the workers against the reaper when it came
-- back, and the reaper, winning now and then, charged an attempt for each lease it found expired.
-- Now the reaper keeps when it last ran, and a lease that ran out while it could not run — unseen —
-- is handed on without spending an attempt. reap_expired_scan_jobs is replaced whole.

-- When the reaper last ran (one row; null before its first round). A lease that ran out while the
-- reaper itself could not run — its previous round came before the job's heartbeat was even overdue
-- (none for half a lease), or it never ran — ran out unseen: the database was out of reach
-- (restarted, stopped, out of connections) or its scheduler was, and the job's worker could no more
-- write its heartbeat than pg_cron could run the reaper. Such a job is handed on without spending an
-- attempt, as a worker that lost its connection hands its job back itself; a lease the reaper
-- watched run out (a killed worker) spends one.
create table public.scan_queue_reaper (
  singleton boolean primary key default true constraint scan_queue_reaper_one_row check (singleton),
  last_run_at timestamptz
);
alter table public.scan_queue_reaper enable row level security; -- the pipeline's alone: no policy
insert into public.scan_queue_reaper (singleton, last_run_at) values (true, null);

-- Jobs whose lease expired (their worker died, or lost the database for longer than a lease):
-- pending again at once, or dead when their attempts are spent, or cancelled when a cancel was
-- requested. Rows locked by a worker finishing right now are skipped: that worker's write wins.
-- Leases are short (30 s, renewed by heartbeats every 10 s) and the reaper runs every 10 s, so a
-- killed worker's job is claimable again within ~40 s, and claimed at once: the reaper notifies.
-- A worker whose job it reaps has stopped heartbeating — killed, most often (546 WORKER_LIMIT): its
-- seat under max_scan_workers is freed here too, instead of lapsing at the end of its budget
-- (~170 s later), so a burst of kills cannot hold every seat and stall the dispatch. A worker that
-- was only slow loses its seat early: at most one worker more than the cap, for a while.
-- A lease that ran out unseen (scan_queue_reaper, above) spends no attempt: the reaper must run at
-- least every half lease (every 10 s by 80_schedules.sql, for leases of 30 s) for the difference to
-- hold.
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
  v_last_run timestamptz;
begin
  -- The row lock also orders concurrent reapers: each sees the previous one's round. The upsert
  -- puts the row back should it be gone (then no round is known: every expired lease is unseen once).
  select r.last_run_at into v_last_run from public.scan_queue_reaper r for update;
  insert into public.scan_queue_reaper (singleton, last_run_at) values (true, v_now)
  on conflict (singleton) do update set last_run_at = excluded.last_run_at;
  with expired as (
    -- Every running job holds a slot (claim_scan_jobs takes one, every exit from running frees it):
    -- the slots are the list of running jobs, a few rows per company.
    select q.id,
           coalesce(v_last_run < coalesce(q.heartbeat_at, q.started_at)
                      + pg_catalog.make_interval(secs => coalesce(q.lease_seconds, 30) / 2.0), true) as unseen
    from public.scan_queue_company_slots s
    join public.scan_queue q on q.id = s.job_id
    where q.status = 'running' and q.lease_expires_at < v_now
    for update of q skip locked
  ), reaped as (
    update public.scan_queue q
    set attempts_waived = q.attempts_waived + e.unseen::integer,
        status = case when q.cancel_requested_at is not null then 'cancelled'
                      when q.attempts - q.attempts_waived - e.unseen::integer >= q.max_attempts then 'dead'
                      else 'pending' end,
        run_after = v_now,
        completed_at = case when q.cancel_requested_at is not null
                                 or q.attempts - q.attempts_waived - e.unseen::integer >= q.max_attempts
                            then v_now end,
        error = case when e.unseen
                     then pg_catalog.format('lease expired at %s unseen: the reaper %s (the database or its scheduler '
                                            'was out of reach), so attempt %s of worker %s is not spent',
                                            q.lease_expires_at,
                                            case when v_last_run is null then pg_catalog.format('had not run before %s', v_now)
                                                 else pg_catalog.format('did not run from %s until %s', v_last_run, v_now) end,
                                            q.attempts, q.worker_id)
                     else pg_catalog.format('lease expired at %s: worker %s stopped heartbeating during attempt %s',
                                            q.lease_expires_at, q.worker_id, q.attempts) end,
        lease_expires_at = null
    from expired e where q.id = e.id
    returning q.*, e.unseen
  ), logged as (
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, data, created_at)
    select r.id, r.company_id, 'reaped', r.attempts, r.worker_id, r.error,
           pg_catalog.jsonb_build_object('next_status', r.status, 'attempt_spent', not r.unseen), v_now
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

revoke all on public.scan_queue_reaper from public, anon, authenticated, service_role;
grant select on public.scan_queue_reaper to service_role;
