-- scan_queue: the job queue of the scan pipeline, with its whole API as SQL functions.
--
-- Vocabulary (ARCHITECTURE.md): a job is one row; an attempt is one claim of it (`attempts` counts
-- claims and is the fence every write-back carries); a lease is how long a claim holds before the
-- reaper hands the job to another worker. Statuses: pending (ready, or waiting for run_after),
-- running, and the finished ones: completed, dead (the dead letter), cancelled.
--
-- Lessons of the queues we measure ourselves against (reference/queue-anchors.md) and where they live here:
--   * claim in one committed statement with a short lease, never a transaction held across the work
--     (claim_scan_jobs);
--   * fence every write-back by job id + attempt + status, and say why a write was refused
--     (scan_job_write, scan_queue_refusal);
--   * dedupe at enqueue with a partial unique index over live jobs (scan_queue_live_dedupe_key);
--   * back off with jitter; snooze without spending an attempt (fail_scan_job, snooze_scan_job);
--   * prune on a schedule; keep the indexes the claim walks partial, so history never slows it.
--
-- Time: every function reads the clock through public.scan_queue_now(), which is now() unless the
-- session sets `codeguard.now`. Tests move time that way instead of sleeping (CONVENTIONS.md §3);
-- an optional p_now argument on every function would have widened the API that dashboards and
-- other parts call, and a caller able to set a GUC can already call these service-only functions.

create table public.scan_queue (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references public.companies (id) on delete cascade,
  -- Null for company-wide jobs (calculate_scores, weekly_report, …).
  repository_id uuid references public.repositories (id) on delete cascade,
  scan_type text not null default 'full_scan' check (scan_type ~ '^[a-z][a-z0-9_]{0,62}$'),
  priority smallint not null default 5 check (priority between 1 and 10), -- 1 highest … 10 lowest
  status text not null default 'pending'
    check (status in ('pending', 'running', 'completed', 'dead', 'cancelled')),
  -- Claims so far. Monotonic: it is the fence of every write-back, so it never goes down.
  attempts integer not null default 0,
  -- Claims that do not count against max_attempts: snoozes, and every claim before a manual retry.
  attempts_waived integer not null default 0,
  max_attempts integer not null default 3 check (max_attempts between 1 and 100),
  run_after timestamptz not null default now(),
  lease_seconds integer check (lease_seconds between 1 and 3600),
  lease_expires_at timestamptz,
  worker_id text,
  heartbeat_at timestamptz,
  progress smallint not null default 0 check (progress between 0 and 100),
  progress_message text,
  payload jsonb not null default '{}',
  dedupe_key text not null,
  result jsonb,
  error text,
  cancel_requested_at timestamptz,
  created_at timestamptz not null default now(),
  started_at timestamptz,   -- start of the current (or last) attempt
  completed_at timestamptz, -- when the job reached completed, dead or cancelled
  constraint scan_queue_running_has_lease check (status <> 'running' or (lease_expires_at is not null and worker_id is not null)),
  constraint scan_queue_attempts_waived_le_attempts check (attempts_waived between 0 and attempts)
);

