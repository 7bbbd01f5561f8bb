-- scan_queue: the per-company cap as slots instead of a running counter, and a cheaper bulk
-- completion.
--
-- Why: claims and completions queued on the counter rows. A claim locked its candidates' companies'
-- counters and kept them until it committed, and so did every completion and failure, so two
-- workers touching the same company ran one after the other. Slots are taken with SKIP LOCKED and
-- freed by job id: nobody waits. Measured with pgbench on the embedded Postgres (claim of 4 +
-- complete of 4 per transaction, 32 companies, cap 2, 40,000 ready jobs; function times from
-- pg_stat_user_functions, two runs each):
--   1 client   counter  625–672 tx/s   claim 622–664 µs   complete 449–496 µs
--              slots    644–762 tx/s   claim 570–691 µs   complete 329–396 µs
--   4 clients  counter  1,267–1,319    claim 1.02–1.07 ms complete 0.78–0.83 ms (waits included)
--              slots    1,407–1,478    claim 0.84–0.92 ms complete 0.42–0.45 ms
-- bench/queue.ts (4 and 16 workers, 10,000 jobs, three runs each, against graphile-worker in the
-- same run): 4 workers 0.76–0.85× graphile-worker with slots, 0.72–0.75× with the counter.
--
-- How: a company has `cap` slot rows (settings.max_concurrent_scans, default 2). A claim takes a
-- free slot for each job it claims, with FOR UPDATE SKIP LOCKED: it never waits, and a slot another
-- claimer is taking at that moment is simply not free. Every exit from running frees the job's slot
-- (scan_queue_free_slots), found by company + job id, so a write can only ever free its own job's
-- slot. Slots are exclusive rows, so the cap holds under any number of concurrent claimers.
-- Lowering the cap retires the busy slots above it: the company claims nothing more until those jobs
-- have left running (jobs already running are not stopped).

create table public.scan_queue_company_slots (
  company_id uuid not null references public.companies (id) on delete cascade,
  slot smallint not null check (slot >= 1),
  -- The running job holding the slot; null when free.
  job_id uuid,
  -- Above the company's (lowered) cap: never taken again; while busy, the company claims nothing.
  retiring boolean not null default false,
  primary key (company_id, slot)
);
-- Taken and freed on every claim and exit, and only job_id changes: HOT updates, room on the page.
alter table public.scan_queue_company_slots set (fillfactor = 50);

comment on table public.scan_queue_company_slots is
  'The per-company cap on running scan_queue jobs: max_concurrent_scans slot rows per company, each free or held by one running job. Taken by claim_scan_jobs, freed on every exit from running.';

-- A company's cap: settings.max_concurrent_scans, 2 when absent or not a number, 0 pauses the
-- company's scans; now at most 1,000, since each unit of it is a slot row.
create or replace function public.scan_queue_company_cap(p_settings jsonb) returns integer
language sql immutable
as $$
  select case when pg_catalog.jsonb_typeof(p_settings -> 'max_concurrent_scans') = 'number'
              then least(1000, greatest(0, floor((p_settings ->> 'max_concurrent_scans')::numeric)))::integer
              else 2 end
$$;

-- A company's slots follow its cap: created with the company, added when the cap rises, retired (busy)
-- or deleted (free) above a lowered cap.
create function public.scan_queue_sync_company_slots() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  v_cap integer := public.scan_queue_company_cap(new.settings);
begin
  if tg_op = 'UPDATE' and public.scan_queue_company_cap(old.settings) = v_cap then
    return null;
  end if;
  insert into public.scan_queue_company_slots (company_id, slot)
  select new.id, g from pg_catalog.generate_series(1, v_cap) g
  on conflict (company_id, slot) do update set retiring = false where public.scan_queue_company_slots.retiring;
  delete from public.scan_queue_company_slots s where s.company_id = new.id and s.slot > v_cap and s.job_id is null;
  update public.scan_queue_company_slots s set retiring = true
  where s.company_id = new.id and s.slot > v_cap and not s.retiring;
  return null;
end $$;

create trigger scan_queue_company_slots_sync after insert or update of settings on public.companies
  for each row execute function public.scan_queue_sync_company_slots();

