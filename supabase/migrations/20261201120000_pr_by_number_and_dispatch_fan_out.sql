-- What changed in the schema after the baseline landed (stop 18) and before the next migration:
-- pr_analysis names its pull request by number (scan_job_types.subject_key, part of the default
-- dedupe key), and an enqueue wakes as many workers as its ready jobs want, less those being woken.
-- These were first written into the landed baseline itself, which a deployed project never re-runs.

-- scan_job_types.subject_key: the payload key that names the one thing of a repository a job is
-- about (a positive integer): enqueue requires it, and it is part of the default dedupe key, so that
-- two PRs of one repository are two jobs, never one answered for the other.
alter table public.scan_job_types add column subject_key text check (subject_key ~ '^[a-z][a-z0-9_]*$');
update public.scan_job_types set subject_key = 'pr_number',
  description = 'one pull request of a repository, by number: payload {"pr_number": n} (pull_request webhook)'
where name = 'pr_analysis';

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
revoke all on function public.scan_queue_job_key(text, uuid, jsonb, text) from public, anon, authenticated, service_role;

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