-- Every claim and completion is a non-HOT update (status is in the partial indexes' predicates),
-- so each index below costs an insertion per state change; keep the list short.
-- The claim walks this one from its head: only pending rows, in claim order.
create index scan_queue_ready on public.scan_queue (priority, run_after, id) where status = 'pending';
-- Dedupe: at most one live job per company and key (default key: scan type + repository).
create unique index scan_queue_live_dedupe_key on public.scan_queue (company_id, dedupe_key)
  where status in ('pending', 'running');
-- The per-company cap counts running jobs; the reaper scans them. Small by construction.
create index scan_queue_running on public.scan_queue (company_id) where status = 'running';
-- Dashboards (a company's and a repository's job lists) and the cascades from companies/repositories.
create index scan_queue_company_created on public.scan_queue (company_id, created_at desc);
create index scan_queue_repository_created on public.scan_queue (repository_id, created_at desc)
  where repository_id is not null;

-- Claimed rows die at once; let autovacuum keep up with a queue table rather than wait for 20 %.
alter table public.scan_queue set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

comment on table public.scan_queue is
  'Scan jobs. Every state change goes through a function (enqueue_scan, claim_scan_jobs, heartbeat_scan_job, complete_scan_job, fail_scan_job, snooze_scan_job, cancel_scan_job, retry_scan_job, reap_expired_scan_jobs, prune_scan_queue).';
comment on column public.scan_queue.attempts is 'Claims so far; the fence (p_attempt) of every write-back.';
comment on column public.scan_queue.attempts_waived is 'Claims that do not count against max_attempts (snoozes; claims before a manual retry).';

-- Running jobs per company, the count the per-company cap is checked against. Why a counter and
-- not count(*) over the running rows: the cap must hold under concurrent claimers, and a single
-- statement's snapshot misses claims committed while it runs. A claim locks its candidates'
-- counter rows (in company order, so claimers cannot deadlock) and, in READ COMMITTED, reads their
-- latest committed value: claimers of one company queue on that row for the length of one claim,
-- those of other companies do not, and the claim is one statement (it was two, with advisory
-- locks, before; bench/queue.ts, see claim_scan_jobs).
-- Kept exact by claim_scan_jobs (+ granted), scan_queue_release_running (− every job that leaves
-- running) and the triggers below (insert creates the row, delete of running rows, truncate resets).
create table public.scan_queue_company_running (
  company_id uuid primary key references public.companies (id) on delete cascade,
  running integer not null default 0 check (running >= 0)
);
-- Updated on every claim and every exit from running; only `running` changes, so HOT updates.
alter table public.scan_queue_company_running set (fillfactor = 50);

comment on table public.scan_queue_company_running is
  'Running scan_queue jobs per company: the per-company cap''s counter, locked by claims. Maintained by claim_scan_jobs and triggers on scan_queue.';

-- Every company with a job has a counter row (created on insert; an existing one is not locked).
create function public.scan_queue_counter_on_insert() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into public.scan_queue_company_running (company_id)
  select distinct n.company_id from new_rows n
  on conflict (company_id) do nothing;
  return null;
end $$;

-- Jobs that left running: decrement their companies' counters, locking them in company order as
-- claims do (p_company_ids holds one element per job, repeats included). Every function that moves
-- a job out of running calls it in the same transaction: complete_scan_job(s), fail_scan_job,
-- snooze_scan_job, heartbeat_scan_job (cancelled), reap_expired_scan_jobs; deletes of running
-- rows (cascades) go through the trigger below. Why not one AFTER UPDATE trigger for all of them:
-- a statement-level trigger with transition tables cost ~0.1 ms per statement (its queries are
-- planned at every call), on every claim and completion too — a fifth of a no-op job's database time.
create function public.scan_queue_release_running(p_company_ids uuid[]) returns void
language plpgsql volatile security definer set search_path = '' set plan_cache_mode = force_generic_plan
as $$
begin
  if p_company_ids is null or pg_catalog.cardinality(p_company_ids) = 0 then
    return;
  end if;
  perform 1 from public.scan_queue_company_running k
  where k.company_id = any (p_company_ids) order by k.company_id for update;
  update public.scan_queue_company_running k set running = greatest(0, k.running - x.n)
  from (select u.company_id, count(*)::integer as n from unnest(p_company_ids) as u (company_id) group by u.company_id) x
  where k.company_id = x.company_id;
end $$;

-- Running jobs deleted (a company's or repository's cascade): their counters go down too.
create function public.scan_queue_counter_on_delete() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform public.scan_queue_release_running(
    (select array_agg(o.company_id) from old_rows o where o.status = 'running'));
  return null;
end $$;

create function public.scan_queue_counter_on_truncate() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  update public.scan_queue_company_running set running = 0 where running <> 0;
  return null;
end $$;

create trigger scan_queue_counter_insert after insert on public.scan_queue
  referencing new table as new_rows for each statement execute function public.scan_queue_counter_on_insert();
create trigger scan_queue_counter_delete after delete on public.scan_queue
  referencing old table as old_rows for each statement execute function public.scan_queue_counter_on_delete();
create trigger scan_queue_counter_truncate after truncate on public.scan_queue
  for each statement execute function public.scan_queue_counter_on_truncate();
revoke execute on function public.scan_queue_counter_on_insert(), public.scan_queue_counter_on_delete(),
  public.scan_queue_counter_on_truncate(), public.scan_queue_release_running(uuid[]) from public, anon, authenticated;

-- The job log a dashboard shows. Append-only; no foreign key to scan_queue on purpose: an FK check
-- on every claim/complete event would lock the job's row again (KEY SHARE) in the hot path, and
-- prune_scan_queue removes the events of the jobs it prunes (and of jobs removed by a cascade).
create table public.scan_job_events (
  id bigint generated always as identity primary key,
  job_id uuid not null,
  company_id uuid not null,
  kind text not null check (kind in ('enqueued', 'claimed', 'progress', 'snoozed', 'failed', 'reaped',
    'cancel_requested', 'cancelled', 'completed', 'retried', 'refused')),
  attempt integer not null,
  worker_id text,
  message text,
  data jsonb,
  created_at timestamptz not null default now()
);
create index scan_job_events_job on public.scan_job_events (job_id, id);

comment on table public.scan_job_events is
  'Append-only log per job: enqueued, claimed, progress, snoozed, failed, reaped, cancel_requested, cancelled, completed, retried, refused (a late write that was turned away).';

-- What a fenced write-back (heartbeat, complete, fail, snooze, cancel, retry) answers. `accepted`
-- false means nothing changed, and `message` says why (stale attempt, job finished, …).
create type public.scan_job_write as (
  accepted boolean,
  job_id uuid,
  attempt integer,
  status text,
  run_after timestamptz,
  lease_expires_at timestamptz,
  cancel_requested boolean,
  message text
);

-- ---------------------------------------------------------------------------------------------
-- Helpers

-- The queue's clock: now(), or the session's `codeguard.now` when a test moves time.
create function public.scan_queue_now() returns timestamptz
language sql stable
as $$ select coalesce(nullif(pg_catalog.current_setting('codeguard.now', true), '')::timestamptz, pg_catalog.now()) $$;

-- A company's cap on running jobs: settings.max_concurrent_scans, 2 when absent or not a number;
-- 0 pauses the company's scans.
create function public.scan_queue_company_cap(p_settings jsonb) returns integer
language sql immutable
as $$
  select case when pg_catalog.jsonb_typeof(p_settings -> 'max_concurrent_scans') = 'number'
              then greatest(0, floor((p_settings ->> 'max_concurrent_scans')::numeric))::integer
              else 2 end
$$;

-- Delay before retry N (N = attempts spent): N⁴ seconds, capped at an hour, ± 10 % jitter so
-- jobs that failed together (a GitHub outage) do not come back together. River's policy.
create function public.scan_queue_backoff(p_attempts_spent integer) returns interval
language sql volatile
as $$
  select pg_catalog.make_interval(secs => least(3600, power(greatest(p_attempts_spent, 1), 4))
                                          * (0.9 + 0.2 * pg_catalog.random()))
$$;

-- Builds the answer to a refused write, and logs the refusal on the job (if it exists).
create function public.scan_queue_refusal(p_job_id uuid, p_attempt integer, p_action text, p_worker_id text default null)
returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_job public.scan_queue;
  v_message text;
begin
  select * into v_job from public.scan_queue where id = p_job_id;
  if not found then
    return row(false, p_job_id, p_attempt, null, null, null, false,
               pg_catalog.format('%s refused: job %s does not exist', p_action, p_job_id))::public.scan_job_write;
  end if;
  if p_attempt is not null and v_job.attempts <> p_attempt then
    v_message := pg_catalog.format('%s refused: attempt %s of job %s is stale (the job is at attempt %s, %s)',
                                   p_action, p_attempt, p_job_id, v_job.attempts, v_job.status);
  else
    v_message := pg_catalog.format('%s refused: job %s is %s', p_action, p_job_id, v_job.status);
  end if;
  insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, created_at)
  values (v_job.id, v_job.company_id, 'refused', coalesce(p_attempt, v_job.attempts), p_worker_id, v_message,
          public.scan_queue_now());
  return row(false, v_job.id, v_job.attempts, v_job.status, v_job.run_after, v_job.lease_expires_at,
             v_job.cancel_requested_at is not null, v_message)::public.scan_job_write;
