-- The schema baseline: the files of supabase/schemas as of 2026-12-01, in their order. The
-- declarative schema there is the truth (one file per concern, with the reasons and figures that
-- decided each piece); this migration delivers it to a blank project. It replaces the history of
-- twenty-four redefinitions from before anything was deployed.
-- Landed migrations are never edited. A change edits its file in supabase/schemas and adds a
-- migration that takes a database from the previous state to the new one;
-- test/platform/schema.test.ts fails until the migrated database and the declared schema agree.

-- ============================================================================================
-- supabase/schemas/00_platform.sql
-- ============================================================================================

-- What the schema needs from the platform, enabled where the server offers it:
--   pgcrypto        gen_random_uuid(), pgp_sym_* (Vault's local face), digest()  — in `extensions`
--   pg_cron         the schedules (reaper, dispatch tick, pruners)               — schema cron
--   pg_net          HTTP calls from SQL to the edge functions                     — schema net
--   supabase_vault  secrets (the dispatch key, companies' GitHub tokens)          — schema vault
-- On Supabase they are extensions a project enables, so the first migration must create them (a
-- blank project otherwise stops at `schema "cron" does not exist`). The local stack has no such
-- extensions; its bootstrap (src/local/bootstrap) creates SQL faces with the same names in the same
-- schemas before any migration runs. So each piece is created where the server offers it and is
-- not there yet, and nothing branches on where it runs. Where a piece is neither offered nor
-- present, the migration stops here, before it has created anything, naming what is missing.
-- (An explicit extension version is ignored by Supabase since 2026-08-05: none is given.)
do $$
declare
  v_missing text[] := '{}';
  v_piece record;
begin
  create schema if not exists extensions;
  for v_piece in
    select * from (values
      ('pgcrypto', 'extensions', 'extensions'),  -- (extension, its schema, the schema our code calls it in)
      ('pg_cron', 'pg_catalog', 'cron'),
      ('pg_net', 'extensions', 'net'),
      ('supabase_vault', 'vault', 'vault')) p (extension, install_schema, face_schema)
  loop
    if v_piece.extension = 'pgcrypto' and exists (select 1 from pg_catalog.pg_extension where extname = 'pgcrypto') then
      continue;
    end if;
    if v_piece.extension <> 'pgcrypto' and pg_catalog.to_regnamespace(v_piece.face_schema) is not null then
      continue; -- the extension, or the local stack's face of it
    end if;
    if exists (select 1 from pg_catalog.pg_available_extensions where name = v_piece.extension) then
      if v_piece.install_schema = 'vault' then
        create schema if not exists vault;
      end if;
      execute pg_catalog.format('create extension if not exists %I with schema %I', v_piece.extension, v_piece.install_schema);
    else
      v_missing := v_missing || pg_catalog.format('%s (schema %s)', v_piece.extension, v_piece.face_schema);
    end if;
  end loop;
  if pg_catalog.cardinality(v_missing) > 0 then
    raise exception 'CodeGuard needs % on this database, and the server offers none of them', pg_catalog.array_to_string(v_missing, ', ')
      using hint = 'On Supabase: enable them under Database → Extensions, then run supabase db push again. '
                || 'A plain Postgres: use the local stack (npm start), whose bootstrap provides them.';
  end if;
end $$;


-- ============================================================================================
-- supabase/schemas/01_default_privileges.sql
-- ============================================================================================

-- Objects start closed. Supabase's defaults grant the API roles (anon, authenticated) broad
-- privileges on every new table, sequence and function in `public` — TRUNCATE, TRIGGER,
-- REFERENCES and sequence UPDATE included, which row-level security does not govern (TRUNCATE of
-- a tenant table empties it for every tenant). Projects made since 2026-05-30, and all projects
-- since 2026-10-30, no longer expose new tables to the Data API, while older projects keep the old
-- defaults: so nothing here relies on either. The defaults of the role that creates our objects
-- (postgres: `supabase db push`, and the local stack) are revoked, every object is revoked again
-- explicitly, and each role is granted exactly what it needs in 90_privileges.sql — service_role
-- included: an object a later migration adds is closed to every API role until it grants it.
-- `postgres` can change only its own default privileges (supabase_admin's are not ours to change;
-- they apply to objects supabase_admin creates).
alter default privileges for role postgres in schema public revoke all on tables from anon, authenticated, service_role;
alter default privileges for role postgres in schema public revoke all on sequences from anon, authenticated, service_role;
alter default privileges for role postgres in schema public revoke all on functions from anon, authenticated, service_role;
-- EXECUTE to PUBLIC (every role, anon included) is Postgres's own default for new functions, and a
-- per-schema default can only add to it: only the global form takes it back. It applies to the
-- functions postgres creates in any schema, which is the intent — a function is called by whom it
-- is granted to.
alter default privileges for role postgres revoke execute on functions from public;

-- ============================================================================================
-- supabase/schemas/10_tenants.sql
-- ============================================================================================

-- Tenants: companies, their members and the repositories they watch. Every tenant table has
-- row-level security: a signed-in member sees the rows of their own company; the pipeline
-- (service_role, or the postgres role the edge functions connect as) sees all.

create table public.companies (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  -- Product defaults (reference/product-spec.md): risk_threshold 60, auto_scan_enabled, the queue's
  -- per-company cap on running scans max_concurrent_scans 2, and a full scan's window of 90 days,
  -- scan_window_days (the original design looked back 30).
  -- Also read when present: github_cache_max_bytes (the ETag cache's bound, default 8 MB).
  settings jsonb not null default '{"risk_threshold": 60, "auto_scan_enabled": true, "max_concurrent_scans": 2, "scan_window_days": 90}',
  created_at timestamptz not null default now()
);

create table public.users (
  id uuid primary key,                      -- = auth.uid() of the member
  company_id uuid not null references public.companies (id) on delete cascade,
  email text not null,
  role text not null default 'member' check (role in ('owner', 'admin', 'member')),
  created_at timestamptz not null default now()
);
create index users_company_id_idx on public.users (company_id);

create table public.repositories (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references public.companies (id) on delete cascade,
  full_name text not null check (full_name ~ '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$'),
  default_branch text not null default 'main',
  is_active boolean not null default true,
  -- What the last completed scan saw (the GitHub source's watermark: newest PR update and
  -- default-branch head), so the next incremental scan reads only what changed after it.
  scan_watermark jsonb,
  last_scanned_at timestamptz,
  created_at timestamptz not null default now(),
  unique (company_id, full_name)
);

-- The company of the signed-in member. Security definer so that the policies on `users` itself do
-- not recurse; a fixed search_path so that nobody can shadow the tables it reads.
create function public.current_company_id() returns uuid
language sql stable security definer set search_path = ''
as $$ select u.company_id from public.users u where u.id = auth.uid() $$;

alter table public.companies enable row level security;
alter table public.users enable row level security;
alter table public.repositories enable row level security;

create policy companies_member_read on public.companies for select to authenticated
  using (id = public.current_company_id());
create policy users_member_read on public.users for select to authenticated
  using (company_id = public.current_company_id());
create policy repositories_member_read on public.repositories for select to authenticated
  using (company_id = public.current_company_id());

-- ============================================================================================
-- supabase/schemas/20_scan_queue.sql
-- ============================================================================================

-- scan_queue: the job queue of the pipeline. Its whole API is SQL functions (the files 2x_*.sql);
-- this file holds its tables, types and small helpers.
--
-- Vocabulary (ARCHITECTURE.md): a job is one row; an attempt is one claim of it (`attempts` counts
-- claims and is the fence every write-back carries); a lease is how long a claim holds without a
-- heartbeat before the reaper hands the job to another worker. Statuses: pending (ready, or waiting
-- for run_after), running, and the finished ones: completed, dead (the dead letter), cancelled.
--
-- Lessons of the queues we measure ourselves against (reference/queue-anchors.md) and where they live:
--   * claim in one committed statement with a short lease renewed by heartbeats, never a
--     transaction held across the work (claim_scan_jobs, heartbeat_scan_job);
--   * fence every write-back by job id + attempt + status, and say why a write was refused
--     (scan_job_write, scan_queue_refusal);
--   * dedupe at enqueue with a partial unique index over live jobs, and never swallow a request
--     that arrives while its job runs (follow_up);
--   * back off with jitter; snooze without spending an attempt (rate limits, outages of a source);
--   * prune on a schedule; keep the indexes the claim walks partial, so history never slows it.
--
-- Time: every function reads the clock through public.scan_queue_now(), which is now() unless the
-- session sets `codeguard.now`. Tests move time that way instead of sleeping (CONVENTIONS.md §3);
-- an optional p_now argument on every function would have widened the API that dashboards and
-- other parts call, and a caller able to set a GUC can already call these service-only functions.

-- One-column rules are domains rather than CHECK constraints. Postgres rebuilds a table's CHECK
-- constraints from their stored node trees on every INSERT or UPDATE statement (parse, plan,
-- compile), before it checks a single row; a domain's constraints are built once per connection and
-- cached. On this queue's hot path the statements are many and the rows few (a claim of 4, a
-- completion of 4): with the eight checks scan_queue had and the IN list of scan_job_events, 4 no-op
-- workers ran at 1/1.16 of their throughput with domains (bench/queue.ts drive, 5,000 jobs, 6
-- interleaved rounds, each variant in its own database). Clients see the base types; a bad value is
-- refused naming the domain, e.g. `value for domain public.scan_priority violates check constraint
-- "scan_priority_between_1_and_10"`.
create domain public.scan_job_status as text
  constraint scan_job_status_known check (value in ('pending', 'running', 'completed', 'dead', 'cancelled'));
create domain public.scan_type_name as text
  constraint scan_type_name_format check (value ~ '^[a-z][a-z0-9_]{0,62}$');
create domain public.scan_priority as smallint -- 1 highest … 10 lowest
  constraint scan_priority_between_1_and_10 check (value between 1 and 10);
create domain public.scan_max_attempts as integer
  constraint scan_max_attempts_between_1_and_100 check (value between 1 and 100);
create domain public.scan_lease_seconds as integer
  constraint scan_lease_seconds_between_1_and_3600 check (value between 1 and 3600);
create domain public.scan_progress as smallint
  constraint scan_progress_between_0_and_100 check (value between 0 and 100);
create domain public.scan_job_event_kind as text
  constraint scan_job_event_kind_known check (value in ('enqueued', 'claimed', 'progress', 'snoozed', 'failed', 'reaped',
    'cancel_requested', 'cancelled', 'completed', 'retried', 'refused', 'follow_up_requested'));

-- The job types: the one list of what the queue runs, where, and what it depends on. enqueue_scan
-- refuses a type that is not here; dispatch_scan_workers wakes each type's edge function; workers
-- ask it which types their processors take (ScanQueue.jobTypes); claims pause the types of a
-- source that is down (scan_source_outages).
create table public.scan_job_types (
  name public.scan_type_name primary key,
  -- The outside service the job reads ('github'), or null. An outage of it snoozes the job without
  -- spending an attempt and pauses the claims of every job of that source.
  source text check (source ~ '^[a-z][a-z0-9_]*$'),
  -- The edge function that runs jobs of this type (dispatch_scan_workers posts to it), or null.
  worker text check (worker ~ '^[a-z][a-z0-9-]*$'),
  description text not null
);
insert into public.scan_job_types (name, source, worker, description) values
  ('full_scan', 'github', 'scan-repository', 'a repository''s history within the company''s scan window ("Run scan", onboarding)'),
  ('incremental_scan', 'github', 'scan-repository', 'what changed in a repository since its last scan (push webhook, daily auto-scan)'),
  ('pr_analysis', 'github', 'scan-repository', 'a repository''s pull requests only (pull_request webhook)');
-- The job types a worker takes: all, or those whose jobs edge function p_worker runs.
create function public.scan_queue_job_types(p_worker text default null)
returns setof public.scan_job_types
language sql stable security definer set search_path = ''
as $$ select t.* from public.scan_job_types t where p_worker is null or t.worker = p_worker order by t.name $$;

-- No tenant's data: every member may read it (a dashboard names the types).
alter table public.scan_job_types enable row level security;
create policy scan_job_types_member_read on public.scan_job_types for select to authenticated using (true);

create table public.scan_queue (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references public.companies (id) on delete cascade,
  -- Null for company-wide jobs (calculate_scores, weekly_report, …).
  repository_id uuid references public.repositories (id) on delete cascade,
  scan_type public.scan_type_name not null default 'full_scan',
  priority public.scan_priority not null default 5,
  status public.scan_job_status not null default 'pending',
  -- Claims so far. Monotonic: it is the fence of every write-back, so it never goes down.
  attempts integer not null default 0,
  -- Claims that do not count against max_attempts: snoozes, releases, and every claim before a
  -- manual retry.
  attempts_waived integer not null default 0,
  max_attempts public.scan_max_attempts not null default 3,
  run_after timestamptz not null default now(),
  lease_seconds public.scan_lease_seconds,
  lease_expires_at timestamptz,
  worker_id text,
  heartbeat_at timestamptz,
  progress public.scan_progress not null default 0,
  progress_message text,
  payload jsonb not null default '{}',
  dedupe_key text not null,
  result jsonb,
  error text,
  cancel_requested_at timestamptz,
  -- An enqueue of this job's dedupe key that arrived while it ran: {priority, payload, run_after,
  -- max_attempts, requested_at, requests}. When the job finishes (completed, dead or cancelled) it
  -- becomes a pending job of its own, so a change announced after the scan read that part of
  -- GitHub is scanned too. Kept on the finished job as its history; retry_scan_job clears it.
  follow_up jsonb,
  -- When this job first met an outage of its source (report_scan_source_outage); it gives up after
  -- scan_queue_outage_give_up(). Cleared by a manual retry.
  source_outage_since timestamptz,
  created_at timestamptz not null default now(),
  started_at timestamptz,   -- start of the current (or last) attempt
  completed_at timestamptz, -- when the job reached completed, dead or cancelled
  -- The two rules that span columns, in one check (each check costs every statement, see above):
  -- a running job always has a lease and a worker (the reaper finds it by its lease); waived claims
  -- never outnumber claims.
  constraint scan_queue_row_consistent check (
    attempts_waived between 0 and attempts
    and (status <> 'running' or (lease_expires_at is not null and worker_id is not null)))
);

-- Every claim and completion is a non-HOT update (status is in the partial indexes' predicates),
-- so each index below costs an insertion per state change; keep the list short. There is no index
-- of running jobs: the per-company slots (scan_queue_company_slots) list them, and an index of
-- them cost each claim an insertion for nothing (4 no-op workers 1.14× faster without it).
-- The claim walks this one from its head: only pending rows, in claim order.
create index scan_queue_ready on public.scan_queue (priority, run_after, id) where status = 'pending';
-- Dedupe: at most one live job per company and key (default key: scan type + repository).
create unique index scan_queue_live_dedupe_key on public.scan_queue (company_id, dedupe_key)
  where status in ('pending', 'running');
-- Dashboards (a company's and a repository's job lists) and the cascades from companies/repositories.
create index scan_queue_company_created on public.scan_queue (company_id, created_at desc);
create index scan_queue_repository_created on public.scan_queue (repository_id, created_at desc)
  where repository_id is not null;

-- Claimed rows die at once; let autovacuum keep up with a queue table rather than wait for 20 %.
alter table public.scan_queue set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

comment on table public.scan_queue is
  'Scan jobs. Every state change goes through a function (enqueue_scan, claim_scan_jobs, heartbeat_scan_job, complete_scan_job, fail_scan_job, snooze_scan_job, report_scan_source_outage, cancel_scan_job, retry_scan_job, reap_expired_scan_jobs, prune_scan_queue).';
comment on column public.scan_queue.attempts is 'Claims so far; the fence (p_attempt) of every write-back.';
comment on column public.scan_queue.attempts_waived is 'Claims that do not count against max_attempts (snoozes, releases; claims before a manual retry).';
comment on column public.scan_queue.follow_up is 'An enqueue that arrived while the job ran; it becomes a pending job when this one finishes.';

-- The job log a dashboard shows. Append-only; no foreign key to scan_queue on purpose: an FK check
-- on every claim/complete event would lock the job's row again (KEY SHARE) in the hot path, and
-- prune_scan_queue removes the events of the jobs it prunes (and of jobs removed by a cascade).
-- Keyed by (job_id, id): it is read by job (a dashboard's job page, pruning), and one index to
-- write per event instead of two (identity key + a (job_id, id) index) matters when every claim and
-- completion writes an event per job.
create table public.scan_job_events (
  id bigint generated always as identity,
  job_id uuid not null,
  company_id uuid not null,
  kind public.scan_job_event_kind not null,
  attempt integer not null,
  worker_id text,
  message text,
  data jsonb,
  created_at timestamptz not null default now(),
  primary key (job_id, id)
);

-- Members read their company's jobs and job log; only the pipeline writes.
alter table public.scan_queue enable row level security;
alter table public.scan_job_events enable row level security;
create policy scan_queue_member_read on public.scan_queue for select to authenticated
  using (company_id = public.current_company_id());
create policy scan_job_events_member_read on public.scan_job_events for select to authenticated
  using (company_id = public.current_company_id());

comment on table public.scan_job_events is
  'Append-only log per job: enqueued, claimed, progress, snoozed, failed, reaped, cancel_requested, cancelled, completed, retried, refused (a late write that was turned away), follow_up_requested.';

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

-- The queue's clock: now(), or the session's `codeguard.now` when a test moves time.
create function public.scan_queue_now() returns timestamptz
language sql stable
as $$ select coalesce(nullif(pg_catalog.current_setting('codeguard.now', true), '')::timestamptz, pg_catalog.now()) $$;

-- A company's cap on running jobs: settings.max_concurrent_scans, 2 when absent or not a number;
-- 0 pauses the company's scans; at most 1,000, since each unit of it is a slot row.
create function public.scan_queue_company_cap(p_settings jsonb) returns integer
language sql immutable
as $$
  select case when pg_catalog.jsonb_typeof(p_settings -> 'max_concurrent_scans') = 'number'
              then least(1000, greatest(0, floor((p_settings ->> 'max_concurrent_scans')::numeric)))::integer
              else 2 end
$$;

-- Delay before retry N (N = attempts spent): N⁴ seconds, capped at an hour, ± 10 % jitter so
-- jobs that failed together do not come back together. River's policy.
create function public.scan_queue_backoff(p_attempts_spent integer) returns interval
language sql volatile
as $$
  select pg_catalog.make_interval(secs => least(3600, power(greatest(p_attempts_spent, 1), 4))
                                          * (0.9 + 0.2 * pg_catalog.random()))
$$;

-- The answer to an accepted write.
create function public.scan_queue_accepted(v_job public.scan_queue, p_message text default null)
returns public.scan_job_write
language sql immutable
as $$
  select row(true, v_job.id, v_job.attempts, v_job.status, v_job.run_after, v_job.lease_expires_at,
             v_job.cancel_requested_at is not null, p_message)::public.scan_job_write
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

-- What follows when jobs finish (completed, dead, cancelled), called in the same transaction by
-- every function that finishes a running job (complete_scan_jobs inline, for completions with a
-- follow-up): a follow-up (an enqueue that arrived while the job ran) becomes a pending job of its
-- own, with the follow-up's priority, payload and run time, logged `enqueued` with the job it
-- follows — unless a live job holds the key already; and the scan of a job that died or was
-- cancelled ends as failed or cancelled (a completed scan is completed by complete_scan itself).
create function public.scan_queue_job_finished(p_job_ids uuid[]) returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_n integer;
begin
  with finished as (
    select q.* from public.scan_queue q
    where q.id = any (p_job_ids) and q.follow_up is not null and q.status in ('completed', 'dead', 'cancelled')
  ), inserted as (
    insert into public.scan_queue (company_id, repository_id, scan_type, priority, run_after, payload, dedupe_key,
                                   max_attempts, created_at)
    select f.company_id, f.repository_id, f.scan_type, (f.follow_up ->> 'priority')::smallint,
           greatest(v_now, (f.follow_up ->> 'run_after')::timestamptz), coalesce(f.follow_up -> 'payload', '{}'),
           f.dedupe_key, (f.follow_up ->> 'max_attempts')::integer, v_now
    from finished f
    on conflict (company_id, dedupe_key) where status in ('pending', 'running') do nothing
    returning id, company_id, attempts, priority, run_after, scan_type, repository_id, dedupe_key
  ), logged as (
    insert into public.scan_job_events (job_id, company_id, kind, attempt, data, created_at)
    select i.id, i.company_id, 'enqueued', 0,
           pg_catalog.jsonb_build_object('scan_type', i.scan_type, 'priority', i.priority, 'run_after', i.run_after,
                                         'repository_id', i.repository_id,
                                         'follows', (select f.id from finished f where f.company_id = i.company_id
                                                                                  and f.dedupe_key = i.dedupe_key)), v_now
    from inserted i
  )
  select count(*)::integer into v_n from inserted;
  if v_n > 0 then
    perform pg_catalog.pg_notify('scan_queue_jobs', '');
  end if;
  update public.scans s
  set status = case q.status when 'dead' then 'failed' else 'cancelled' end, error_message = q.error,
      completed_at = v_now, updated_at = v_now
  from public.scan_queue q
  where q.id = any (p_job_ids) and q.status in ('dead', 'cancelled') and s.job_id = q.id and s.status = 'running';
  return v_n;
end $$;

-- ============================================================================================
-- supabase/schemas/21_scan_queue_slots.sql
-- ============================================================================================

-- The per-company cap on running jobs, as slot rows.
--
-- Why slots and not a counter: claims and completions queued on a counter row. A claim locked its
-- candidates' companies' counters until it committed, and so did every completion and failure, so
-- two workers touching the same company ran one after the other. Slots are taken with SKIP LOCKED
-- and freed by job id: nobody waits. pgbench on the embedded Postgres (claim of 4 + complete of 4 per
-- transaction, 32 companies, cap 2, 40,000 ready jobs; function times from pg_stat_user_functions):
--   1 client   counter  625–672 tx/s   claim 622–664 µs   complete 449–496 µs
--              slots    644–762 tx/s   claim 570–691 µs   complete 329–396 µs
--   4 clients  counter  1,267–1,319    claim 1.02–1.07 ms complete 0.78–0.83 ms (waits included)
--              slots    1,407–1,478    claim 0.84–0.92 ms complete 0.42–0.45 ms
--
-- How: a company has `cap` slot rows (settings.max_concurrent_scans, default 2). A claim takes a free
-- slot for each job it claims, with FOR UPDATE SKIP LOCKED: it never waits, and a slot another
-- claimer is taking at that moment is simply not free. Every exit from running frees the job's slot
-- (scan_queue_free_slots), found by company + job id, so a write can only ever free its own job's
-- slot. Slots are exclusive rows, so the cap holds under any number of concurrent claimers; and
-- since every running job holds exactly one, they are also the list of running jobs the reaper walks.
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
alter table public.scan_queue_company_slots enable row level security; -- the pipeline's alone: no policy

comment on table public.scan_queue_company_slots is
  'The per-company cap on running scan_queue jobs: max_concurrent_scans slot rows per company, each free or held by one running job. Taken by claim_scan_jobs, freed on every exit from running.';

-- A company's slots follow its cap: created with the company, added when the cap rises, retired
-- (busy) or deleted (free) above a lowered cap.
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
-- Every function that moves a job out of running calls it in the same transaction; deletes of
-- running rows (cascades) go through the trigger below. A retired slot is deleted rather than freed.
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

-- ============================================================================================
-- supabase/schemas/22_scan_source_outages.sql
-- ============================================================================================

-- Outages of the sources jobs read (GitHub). A source that refuses connections, times out or
-- answers 5xx is not the job's fault: the job is snoozed without spending an attempt, and claiming
-- the source's jobs pauses while it is down — a circuit breaker in the database, so that every
-- worker (edge invocations keep nothing between calls) sees the same state.
--
-- The circuit of a source: closed (no row), or open (a row) until its blocked_until; then the next
-- claim takes one job of the source as the probe (probe_job_id, for one lease). If the probe's
-- source answers, the worker says so (scan_source_answered) and the row goes: the circuit is
-- closed, workers are notified, every waiting job is claimable again. If the probe meets the
-- outage again, blocked_until moves on by the next step of the backoff. A probe whose worker died
-- is replaced when its lease has run out. Jobs that were already running when the source went
-- down report too, but only the probe's report grows the backoff (eight workers failing at once
-- are one outage, not eight).
--
-- Why a backoff of 5 s doubling to 30 s: a source that comes back is used again within 30 s, and
-- a source that stays down costs it one request a probe. A job gives up after it has waited on
-- outages of its source for 6 hours (scan_queue_outage_give_up), with a reason saying what to do.

create table public.scan_source_outages (
  source text primary key,
  since timestamptz not null,
  -- Failed probes so far (the first report counts as one): the step of the backoff.
  failures integer not null check (failures >= 1),
  -- No job of the source is claimed before this; then one, as the probe.
  blocked_until timestamptz not null,
  probe_job_id uuid,
  -- While the probe holds (a lease from its claim), no other probe is taken.
  probe_until timestamptz,
  last_error text not null,
  updated_at timestamptz not null
);
alter table public.scan_source_outages enable row level security; -- the pipeline's alone: no policy

comment on table public.scan_source_outages is
  'Sources (GitHub) that are down: their jobs are not claimed before blocked_until, then one probe at a time. No row: the source is up.';

-- Wait before the next probe after `p_failures` failed ones: 5 s, 10 s, 20 s, then 30 s, ± 10 %.
create function public.scan_queue_outage_backoff(p_failures integer) returns interval
language sql volatile
as $$
  select pg_catalog.make_interval(secs => least(30, 5 * power(2, greatest(p_failures, 1) - 1)) * (0.9 + 0.2 * pg_catalog.random()))
$$;

-- How long a job waits on outages of its source before it gives up (dead, with what to do).
create function public.scan_queue_outage_give_up() returns interval
language sql immutable
as $$ select interval '6 hours' $$;

-- The claimant met an outage of its job's source (connection refused, timeout, 5xx after the
-- client's own retries): the job goes back to pending until the source's next probe, without
-- spending an attempt, and the source's circuit opens (or, for the probe, stays open longer).
-- A job that has waited on outages for longer than scan_queue_outage_give_up() goes dead instead,
-- saying what to do; a job whose cancel was requested becomes cancelled.
create function public.report_scan_source_outage(p_job_id uuid, p_attempt integer, p_error text)
returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_job public.scan_queue;
  v_source text;
  v_outage public.scan_source_outages;
  v_error text := coalesce(p_error, 'the source did not answer');
  v_give_up boolean;
begin
  select q.* into v_job from public.scan_queue q
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
  for update;
  if not found then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'report outage');
  end if;
  select t.source into v_source from public.scan_job_types t where t.name = v_job.scan_type;
  if v_source is null then
    raise exception 'report_scan_source_outage: job type % reads no source (scan_job_types.source is null)', v_job.scan_type
      using errcode = '22023', hint = 'Fail the job instead (fail_scan_job), or give its type a source.';
  end if;

  insert into public.scan_source_outages as o (source, since, failures, blocked_until, last_error, updated_at)
  values (v_source, v_now, 1, v_now + public.scan_queue_outage_backoff(1), v_error, v_now)
  on conflict (source) do update
    set failures = case when o.probe_job_id = p_job_id then o.failures + 1 else o.failures end,
        blocked_until = case when o.probe_job_id = p_job_id then v_now + public.scan_queue_outage_backoff(o.failures + 1)
                             else o.blocked_until end,
        probe_job_id = case when o.probe_job_id = p_job_id then null else o.probe_job_id end,
        probe_until = case when o.probe_job_id = p_job_id then null else o.probe_until end,
        last_error = excluded.last_error, updated_at = v_now
  returning o.* into v_outage;

  v_give_up := v_job.source_outage_since is not null and v_now - v_job.source_outage_since >= public.scan_queue_outage_give_up();
  update public.scan_queue q
  set status = case when q.cancel_requested_at is not null then 'cancelled' when v_give_up then 'dead' else 'pending' end,
      run_after = case when v_give_up or q.cancel_requested_at is not null then q.run_after
                       else greatest(v_outage.blocked_until, v_now) end,
      attempts_waived = q.attempts_waived + 1, -- an outage never spends an attempt, even the one it gives up on
      completed_at = case when v_give_up or q.cancel_requested_at is not null then v_now end,
      source_outage_since = coalesce(q.source_outage_since, v_now),
      error = case when v_give_up then pg_catalog.format(
                '%s has been unreachable for this job since %s (%s); it gave up after %s. Check %s''s status '
                '(for GitHub: https://www.githubstatus.com) and that the worker reaches it (GITHUB_API_URL, network), '
                'then retry the job: select public.retry_scan_job(%L)',
                v_source, q.source_outage_since, v_error, public.scan_queue_outage_give_up(), v_source, q.id)
                   else v_error end,
      lease_expires_at = null
  where q.id = v_job.id
  returning q.* into v_job;
  perform public.scan_queue_free_slots(array[v_job.company_id], array[v_job.id]);
  insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, data, created_at)
  values (v_job.id, v_job.company_id,
          case v_job.status when 'pending' then 'snoozed' when 'dead' then 'failed' else 'cancelled' end,
          v_job.attempts, v_job.worker_id, v_job.error,
          pg_catalog.jsonb_build_object('source', v_source, 'outage_since', v_outage.since, 'failed_probes', v_outage.failures,
                                        'until', case when v_job.status = 'pending' then v_job.run_after end,
                                        'next_status', v_job.status),
          v_now);
  if v_job.status <> 'pending' then
    perform public.scan_queue_job_finished(array[v_job.id]);
  end if;
  return public.scan_queue_accepted(v_job);