-- Frees the slots of jobs that left running (p_company_ids[i] is the company of p_job_ids[i]).
-- Every function that moves a job out of running calls it in the same transaction; deletes of running
-- rows (cascades) go through the trigger below. A retired slot is deleted rather than freed.
create function public.scan_queue_free_slots(p_company_ids uuid[], p_job_ids uuid[]) returns void
language plpgsql volatile security definer set search_path = '' set plan_cache_mode = force_generic_plan
as $$
begin
  if p_job_ids is null or pg_catalog.cardinality(p_job_ids) = 0 then
    return;
  end if;
  with retired as (
    delete from public.scan_queue_company_slots s using unnest(p_company_ids, p_job_ids) as u (company_id, job_id)
    where s.company_id = u.company_id and s.job_id = u.job_id and s.retiring
  )
  update public.scan_queue_company_slots s set job_id = null
  from unnest(p_company_ids, p_job_ids) as u (company_id, job_id)
  where s.company_id = u.company_id and s.job_id = u.job_id and not s.retiring;
end $$;

-- Today's companies get their slots, and today's running jobs hold them (slots above the cap, when a
-- company runs more than its cap, are born retiring).
insert into public.scan_queue_company_slots (company_id, slot, job_id, retiring)
select c.id, g, r.id, g > public.scan_queue_company_cap(c.settings)
from public.companies c
cross join lateral pg_catalog.generate_series(1, greatest(public.scan_queue_company_cap(c.settings),
  (select count(*)::integer from public.scan_queue q where q.company_id = c.id and q.status = 'running'))) g
left join lateral (
  select q.id from public.scan_queue q where q.company_id = c.id and q.status = 'running'
  order by q.started_at, q.id offset g - 1 limit 1
) r on true;

-- The counter and its upkeep are replaced by the slots. (IF EXISTS: local stacks made before the
-- counter existed never had it.)
drop trigger if exists scan_queue_counter_insert on public.scan_queue;
drop trigger if exists scan_queue_counter_delete on public.scan_queue;
drop trigger if exists scan_queue_counter_truncate on public.scan_queue;
drop function if exists public.scan_queue_counter_on_insert();
drop function if exists public.scan_queue_counter_on_delete();
drop function if exists public.scan_queue_counter_on_truncate();
drop function if exists public.scan_queue_release_running(uuid[]);
drop table if exists public.scan_queue_company_running;

