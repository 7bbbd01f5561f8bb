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
-- ask it which types their processors take (JobQueue.jobTypes); claims pause the jobs of a
-- source that is down (scan_source_outages).
create table public.scan_job_types (
  name public.scan_type_name primary key,
  -- Whether the job reads an outside service, and which for a job without a repository: a
  -- repository's job reads the repository's source (repositories.source; scan_job_source), this
  -- one only when it has none. Null: none. An outage of a job's source snoozes it without spending
  -- an attempt and pauses the claims of every job of that source.
  source text check (source ~ '^[a-z][a-z0-9_]*$'),
  -- The edge function that runs jobs of this type (dispatch_scan_workers posts to it), or null.
  worker text check (worker ~ '^[a-z][a-z0-9-]*$'),
  description text not null,
  -- For jobs about one thing in a repository, the payload key that names it (a positive integer):
  -- enqueue requires it, and it is part of the default dedupe key, so that two PRs of one
  -- repository are two jobs, never one answered for the other.
  subject_key text check (subject_key ~ '^[a-z][a-z0-9_]*$'),
  -- A job of this type not finished this long after it was enqueued is late: the job_sla alert
  -- (44_alerts.sql) names it. Null: no SLA.
  sla_seconds integer check (sla_seconds > 0)
);
-- Company-wide types (no repository) run once per company at a time: their default dedupe key is
-- the type and 'company', so a burst of requests makes one job (and one follow-up while it runs).
insert into public.scan_job_types (name, source, worker, subject_key, description, sla_seconds) values
  ('full_scan', 'github', 'scan-repository', null, 'a repository''s history within the company''s scan window ("Run scan", onboarding)', 3600),
  ('incremental_scan', 'github', 'scan-repository', null, 'what changed in a repository since its last scan (push webhook, daily auto-scan)', 900),
  ('pr_analysis', 'github', 'scan-repository', 'pr_number', 'one pull request of a repository, by number: payload {"pr_number": n} (pull_request webhook)', 600),
  ('calculate_scores', null, 'calculate-scores', null, 'a company''s AI-debt scores, per repository and company-wide (after its scans complete)', 600),
  ('generate_alerts', null, 'generate-alerts', null, 'a company''s alerts from its scores and its jobs (after the scores; every 5 min for dead or late jobs)', 600),
  ('weekly_report', null, 'generate-report', null, 'a company''s weekly governance report: payload {"period_start", "period_end"} (Monday 02:00 UTC)', 3600),
  ('refresh_views', null, 'refresh-views', null, 'the dashboards'' materialized views, for all companies (every 15 min; the platform''s job)', 900),
  ('send_slack_digest', null, 'send-slack-digest', null, 'a company''s weekly digest to its Slack webhook: payload {"period_start", "period_end"} (Monday 09:00 UTC)', 3600);
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