end $$;

-- The claimant's source answered (any answer that is not an outage: 2xx, 304, 4xx): the source is
-- up. Closes its circuit if it was open and wakes the workers, and the job's own wait on outages
-- ends. Fenced like every write-back; answers whether a circuit was closed.
create function public.scan_source_answered(p_job_id uuid, p_attempt integer) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_closed boolean;
begin
  with job as (
    select q.id, q.scan_type, q.source_outage_since from public.scan_queue q
    where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
  ), cleared as ( -- only when set: most jobs never met an outage, and this runs once per job
    update public.scan_queue q set source_outage_since = null
    from job j where q.id = j.id and j.source_outage_since is not null
  ), closed as (
    delete from public.scan_source_outages o
    using job j join public.scan_job_types t on t.name = j.scan_type
    where o.source = t.source
    returning o.source
  )
  select exists (select 1 from closed) into v_closed;
  if v_closed then
    perform pg_catalog.pg_notify('scan_queue_jobs', '');
  end if;
  return v_closed;
end $$;

-- ============================================================================================
-- supabase/schemas/23_scan_queue_enqueue.sql
-- ============================================================================================

-- Enqueue: new jobs, deduplicated by (company, dedupe_key) over live jobs.
--
-- A key that already has a pending job: that job has read nothing yet, so it covers the request,
-- and the enqueue answers it unchanged. A key whose job is running: the job may already have read
-- the part of GitHub the request announces (a push that lands mid-scan), so the request becomes
-- the job's follow-up, which turns into a pending job of its own when the running one finishes
-- (scan_queue_job_finished). Many requests during one run make one follow-up (highest
-- priority, newest payload, earliest run time); the enqueue answers the running job, whose
-- follow_up shows what is queued behind it.

