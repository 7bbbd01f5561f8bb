-- Housekeeping: the reaper, the pruner, and the queue at a glance.

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
create function public.reap_expired_scan_jobs()
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

-- Deletes finished jobs past their retention, and their events: completed and cancelled after
-- 7 days, dead after 30 by default. Also the events of jobs deleted by a cascade.
create function public.prune_scan_queue(
  p_completed_retention interval default '7 days',
  p_dead_retention interval default '30 days',
  p_cancelled_retention interval default '7 days'
) returns table (jobs bigint, events bigint)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_jobs bigint;
  v_events bigint;
  v_orphans bigint;
begin
  with pruned as (
    delete from public.scan_queue q
    where (q.status = 'completed' and q.completed_at < v_now - p_completed_retention)
       or (q.status = 'dead' and q.completed_at < v_now - p_dead_retention)
       or (q.status = 'cancelled' and q.completed_at < v_now - p_cancelled_retention)
    returning q.id
  ), pruned_events as (
    delete from public.scan_job_events e using pruned p where e.job_id = p.id returning 1
  )
  select (select count(*) from pruned), (select count(*) from pruned_events) into v_jobs, v_events;

  delete from public.scan_job_events e
  where e.created_at < v_now - least(p_completed_retention, p_dead_retention, p_cancelled_retention)
    and not exists (select 1 from public.scan_queue q where q.id = e.job_id);
  get diagnostics v_orphans = row_count;

  return query select v_jobs, v_events + v_orphans;
end $$;

-- The queue at a glance: jobs by status, by type and status, the age of the oldest ready job,
-- running jobs whose lease has expired (their worker is gone; the reaper hands them on within
-- 10 s) or whose heartbeat is overdue (none for half a lease: the worker is stalled or gone),
-- running jobs past their SLA (longest first, 20 at most: p_sla for all, by default each type's
-- scan_job_types.sla_seconds, as the job_sla alert reads it; a type without one has none),
-- follow-ups queued behind running jobs, and the sources that are down. For one company, or all.
-- The pipeline's (service_role); a member reads their own company's figures through
-- member_scan_queue_stats.
create function public.scan_queue_stats(p_company_id uuid default null, p_sla interval default null)
returns jsonb
language sql stable security definer set search_path = ''
as $$
  with now_ as (select public.scan_queue_now() as t),
  jobs as (select * from public.scan_queue q where p_company_id is null or q.company_id = p_company_id)
  select pg_catalog.jsonb_build_object(
    'at', (select t from now_),
    'by_status', (select coalesce(pg_catalog.jsonb_object_agg(s.status, s.n), '{}')
                  from (select status, count(*) as n from jobs group by status) s),
    'by_type', (select coalesce(pg_catalog.jsonb_object_agg(t.scan_type, t.statuses), '{}')
                from (select scan_type, pg_catalog.jsonb_object_agg(status, n) as statuses
                      from (select scan_type, status, count(*) as n from jobs group by scan_type, status) x
                      group by scan_type) t),
    'ready', (select count(*) from jobs, now_ where status = 'pending' and run_after <= now_.t),
    'scheduled', (select count(*) from jobs, now_ where status = 'pending' and run_after > now_.t),
    'oldest_ready_seconds', (select extract(epoch from max(now_.t) - min(run_after))::double precision
                             from jobs, now_ where status = 'pending' and run_after <= now_.t),
    'expired_leases', (select count(*) from jobs, now_ where status = 'running' and lease_expires_at < now_.t),
    'overdue_heartbeats', (select count(*) from jobs, now_ where status = 'running'
                             and heartbeat_at < now_.t - pg_catalog.make_interval(secs => lease_seconds / 2.0)),
    'follow_ups', (select count(*) from jobs where status = 'running' and follow_up is not null),
    'source_outages', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                 'source', o.source, 'since', o.since, 'failed_probes', o.failures,
                                 'blocked_until', o.blocked_until, 'probe_job_id', o.probe_job_id,
                                 'last_error', o.last_error) order by o.source), '[]')
                       from public.scan_source_outages o),
    'sla_seconds', extract(epoch from p_sla)::double precision,
    'running_past_sla', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                  'id', j.id, 'company_id', j.company_id, 'scan_type', j.scan_type,
                                  'worker_id', j.worker_id, 'attempt', j.attempts, 'started_at', j.started_at,
                                  'running_seconds', extract(epoch from now_.t - j.started_at)::double precision,
                                  'sla_seconds', extract(epoch from j.sla)::double precision)
                                  order by j.started_at), '[]')
                         from (select r.* from (select jobs.*, coalesce(p_sla, pg_catalog.make_interval(secs => t.sla_seconds)) as sla
                                                from jobs join public.scan_job_types t on t.name = jobs.scan_type
                                                where jobs.status = 'running') r, now_
                               where r.started_at < now_.t - r.sla
                               order by r.started_at limit 20) j, now_)
  )
$$;

-- scan_queue_stats for the signed-in member's company. Outages are shown by source and time only
-- (their probe job and error belong to the pipeline).
create function public.member_scan_queue_stats(p_sla interval default null)
returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_company uuid := public.current_company_id();
  v_stats jsonb;
begin
  if v_company is null then
    raise exception 'member_scan_queue_stats: the caller is not a member of any company' using errcode = '42501';
  end if;
  v_stats := public.scan_queue_stats(v_company, p_sla);
  return v_stats || pg_catalog.jsonb_build_object('source_outages',
    (select coalesce(pg_catalog.jsonb_agg(o - 'probe_job_id' - 'last_error'), '[]')
     from pg_catalog.jsonb_array_elements(v_stats -> 'source_outages') o));
end $$;