end $$;

create function public.scan_queue_accepted(v_job public.scan_queue, p_message text default null)
returns public.scan_job_write
language sql immutable
as $$
  select row(true, v_job.id, v_job.attempts, v_job.status, v_job.run_after, v_job.lease_expires_at,
             v_job.cancel_requested_at is not null, p_message)::public.scan_job_write
$$;

-- ---------------------------------------------------------------------------------------------
-- Enqueue

-- Enqueues many jobs in one statement. p_jobs is a JSON array of objects with the keys of
-- enqueue_scan without the p_ prefix (company_id required; repository_id, scan_type, priority,
-- run_after, payload, dedupe_key, max_attempts optional). Answers one row per element, in order:
-- the new job, or the live job that already held the dedupe key.
create function public.enqueue_scans(p_jobs jsonb)
returns setof public.scan_queue
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_count integer;
  v_ids uuid[];
  v_ready boolean;
begin
  if p_jobs is null or pg_catalog.jsonb_typeof(p_jobs) <> 'array' then
    raise exception 'enqueue_scans: p_jobs must be a JSON array of jobs' using errcode = '22023';
  end if;
  v_count := pg_catalog.jsonb_array_length(p_jobs);
  if exists (select 1 from pg_catalog.jsonb_array_elements(p_jobs) e
             where pg_catalog.jsonb_typeof(e -> 'company_id') is distinct from 'string') then
    raise exception 'enqueue_scans: every job needs a company_id' using errcode = '23502';
  end if;
  if exists (select 1 from pg_catalog.jsonb_array_elements(p_jobs) e
             join public.repositories r on r.id = (e ->> 'repository_id')::uuid
             where r.company_id <> (e ->> 'company_id')::uuid) then
    raise exception 'enqueue_scans: a repository_id belongs to another company than the job''s company_id'
      using errcode = '23503';
  end if;

  for v_round in 1..5 loop
    -- Insert what is not live yet; a key already live (or repeated in p_jobs) is left alone.
    with input as (
      select e.ord, j.company_id, j.repository_id, coalesce(j.scan_type, 'full_scan') as scan_type,
             coalesce(j.priority, 5) as priority, coalesce(j.run_after, v_now) as run_after,
             coalesce(j.payload, '{}') as payload,
             coalesce(j.dedupe_key, coalesce(j.scan_type, 'full_scan') || ':' || coalesce(j.repository_id::text, 'company'))
               as dedupe_key,
             coalesce(j.max_attempts, 3) as max_attempts
      from pg_catalog.jsonb_array_elements(p_jobs) with ordinality as e (elem, ord),
           pg_catalog.jsonb_to_record(e.elem) as j (company_id uuid, repository_id uuid, scan_type text,
             priority smallint, run_after timestamptz, payload jsonb, dedupe_key text, max_attempts integer)
    ), inserted as (
      insert into public.scan_queue (company_id, repository_id, scan_type, priority, run_after, payload,
                                     dedupe_key, max_attempts, created_at)
      select i.company_id, i.repository_id, i.scan_type, i.priority, i.run_after, i.payload, i.dedupe_key,
             i.max_attempts, v_now
      from input i order by i.ord
      on conflict (company_id, dedupe_key) where status in ('pending', 'running') do nothing
      returning id, company_id, attempts, priority, run_after, scan_type, repository_id
    ), logged as (
      insert into public.scan_job_events (job_id, company_id, kind, attempt, data, created_at)
      select id, company_id, 'enqueued', attempts,
             pg_catalog.jsonb_build_object('scan_type', scan_type, 'priority', priority, 'run_after', run_after,
                                           'repository_id', repository_id), v_now
      from inserted
    )
    select coalesce(bool_or(run_after <= v_now), false) into v_ready from inserted;
    if v_ready then
      perform pg_catalog.pg_notify('scan_queue_jobs', '');
    end if;

    -- Each element's live job, new or pre-existing (a new snapshot sees both).
    select array_agg(q.id order by e.ord) into v_ids
    from pg_catalog.jsonb_array_elements(p_jobs) with ordinality as e (elem, ord)
    join public.scan_queue q
      on q.company_id = (e.elem ->> 'company_id')::uuid
     and q.dedupe_key = coalesce(e.elem ->> 'dedupe_key',
           coalesce(e.elem ->> 'scan_type', 'full_scan') || ':' || coalesce(e.elem ->> 'repository_id', 'company'))
     and q.status in ('pending', 'running');
    -- Short only if a key's live job finished between the two statements: insert again.
    exit when coalesce(pg_catalog.cardinality(v_ids), 0) = v_count;
  end loop;

  return query
  select q.* from unnest(v_ids) with ordinality as u (id, ord) join public.scan_queue q on q.id = u.id order by u.ord;