-- Refuses scan types that public.scan_job_types does not list, naming the known ones.
create function public.scan_queue_check_types(p_types text[]) returns void
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_unknown text;
begin
  select pg_catalog.string_agg(distinct t, ', ') into v_unknown
  from unnest(p_types) t where not exists (select 1 from public.scan_job_types j where j.name = t);
  if v_unknown is not null then
    raise exception 'unknown scan type %: the known types are %', v_unknown,
      (select pg_catalog.string_agg(j.name, ', ' order by j.name) from public.scan_job_types j)
      using errcode = '22023', hint = 'A new job type is added to public.scan_job_types by a migration.';
  end if;
end $$;

-- A running job's follow-up after one more request: the highest priority, the newest payload, the
-- earliest run time and the largest attempt budget asked for; `requests` counts them.
create function public.scan_queue_merge_follow_up(p_follow_up jsonb, p_priority integer, p_payload jsonb,
  p_run_after timestamptz, p_max_attempts integer, p_requests integer, p_now timestamptz) returns jsonb
language sql immutable
as $$
  select pg_catalog.jsonb_build_object(
    'priority', least(coalesce((p_follow_up ->> 'priority')::integer, p_priority), p_priority),
    'payload', p_payload,
    'run_after', least(coalesce((p_follow_up ->> 'run_after')::timestamptz, p_run_after), p_run_after),
    'max_attempts', greatest(coalesce((p_follow_up ->> 'max_attempts')::integer, p_max_attempts), p_max_attempts),
    'requested_at', coalesce(p_follow_up -> 'requested_at', pg_catalog.to_jsonb(p_now)),
    'requests', coalesce((p_follow_up ->> 'requests')::integer, 0) + p_requests)
$$;

-- Enqueues one job, or answers the live job (pending, or running with this request as its
-- follow-up) that already holds its dedupe key — by default the scan type and repository.
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
  v_type text := coalesce(p_scan_type, 'full_scan');
  v_key text := coalesce(p_dedupe_key, v_type || ':' || coalesce(p_repository_id::text, 'company'));
  v_job public.scan_queue;
begin
  if p_company_id is null then
    raise exception 'enqueue_scan: p_company_id is required' using errcode = '23502';
  end if;
  perform public.scan_queue_check_types(array[v_type]);
  if p_repository_id is not null and not exists (
       select 1 from public.repositories r where r.id = p_repository_id and r.company_id = p_company_id) then
    raise exception 'enqueue_scan: repository % does not belong to company %', p_repository_id, p_company_id
      using errcode = '23503';
  end if;
  for i in 1..5 loop
    insert into public.scan_queue (company_id, repository_id, scan_type, priority, run_after, payload, dedupe_key,
                                   max_attempts, created_at)
    values (p_company_id, p_repository_id, v_type, coalesce(p_priority, 5), coalesce(p_run_after, v_now),
            coalesce(p_payload, '{}'), v_key, coalesce(p_max_attempts, 3), v_now)
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
    update public.scan_queue q
    set follow_up = public.scan_queue_merge_follow_up(q.follow_up, coalesce(p_priority, 5), coalesce(p_payload, '{}'),
                                                      coalesce(p_run_after, v_now), coalesce(p_max_attempts, 3), 1, v_now)
    where q.company_id = p_company_id and q.dedupe_key = v_key and q.status = 'running'
    returning * into v_job;
    if found then
      insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, data, created_at)
      values (v_job.id, v_job.company_id, 'follow_up_requested', v_job.attempts, v_job.worker_id,
              'enqueued while running: scanned again when this run finishes', v_job.follow_up, v_now);
      return v_job;
    end if;
    select * into v_job from public.scan_queue q
    where q.company_id = p_company_id and q.dedupe_key = v_key and q.status = 'pending';
    if found then
      return v_job;
    end if;
    -- The live job finished between the statements: try the insert again.
  end loop;
  raise exception 'enqueue_scan: could not settle dedupe key % of company % (jobs finishing too fast)', v_key, p_company_id;
end $$;

-- Enqueues many jobs in one statement. p_jobs is a JSON array of objects with the keys of
-- enqueue_scan without the p_ prefix (company_id required; repository_id, scan_type, priority,
-- run_after, payload, dedupe_key, max_attempts optional). Answers one row per element, in order:
-- the new job, or the live job that already held the dedupe key (as enqueue_scan: a running one
-- takes the element as its follow-up).
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
  perform public.scan_queue_check_types(array(
    select distinct coalesce(e ->> 'scan_type', 'full_scan') from pg_catalog.jsonb_array_elements(p_jobs) e));
  if exists (select 1 from pg_catalog.jsonb_array_elements(p_jobs) e
             join public.repositories r on r.id = (e ->> 'repository_id')::uuid
             where r.company_id <> (e ->> 'company_id')::uuid) then
    raise exception 'enqueue_scans: a repository_id belongs to another company than the job''s company_id'
      using errcode = '23503';
  end if;

  for v_round in 1..5 loop
    -- Insert what is not live yet; a key already live (or repeated in p_jobs) is left alone, and
    -- (first round only, so that a request is counted once) a running one takes a follow-up.
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
    ), requested as (
      select i.company_id, i.dedupe_key, min(i.priority)::integer as priority,
             (array_agg(i.payload order by i.ord desc))[1] as payload, min(i.run_after) as run_after,
             max(i.max_attempts) as max_attempts, count(*)::integer as requests
      from input i where v_round = 1 group by i.company_id, i.dedupe_key
    ), followed as (
      update public.scan_queue q
      set follow_up = public.scan_queue_merge_follow_up(q.follow_up, r.priority, r.payload, r.run_after, r.max_attempts,
                                                        r.requests, v_now)
      from requested r
      where q.company_id = r.company_id and q.dedupe_key = r.dedupe_key and q.status = 'running'
      returning q.id, q.company_id, q.attempts, q.worker_id, q.follow_up
    ), followed_logged as (
      insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, data, created_at)
      select f.id, f.company_id, 'follow_up_requested', f.attempts, f.worker_id,
             'enqueued while running: scanned again when this run finishes', f.follow_up, v_now
      from followed f
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

