-- A repository knows its source (issue 21): repositories.source, checked against the known
-- sources (repository_sources), with each source's bounds on a repository's name (GitHub's
-- owner/name, tighter than the former check); a job's source is its repository's
-- (scan_job_source), and the source outages, their probes and the claims are keyed on it rather
-- than on the job type's. repository_scan_target answers the source, for the scan worker's choice.

-- Where a repository's history can be read from: the sources the scan stage knows
-- (source/history.ts), each with the names its repositories may have. A repository names its
-- source (repositories.source); the scan worker's composition root maps the name onto the code
-- that reads it, and the queue keys its source outages on it (22_scan_source_outages.sql).
create table public.repository_sources (
  name text primary key check (name ~ '^[a-z][a-z0-9_]*$'),
  -- A repository's full_name in this source: a regular expression it must match, and the form
  -- in words with an example, for the message that refuses one.
  full_name_pattern text not null,
  full_name_form text not null,
  description text not null
);
-- GitHub's bounds: an owner of 1–39 letters, digits or hyphens, not starting with a hyphen; a name
-- of 1–100 letters, digits, '.', '_' or '-', other than '.' and '..'.
insert into public.repository_sources (name, full_name_pattern, full_name_form, description) values
  ('github', '^[A-Za-z0-9][A-Za-z0-9-]{0,38}/(?![.]{1,2}$)[A-Za-z0-9._-]{1,100}$',
   'owner/name, the owner 1–39 letters, digits or hyphens (not first), the name 1–100 letters, digits, ''.'', ''_'' or ''-'' (e.g. octocat/hello-world: no URL, no .git)',
   'GitHub: api.github.com or GitHub Enterprise Server (GITHUB_API_URL)');

alter table public.repository_sources enable row level security;
-- No tenant's data: every member may read it.
create policy repository_sources_member_read on public.repository_sources for select to authenticated using (true);
grant select on public.repository_sources to authenticated, service_role;

alter table public.repositories add column source text not null default 'github' references public.repository_sources (name);
-- The name's form is the source's now (the trigger below); the table keeps only what every source shares.
alter table public.repositories drop constraint repositories_full_name_check;
alter table public.repositories add constraint repositories_full_name_check check (full_name ~ '^[^[:space:][:cntrl:]]{1,255}$');

-- A repository's name must be one its source can have: refused with the source's form otherwise.
create function public.repository_full_name_fits_source() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  v_source public.repository_sources;
begin
  select s.* into v_source from public.repository_sources s where s.name = new.source;
  if found and new.full_name !~ v_source.full_name_pattern then  -- (an unknown source: the foreign key says so)
    raise exception 'repositories: % is not a % repository name', pg_catalog.quote_literal(new.full_name), new.source
      using errcode = '23514', schema = 'public', table = 'repositories', column = 'full_name',
            hint = 'Give it as ' || v_source.full_name_form || '.';
  end if;
  return new;
end $$;
create trigger repositories_full_name_fits_source before insert or update of full_name, source on public.repositories
  for each row execute function public.repository_full_name_fits_source();

revoke all on function public.repository_full_name_fits_source() from public, anon, authenticated, service_role;

-- The source a job reads: for a type that reads one (scan_job_types.source not null), its
-- repository's (repositories.source) — a GitHub and a GitLab repository's scans are the same job
-- types, and an outage of one must not pause the other —, or the type's for a job without a
-- repository; null for a type that reads none. Outages, probes and answers are keyed on it.
create function public.scan_job_source(p_scan_type public.scan_type_name, p_repository_id uuid) returns text
language sql stable security definer set search_path = ''
as $$
  select case when t.source is null then null
              else coalesce((select r.source from public.repositories r where r.id = p_repository_id), t.source) end
  from public.scan_job_types t where t.name = p_scan_type
$$;

revoke all on function public.scan_job_source(public.scan_type_name, uuid) from public, anon, authenticated, service_role;

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
  v_source := public.scan_job_source(v_job.scan_type, v_job.repository_id);
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


create or replace function public.scan_source_answered(p_job_id uuid, p_attempt integer) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_closed boolean;
  v_source text;
  v_now timestamptz := public.scan_queue_now();
begin
  with job as (
    select q.id, q.source_outage_since, public.scan_job_source(q.scan_type, q.repository_id) as source from public.scan_queue q
    where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
  ), cleared as ( -- only when set: most jobs never met an outage, and this runs once per job
    update public.scan_queue q set source_outage_since = null
    from job j where q.id = j.id and j.source_outage_since is not null
  ), closed as (
    delete from public.scan_source_outages o
    using job j
    where o.source = j.source
    returning o.source
  )
  select exists (select 1 from closed), (select j.source from job j)
  into v_closed, v_source;
  if v_source is not null then
    insert into public.scan_source_answers as a (source, job_id, answered_at) values (v_source, p_job_id, v_now)
    on conflict (source, job_id) do update set answered_at = excluded.answered_at;
    delete from public.scan_source_answers a where a.source = v_source and a.answered_at < v_now - interval '10 minutes';
  end if;
  if v_closed then
    perform pg_catalog.pg_notify('scan_queue_jobs', '');
  end if;
  return v_closed;
end $$;


create or replace function public.report_scan_source_timeout(p_job_id uuid, p_attempt integer, p_error text)
returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_job public.scan_queue;
  v_source text;
  v_others integer;