end $$;

-- Enqueues one job, or answers the live job (pending or running) that already holds its dedupe
-- key — by default the scan type and repository — unchanged.
create function public.enqueue_scan(
  p_company_id uuid,
  p_repository_id uuid default null,
  p_scan_type text default 'full_scan',
  p_priority integer default 5,
  p_run_after timestamptz default null,
  p_payload jsonb default '{}',
  p_dedupe_key text default null,
  p_max_attempts integer default 3
) returns public.scan_queue
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_key text := coalesce(p_dedupe_key, coalesce(p_scan_type, 'full_scan') || ':' || coalesce(p_repository_id::text, 'company'));
  v_job public.scan_queue;
begin
  if p_company_id is null then
    raise exception 'enqueue_scan: p_company_id is required' using errcode = '23502';
  end if;
  if p_repository_id is not null and not exists (
       select 1 from public.repositories r where r.id = p_repository_id and r.company_id = p_company_id) then
    raise exception 'enqueue_scan: repository % does not belong to company %', p_repository_id, p_company_id
      using errcode = '23503';
  end if;
  for i in 1..5 loop
    insert into public.scan_queue (company_id, repository_id, scan_type, priority, run_after, payload, dedupe_key,
                                   max_attempts, created_at)
    values (p_company_id, p_repository_id, coalesce(p_scan_type, 'full_scan'), coalesce(p_priority, 5),
            coalesce(p_run_after, v_now), coalesce(p_payload, '{}'), v_key, coalesce(p_max_attempts, 3), v_now)
    on conflict (company_id, dedupe_key) where status in ('pending', 'running') do nothing
    returning * into v_job;
    if found then
      insert into public.scan_job_events (job_id, company_id, kind, attempt, data, created_at)
      values (v_job.id, v_job.company_id, 'enqueued', 0,
              pg_catalog.jsonb_build_object('scan_type', v_job.scan_type, 'priority', v_job.priority,
                                            'run_after', v_job.run_after, 'repository_id', v_job.repository_id), v_now);
      if v_job.run_after <= v_now then
        perform pg_catalog.pg_notify('scan_queue_jobs', '');
      end if;
      return v_job;
    end if;
    select * into v_job from public.scan_queue q
    where q.company_id = p_company_id and q.dedupe_key = v_key and q.status in ('pending', 'running');
    if found then
      return v_job;
    end if;
    -- The live job finished between the two statements: try the insert again.
  end loop;
  raise exception 'enqueue_scan: could not settle dedupe key % of company % (jobs finishing too fast)', v_key, p_company_id;