-- ============================================================================================
-- supabase/schemas/24_scan_queue_claim.sql
-- ============================================================================================

-- Claim: ready jobs for a worker, in one statement per round, with a short lease.

-- Claims up to p_limit ready jobs for p_worker_id with a lease of p_lease_seconds (renewed by the
-- worker's heartbeats): highest priority first, then oldest run_after; SKIP LOCKED, so concurrent
-- claimers never wait on each other's rows; never more running jobs per company than its
-- max_concurrent_scans; and no jobs of a source that is down, but for one probe
-- (22_scan_source_outages.sql).
--
-- One statement per round. Each company's candidates (in claim order) are paired with its free
-- slots (in slot order), taken with SKIP LOCKED; candidates left without a slot stay pending. A
-- candidate is taken only if its company has a free slot and no busy retired slot — two probes of
-- the slots' primary key, a handful of rows per company — rather than by counting its running jobs
-- first: the count walked an index whose entries for jobs that left running stay until VACUUM, so a
-- busy queue's claims got slower with every job finished (1.06–1.20× the throughput without it, 4
-- no-op workers, 10,000 jobs). A company at its cap with many ready jobs costs the claim one probe
-- per job it walks past. A round that comes back short is followed by another that only considers
-- companies with a free slot nobody else holds (a company that just reached its cap, or whose free
-- slots other claimers are taking, does not take the candidate places again; the EXISTS locks the
-- slot it finds, which this claim may then take), up to three rounds; a later round that claims
-- nothing ends the claim. Rows go straight out of each round's statement.
--
-- Round 0 runs only when a source's circuit is due for a probe: it claims one job of that source.
--
-- Plans: generic (planning this statement at every call cost more than running it: ~1 ms against
-- ~0.4), and pinned to the ready index walk by the planner settings below. Why pinned: a generic
-- plan is made once per connection, and one made while the table's statistics said "empty" (a
-- fresh or truncated queue) sorted every ready row for every claim — 2.5 ms a claim at 3,000 ready
-- jobs, for as long as the connection lived. No seq scan, bitmap scan or sort leaves the ordered
-- walk of scan_queue_ready (and primary-key lookups) as the only plan, whatever the statistics.
create function public.claim_scan_jobs(
  p_worker_id text,
  p_lease_seconds integer default 30,
  p_scan_types text[] default null,
  p_limit integer default 10
) returns setof public.scan_queue
language plpgsql volatile security definer set search_path = ''
  set plan_cache_mode = force_generic_plan set enable_seqscan = off set enable_bitmapscan = off set enable_sort = off
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_claimed integer := 0;
  v_n integer;
  -- Types whose source is down: not claimed, but for the probe of round 0.
  v_blocked text[];
  -- Round 0: the types of the source whose probe this claim took.
  v_probe_source text;
  v_probe text[];
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

  -- Normally no source is down, and this is one probe of an empty primary key.
  if exists (select 1 from public.scan_source_outages) then
    select pg_catalog.array_agg(t.name) into v_blocked
    from public.scan_job_types t join public.scan_source_outages o on o.source = t.source;
    -- Take the probe of one source whose wait is over, if this claimer may run its jobs.
    with due as (
      select o.source from public.scan_source_outages o
      where o.blocked_until <= v_now and (o.probe_until is null or o.probe_until <= v_now)
        and exists (select 1 from public.scan_job_types t
                    where t.source = o.source and (p_scan_types is null or t.name = any (p_scan_types)))
      order by o.blocked_until limit 1
      for update skip locked
    )
    update public.scan_source_outages o
    set probe_until = v_now + pg_catalog.make_interval(secs => p_lease_seconds), probe_job_id = null
    from due d where o.source = d.source
    returning o.source into v_probe_source;
    if v_probe_source is not null then
      select pg_catalog.array_agg(t.name) into v_probe from public.scan_job_types t
      where t.source = v_probe_source and (p_scan_types is null or t.name = any (p_scan_types));
    end if;
  end if;

  for v_round in (case when v_probe is null then 1 else 0 end)..3 loop
    return query
    with candidates as (
      select q.id, q.company_id, q.priority, q.run_after from public.scan_queue q
      where q.status = 'pending' and q.run_after <= v_now
        and (case when v_round = 0 then q.scan_type = any (v_probe)
                  else (p_scan_types is null or q.scan_type = any (p_scan_types))
                       and (v_blocked is null or q.scan_type <> all (v_blocked)) end)
        -- The company has a free slot (from round 2 on: one nobody else is taking, locked for us)…
        and (case when v_round <= 1
                  then exists (select 1 from public.scan_queue_company_slots f
                               where f.company_id = q.company_id and f.job_id is null and not f.retiring)
                  else exists (select 1 from public.scan_queue_company_slots f
                               where f.company_id = q.company_id and f.job_id is null and not f.retiring
                               for update of f skip locked) end)
        -- …and no retired slot still busy (a lowered cap: nothing more until those jobs leave running).
        and not exists (select 1 from public.scan_queue_company_slots b
                        where b.company_id = q.company_id and b.retiring and b.job_id is not null)
      order by q.priority, q.run_after, q.id
      limit case when v_round = 0 then 1 else p_limit - v_claimed end
      for update of q skip locked
    ), ranked as (
      select d.id, d.company_id,
             row_number() over (partition by d.company_id order by d.priority, d.run_after, d.id) as rank
      from candidates d
    ), slots as (
      -- Up to as many free slots as the company has candidates. (No candidate's company has a busy
      -- retired slot: the candidates' filter read that in this statement's snapshot. Asking again
      -- here cost 4 no-op workers ~7 % of their throughput.)
      select w.company_id, s.slot, row_number() over (partition by w.company_id order by s.slot) as rank
      from (select r.company_id, max(r.rank) as wanted from ranked r group by r.company_id) w
      cross join lateral (
        select s.slot from public.scan_queue_company_slots s
        where s.company_id = w.company_id and s.job_id is null and not s.retiring
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
      insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, data, created_at)
      select c.id, c.company_id, 'claimed', c.attempts, c.worker_id,
             case when v_round = 0 then pg_catalog.jsonb_build_object('probe', v_probe_source) end, v_now
      from claimed c
    ), probing as (
      update public.scan_source_outages o set probe_job_id = c.id
      from claimed c where v_round = 0 and o.source = v_probe_source
    )
    select c.* from claimed c order by c.priority, c.run_after, c.id;
    get diagnostics v_n = row_count;
    v_claimed := v_claimed + v_n;
    if v_round = 0 and v_n = 0 then -- nothing of that source to probe with: the next claim may try again
      update public.scan_source_outages o set probe_until = null where o.source = v_probe_source;
    end if;
    exit when v_claimed >= p_limit or (v_round > 1 and v_n = 0);
  end loop;
end $$;

-- Claims one job (see claim_scan_jobs), or answers null.
create function public.claim_next_scan_job(
  p_worker_id text,
  p_lease_seconds integer default 30,
  p_scan_types text[] default null
) returns public.scan_queue
language sql volatile security definer set search_path = ''
as $$ select j from public.claim_scan_jobs(p_worker_id, p_lease_seconds, p_scan_types, 1) j limit 1 $$;

-- Claims one given job — a request that names the job to process now (the scan-repository
-- function's {"job_id": …}) — if it is ready, its company has a free slot, and its source is not
-- down; otherwise answers nothing (another worker holds it, it waits, or it is finished). The
-- same claim as claim_scan_jobs, for one row found by its key.
create function public.claim_scan_job(p_job_id uuid, p_worker_id text, p_lease_seconds integer default 30)
returns setof public.scan_queue
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_job public.scan_queue;
  v_slot smallint;
begin
  if p_worker_id is null or p_worker_id = '' then
    raise exception 'claim_scan_job: p_worker_id is required' using errcode = '22023';
  end if;
  if p_lease_seconds is null or p_lease_seconds not between 1 and 3600 then
    raise exception 'claim_scan_job: p_lease_seconds must be between 1 and 3600, got %', p_lease_seconds using errcode = '22023';
  end if;
  select q.* into v_job from public.scan_queue q
  where q.id = p_job_id and q.status = 'pending' and q.run_after <= v_now
    and not exists (select 1 from public.scan_job_types t join public.scan_source_outages o on o.source = t.source
                    where t.name = q.scan_type)
    and not exists (select 1 from public.scan_queue_company_slots b
                    where b.company_id = q.company_id and b.retiring and b.job_id is not null)
  for update of q skip locked;
  if not found then
    return;
  end if;
  select s.slot into v_slot from public.scan_queue_company_slots s
  where s.company_id = v_job.company_id and s.job_id is null and not s.retiring
  order by s.slot limit 1
  for update of s skip locked;
  if not found then
    return;
  end if;
  update public.scan_queue_company_slots s set job_id = v_job.id where s.company_id = v_job.company_id and s.slot = v_slot;
  return query
  with claimed as (
    update public.scan_queue q
    set status = 'running', attempts = q.attempts + 1, worker_id = p_worker_id, lease_seconds = p_lease_seconds,
        lease_expires_at = v_now + pg_catalog.make_interval(secs => p_lease_seconds), started_at = v_now,
        heartbeat_at = v_now, progress = 0, progress_message = null
    where q.id = v_job.id
    returning q.*
  ), logged as (
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, data, created_at)
    select c.id, c.company_id, 'claimed', c.attempts, c.worker_id, '{"named": true}', v_now from claimed c
  )
  select * from claimed;
end $$;

-- ============================================================================================
-- supabase/schemas/25_scan_queue_write_backs.sql
-- ============================================================================================

-- Write-backs of the claimant, fenced by job id + attempt + status running: a late, duplicate or
-- reaped worker's write is refused (and the refusal logged), never applied. Every exit from
-- running frees the job's slot in the same transaction, and every exit to a finished status turns
-- the job's follow-up (an enqueue that arrived while it ran) into a pending job.

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
    perform public.scan_queue_free_slots(array[v_job.company_id], array[v_job.id]);
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, created_at)
    values (v_job.id, v_job.company_id, 'cancelled', v_job.attempts, v_job.worker_id,
            'cancelled at the worker''s heartbeat', v_now);
    perform public.scan_queue_job_finished(array[v_job.id]);
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
  )
  select * into v_job from done;
  if v_job.id is null then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'complete');
  end if;
  perform public.scan_queue_free_slots(array[v_job.company_id], array[v_job.id]);
  if v_job.follow_up is not null then
    perform public.scan_queue_job_finished(array[v_job.id]);
  end if;
  return public.scan_queue_accepted(v_job);
end $$;

-- complete_scan_job for many jobs in one statement: p_jobs is a JSON array of
-- {"job_id", "attempt", "result"?}. Answers the accepted jobs, then one refusal per element that
-- did not complete (stale attempt, finished job …). A long-lived worker sends the completions that
-- pile up while one is in flight together (queue/worker/completer.ts), which is what lets 16
-- workers outrun graphile-worker (bench/queue.ts). One statement on the common path: the answers
-- are built from the UPDATE's RETURNING rather than read again, the slots are freed inline (a call
-- of scan_queue_free_slots would add a statement to every completion), and refusals are looked for
-- only when some element was not accepted.
create function public.complete_scan_jobs(p_jobs jsonb)
returns setof public.scan_job_write
language plpgsql volatile security definer set search_path = ''
  set plan_cache_mode = force_generic_plan set enable_seqscan = off set enable_bitmapscan = off
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_accepted public.scan_job_write[];
  v_follow uuid[];
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
    -- that the planner cannot walk another index instead, whose dead entries grow with churn.
    where q.id = any (array(select i2.job_id from input i2))
      and q.id = i.job_id and q.attempts = i.attempt and q.status = (select 'running'::text)
    returning q.id, q.company_id, q.attempts, q.worker_id, q.run_after, q.cancel_requested_at, q.follow_up
  ), logged as (
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, created_at)
    select d.id, d.company_id, 'completed', d.attempts, d.worker_id, v_now from done d
  ), freed as (
    update public.scan_queue_company_slots s set job_id = null
    from done d where s.company_id = d.company_id and s.job_id = d.id and not s.retiring
  ), retired as (
    delete from public.scan_queue_company_slots s using done d
    where s.company_id = d.company_id and s.job_id = d.id and s.retiring
  )
  select array_agg(row(true, d.id, d.attempts, 'completed', d.run_after, null, d.cancel_requested_at is not null, null)::public.scan_job_write),
         array_agg(d.id) filter (where d.follow_up is not null)
    into v_accepted, v_follow from done d;
  if v_follow is not null then
    perform public.scan_queue_job_finished(v_follow);
  end if;
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
  if v_job.status <> 'pending' then
    perform public.scan_queue_job_finished(array[v_job.id]);
  end if;
  return public.scan_queue_accepted(v_job);