begin
  select q.* into v_job from public.scan_queue q where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running';
  if found then
    v_source := public.scan_job_source(v_job.scan_type, v_job.repository_id);
    select count(*)::integer into v_others from public.scan_source_answers a
    where a.source = v_source and a.job_id <> p_job_id and a.answered_at >= v_job.started_at;
    if v_others > 0 then
      return public.fail_scan_job(p_job_id, p_attempt, pg_catalog.format(
        '%s did not answer this job''s requests in time (%s) while it answered %s other job(s) meanwhile: '
        'this repository''s requests hang, not %s; counted as a failed attempt',
        v_source, coalesce(p_error, 'timeouts'), v_others, v_source), true);
    end if;
  end if;
  return public.report_scan_source_outage(p_job_id, p_attempt, p_error);
end $$;


create or replace function public.claim_scan_jobs(
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
  -- Sources that are down: their jobs are not claimed, but for the probe of round 0.
  v_blocked text[];
  -- Round 0: the source whose probe this claim took.
  v_probe_source text;
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
  -- A job's source is its repository's (scan_job_source), so only while a source is down does the
  -- claim look each candidate's up; otherwise the filter below stops at `v_blocked is null`.
  if exists (select 1 from public.scan_source_outages) then
    select pg_catalog.array_agg(o.source) into v_blocked from public.scan_source_outages o;
    -- Take the probe of one source whose wait is over, if this claimer runs jobs that read sources.
    with due as (
      select o.source from public.scan_source_outages o
      where o.blocked_until <= v_now and (o.probe_until is null or o.probe_until <= v_now)
        and exists (select 1 from public.scan_job_types t
                    where t.source is not null and (p_scan_types is null or t.name = any (p_scan_types)))
      order by o.blocked_until limit 1
      for update skip locked
    )
    update public.scan_source_outages o
    set probe_until = v_now + pg_catalog.make_interval(secs => p_lease_seconds), probe_job_id = null
    from due d where o.source = d.source
    returning o.source into v_probe_source;
  end if;

  for v_round in (case when v_probe_source is null then 1 else 0 end)..3 loop
    return query
    with candidates as (
      select q.id, q.company_id, q.priority, q.run_after from public.scan_queue q
      where q.status = 'pending' and q.run_after <= v_now
        and (p_scan_types is null or q.scan_type = any (p_scan_types))
        and (case when v_round = 0 then public.scan_job_source(q.scan_type, q.repository_id) = v_probe_source
                  else v_blocked is null
                       or coalesce(public.scan_job_source(q.scan_type, q.repository_id), '') <> all (v_blocked) end)
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


create or replace function public.claim_scan_job(p_job_id uuid, p_worker_id text, p_lease_seconds integer default 30)
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
    and not exists (select 1 from public.scan_source_outages o
                    where o.source = public.scan_job_source(q.scan_type, q.repository_id))
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
  v_edge_free integer;
  -- A job's source is its repository's (scan_job_source): looked up only while a source is down.
  v_outages boolean := exists (select 1 from public.scan_source_outages);
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
  v_edge_free := public.pipeline_setting_int('max_edge_workers', 12)
    - (select count(*)::integer from public.scan_workers w where w.lapses_at >= v_now)
    - (select count(*)::integer from net.http_request_queue r
       where r.url in (select distinct v_url || '/functions/v1/' || t.worker from public.scan_job_types t where t.worker is not null));
  for v_worker in
    select t.worker, count(*)::integer as ready, bool_or(o.source is not null) as probing,
           (select count(*)::integer from net.http_request_queue r where r.url = v_url || '/functions/v1/' || t.worker) as waking
    from (select q.scan_type, q.repository_id, q.priority, q.run_after from public.scan_queue q
          where q.status = 'pending' and q.run_after <= v_now
          order by q.priority, q.run_after, q.id limit 2 * v_seats) q
    join public.scan_job_types t on t.name = q.scan_type
    left join public.scan_source_outages o on v_outages and o.source = public.scan_job_source(q.scan_type, q.repository_id)
    where t.worker is not null
      and (o.source is null or (o.blocked_until <= v_now and (o.probe_until is null or o.probe_until <= v_now)))
    group by t.worker
    order by min(q.priority), min(q.run_after)
  loop
    for i in 1 .. least(
        coalesce(p_max_workers, v_seats),
        v_edge_free,
        v_seats - (select count(*)::integer from public.scan_workers w where w.function_name = v_worker.worker and w.lapses_at >= v_now)
                - v_worker.waking,
        case when v_worker.probing then 1 - v_worker.waking else ceil(v_worker.ready / 2.0)::integer - v_worker.waking end) loop
      perform net.http_post(
        url := v_url || '/functions/v1/' || v_worker.worker,
        body := pg_catalog.jsonb_build_object('reason', p_reason),
        headers := v_headers,
        timeout_milliseconds := 10000);
      v_started := v_started + 1;
      v_edge_free := v_edge_free - 1;
    end loop;
  end loop;
  return v_started;
end $$;


-- It answers the repository's source too: a new column, so made again.
drop function public.repository_scan_target(uuid, integer);
create function public.repository_scan_target(p_job_id uuid, p_attempt integer)
returns table (repository_id uuid, full_name text, default_branch text, is_active boolean, scan_watermark jsonb,
               scan_window_days integer, source text)
language sql stable security definer set search_path = ''
as $$
  select q.repository_id, r.full_name, r.default_branch, r.is_active, r.scan_watermark,
         case when pg_catalog.jsonb_typeof(c.settings -> 'scan_window_days') = 'number'
              then greatest(1, floor((c.settings ->> 'scan_window_days')::numeric))::integer end,
         r.source
  from public.scan_queue q
  join public.companies c on c.id = q.company_id
  left join public.repositories r on r.id = q.repository_id and r.company_id = q.company_id
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
$$;

revoke all on function public.repository_scan_target(uuid, integer) from public, anon, authenticated, service_role;
grant execute on function public.repository_scan_target(uuid, integer) to service_role;