end $$;

-- ---------------------------------------------------------------------------------------------
-- Claim

-- Claims up to p_limit ready jobs for p_worker_id with a lease of p_lease_seconds: highest
-- priority first, then oldest run_after; SKIP LOCKED, so concurrent claimers never wait on each
-- other's rows; and never more running jobs per company than its max_concurrent_scans.
--
-- One statement per round: lock the candidates (skipping companies at their cap by this snapshot),
-- lock their companies' counters (scan_queue_company_running) in company order — a locked row is
-- read at its latest committed value, so the cap holds under concurrency —, grant each company
-- min(wanted, cap − running), claim those, add them to the counters and log `claimed` events.
-- Candidates over the cap are unlocked at commit. When the cap cut the batch short, look again
-- without those companies (up to 3 rounds), so a job of another company waiting behind a capped
-- company's backlog is claimed in this same call. Later rounds skip counters locked by other
-- claimers instead of waiting: they already hold some, and waiting out of order could deadlock.
--
-- Cost (bench/queue.ts set-up, 2 cores, 32 companies, 3,000 ready jobs): a claim of 1 took
-- ~0.72 ms in the database as two statements with advisory locks and a count of the running rows,
-- ~0.4 ms now. A claim walks past the ready rows of capped companies, ~0.5 µs each.
--
-- Plans: generic (planning this statement at every call cost more than running it: ~1 ms against
-- ~0.4), and pinned to the ready index walk by the planner settings below. Why pinned: a generic
-- plan is made once per connection, and one made while the table's statistics said "empty" (a
-- fresh or truncated queue) sorted every ready row for every claim — 2.5 ms a claim at 3,000
-- ready jobs, for as long as the connection lived. No seq scan, bitmap scan or sort leaves the
-- ordered walk of scan_queue_ready (and primary-key lookups) as the only plan, whatever the statistics.
create function public.claim_scan_jobs(
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
  v_seen integer;
  v_rows public.scan_queue[];
  v_refused uuid[];
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

  -- Companies at their cap by this snapshot (the running rows are few: the partial index).
  select coalesce(array_agg(r.company_id), '{}') into v_full
  from (select q.company_id, count(*) as n from public.scan_queue q where q.status = 'running' group by q.company_id) r
  join public.companies c on c.id = r.company_id
  where r.n >= public.scan_queue_company_cap(c.settings);

  for v_round in 1..3 loop
    with candidates as (
      select q.id, q.company_id, q.priority, q.run_after from public.scan_queue q
      where q.status = 'pending' and q.run_after <= v_now
        and (p_scan_types is null or q.scan_type = any (p_scan_types))
        and q.company_id <> all (v_full)
      order by q.priority, q.run_after, q.id
      limit p_limit - v_claimed
      for update of q skip locked
    ), waited as (
      select k.company_id, greatest(0, public.scan_queue_company_cap(c.settings) - k.running) as free
      from public.scan_queue_company_running k join public.companies c on c.id = k.company_id
      where v_round = 1 and k.company_id = any (array(select d.company_id from candidates d))
      order by k.company_id
      for update of k
    ), skipped as (
      select k.company_id, greatest(0, public.scan_queue_company_cap(c.settings) - k.running) as free
      from public.scan_queue_company_running k join public.companies c on c.id = k.company_id
      where v_round > 1 and k.company_id = any (array(select d.company_id from candidates d))
      order by k.company_id
      for update of k skip locked
    ), counters as (
      select * from waited union all select * from skipped
    ), ranked as (
      select d.id, d.company_id, coalesce(k.free, 0) as free,
             row_number() over (partition by d.company_id order by d.priority, d.run_after, d.id) as rank
      from candidates d left join counters k on k.company_id = d.company_id
    ), claimed as (
      update public.scan_queue q
      set status = 'running', attempts = q.attempts + 1, worker_id = p_worker_id, lease_seconds = p_lease_seconds,
          lease_expires_at = v_now + pg_catalog.make_interval(secs => p_lease_seconds), started_at = v_now,
          heartbeat_at = v_now, progress = 0, progress_message = null
      where q.id = any (array(select r.id from ranked r where r.rank <= r.free))
      returning q.*
    ), counted as (
      update public.scan_queue_company_running k
      set running = k.running + (select count(*)::integer from claimed c where c.company_id = k.company_id)
      where k.company_id = any (array(select c.company_id from claimed c))
    ), logged as (
      insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, created_at)
      select c.id, c.company_id, 'claimed', c.attempts, c.worker_id, v_now from claimed c
    )
    select (select count(*)::integer from candidates),
           (select array_agg(c order by c.priority, c.run_after, c.id) from claimed c),
           (select array_agg(distinct r.company_id) from ranked r where r.rank > r.free)
      into v_seen, v_rows, v_refused;
    exit when v_seen = 0;
    return query select * from unnest(v_rows);
    v_n := coalesce(pg_catalog.cardinality(v_rows), 0);
    v_claimed := v_claimed + v_n;
    -- Every candidate granted: the queue had no more than we took, or the batch is full.
    exit when v_n = v_seen or v_claimed >= p_limit;
    v_full := v_full || v_refused;
  end loop;