-- Running jobs deleted (a repository's cascade): their slots are freed.
create function public.scan_queue_slots_on_delete() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform public.scan_queue_free_slots(array_agg(o.company_id), array_agg(o.id)) from old_rows o where o.status = 'running';
  return null;
end $$;

create function public.scan_queue_slots_on_truncate() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  delete from public.scan_queue_company_slots where retiring;
  update public.scan_queue_company_slots set job_id = null where job_id is not null;
  return null;
end $$;

create trigger scan_queue_slots_delete after delete on public.scan_queue
  referencing old table as old_rows for each statement execute function public.scan_queue_slots_on_delete();
create trigger scan_queue_slots_truncate after truncate on public.scan_queue
  for each statement execute function public.scan_queue_slots_on_truncate();

-- ---------------------------------------------------------------------------------------------
-- Claim: see 20261124001000_scan_queue.sql for the plan pinning and v_full; what changed is how the
-- cap is checked, and that a round returns its rows straight from the statement. Each company's
-- candidates (in claim order) are paired with its free slots (in slot order), taken with SKIP
-- LOCKED; candidates left without a slot stay pending. A round that comes back short is followed by
-- another that only considers companies with a free slot nobody else holds (so a company that just
-- reached its cap, or whose free slots other claimers are taking, does not take the candidate places
-- again; the EXISTS locks the slot it finds, which this claim may then take), up to three rounds; a
-- later round that claims nothing ends the claim.
-- Cost (pgbench, claim of 4, one client): ~560 µs with the counter, ~450 µs with slots and the
-- claimed rows carried out in an array; returned straight from the statement, 4 workers went from
-- 0.76–0.86× graphile-worker to 0.75–0.96× (bench/queue.ts, 10,000 jobs, three runs).
create or replace function public.claim_scan_jobs(
  p_worker_id text,
  p_lease_seconds integer default 180,
  p_scan_types text[] default null,
  p_limit integer default 10
) returns setof public.scan_queue
language plpgsql volatile security definer set search_path = ''
  set plan_cache_mode = force_generic_plan set enable_seqscan = off set enable_bitmapscan = off set enable_sort = off
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_full uuid[];
  v_claimed integer := 0;
  v_n integer;
begin
  if p_worker_id is null or p_worker_id = '' then
    raise exception 'claim_scan_jobs: p_worker_id is required' using errcode = '22023';
  end if;
  if p_lease_seconds is null or p_lease_seconds not between 1 and 3600 then
    raise exception 'claim_scan_jobs: p_lease_seconds must be between 1 and 3600, got %', p_lease_seconds
      using errcode = '22023';
  end if;
  if p_limit is null or p_limit < 1 then
    return;
  end if;

  -- Companies at their cap by this snapshot (the running rows are few: the partial index), so their
  -- ready jobs do not take candidate places.
  select coalesce(array_agg(r.company_id), '{}') into v_full
  from (select q.company_id, count(*) as n from public.scan_queue q where q.status = 'running' group by q.company_id) r
  join public.companies c on c.id = r.company_id
  where r.n >= public.scan_queue_company_cap(c.settings);

  for v_round in 1..3 loop
    return query
    with candidates as (
      select q.id, q.company_id, q.priority, q.run_after from public.scan_queue q
      where q.status = 'pending' and q.run_after <= v_now
        and (p_scan_types is null or q.scan_type = any (p_scan_types))
        and q.company_id <> all (v_full)
        and (v_round = 1 or exists (select 1 from public.scan_queue_company_slots f
                                    where f.company_id = q.company_id and f.job_id is null and not f.retiring
                                    for update of f skip locked))
      order by q.priority, q.run_after, q.id
      limit p_limit - v_claimed
      for update of q skip locked
    ), ranked as (
      select d.id, d.company_id,
             row_number() over (partition by d.company_id order by d.priority, d.run_after, d.id) as rank
      from candidates d
    ), slots as (
      -- Up to as many free slots as the company has candidates; none while a retired slot is busy.
      select w.company_id, s.slot, row_number() over (partition by w.company_id order by s.slot) as rank
      from (select r.company_id, max(r.rank) as wanted from ranked r group by r.company_id) w
      cross join lateral (
        select s.slot from public.scan_queue_company_slots s
        where s.company_id = w.company_id and s.job_id is null and not s.retiring
          and not exists (select 1 from public.scan_queue_company_slots b
                          where b.company_id = w.company_id and b.retiring and b.job_id is not null)
        order by s.slot
        limit w.wanted
        for update of s skip locked
      ) s
    ), paired as (
      select r.id, r.company_id, s.slot from ranked r join slots s on s.company_id = r.company_id and s.rank = r.rank
    ), taken as (
      update public.scan_queue_company_slots s set job_id = p.id
      from paired p where s.company_id = p.company_id and s.slot = p.slot
    ), claimed as (
      update public.scan_queue q
      set status = 'running', attempts = q.attempts + 1, worker_id = p_worker_id, lease_seconds = p_lease_seconds,
          lease_expires_at = v_now + pg_catalog.make_interval(secs => p_lease_seconds), started_at = v_now,
          heartbeat_at = v_now, progress = 0, progress_message = null
      where q.id = any (array(select p.id from paired p))
      returning q.*
    ), logged as (
      insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, created_at)
      select c.id, c.company_id, 'claimed', c.attempts, c.worker_id, v_now from claimed c
    )
    select c.* from claimed c order by c.priority, c.run_after, c.id;
    get diagnostics v_n = row_count;
    v_claimed := v_claimed + v_n;
    exit when v_claimed >= p_limit or (v_round > 1 and v_n = 0);
  end loop;
end $$;

-- complete_scan_jobs: same contract (the accepted jobs, then one refusal per element that did not
-- complete); one statement on the common path. The answers are built from the UPDATE's RETURNING
-- rather than read again, and refusals are looked for only when some element was not accepted.
create or replace function public.complete_scan_jobs(p_jobs jsonb)
returns setof public.scan_job_write
language plpgsql volatile security definer set search_path = ''
  set plan_cache_mode = force_generic_plan set enable_seqscan = off set enable_bitmapscan = off
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_accepted public.scan_job_write[];
  v_refused record;