end $$;

-- Not now: pending again at p_until, and this attempt does not count against max_attempts (a
-- GitHub rate limit: snooze to its reset; a worker shutting down: release, p_until = now). A job
-- whose cancel was requested becomes cancelled.
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
  perform public.scan_queue_free_slots(array[v_job.company_id], array[v_job.id]);
  insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, data, created_at)
  values (v_job.id, v_job.company_id, case when v_job.status = 'cancelled' then 'cancelled' else 'snoozed' end,
          v_job.attempts, v_job.worker_id, p_reason, pg_catalog.jsonb_build_object('until', v_job.run_after), v_now);
  if v_job.status = 'cancelled' then
    perform public.scan_queue_job_finished(array[v_job.id]);
  elsif v_job.run_after <= v_now then -- released: another worker may take it at once
    perform pg_catalog.pg_notify('scan_queue_jobs', '');
  end if;
  return public.scan_queue_accepted(v_job);
end $$;

-- ============================================================================================
-- supabase/schemas/26_scan_queue_operator.sql
-- ============================================================================================

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

-- ============================================================================================
-- supabase/schemas/27_scan_queue_housekeeping.sql
-- ============================================================================================

-- Housekeeping: the reaper, the pruner, and the queue at a glance.

-- Jobs whose lease expired (their worker died, or lost the database for longer than a lease):
-- pending again at once, or dead when their attempts are spent, or cancelled when a cancel was
-- requested. Rows locked by a worker finishing right now are skipped: that worker's write wins.
-- Leases are short (30 s, renewed by heartbeats every 10 s) and the reaper runs every 10 s, so a
-- killed worker's job is claimable again within ~40 s, and claimed at once: the reaper notifies.
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
-- running jobs past p_sla (longest first, 20 at most), follow-ups queued behind running jobs, and
-- the sources that are down. For one company, or all. The pipeline's (service_role); a member
-- reads their own company's figures through member_scan_queue_stats.
create function public.scan_queue_stats(p_company_id uuid default null, p_sla interval default '15 minutes')
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
                                  'running_seconds', extract(epoch from now_.t - j.started_at)::double precision)
                                  order by j.started_at), '[]')
                         from (select * from jobs, now_ where status = 'running' and started_at < now_.t - p_sla
                               order by started_at limit 20) j, now_)
  )
$$;

-- scan_queue_stats for the signed-in member's company. Outages are shown by source and time only
-- (their probe job and error belong to the pipeline).
create function public.member_scan_queue_stats(p_sla interval default '15 minutes')
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

-- ============================================================================================
-- supabase/schemas/30_github.sql
-- ============================================================================================

-- The GitHub source's state in Postgres: companies' GitHub tokens (in Vault) and the ETag cache of
-- conditional REST requests.

-- ---------------------------------------------------------------------------------------------
-- Tokens

-- Stores (or replaces) a company's personal access token in Vault under github_token:<company_id>,
-- where the scan workers read it (github_token). Refuses what cannot be a GitHub token — pasted
-- with a newline or a space, or of no known shape — since a header value with a control character
-- makes the HTTP layer fail with an error that quotes it. Errors never contain the token. Security
-- definer because writing Vault is a privileged act; an empty search_path so that nobody can shadow
-- vault.* or public.*. Answers the Vault secret's id.
create function public.set_github_token(p_company_id uuid, p_token text) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_name text := 'github_token:' || p_company_id::text;
  v_id uuid;
begin
  if p_company_id is null or not exists (select 1 from public.companies c where c.id = p_company_id) then
    raise exception 'set_github_token: company % does not exist', coalesce(p_company_id::text, 'null') using errcode = '23503';
  end if;
  if p_token is null or length(p_token) = 0 then
    raise exception 'set_github_token: the token is empty' using errcode = '22023';
  end if;
  if p_token ~ '[[:cntrl:][:space:]]' then
    raise exception 'set_github_token: the token contains a space, newline or other control character (% characters in all)', length(p_token)
      using errcode = '22023', hint = 'Paste the token alone, without quotes, spaces or a line break.';
  end if;
  -- GitHub's token formats: ghp_ (classic), github_pat_ (fine-grained), gho_/ghu_/ghs_/ghr_
  -- (OAuth, user-to-server, installation, refresh), and the legacy 40 hex digits.
  if p_token !~ '^(gh[pousr]_[A-Za-z0-9]{30,251}|github_pat_[A-Za-z0-9_]{22,255}|[0-9a-f]{40})$' then
    raise exception 'set_github_token: this does not look like a GitHub token (% characters, starting %)', length(p_token),
      case when p_token ~ '^(gh[pousr]_|github_pat_)' then pg_catalog.quote_literal(substring(p_token from '^(gh[pousr]_|github_pat_)'))
           else 'with no known prefix' end
      using errcode = '22023',
            hint = 'A GitHub token starts with ghp_ (classic), github_pat_ (fine-grained) or ghs_ (GitHub App installation), followed by letters and digits.';
  end if;
  select s.id into v_id from vault.secrets s where s.name = v_name;
  if v_id is null then
    v_id := vault.create_secret(p_token, v_name, 'GitHub token of company ' || p_company_id::text);
  else
    perform vault.update_secret(v_id, p_token);
  end if;
  -- Answers cached under the old token may not be visible to the new one.
  delete from public.github_etag_cache c where c.company_id = p_company_id;
  return v_id;
end;
$$;

-- A company's GitHub token from Vault, for the scan worker that runs its jobs; null when none is
-- stored. Only the pipeline may call it.
create function public.github_token(p_company_id uuid) returns text
language sql stable security definer set search_path = ''
as $$ select s.decrypted_secret from vault.decrypted_secrets s where s.name = 'github_token:' || p_company_id::text $$;

-- ---------------------------------------------------------------------------------------------
-- ETag cache
--
-- Why a cache in Postgres: an answered 304 costs nothing against GitHub's 5,000 requests/h, but
-- only if we can send the ETag of the last answer — and an edge function keeps nothing between
-- invocations. Rows are per company because GitHub varies answers by Authorization.
-- What a row keeps is what a 304 needs to be answered from here: the ETag and what the client made
-- of the answer (`value`: the parsed records, e.g. a commit's numstat or a page's list of shas,
-- tagged with the reader that made them, `shape`), not GitHub's body, and deflated by the client:
-- most rows are one commit's record (~1.2 KB of JSON), under the 2 KB from which Postgres would
-- compress a row itself. bench/github-cache.ts, a full scan of github/github-mcp-server (1,099
-- commits): 2.75 MB on disk with whole bodies, 1.34 MB with the records as jsonb, 0.6 MB deflated.
-- Bounded per company by size (least recently used first) and age: prune_github_etag_cache.

create table public.github_etag_cache (
  company_id uuid not null references public.companies (id) on delete cascade,
  -- The request path and query ("/repos/o/r/commits?sha=main&per_page=100"), without the host.
  request_key text not null,
  etag text not null,
  -- Which reader made `value` (e.g. "commit@1"): a row another reader made is not used.
  shape text not null,
  -- The reader's value as JSON, deflated (raw deflate, RFC 1951).
  value bytea not null,
  -- The answer's Link header, so that a page answered from here still paginates.
  link text,
  -- Size of value and link, for the per-company bound.
  bytes integer not null,
  -- When a scan last used the row (refreshed at most hourly): the eviction order.
  used_at timestamptz not null default now(),
  primary key (company_id, request_key)
);
create index github_etag_cache_company_used on public.github_etag_cache (company_id, used_at);
-- Deflated already: Postgres need not try again.
alter table public.github_etag_cache alter column value set storage external;
-- Tenant-scoped: row-level security on, and no policy for signed-in users — a cached answer can
-- hold private repository data, and only the pipeline needs it.
alter table public.github_etag_cache enable row level security;

comment on table public.github_etag_cache is
  'What the GitHub client made of the last good answer per conditional REST request and company, with its ETag; bounded by prune_github_etag_cache.';

-- The cached value of a request made by reader p_shape, or no row. A hit refreshes used_at when
-- it is more than an hour old (a write per hour per row, not per read).
create function public.github_etag_cache_get(p_company_id uuid, p_request_key text, p_shape text)
returns table (etag text, value bytea, link text)
language sql volatile security definer set search_path = ''
as $$
  with hit as (
    select c.etag, c.value, c.link, c.used_at from public.github_etag_cache c
    where c.company_id = p_company_id and c.request_key = p_request_key and c.shape = p_shape
  ), touched as (
    update public.github_etag_cache c set used_at = now()
    where c.company_id = p_company_id and c.request_key = p_request_key
      and exists (select 1 from hit h where h.used_at < now() - interval '1 hour')
  )
  select h.etag, h.value, h.link from hit h
$$;

-- One upsert per answer (the client calls it only with a validated value).
create function public.github_etag_cache_put(
  p_company_id uuid, p_request_key text, p_etag text, p_shape text, p_value bytea, p_link text
) returns void
language sql volatile security definer set search_path = ''
as $$
  insert into public.github_etag_cache as c (company_id, request_key, etag, shape, value, link, bytes, used_at)
  values (p_company_id, p_request_key, p_etag, p_shape, p_value, p_link,
          octet_length(p_value) + coalesce(octet_length(p_link), 0), now())
  on conflict (company_id, request_key) do update
    set etag = excluded.etag, shape = excluded.shape, value = excluded.value, link = excluded.link,
        bytes = excluded.bytes, used_at = excluded.used_at;
$$;

-- A company's bound on its cache: settings.github_cache_max_bytes, 8 MB when absent or not a
-- positive number (a full scan of a repository of ~1,100 commits keeps ~0.5 MB).
create function public.github_etag_cache_bound(p_settings jsonb) returns bigint
language sql immutable
as $$
  select case when pg_catalog.jsonb_typeof(p_settings -> 'github_cache_max_bytes') = 'number'
                   and (p_settings ->> 'github_cache_max_bytes')::numeric >= 1
              then floor((p_settings ->> 'github_cache_max_bytes')::numeric)::bigint
              else 8388608 end
$$;

-- Deletes cache rows unused for p_max_age, then, per company, the least recently used rows beyond
-- its bound (github_etag_cache_bound). For one company (a scan's end: the worker calls it for its
-- company) or all (the hourly schedule). Answers what it deleted.
create function public.prune_github_etag_cache(p_company_id uuid default null, p_max_age interval default '30 days')
returns table (entries bigint, bytes bigint)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_old_entries bigint;
  v_old_bytes bigint;
  v_lru_entries bigint;
  v_lru_bytes bigint;
begin
  with old as (
    delete from public.github_etag_cache c
    where (p_company_id is null or c.company_id = p_company_id) and c.used_at < now() - p_max_age
    returning c.bytes
  ) select count(*), coalesce(sum(o.bytes), 0) into v_old_entries, v_old_bytes from old o;

  with over as (
    select x.company_id, public.github_etag_cache_bound(co.settings) as bound
    from public.github_etag_cache x join public.companies co on co.id = x.company_id
    where p_company_id is null or x.company_id = p_company_id
    group by x.company_id, co.settings
    having sum(x.bytes) > public.github_etag_cache_bound(co.settings)
  ), ranked as (
    select c.company_id, c.request_key, o.bound,
           sum(c.bytes) over (partition by c.company_id order by c.used_at desc, c.request_key) as kept
    from public.github_etag_cache c join over o on o.company_id = c.company_id
  ), evicted as (
    delete from public.github_etag_cache c using ranked r
    where c.company_id = r.company_id and c.request_key = r.request_key and r.kept > r.bound
    returning c.bytes
  ) select count(*), coalesce(sum(e.bytes), 0) into v_lru_entries, v_lru_bytes from evicted e;

  return query select v_old_entries + v_lru_entries, v_old_bytes + v_lru_bytes;
end $$;

-- ============================================================================================
-- supabase/schemas/40_scans.sql
-- ============================================================================================

-- Scans and what they found: the records the scores, alerts, reports and dashboards stand on. A
-- scan is the run of one job (its resumptions and retries continue it); its results are kept per
-- repository and commit, and per pull request, and outlive the queue's pruning of the job.

create domain public.scan_status as text
  constraint scan_status_known check (value in ('running', 'completed', 'failed', 'cancelled'));
create domain public.scan_verdict as text
  constraint scan_verdict_known check (value in ('attested', 'assisted', 'suspected', 'human'));