end $$;

-- Claims one job (see claim_scan_jobs), or answers null.
create function public.claim_next_scan_job(
  p_worker_id text,
  p_lease_seconds integer default 180,
  p_scan_types text[] default null
) returns public.scan_queue
language sql volatile security definer set search_path = ''
as $$ select j from public.claim_scan_jobs(p_worker_id, p_lease_seconds, p_scan_types, 1) j limit 1 $$;

-- ---------------------------------------------------------------------------------------------
-- Write-backs of the claimant, fenced by job id + attempt + status running.

-- Extends the lease by the claim's lease_seconds and records progress (0–100) and a message (a
-- `progress` event when either is given). If a cancel was requested, the job becomes cancelled
-- here instead and the answer has cancel_requested = true: the worker stops.
create function public.heartbeat_scan_job(
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
    perform public.scan_queue_release_running(array[v_job.company_id]);
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, created_at)
    values (v_job.id, v_job.company_id, 'cancelled', v_job.attempts, v_job.worker_id,
            'cancelled at the worker''s heartbeat', v_now);
  end if;
  return public.scan_queue_accepted(v_job);
end $$;

-- The job succeeded: completed, with its result. A cancel requested while it ran does not undo
-- finished work.
create function public.complete_scan_job(
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
  ), released as ( -- one company's counter: no lock order to keep
    update public.scan_queue_company_running k set running = greatest(0, k.running - 1)
    where k.company_id = (select d.company_id from done d)
  )
  select * into v_job from done;
  if v_job.id is null then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'complete');
  end if;
  return public.scan_queue_accepted(v_job);
