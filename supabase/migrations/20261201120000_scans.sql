-- Scans as records, pr_analysis by number, the dispatch under a cap, the daily auto-scan and the
-- schedules view: what the schema files (40_scans, 41_scan_write_backs, 42_daily_auto_scan,
-- 50_dispatch, 60_health, 80_schedules and the queue's 2x files) gained after the baseline landed.
-- It was first written into the baseline itself, which a deployed project never re-runs; this
-- migration takes a database from the landed baseline to that state.

-- companies.settings: lookback_days is now scan_window_days (a full scan's window).
update public.companies
set settings = (settings - 'lookback_days') || pg_catalog.jsonb_build_object('scan_window_days', settings -> 'lookback_days')
where settings ? 'lookback_days';
alter table public.companies alter column settings
  set default '{"risk_threshold": 60, "auto_scan_enabled": true, "max_concurrent_scans": 2, "scan_window_days": 90}';

-- scan_job_types.subject_key: the payload key a job about one thing of a repository names it by.
alter table public.scan_job_types add column subject_key text check (subject_key ~ '^[a-z][a-z0-9_]*$');
update public.scan_job_types set description = 'a repository''s history within the company''s scan window ("Run scan", onboarding)'
where name = 'full_scan';
update public.scan_job_types set subject_key = 'pr_number',
  description = 'one pull request of a repository, by number: payload {"pr_number": n} (pull_request webhook)'
where name = 'pr_analysis';

-- Gone or reshaped: the watermark write (complete_scan writes it now), the follow-ups hook (now
-- scan_queue_job_finished, which also ends a dead or cancelled job's scan), and the scan target's
-- lookback_days (now scan_window_days).
drop function public.record_repository_scan(uuid, integer, jsonb);
drop function public.scan_queue_enqueue_follow_ups(uuid[]);
drop function public.repository_scan_target(uuid, integer);

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

-- A job's dedupe key: the one asked for, or its type and repository — and, for a type about one
-- thing in the repository (scan_job_types.subject_key), that thing, which the payload must name.
create function public.scan_queue_job_key(p_type text, p_repository_id uuid, p_payload jsonb, p_dedupe_key text)
returns text
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_subject_key text := (select t.subject_key from public.scan_job_types t where t.name = p_type);
  v_subject jsonb := coalesce(p_payload, '{}') -> v_subject_key;
begin
  if v_subject_key is null then
    return coalesce(p_dedupe_key, p_type || ':' || coalesce(p_repository_id::text, 'company'));
  end if;
  if pg_catalog.jsonb_typeof(v_subject) is distinct from 'number' or v_subject::text !~ '^[1-9][0-9]{0,17}$' then
    raise exception '% needs payload.% (a positive integer), got %', p_type, v_subject_key, coalesce(v_subject::text, 'none')
      using errcode = '22023', hint = pg_catalog.format('For example: {"%s": 42}', v_subject_key);
  end if;
  return coalesce(p_dedupe_key, p_type || ':' || coalesce(p_repository_id::text, 'company') || ':' || (v_subject::text));
end $$;

-- Enqueues one job, or answers the live job (pending, or running with this request as its
-- follow-up) that already holds its dedupe key — by default the scan type and repository.
create or replace function public.enqueue_scan(
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
  v_key text;
  v_job public.scan_queue;
begin
  if p_company_id is null then
    raise exception 'enqueue_scan: p_company_id is required' using errcode = '23502';
  end if;
  perform public.scan_queue_check_types(array[v_type]);
  v_key := public.scan_queue_job_key(v_type, p_repository_id, p_payload, p_dedupe_key);
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
create or replace function public.enqueue_scans(p_jobs jsonb)
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
             public.scan_queue_job_key(coalesce(j.scan_type, 'full_scan'), j.repository_id, j.payload, j.dedupe_key) as dedupe_key,
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
    perform public.scan_queue_job_finished(array[v_job.id]);
  end if;
  return public.scan_queue_accepted(v_job);
end $$;

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
create or replace function public.complete_scan_jobs(p_jobs jsonb)
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
  if v_job.status <> 'pending' then
    perform public.scan_queue_job_finished(array[v_job.id]);
  end if;
  return public.scan_queue_accepted(v_job);
end $$;

-- Not now: pending again at p_until, and this attempt does not count against max_attempts (a
-- GitHub rate limit: snooze to its reset; a worker shutting down: release, p_until = now). A job
-- whose cancel was requested becomes cancelled.
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
  if v_job.status = 'cancelled' then
    perform public.scan_queue_job_finished(array[v_job.id]);
  elsif v_job.run_after <= v_now then -- released: another worker may take it at once
    perform pg_catalog.pg_notify('scan_queue_jobs', '');
  end if;
  return public.scan_queue_accepted(v_job);
end $$;

-- The claimant met an outage of its job's source (connection refused, timeout, 5xx after the
-- client's own retries): the job goes back to pending until the source's next probe, without
-- spending an attempt, and the source's circuit opens (or, for the probe, stays open longer).
-- A job that has waited on outages for longer than scan_queue_outage_give_up() goes dead instead,
-- saying what to do; a job whose cancel was requested becomes cancelled.
create or replace function public.report_scan_source_outage(p_job_id uuid, p_attempt integer, p_error text)
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

-- Jobs whose lease expired (their worker died, or lost the database for longer than a lease):
-- pending again at once, or dead when their attempts are spent, or cancelled when a cancel was
-- requested. Rows locked by a worker finishing right now are skipped: that worker's write wins.
-- Leases are short (30 s, renewed by heartbeats every 10 s) and the reaper runs every 10 s, so a
-- killed worker's job is claimable again within ~40 s, and claimed at once: the reaper notifies.
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
    perform pg_catalog.pg_notify('scan_queue_jobs', '');
  end if;
  return query select v_requeued, v_dead, v_cancelled;
end $$;


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
  -- A commit row: its totals (GitHub's stats). A file row: the file's numstat, or null when it is
  -- not known — a binary file, or a file the GitHub reader proved part of the commit from path
  -- histories without reading its lines, because no figure needed them (the totals did).
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
-- runs two at a time and keeps claiming while its budget lasts), less the workers being woken
-- already (pg_net requests not sent yet: they will claim those jobs), and never more than the free
-- seats under max_scan_workers, counting those being woken (p_max_workers, when given, caps one
-- call). So a bulk enqueue of 200 jobs wakes 8 workers at once, not one and then the tick's, and
-- ten single enqueues in a row wake about five. Jobs of a source that is down count only when its
-- probe is due, and then for one worker.
create or replace function public.dispatch_scan_workers(p_max_workers integer default null, p_reason text default 'tick')
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
    select t.worker, count(*)::integer as ready, bool_or(o.source is not null) as probing,
           (select count(*)::integer from net.http_request_queue r where r.url = v_url || '/functions/v1/' || t.worker) as waking
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
                - v_worker.waking,
        case when v_worker.probing then 1 - v_worker.waking else ceil(v_worker.ready / 2.0)::integer - v_worker.waking end) loop
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

create or replace function public.dispatch_scan_workers_on_enqueue() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform public.dispatch_scan_workers(null, 'enqueue');
  return null;
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

create or replace function public.pipeline_health() returns jsonb
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

select cron.schedule('codeguard-daily-auto-scan', '0 3 * * *', $$select public.enqueue_daily_auto_scans()$$);

-- Who may do what: 90_privileges.sql as it stood then (everything taken back, then granted).

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