create table public.scans (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references public.companies (id) on delete cascade,
  repository_id uuid not null references public.repositories (id) on delete cascade,
  -- The job this scan runs. No foreign key: jobs are pruned after days, scans are kept.
  job_id uuid not null unique,
  scan_type public.scan_type_name not null,
  status public.scan_status not null default 'running',
  progress public.scan_progress not null default 0,
  progress_message text,
  -- Where the GitHub reader stands after the last page written (its ScanCheckpoint, plain JSON):
  -- a run that ran out of its edge budget, or whose worker died, continues from here.
  checkpoint jsonb,
  summary jsonb,
  error_message text,
  -- What did not stop the scan but is missing from it: [{at, message}] (a pull request that
  -- could not be read, …).
  warnings jsonb not null default '[]',
  -- GitHub requests, summed over the runs of the scan: {requests, counted, not_modified, graphql_points}.
  api_requests jsonb not null default '{}',
  -- {runs, pages, github_ms}: how many claims it took, and time spent reading GitHub.
  timings jsonb not null default '{}',
  -- The job's attempt that last wrote it (every write is fenced by it).
  attempt integer not null,
  started_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  completed_at timestamptz
);
create index scans_repository_started on public.scans (repository_id, started_at desc);
create index scans_company_started on public.scans (company_id, started_at desc);

comment on table public.scans is
  'One row per scan job: its status, progress (live through Realtime), checkpoint, summary, warnings and GitHub cost. Written by begin_scan, record_scan_page and complete_scan.';

-- Per commit ('' path) and per file: what detection made of it, as the latest scan saw it. The key
-- is the repository and the commit, so scanning again (a retry, a resumed run, a later full scan)
-- updates rows and never adds duplicates; scan_id says which scan wrote them last.
create table public.scan_results (
  repository_id uuid not null references public.repositories (id) on delete cascade,
  commit_sha text not null,
  -- '' for the commit's own row; a file's path for each of its files.
  path text not null default '',
  company_id uuid not null,
  scan_id uuid not null references public.scans (id) on delete cascade,
  verdict public.scan_verdict not null,
  agents text[] not null default '{}',
  -- In the verdict, 0..1 (for a file: its commit's).
  confidence real not null,
  -- The suspected model's probability of an unmarked non-merge commit, null where marks decided:
  -- the scan's threshold (calibrated on all its scores) turns it into a suspected verdict.
  suspect_score real,
  lines_added integer,
  lines_deleted integer,
  -- Commit rows: added lines that count as AI LOC (attested only) and that count at all (the AI-LOC
  -- filter's lock files, vendored and generated code left out; 0 for merges).
  ai_lines integer,
  counted_lines integer,
  -- File rows: why the AI-LOC filter leaves it out ('lock', 'vendored', 'generated'), or null.
  filtered_out text,
  is_merge boolean not null default false,
  author_name text,
  author_email text,
  authored_at timestamptz,
  committed_at timestamptz,
  primary key (repository_id, commit_sha, path)
);
create index scan_results_scan on public.scan_results (scan_id) where path = '';
create index scan_results_company_author on public.scan_results (company_id, lower(author_email), authored_at) where path = '';

-- One row per pull request of a repository, as the latest scan saw it.
create table public.pull_requests (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references public.companies (id) on delete cascade,
  repository_id uuid not null references public.repositories (id) on delete cascade,
  -- The pull request's number in its repository.
  github_pr_id integer not null,
  title text not null,
  author_login text,
  author_is_bot boolean not null default false,
  state text not null,
  head_ref text,
  base_ref text,
  ai_generated boolean not null,
  verdict public.scan_verdict not null,
  agents text[] not null default '{}',
  confidence real not null,
  -- A review before the merge by a human who is not the author (bots and AI reviewers do not count).
  human_reviewed boolean not null,
  reviewers text[] not null default '{}',
  ai_reviewers text[] not null default '{}',
  additions integer not null default 0,
  deletions integer not null default 0,
  ai_lines integer not null default 0,
  pr_created_at timestamptz,
  pr_updated_at timestamptz,
  pr_merged_at timestamptz,
  merged_by text,
  -- An AI pull request merged without a human review: what the review-coverage alert counts.
  unreviewed_ai_merge boolean not null,
  scan_id uuid references public.scans (id) on delete set null,
  updated_at timestamptz not null default now(),
  unique (repository_id, github_pr_id)
);
create index pull_requests_company_merged on public.pull_requests (company_id, pr_merged_at desc);
create index pull_requests_scan on public.pull_requests (scan_id);

-- Per author of a company and per ISO week (Monday to Sunday, UTC): what their commits were,
-- over all the company's repositories, from the latest results. Recomputed for the authors and
-- weeks a scan touched, when it completes.
create table public.team_metrics (
  company_id uuid not null references public.companies (id) on delete cascade,
  author_email text not null,
  period_start date not null,
  period_end date not null,
  author_name text,
  commits integer not null,
  ai_commits integer not null,
  assisted_commits integer not null,
  suspected_commits integer not null,
  -- Counted added lines (the AI-LOC filter applied), and of those the attested AI LOC.
  lines_added integer not null,
  ai_lines integer not null,
  repositories integer not null,
  updated_at timestamptz not null default now(),
  primary key (company_id, author_email, period_start)
);

alter table public.scans enable row level security;
alter table public.scan_results enable row level security;
alter table public.pull_requests enable row level security;
alter table public.team_metrics enable row level security;
create policy scans_member_read on public.scans for select to authenticated using (company_id = public.current_company_id());
create policy scan_results_member_read on public.scan_results for select to authenticated using (company_id = public.current_company_id());
create policy pull_requests_member_read on public.pull_requests for select to authenticated using (company_id = public.current_company_id());
create policy team_metrics_member_read on public.team_metrics for select to authenticated using (company_id = public.current_company_id());

-- A dashboard streams a scan's progress (Supabase Realtime; the local bootstrap has the publication too).
alter publication supabase_realtime add table public.scans;

-- ============================================================================================
-- supabase/schemas/41_scan_write_backs.sql
-- ============================================================================================

-- A repository scan's writes, each fenced by the job's id and attempt like every write-back of
-- the queue, so that a late, duplicate or reaped worker can write nothing:
--   begin_scan        the scan of a job (made on its first run) and where its last run stopped;
--   record_scan_page  one page of results, the checkpoint after it, and a heartbeat — one statement,
--                     so a checkpoint never runs ahead of the rows it stands for;
--   scan_rows         what the scan has written so far (for the suspected tier and the summary);
--   complete_scan     the suspected verdicts, the summary, the repository's watermark, the team
--                     metrics and the job's completion, in one transaction: never a watermark
--                     without its results, never results of a scan that did not complete.

-- The repository of a scan job, for the job's claimant: no row when the claim is no longer ours,
-- a row with null full_name when the company does not track the repository (deleted, or a row
-- written around enqueue_scan's check). scan_window_days is the company's window for full scans.
create function public.repository_scan_target(p_job_id uuid, p_attempt integer)
returns table (repository_id uuid, full_name text, default_branch text, is_active boolean, scan_watermark jsonb,
               scan_window_days integer)
language sql stable security definer set search_path = ''
as $$
  select q.repository_id, r.full_name, r.default_branch, r.is_active, r.scan_watermark,
         case when pg_catalog.jsonb_typeof(c.settings -> 'scan_window_days') = 'number'
              then greatest(1, floor((c.settings ->> 'scan_window_days')::numeric))::integer end
  from public.scan_queue q
  join public.companies c on c.id = q.company_id
  left join public.repositories r on r.id = q.repository_id and r.company_id = q.company_id
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
$$;

-- The scan of a job, made on its first run: its id, the checkpoint to resume from (null: start
-- afresh), and its runs and pages so far (each run counts in timings.runs). No row when the claim
-- is not ours.
create function public.begin_scan(p_job_id uuid, p_attempt integer)
returns table (scan_id uuid, checkpoint jsonb, runs integer, pages integer)
language sql volatile security definer set search_path = ''
as $$
  insert into public.scans as s (company_id, repository_id, job_id, scan_type, attempt, timings)
  select q.company_id, q.repository_id, q.id, q.scan_type, q.attempts, '{"runs": 1}'
  from public.scan_queue q
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running' and q.repository_id is not null
  on conflict (job_id) do update
    set attempt = excluded.attempt, status = 'running', error_message = null, completed_at = null, updated_at = now(),
        timings = s.timings || pg_catalog.jsonb_build_object('runs', coalesce((s.timings ->> 'runs')::integer, 0) + 1)
  returning s.id, s.checkpoint, (s.timings ->> 'runs')::integer, coalesce((s.timings ->> 'pages')::integer, 0)
$$;

-- {requests: a, counted: b, …} + {requests: c, …} = {requests: a + c, …}: the GitHub cost of a scan over its pages.
create function public.scan_add_counts(p_total jsonb, p_more jsonb) returns jsonb
language sql immutable
as $$
  select coalesce(pg_catalog.jsonb_object_agg(k, coalesce((p_total ->> k)::numeric, 0) + coalesce((p_more ->> k)::numeric, 0)), '{}')
  from (select pg_catalog.jsonb_object_keys(coalesce(p_total, '{}') || coalesce(p_more, '{}')) k) keys
$$;

-- One page of a scan: p_page is {commits: [{sha, verdict, agents, confidence, suspect_score,
-- lines_added, lines_deleted, ai_lines, counted_lines, is_merge, author_name, author_email,
-- authored_at, committed_at, files: [{path, added, deleted, filtered_out}]}], pull_requests: [{number,
-- title, …}], checkpoint, progress, message, api_requests: {…added by this page}, warnings: [text]}.
-- It is also the job's heartbeat: refused (nothing written) when the claim is not ours, and when a
-- cancel was requested the job becomes cancelled here and nothing is written either.
create function public.record_scan_page(p_job_id uuid, p_attempt integer, p_page jsonb)
returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_write public.scan_job_write;
  v_scan public.scans;
  v_now timestamptz := public.scan_queue_now();
begin
  if p_page is null or pg_catalog.jsonb_typeof(p_page) <> 'object' then
    raise exception 'record_scan_page: p_page must be a JSON object' using errcode = '22023';
  end if;
  v_write := public.heartbeat_scan_job(p_job_id, p_attempt, (p_page ->> 'progress')::integer, p_page ->> 'message');
  if not v_write.accepted or v_write.status <> 'running' then
    return v_write;
  end if;
  select s.* into v_scan from public.scans s where s.job_id = p_job_id for update;
  if not found then
    raise exception 'record_scan_page: job % has no scan: call begin_scan first', p_job_id using errcode = '22023';
  end if;

  with commits as (
    select c.* from pg_catalog.jsonb_to_recordset(coalesce(p_page -> 'commits', '[]')) as c (
      sha text, verdict text, agents text[], confidence real, suspect_score real, lines_added integer,
      lines_deleted integer, ai_lines integer, counted_lines integer, is_merge boolean, author_name text,
      author_email text, authored_at timestamptz, committed_at timestamptz, files jsonb)
  ), rows as (
    select c.sha, '' as path, c.verdict, c.agents, c.confidence, c.suspect_score, c.lines_added, c.lines_deleted,
           c.ai_lines, c.counted_lines, null::text as filtered_out, coalesce(c.is_merge, false) as is_merge,
           c.author_name, c.author_email, c.authored_at, c.committed_at
    from commits c
    union all
    select c.sha, f.path, c.verdict, c.agents, c.confidence, null, f.added, f.deleted, null, null, f.filtered_out,
           coalesce(c.is_merge, false), c.author_name, c.author_email, c.authored_at, c.committed_at
    from commits c, pg_catalog.jsonb_to_recordset(coalesce(c.files, '[]')) as f (path text, added integer, deleted integer, filtered_out text)
    where f.path is not null and f.path <> ''
  )
  insert into public.scan_results as r (repository_id, commit_sha, path, company_id, scan_id, verdict, agents, confidence,
    suspect_score, lines_added, lines_deleted, ai_lines, counted_lines, filtered_out, is_merge, author_name, author_email,
    authored_at, committed_at)
  select v_scan.repository_id, x.sha, x.path, v_scan.company_id, v_scan.id, x.verdict, coalesce(x.agents, '{}'), x.confidence,
         x.suspect_score, x.lines_added, x.lines_deleted, x.ai_lines, x.counted_lines, x.filtered_out, x.is_merge,
         x.author_name, x.author_email, x.authored_at, x.committed_at
  from rows x
  on conflict (repository_id, commit_sha, path) do update
    set scan_id = excluded.scan_id, verdict = excluded.verdict, agents = excluded.agents, confidence = excluded.confidence,
        suspect_score = excluded.suspect_score, lines_added = excluded.lines_added, lines_deleted = excluded.lines_deleted,
        ai_lines = excluded.ai_lines, counted_lines = excluded.counted_lines, filtered_out = excluded.filtered_out,
        is_merge = excluded.is_merge, author_name = excluded.author_name, author_email = excluded.author_email,
        authored_at = excluded.authored_at, committed_at = excluded.committed_at;

  insert into public.pull_requests as p (company_id, repository_id, github_pr_id, title, author_login, author_is_bot, state,
    head_ref, base_ref, ai_generated, verdict, agents, confidence, human_reviewed, reviewers, ai_reviewers, additions,
    deletions, ai_lines, pr_created_at, pr_updated_at, pr_merged_at, merged_by, unreviewed_ai_merge, scan_id, updated_at)
  select v_scan.company_id, v_scan.repository_id, x.number, x.title, x.author_login, coalesce(x.author_is_bot, false), x.state,
         x.head_ref, x.base_ref, x.ai_generated, x.verdict, coalesce(x.agents, '{}'), x.confidence, x.human_reviewed,
         coalesce(x.reviewers, '{}'), coalesce(x.ai_reviewers, '{}'), coalesce(x.additions, 0), coalesce(x.deletions, 0),
         coalesce(x.ai_lines, 0), x.created_at, x.updated_at, x.merged_at, x.merged_by, x.unreviewed_ai_merge, v_scan.id, v_now
  from pg_catalog.jsonb_to_recordset(coalesce(p_page -> 'pull_requests', '[]')) as x (
    number integer, title text, author_login text, author_is_bot boolean, state text, head_ref text, base_ref text,
    ai_generated boolean, verdict text, agents text[], confidence real, human_reviewed boolean, reviewers text[],
    ai_reviewers text[], additions integer, deletions integer, ai_lines integer, created_at timestamptz,
    updated_at timestamptz, merged_at timestamptz, merged_by text, unreviewed_ai_merge boolean)
  on conflict (repository_id, github_pr_id) do update
    set title = excluded.title, author_login = excluded.author_login, author_is_bot = excluded.author_is_bot,
        state = excluded.state, head_ref = excluded.head_ref, base_ref = excluded.base_ref,
        ai_generated = excluded.ai_generated, verdict = excluded.verdict, agents = excluded.agents,
        confidence = excluded.confidence, human_reviewed = excluded.human_reviewed, reviewers = excluded.reviewers,
        ai_reviewers = excluded.ai_reviewers, additions = excluded.additions, deletions = excluded.deletions,
        ai_lines = excluded.ai_lines, pr_created_at = excluded.pr_created_at, pr_updated_at = excluded.pr_updated_at,
        pr_merged_at = excluded.pr_merged_at, merged_by = excluded.merged_by,
        unreviewed_ai_merge = excluded.unreviewed_ai_merge, scan_id = excluded.scan_id, updated_at = excluded.updated_at;

  update public.scans s
  set checkpoint = p_page -> 'checkpoint',
      progress = coalesce((p_page ->> 'progress')::integer, s.progress),
      progress_message = coalesce(p_page ->> 'message', s.progress_message),
      api_requests = public.scan_add_counts(s.api_requests, p_page -> 'api_requests'),
      timings = public.scan_add_counts(s.timings, pg_catalog.jsonb_build_object('pages', 1) || coalesce(p_page -> 'timings', '{}')),
      warnings = s.warnings || coalesce((select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('at', v_now, 'message', w))
                                         from pg_catalog.jsonb_array_elements_text(coalesce(p_page -> 'warnings', '[]')) w), '[]'),
      updated_at = v_now
  where s.id = v_scan.id;
  return v_write;
end $$;

-- What the job's scan has written so far: its commits ({sha, verdict, agents, confidence,
-- suspect_score, ai_lines, counted_lines, is_merge}, in commit order of writing) and pull requests.
-- Null when the claim is not ours.
create function public.scan_rows(p_job_id uuid, p_attempt integer) returns jsonb
language sql stable security definer set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'scan_id', s.id,
    'api_requests', s.api_requests,
    'commits', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                  'sha', r.commit_sha, 'verdict', r.verdict, 'agents', r.agents, 'confidence', r.confidence,
                  'suspect_score', r.suspect_score, 'ai_lines', r.ai_lines, 'counted_lines', r.counted_lines,
                  'is_merge', r.is_merge) order by r.authored_at desc, r.commit_sha), '[]')
                from public.scan_results r where r.scan_id = s.id and r.path = ''),
    'pull_requests', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                        'number', p.github_pr_id, 'title', p.title, 'verdict', p.verdict, 'agents', p.agents,
                        'human_reviewed', p.human_reviewed, 'merged_at', p.pr_merged_at,
                        'unreviewed_ai_merge', p.unreviewed_ai_merge) order by p.github_pr_id), '[]')
                      from public.pull_requests p where p.scan_id = s.id))
  from public.scans s
  join public.scan_queue q on q.id = s.job_id
  where s.job_id = p_job_id and q.attempts = p_attempt and q.status = 'running'