end $$;

-- complete_scan_job for many jobs in one statement: p_jobs is a JSON array of
-- {"job_id", "attempt", "result"?}. Answers the accepted jobs, then one refusal per element that
-- did not complete (stale attempt, finished job …).
-- A long-lived worker sends the completions that pile up while one is in flight together
-- (WorkerLoop), which is what lets 16 workers outrun graphile-worker (bench/queue.ts).
create function public.complete_scan_jobs(p_jobs jsonb)
returns setof public.scan_job_write
language plpgsql volatile security definer set search_path = ''
  set plan_cache_mode = force_generic_plan set enable_seqscan = off
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_done uuid[];
  v_companies uuid[];
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
    where q.id = any (array(select i2.job_id from input i2)) -- a primary-key lookup whatever the statistics say
      and q.id = i.job_id and q.attempts = i.attempt and q.status = 'running'
    returning q.*
  ), logged as (
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, created_at)
    select d.id, d.company_id, 'completed', d.attempts, d.worker_id, v_now from done d
  )
  select array_agg(d.id), array_agg(d.company_id) into v_done, v_companies from done d;
  perform public.scan_queue_release_running(v_companies);

  return query
  select a.* from public.scan_queue q, lateral public.scan_queue_accepted(q) a where q.id = any (v_done);

  for v_refused in
    select (e ->> 'job_id')::uuid as job_id, (e ->> 'attempt')::integer as attempt
    from pg_catalog.jsonb_array_elements(p_jobs) e
    where not exists (select 1 from public.scan_queue q
                      where q.id = any (coalesce(v_done, '{}')) and q.id = (e ->> 'job_id')::uuid
                        and q.attempts = (e ->> 'attempt')::integer)
  loop
    return next public.scan_queue_refusal(v_refused.job_id, v_refused.attempt, 'complete');
  end loop;
end $$;

-- The attempt failed. Retryable and attempts left: pending again after the backoff
-- (scan_queue_backoff). Otherwise dead, with the error. A job whose cancel was requested
-- becomes cancelled rather than retried.
create function public.fail_scan_job(
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
  perform public.scan_queue_release_running(array[v_job.company_id]);
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
create function public.snooze_scan_job(
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
  perform public.scan_queue_release_running(array[v_job.company_id]);
  insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, data, created_at)
  values (v_job.id, v_job.company_id, case when v_job.status = 'cancelled' then 'cancelled' else 'snoozed' end,
          v_job.attempts, v_job.worker_id, p_reason, pg_catalog.jsonb_build_object('until', v_job.run_after), v_now);
  return public.scan_queue_accepted(v_job);
end $$;

-- ---------------------------------------------------------------------------------------------
-- Operator actions

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

-- Dead or cancelled → pending now, with a fresh budget of max_attempts. Refused while another
-- live job holds the same dedupe key.
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
        cancel_requested_at = null, lease_expires_at = null, result = null
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

-- ---------------------------------------------------------------------------------------------
-- Housekeeping

-- Jobs whose lease expired (their worker died or stopped heartbeating): pending again at once,
-- or dead when their attempts are spent, or cancelled when a cancel was requested. Rows locked by
-- a worker finishing right now are skipped: that worker's write wins.
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
         array_agg(r.company_id)
    into v_requeued, v_dead, v_cancelled, v_companies
  from reaped r;
  perform public.scan_queue_release_running(v_companies);
  if v_companies is not null then
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
-- and running jobs past p_sla (longest first, 20 at most). Security invoker: a signed-in member
-- sees their company's figures through row-level security, the pipeline sees all.
create function public.scan_queue_stats(p_company_id uuid default null, p_sla interval default '15 minutes')
returns jsonb
language sql stable security invoker set search_path = ''
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
    'sla_seconds', extract(epoch from p_sla)::double precision,
    'running_past_sla', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                  'id', j.id, 'company_id', j.company_id, 'scan_type', j.scan_type,
                                  'worker_id', j.worker_id, 'attempt', j.attempts, 'started_at', j.started_at,
                                  'running_seconds', extract(epoch from now_.t - j.started_at)::double precision)
                                  order by j.started_at), '[]')
                         from (select * from jobs, now_ where status = 'running' and started_at < now_.t - p_sla
                               order by started_at limit 20) j, now_)
  )