begin
  if p_jobs is null or pg_catalog.jsonb_typeof(p_jobs) <> 'array' then
    raise exception 'complete_scan_jobs: p_jobs must be a JSON array of {job_id, attempt, result}' using errcode = '22023';
  end if;
  with input as (
    select (e ->> 'job_id')::uuid as job_id, (e ->> 'attempt')::integer as attempt,
           case when pg_catalog.jsonb_typeof(e -> 'result') = 'null' then null else e -> 'result' end as result
    from pg_catalog.jsonb_array_elements(p_jobs) e
  ), done as (
    update public.scan_queue q
    set status = 'completed', completed_at = v_now, result = i.result, progress = 100, lease_expires_at = null,
        error = null
    from input i
    -- Primary-key lookups whatever the statistics say. The status is compared with a parameter so
    -- that the planner cannot walk the running index instead, whose dead entries grow with churn.
    where q.id = any (array(select i2.job_id from input i2))
      and q.id = i.job_id and q.attempts = i.attempt and q.status = (select 'running'::text)
    returning q.id, q.company_id, q.attempts, q.worker_id, q.run_after, q.cancel_requested_at
  ), logged as (
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, created_at)
    select d.id, d.company_id, 'completed', d.attempts, d.worker_id, v_now from done d
  ), freed as ( -- scan_queue_free_slots inline: calling it would add a statement to every completion
    update public.scan_queue_company_slots s set job_id = null
    from done d where s.company_id = d.company_id and s.job_id = d.id and not s.retiring
  ), retired as (
    delete from public.scan_queue_company_slots s using done d
    where s.company_id = d.company_id and s.job_id = d.id and s.retiring
  )
  select array_agg(row(true, d.id, d.attempts, 'completed', d.run_after, null, d.cancel_requested_at is not null, null)::public.scan_job_write)
    into v_accepted from done d;
  return query select * from unnest(v_accepted);

  if coalesce(pg_catalog.cardinality(v_accepted), 0) = pg_catalog.jsonb_array_length(p_jobs) then
    return;
  end if;
  for v_refused in
    select (e ->> 'job_id')::uuid as job_id, (e ->> 'attempt')::integer as attempt
    from pg_catalog.jsonb_array_elements(p_jobs) e
    where not exists (select 1 from unnest(v_accepted) a
                      where a.job_id = (e ->> 'job_id')::uuid and a.attempt = (e ->> 'attempt')::integer)
  loop
    return next public.scan_queue_refusal(v_refused.job_id, v_refused.attempt, 'complete');
  end loop;
end $$;

-- ---------------------------------------------------------------------------------------------
-- The other exits from running free the job's slot instead of decrementing the counter (otherwise
-- as in 20261124001000_scan_queue.sql).

-- The job succeeded: completed, with its result. A cancel requested while it ran does not undo
-- finished work.
create or replace function public.complete_scan_job(
  p_job_id uuid,
  p_attempt integer,
  p_result jsonb default null
) returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_job public.scan_queue;
begin
  with done as (
    update public.scan_queue q
    set status = 'completed', completed_at = v_now, result = p_result, progress = 100, lease_expires_at = null,
        error = null
    where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
    returning q.*
  ), logged as (
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, created_at)
    select d.id, d.company_id, 'completed', d.attempts, d.worker_id, v_now from done d
  )
  select * into v_job from done;
  if v_job.id is null then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'complete');
  end if;
  perform public.scan_queue_free_slots(array[v_job.company_id], array[v_job.id]);
  return public.scan_queue_accepted(v_job);
end $$;

-- Extends the lease by the claim's lease_seconds and records progress (0–100) and a message (a
-- `progress` event when either is given). If a cancel was requested, the job becomes cancelled
-- here instead and the answer has cancel_requested = true: the worker stops.
create or replace function public.heartbeat_scan_job(
  p_job_id uuid,
  p_attempt integer,
  p_progress integer default null,
  p_message text default null
) returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_job public.scan_queue;
begin
  if p_progress is not null and p_progress not between 0 and 100 then
    raise exception 'heartbeat_scan_job: p_progress must be between 0 and 100, got %', p_progress using errcode = '22023';
  end if;
  update public.scan_queue q
  set heartbeat_at = v_now,
      lease_expires_at = case when q.cancel_requested_at is null
                              then v_now + pg_catalog.make_interval(secs => q.lease_seconds) end,
      progress = coalesce(p_progress, q.progress),
      progress_message = coalesce(p_message, q.progress_message),
      status = case when q.cancel_requested_at is null then 'running' else 'cancelled' end,
      completed_at = case when q.cancel_requested_at is null then null else v_now end
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
  returning q.* into v_job;
  if not found then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'heartbeat');
  end if;
  if p_progress is not null or p_message is not null then
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, data, created_at)
    values (v_job.id, v_job.company_id, 'progress', v_job.attempts, v_job.worker_id, p_message,
            pg_catalog.jsonb_build_object('progress', v_job.progress), v_now);
  end if;
  if v_job.status = 'cancelled' then
    perform public.scan_queue_free_slots(array[v_job.company_id], array[v_job.id]);
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, created_at)
    values (v_job.id, v_job.company_id, 'cancelled', v_job.attempts, v_job.worker_id,
            'cancelled at the worker''s heartbeat', v_now);
  end if;
  return public.scan_queue_accepted(v_job);
end $$;