$$;

-- The scan completes: p_completion is {summary, watermark, result, api_requests (what the run
-- spent since its last page), decisions: [{sha, verdict, confidence}]} (the suspected tier's
-- verdicts, decided on the scan's whole score profile). The
-- job completes first — refused, this writes nothing —, then the decisions, the scan's summary,
-- the repository's watermark and the team metrics of the authors and weeks the scan touched.
-- The job's result holds the scan's id.
create function public.complete_scan(p_job_id uuid, p_attempt integer, p_completion jsonb)
returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_scan public.scans;
  v_write public.scan_job_write;
  v_now timestamptz := public.scan_queue_now();
begin
  select s.* into v_scan from public.scans s where s.job_id = p_job_id;
  if not found then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'complete scan');
  end if;
  v_write := public.complete_scan_job(p_job_id, p_attempt,
    coalesce(p_completion -> 'result', '{}') || pg_catalog.jsonb_build_object('scan_id', v_scan.id, 'summary', p_completion -> 'summary'));
  if not v_write.accepted then
    return v_write;
  end if;

  update public.scan_results r
  set verdict = d.verdict, confidence = d.confidence
  from pg_catalog.jsonb_to_recordset(coalesce(p_completion -> 'decisions', '[]')) as d (sha text, verdict text, confidence real)
  where r.repository_id = v_scan.repository_id and r.commit_sha = d.sha and r.scan_id = v_scan.id
    and (r.verdict is distinct from d.verdict or r.confidence is distinct from d.confidence);

  update public.scans s
  set status = 'completed', progress = 100, summary = p_completion -> 'summary', checkpoint = null,
      api_requests = public.scan_add_counts(s.api_requests, p_completion -> 'api_requests'),
      progress_message = null, completed_at = v_now, updated_at = v_now
  where s.id = v_scan.id;

  if p_completion ? 'watermark' then
    update public.repositories r set scan_watermark = p_completion -> 'watermark', last_scanned_at = v_now
    where r.id = v_scan.repository_id;
  end if;

  with touched as (
    select distinct pg_catalog.lower(r.author_email) as email,
           (pg_catalog.date_trunc('week', r.authored_at at time zone 'UTC'))::date as week
    from public.scan_results r
    where r.scan_id = v_scan.id and r.path = '' and r.author_email is not null and r.authored_at is not null
  ), weeks as (
    select t.email, t.week, r.author_name, r.verdict, r.counted_lines, r.ai_lines, r.repository_id
    from touched t
    join public.scan_results r
      on r.company_id = v_scan.company_id and r.path = '' and not r.is_merge
     and pg_catalog.lower(r.author_email) = t.email
     and r.authored_at >= t.week::timestamp at time zone 'UTC' and r.authored_at < (t.week + 7)::timestamp at time zone 'UTC'
  )
  insert into public.team_metrics as m (company_id, author_email, period_start, period_end, author_name, commits, ai_commits,
    assisted_commits, suspected_commits, lines_added, ai_lines, repositories, updated_at)
  select v_scan.company_id, w.email, w.week, w.week + 6, max(w.author_name), count(*)::integer,
         (count(*) filter (where w.verdict = 'attested'))::integer, (count(*) filter (where w.verdict = 'assisted'))::integer,
         (count(*) filter (where w.verdict = 'suspected'))::integer, coalesce(sum(w.counted_lines), 0)::integer,
         coalesce(sum(w.ai_lines), 0)::integer, count(distinct w.repository_id)::integer, v_now
  from weeks w group by w.email, w.week
  on conflict (company_id, author_email, period_start) do update
    set author_name = excluded.author_name, commits = excluded.commits, ai_commits = excluded.ai_commits,
        assisted_commits = excluded.assisted_commits, suspected_commits = excluded.suspected_commits,
        lines_added = excluded.lines_added, ai_lines = excluded.ai_lines, repositories = excluded.repositories,
        updated_at = excluded.updated_at;
  return v_write;
end $$;

-- ============================================================================================
-- supabase/schemas/42_daily_auto_scan.sql
-- ============================================================================================

-- The daily auto-scan (product spec: 03:00 UTC, an incremental scan at priority 7 of every active
-- repository of the companies whose settings.auto_scan_enabled is true). Enqueued in one
-- statement for all repositories (enqueue_scans), with the default dedupe key, so it merges with
-- an incremental scan already pending and becomes the follow-up of one running. Idempotent per
-- day: a repository that already has today's auto-scan job, in any state, gets no second one, so
-- the schedule firing twice (a retried cron run) enqueues once. Answers how many it enqueued.
create function public.enqueue_daily_auto_scans(p_day date default null) returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_day date := coalesce(p_day, (public.scan_queue_now() at time zone 'UTC')::date);
  v_jobs jsonb;
begin
  select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
           'company_id', r.company_id, 'repository_id', r.id, 'scan_type', 'incremental_scan', 'priority', 7,
           'payload', pg_catalog.jsonb_build_object('trigger', 'daily_auto_scan', 'day', v_day)))
    into v_jobs
  from public.repositories r
  join public.companies c on c.id = r.company_id
  where r.is_active and coalesce((c.settings ->> 'auto_scan_enabled')::boolean, false)
    and not exists (select 1 from public.scan_queue q
                    where q.repository_id = r.id and q.scan_type = 'incremental_scan'
                      and q.payload ->> 'trigger' = 'daily_auto_scan' and q.payload ->> 'day' = v_day::text)
    and not exists (select 1 from public.scan_queue q
                    where q.repository_id = r.id and q.status = 'running'
                      and q.follow_up -> 'payload' ->> 'trigger' = 'daily_auto_scan' and q.follow_up -> 'payload' ->> 'day' = v_day::text);
  if v_jobs is null then
    return 0;
  end if;
  perform 1 from public.enqueue_scans(v_jobs);
  return pg_catalog.jsonb_array_length(v_jobs);
end $$;

-- ============================================================================================
-- supabase/schemas/50_dispatch.sql
-- ============================================================================================

-- Waking the workers (edge functions) through pg_net, two ways:
--  * at once: a trigger on enqueue posts when ready jobs appear (pg_net sends after commit, so a
--    rolled-back enqueue wakes nobody);
--  * as the backstop: pg_cron every 10 seconds, for retries whose backoff ended, snoozed jobs whose
--    time came, jobs the reaper handed on, probes of a source that is down, and lost wake-ups.
-- Which function runs a job type is public.scan_job_types.worker. The functions' URL and key come
-- from Vault, the pattern Supabase documents for cron → edge function calls: `project_url`, and the
-- project's secret key `secret_key` (sb_secret_…, sent in the apikey header: Supabase's current
-- keys are not JWTs) or, for a project still on the legacy keys, `service_role_key` (sent as a
-- bearer token). Without them nothing is sent (the health function says so). The functions accept
-- any of the project's secret keys, so rotating one is: create a new secret key, store it with
-- vault.update_secret, then delete the old key (README, "Deploying to Supabase").

-- The pipeline's own settings (one row each), read by the functions that use them.
create table public.pipeline_settings (
  name text primary key,
  value jsonb not null,
  description text not null
);
alter table public.pipeline_settings enable row level security; -- the pipeline's alone: no policy
insert into public.pipeline_settings (name, value, description) values
  ('max_scan_workers', '8', 'Edge scan workers (invocations of scan-repository) running at once, at most. Each runs 2 jobs at a time.');