$$;

-- ---------------------------------------------------------------------------------------------
-- Security: members read their company's jobs and events; only the pipeline writes.

alter table public.scan_queue enable row level security;
alter table public.scan_job_events enable row level security;

create policy scan_queue_member_read on public.scan_queue for select to authenticated
  using (company_id = public.current_company_id());
create policy scan_job_events_member_read on public.scan_job_events for select to authenticated
  using (company_id = public.current_company_id());

-- Supabase's default privileges granted everything to the API roles: take it back.
alter table public.scan_queue_company_running enable row level security;
revoke all on public.scan_queue, public.scan_job_events, public.scan_queue_company_running from anon, authenticated;
grant select on public.scan_queue, public.scan_job_events to authenticated;
grant all on public.scan_queue, public.scan_job_events, public.scan_queue_company_running to service_role;

revoke execute on function
  public.enqueue_scan(uuid, uuid, text, integer, timestamptz, jsonb, text, integer),
  public.enqueue_scans(jsonb),
  public.claim_scan_jobs(text, integer, text[], integer),
  public.claim_next_scan_job(text, integer, text[]),
  public.heartbeat_scan_job(uuid, integer, integer, text),
  public.complete_scan_job(uuid, integer, jsonb),
  public.complete_scan_jobs(jsonb),
  public.fail_scan_job(uuid, integer, text, boolean),
  public.snooze_scan_job(uuid, integer, timestamptz, text),
  public.cancel_scan_job(uuid, text),
  public.retry_scan_job(uuid),
  public.reap_expired_scan_jobs(),
  public.prune_scan_queue(interval, interval, interval),
  public.scan_queue_refusal(uuid, integer, text, text)
from public, anon, authenticated;
grant execute on function
  public.enqueue_scan(uuid, uuid, text, integer, timestamptz, jsonb, text, integer),
  public.enqueue_scans(jsonb),
  public.claim_scan_jobs(text, integer, text[], integer),
  public.claim_next_scan_job(text, integer, text[]),
  public.heartbeat_scan_job(uuid, integer, integer, text),
  public.complete_scan_job(uuid, integer, jsonb),
  public.complete_scan_jobs(jsonb),
  public.fail_scan_job(uuid, integer, text, boolean),
  public.snooze_scan_job(uuid, integer, timestamptz, text),
  public.cancel_scan_job(uuid, text),
  public.retry_scan_job(uuid),
  public.reap_expired_scan_jobs(),
  public.prune_scan_queue(interval, interval, interval)
to service_role;
-- Stats read through RLS (security invoker), so members may call it for their own company.
revoke execute on function public.scan_queue_stats(uuid, interval) from public, anon;
grant execute on function public.scan_queue_stats(uuid, interval) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Schedules: the reaper every 30 seconds (a dead worker's job waits at most lease + 30 s), the
-- pruner daily at 03:41 UTC (off the hour, away from the 03:00 auto-scan).
select cron.schedule('codeguard-reap-expired-scan-jobs', '30 seconds', $$select public.reap_expired_scan_jobs()$$);
select cron.schedule('codeguard-prune-scan-queue', '41 3 * * *', $$select public.prune_scan_queue()$$);