-- The attempt failed. Retryable and attempts left: pending again after the backoff
-- (scan_queue_backoff). Otherwise dead, with the error. A job whose cancel was requested
-- becomes cancelled rather than retried.
create or replace function public.fail_scan_job(
  p_job_id uuid,
  p_attempt integer,
  p_error text,
  p_retryable boolean default true
) returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_job public.scan_queue;
begin
  update public.scan_queue q
  set status = case when q.cancel_requested_at is not null then 'cancelled'
                    when not coalesce(p_retryable, true) or q.attempts - q.attempts_waived >= q.max_attempts then 'dead'
                    else 'pending' end,
      run_after = case when q.cancel_requested_at is null and coalesce(p_retryable, true)
                             and q.attempts - q.attempts_waived < q.max_attempts
                        then v_now + public.scan_queue_backoff(q.attempts - q.attempts_waived)
                        else q.run_after end,
      completed_at = case when q.cancel_requested_at is not null or not coalesce(p_retryable, true)
                               or q.attempts - q.attempts_waived >= q.max_attempts then v_now end,
      error = coalesce(p_error, 'failed without an error message'),
      lease_expires_at = null
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
  returning q.* into v_job;
  if not found then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'fail');
  end if;
  perform public.scan_queue_free_slots(array[v_job.company_id], array[v_job.id]);
  insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, data, created_at)
  values (v_job.id, v_job.company_id, 'failed', v_job.attempts, v_job.worker_id, v_job.error,
          pg_catalog.jsonb_build_object('retryable', coalesce(p_retryable, true), 'next_status', v_job.status,
                                        'run_after', case when v_job.status = 'pending' then v_job.run_after end),
          v_now);
  if v_job.status = 'cancelled' then
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, created_at)
    values (v_job.id, v_job.company_id, 'cancelled', v_job.attempts, v_job.worker_id, 'cancel requested: not retried', v_now);
  end if;
  return public.scan_queue_accepted(v_job);
end $$;

-- Not now: pending again at p_until, and this attempt does not count against max_attempts (for a
-- GitHub rate limit: snooze to its reset time). A job whose cancel was requested becomes cancelled.
create or replace function public.snooze_scan_job(
  p_job_id uuid,
  p_attempt integer,
  p_until timestamptz,
  p_reason text default null
) returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_job public.scan_queue;
begin
  if p_until is null then
    raise exception 'snooze_scan_job: p_until is required' using errcode = '22023';
  end if;
  update public.scan_queue q
  set status = case when q.cancel_requested_at is null then 'pending' else 'cancelled' end,
      run_after = greatest(p_until, v_now),
      attempts_waived = q.attempts_waived + 1,
      completed_at = case when q.cancel_requested_at is null then null else v_now end,
      lease_expires_at = null
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
  returning q.* into v_job;
  if not found then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'snooze');
  end if;
  perform public.scan_queue_free_slots(array[v_job.company_id], array[v_job.id]);
  insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, data, created_at)
  values (v_job.id, v_job.company_id, case when v_job.status = 'cancelled' then 'cancelled' else 'snoozed' end,
          v_job.attempts, v_job.worker_id, p_reason, pg_catalog.jsonb_build_object('until', v_job.run_after), v_now);
  return public.scan_queue_accepted(v_job);
end $$;

-- Jobs whose lease expired (their worker died or stopped heartbeating): pending again at once,
-- or dead when their attempts are spent, or cancelled when a cancel was requested. Rows locked by
-- a worker finishing right now are skipped: that worker's write wins.
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
    select q.id from public.scan_queue q
    where q.status = 'running' and q.lease_expires_at < v_now
    for update skip locked
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

-- ---------------------------------------------------------------------------------------------
-- Security: the slots are the pipeline's, like the counter was.
alter table public.scan_queue_company_slots enable row level security;
revoke all on public.scan_queue_company_slots from anon, authenticated;
grant all on public.scan_queue_company_slots to service_role;
revoke execute on function public.scan_queue_sync_company_slots(), public.scan_queue_free_slots(uuid[], uuid[]),
  public.scan_queue_slots_on_delete(), public.scan_queue_slots_on_truncate() from public, anon, authenticated;

-- The job log is read by job (a dashboard's job page, pruning), so its key is (job_id, id): one index
-- to write per event instead of two (the identity key and a (job_id, id) index), and every claim and
-- completion writes an event per job.
alter table public.scan_job_events drop constraint scan_job_events_pkey;
drop index if exists public.scan_job_events_job;
alter table public.scan_job_events add constraint scan_job_events_pkey primary key (job_id, id);