-- An integer setting, or p_default when it is absent or not a positive number.
create function public.pipeline_setting_int(p_name text, p_default integer) returns integer
language sql stable security definer set search_path = ''
as $$
  select coalesce((select case when pg_catalog.jsonb_typeof(s.value) = 'number' and (s.value #>> '{}')::numeric >= 1
                               then floor((s.value #>> '{}')::numeric)::integer end
                   from public.pipeline_settings s where s.name = p_name), p_default)
$$;

-- The edge workers running now: each invocation takes a seat when it starts (begin_scan_worker) and
-- gives it back when it ends; a seat whose invocation was killed lapses at its budget's end.
create table public.scan_workers (
  worker_id text primary key,
  function_name text not null,
  started_at timestamptz not null,
  lapses_at timestamptz not null
);
alter table public.scan_workers enable row level security; -- the pipeline's alone: no policy

-- Takes a seat for an invocation of p_function, unless max_scan_workers are running already: the
-- cap holds however many wake-ups arrive at once (one invocation at a time decides, under a
-- transaction lock per function). Answers whether it may run.
create function public.begin_scan_worker(p_worker_id text, p_function text, p_budget_seconds integer) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('codeguard.scan_workers:' || p_function));
  delete from public.scan_workers w where w.lapses_at < v_now;
  if (select count(*) from public.scan_workers w where w.function_name = p_function)
     >= public.pipeline_setting_int('max_scan_workers', 8) then
    return false;
  end if;
  insert into public.scan_workers (worker_id, function_name, started_at, lapses_at)
  values (p_worker_id, p_function, v_now, v_now + pg_catalog.make_interval(secs => greatest(p_budget_seconds, 1) + 30))
  on conflict (worker_id) do nothing;
  return true;
end $$;

-- The invocation ended: its seat is free.
create function public.end_scan_worker(p_worker_id text) returns void
language sql volatile security definer set search_path = ''
as $$ delete from public.scan_workers w where w.worker_id = p_worker_id $$;

-- How many workers to start now, per worker function: one per two ready jobs it can run (a worker
-- runs two at a time and keeps claiming while its budget lasts), but never more than the free
-- seats under max_scan_workers (p_max_workers, when given, caps one call: the enqueue trigger
-- starts at most one). Workers being woken (pg_net requests not sent yet) hold seats too. Jobs of a
-- source that is down count only when its probe is due, and then for one worker.
create function public.dispatch_scan_workers(p_max_workers integer default null, p_reason text default 'tick')
returns integer
language plpgsql security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_url text;
  v_secret_key text;
  v_legacy_key text;
  v_headers jsonb;
  v_worker record;
  v_started integer := 0;
  v_seats integer;
begin
  select decrypted_secret into v_url from vault.decrypted_secrets where name = 'project_url';
  select decrypted_secret into v_secret_key from vault.decrypted_secrets where name = 'secret_key';
  select decrypted_secret into v_legacy_key from vault.decrypted_secrets where name = 'service_role_key';
  if v_url is null or (v_secret_key is null and v_legacy_key is null) then
    return 0; -- not configured (see README: Vault secrets project_url and secret_key)
  end if;
  v_headers := case when v_secret_key is not null
                    then pg_catalog.jsonb_build_object('Content-Type', 'application/json', 'apikey', v_secret_key)
                    else pg_catalog.jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || v_legacy_key) end;
  v_seats := public.pipeline_setting_int('max_scan_workers', 8);
  for v_worker in
    select t.worker, count(*)::integer as ready, bool_or(o.source is not null) as probing
    from (select q.scan_type from public.scan_queue q
          where q.status = 'pending' and q.run_after <= v_now
          order by q.priority, q.run_after, q.id limit 2 * v_seats) q
    join public.scan_job_types t on t.name = q.scan_type
    left join public.scan_source_outages o on o.source = t.source
    where t.worker is not null
      and (o.source is null or (o.blocked_until <= v_now and (o.probe_until is null or o.probe_until <= v_now)))
    group by t.worker
  loop
    for i in 1 .. least(
        coalesce(p_max_workers, v_seats),
        v_seats - (select count(*)::integer from public.scan_workers w where w.function_name = v_worker.worker and w.lapses_at >= v_now)
                - (select count(*)::integer from net.http_request_queue r where r.url = v_url || '/functions/v1/' || v_worker.worker),
        case when v_worker.probing then 1 else ceil(v_worker.ready / 2.0)::integer end) loop
      perform net.http_post(
        url := v_url || '/functions/v1/' || v_worker.worker,
        body := pg_catalog.jsonb_build_object('reason', p_reason),
        headers := v_headers,
        timeout_milliseconds := 10000);
      v_started := v_started + 1;
    end loop;
  end loop;
  return v_started;
end $$;

create function public.dispatch_scan_workers_on_enqueue() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform public.dispatch_scan_workers(1, 'enqueue');
  return null;
end $$;

create trigger scan_queue_dispatch_on_enqueue
  after insert on public.scan_queue
  for each statement execute function public.dispatch_scan_workers_on_enqueue();

-- ============================================================================================
-- supabase/schemas/60_health.sql
-- ============================================================================================

-- The pipeline's health in one call, for the health function: migrations applied, the codeguard
-- schedules with their last runs, the Vault secrets the dispatch needs, and the queue's figures.

-- Housekeeping of the platform's own history tables, which grow without bound otherwise:
-- pg_cron never prunes cron.job_run_details (a per-second schedule writes 86,400 rows a day), and
-- net._http_response only has pg_net's TTL. Keep a week of runs and six hours of responses.
create function public.prune_platform_history(p_runs_older_than interval default '7 days',
  p_responses_older_than interval default '6 hours') returns jsonb
language plpgsql security definer set search_path = '' as $$
declare v_runs bigint; v_responses bigint;
begin
  delete from cron.job_run_details where end_time < now() - p_runs_older_than;
  get diagnostics v_runs = row_count;
  delete from net._http_response where created < now() - p_responses_older_than;
  get diagnostics v_responses = row_count;
  return pg_catalog.jsonb_build_object('job_runs', v_runs, 'http_responses', v_responses);
end $$;

-- Every schedule of pg_cron (ours are named codeguard-…) with its last run, for `codeguard schedules`
-- and the health function.
create function public.pipeline_schedules()
returns table (name text, schedule text, command text, active boolean, last_status text, last_run_at timestamptz,
               last_message text)
language sql stable security definer set search_path = ''
as $$
  select coalesce(j.jobname, 'job ' || j.jobid), j.schedule, j.command, j.active, r.status, r.start_time, r.return_message
  from cron.job j
  left join lateral (select d.status, d.start_time, d.return_message from cron.job_run_details d
                     where d.jobid = j.jobid order by d.runid desc limit 1) r on true
  order by 1
$$;

create function public.pipeline_health() returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_migrations jsonb := pg_catalog.jsonb_build_object('applied', 0, 'latest', null);
begin
  -- The CLI's history table exists once `supabase db push` / `migration up` has run.
  if pg_catalog.to_regclass('supabase_migrations.schema_migrations') is not null then
    execute 'select pg_catalog.jsonb_build_object(''applied'', count(*), ''latest'', max(version))
             from supabase_migrations.schema_migrations' into v_migrations;
  end if;
  return pg_catalog.jsonb_build_object(
    'migrations', v_migrations,
    'schedules', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                    'name', s.name, 'schedule', s.schedule, 'active', s.active,
                    'last_status', s.last_status, 'last_run_at', s.last_run_at) order by s.name), '[]')
                  from public.pipeline_schedules() s where s.name like 'codeguard-%'),
    -- What dispatch_scan_workers needs: project_url, and secret_key (or the legacy service_role_key).
    'vault_missing', (select coalesce(pg_catalog.jsonb_agg(n order by n), '[]')
                      from unnest(array['project_url', 'secret_key']) n
                      where not exists (select 1 from vault.decrypted_secrets s
                                        where s.name = n or (n = 'secret_key' and s.name = 'service_role_key'))),
    'queue', public.scan_queue_stats());
end $$;

-- ============================================================================================
-- supabase/schemas/80_schedules.sql
-- ============================================================================================

-- Every schedule of the pipeline, in one place (pg_cron; names start with codeguard- so the health
-- function finds them). Minutes off the hour and away from each other and from the 03:00 UTC
-- daily auto-scan.
select cron.schedule('codeguard-dispatch-scan-workers', '10 seconds', $$select public.dispatch_scan_workers()$$);
-- Leases are 30 s: with the reaper every 10 s a dead worker's job is handed on within ~40 s.
select cron.schedule('codeguard-reap-expired-scan-jobs', '10 seconds', $$select public.reap_expired_scan_jobs()$$);
select cron.schedule('codeguard-daily-auto-scan', '0 3 * * *', $$select public.enqueue_daily_auto_scans()$$);
select cron.schedule('codeguard-prune-scan-queue', '41 3 * * *', $$select public.prune_scan_queue()$$);
select cron.schedule('codeguard-prune-github-etag-cache', '23 * * * *', $$select public.prune_github_etag_cache()$$);
select cron.schedule('codeguard-prune-platform-history', '17 * * * *', $$select public.prune_platform_history()$$);

-- ============================================================================================
-- supabase/schemas/90_privileges.sql
-- ============================================================================================

-- Who may do what, in one place. Everything in `public` is first taken back from the API roles
-- (whatever defaults the project had: 01_default_privileges.sql), then each role gets exactly
-- what it needs:
--   anon           nothing (the publishable/anon key is public: it proves nothing about a caller);
--   authenticated  a member reads their own company's rows, through row-level security, and the
--                  queue's figures for their company; writes go through the functions of the API
--                  (later issues), never straight to tables;
--   service_role   the pipeline: it reads every table, writes the tenants, and calls the functions of
--                  the queue and the scans.
-- The edge functions connect as postgres (SUPABASE_DB_URL), the owner. No role but the owner holds
-- TRUNCATE, TRIGGER, REFERENCES or MAINTAIN (RLS governs none of them), nor a sequence.
-- test/platform/privileges.test.ts checks this from the catalogs.

revoke all on all tables in schema public from public, anon, authenticated, service_role;
revoke all on all sequences in schema public from public, anon, authenticated, service_role;
revoke all on all functions in schema public from public, anon, authenticated, service_role;

grant select on public.companies, public.users, public.repositories, public.scan_queue, public.scan_job_events,
  public.scan_job_types, public.scans, public.scan_results, public.pull_requests, public.team_metrics to authenticated;
grant execute on function public.current_company_id(), public.member_scan_queue_stats(interval) to authenticated;

-- The pipeline. It reads every table; it writes the tenants' rows (onboarding), and the queue, the
-- slots, the outages and the cache only through the functions below, which keep their rules.
grant select on public.companies, public.users, public.repositories, public.scan_queue, public.scan_job_events,
  public.scan_job_types, public.scan_queue_company_slots, public.scan_source_outages, public.github_etag_cache,
  public.scans, public.scan_results, public.pull_requests, public.team_metrics, public.pipeline_settings,
  public.scan_workers
  to service_role;
grant update on public.pipeline_settings to service_role;
grant insert, update, delete on public.companies, public.users, public.repositories to service_role;
grant execute on function
  public.current_company_id(),
  public.scan_queue_job_types(text),
  public.enqueue_scan(uuid, uuid, text, integer, timestamptz, jsonb, text, integer),
  public.enqueue_scans(jsonb),
  public.claim_scan_jobs(text, integer, text[], integer),
  public.claim_next_scan_job(text, integer, text[]),
  public.claim_scan_job(uuid, text, integer),
  public.heartbeat_scan_job(uuid, integer, integer, text),
  public.complete_scan_job(uuid, integer, jsonb),
  public.complete_scan_jobs(jsonb),
  public.fail_scan_job(uuid, integer, text, boolean),
  public.snooze_scan_job(uuid, integer, timestamptz, text),
  public.report_scan_source_outage(uuid, integer, text),
  public.scan_source_answered(uuid, integer),
  public.cancel_scan_job(uuid, text),
  public.retry_scan_job(uuid),
  public.reap_expired_scan_jobs(),
  public.prune_scan_queue(interval, interval, interval),
  public.scan_queue_stats(uuid, interval),
  public.set_github_token(uuid, text),
  public.github_token(uuid),
  public.github_etag_cache_get(uuid, text, text),
  public.github_etag_cache_put(uuid, text, text, text, bytea, text),
  public.prune_github_etag_cache(uuid, interval),
  public.repository_scan_target(uuid, integer),
  public.begin_scan(uuid, integer),
  public.record_scan_page(uuid, integer, jsonb),
  public.scan_rows(uuid, integer),
  public.complete_scan(uuid, integer, jsonb),
  public.enqueue_daily_auto_scans(date),
  public.dispatch_scan_workers(integer, text),
  public.begin_scan_worker(text, text, integer),
  public.end_scan_worker(text),
  public.pipeline_setting_int(text, integer),
  public.pipeline_health(),
  public.pipeline_schedules(),
  public.prune_platform_history(interval, interval)
to service_role;
