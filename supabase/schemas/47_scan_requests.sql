-- What a signed-in member asks of the pipeline through the API functions enqueue-scan ("Run scan"),
-- scan-status and cancel-scan. The function verifies the user's session (JWKS) and passes its user
-- id; each SQL function here finds the member's company in public.users and answers `access`:
--   'ok', 'not_member' (no users row: 403), 'not_found' (404), 'forbidden' (another company's: 403),
-- and, for a request, 'inactive' (a deactivated repository: 409).
-- A repository named by owner/name is looked up only among the member's company's: a name another
-- company tracks is not found (404), so that nobody learns which repositories other customers
-- watch. A repository id or a scan id of another company is forbidden (403): the caller had the id.
-- A scan's id is its job's id (scans.job_id): the job carries the queue's state, the scans row the
-- progress, summary and warnings, and outlives the job's pruning.

-- The company of a member, or null. Only while Supabase Auth still has the user: public.users
-- has no foreign key to auth.users (Auth owns that table), and a deleted user's unexpired session
-- must not keep working.
create function public.member_company_id(p_user_id uuid) returns uuid
language sql stable security definer set search_path = ''
as $$ select u.company_id from public.users u join auth.users a on a.id = u.id where u.id = p_user_id $$;

-- "Run scan": enqueues a scan of a repository (by id, or by owner/name) of the member's company.
-- A full scan by default, at high priority (3: someone is waiting for it); a live job of the same
-- key answers instead (enqueue_scan: a pending one covers the request, a running one takes it as
-- its follow-up). Answers {access, job: {id, status, scan_type, repository_id, repository,
-- result: created | pending | follow_up}}; access 'too_many' (429) while the company has
-- settings.max_pending_jobs (100) jobs waiting: the queue and the company's GitHub budget are its
-- to protect from one member's loop (300 calls made 300 jobs in 5 s).
create function public.member_request_scan(
  p_user_id uuid,
  p_repository_id uuid default null,
  p_full_name text default null,
  p_scan_type text default 'full_scan',
  p_payload jsonb default '{}'
) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_company uuid := public.member_company_id(p_user_id);
  v_repo public.repositories;
  v_job public.scan_queue;
  v_cap integer;
  v_pending integer;
begin
  if v_company is null then
    return pg_catalog.jsonb_build_object('access', 'not_member');
  end if;
  if p_repository_id is not null then
    select * into v_repo from public.repositories r where r.id = p_repository_id;
    if found and v_repo.company_id <> v_company then
      return pg_catalog.jsonb_build_object('access', 'forbidden');
    end if;
  else
    select * into v_repo from public.repositories r
    where r.company_id = v_company and lower(r.full_name) = lower(p_full_name);
  end if;
  if v_repo.id is null then
    return pg_catalog.jsonb_build_object('access', 'not_found');
  end if;
  if not v_repo.is_active then
    return pg_catalog.jsonb_build_object('access', 'inactive', 'repository', v_repo.full_name);
  end if;
  select coalesce((c.settings ->> 'max_pending_jobs')::integer, 100) into v_cap from public.companies c where c.id = v_company;
  select count(*)::integer into v_pending from public.scan_queue q where q.company_id = v_company and q.status = 'pending';
  if v_pending >= v_cap then
    return pg_catalog.jsonb_build_object('access', 'too_many', 'pending', v_pending, 'max_pending_jobs', v_cap);
  end if;
  v_job := public.enqueue_scan(p_company_id => v_company, p_repository_id => v_repo.id,
                               p_scan_type => coalesce(p_scan_type, 'full_scan'), p_priority => 3, p_payload => coalesce(p_payload, '{}'));
  return pg_catalog.jsonb_build_object('access', 'ok', 'job',
    public.github_webhook_job_entry(v_job, v_repo.full_name) || pg_catalog.jsonb_build_object('status', v_job.status));
end $$;

-- A scan's state for a member of its company: the queue's status in the spec's words (queued,
-- running, completed, failed, cancelled), progress, its log ({timestamp, level, message}, the last
-- 100 entries), summary, warnings, error and times; and, when a request arrived while it ran,
-- the job that request became (followed_by), so a client waiting for "the scan I asked for" can
-- follow it.
create function public.member_scan_status(p_user_id uuid, p_job_id uuid) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_company uuid := public.member_company_id(p_user_id);
  v_job public.scan_queue;
  v_scan public.scans;
  v_repo text;
  v_status text;
  v_followed_by uuid;
begin
  if v_company is null then
    return pg_catalog.jsonb_build_object('access', 'not_member');
  end if;
  select * into v_job from public.scan_queue q where q.id = p_job_id;
  select * into v_scan from public.scans s where s.job_id = p_job_id;
  if v_job.id is null and v_scan.id is null then
    return pg_catalog.jsonb_build_object('access', 'not_found');
  end if;
  if coalesce(v_job.company_id, v_scan.company_id) <> v_company then
    return pg_catalog.jsonb_build_object('access', 'forbidden');
  end if;
  select r.full_name into v_repo from public.repositories r where r.id = coalesce(v_job.repository_id, v_scan.repository_id);
  v_status := case
    when v_job.id is null then v_scan.status
    when v_job.status = 'pending' then case when v_scan.id is not null then 'running' else 'queued' end
    when v_job.status = 'dead' then 'failed'
    else v_job.status end;
  if v_job.follow_up is not null and v_job.completed_at is not null then
    select q.id into v_followed_by from public.scan_queue q
    where q.company_id = v_job.company_id and q.dedupe_key = v_job.dedupe_key and q.created_at >= v_job.completed_at
      and q.id <> v_job.id
    order by q.created_at limit 1;
  end if;
  return pg_catalog.jsonb_build_object('access', 'ok', 'scan', pg_catalog.jsonb_build_object(
    'scanId', p_job_id,
    'status', v_status,
    'scanType', coalesce(v_job.scan_type, v_scan.scan_type),
    'repositoryId', coalesce(v_job.repository_id, v_scan.repository_id),
    'repository', v_repo,
    'progress', case when v_status = 'completed' then 100 else greatest(coalesce(v_scan.progress, 0), coalesce(v_job.progress, 0)) end,
    'progressMessage', coalesce(v_job.progress_message, v_scan.progress_message),
    'attempts', v_job.attempts,
    'maxAttempts', v_job.max_attempts,
    'createdAt', v_job.created_at,
    'startedAt', coalesce(v_scan.started_at, v_job.started_at),
    'completedAt', coalesce(v_job.completed_at, v_scan.completed_at),
    'error', case when v_status in ('failed', 'cancelled') then coalesce(v_job.error, v_scan.error_message) end,
    'summary', coalesce(v_scan.summary, v_job.result -> 'summary'),
    'warnings', coalesce(v_scan.warnings, '[]'),
    'apiRequests', v_scan.api_requests,
    'followUp', v_job.follow_up,
    'followedBy', v_followed_by,
    'events', coalesce((
      select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'timestamp', e.created_at,
               'level', case when e.kind in ('failed', 'refused') then 'error'
                             when e.kind in ('snoozed', 'reaped', 'cancel_requested', 'cancelled') then 'warn' else 'info' end,
               'kind', e.kind,
               'message', coalesce(e.message, e.kind)) order by e.id)
      from (select * from public.scan_job_events e where e.job_id = p_job_id order by e.id desc limit 100) e), '[]')));
end $$;

-- Cancels a scan for a member of its company (cancel_scan_job: a pending one at once, a running one
-- at its next page). Answers {access, write: the cancel's scan_job_write}.
create function public.member_cancel_scan(p_user_id uuid, p_job_id uuid) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_company uuid := public.member_company_id(p_user_id);
  v_job_company uuid;
  v_email text;
begin
  if v_company is null then
    return pg_catalog.jsonb_build_object('access', 'not_member');
  end if;
  select q.company_id into v_job_company from public.scan_queue q where q.id = p_job_id;
  if v_job_company is null then
    select s.company_id into v_job_company from public.scans s where s.job_id = p_job_id;
  end if;
  if v_job_company is null then
    return pg_catalog.jsonb_build_object('access', 'not_found');
  end if;
  if v_job_company <> v_company then
    return pg_catalog.jsonb_build_object('access', 'forbidden');
  end if;
  select u.email into v_email from public.users u where u.id = p_user_id;
  return pg_catalog.jsonb_build_object('access', 'ok', 'write',
    pg_catalog.to_jsonb(public.cancel_scan_job(p_job_id, 'cancelled by ' || v_email)));
end $$;

-- ---------------------------------------------------------------------------------------------
-- Rates (issue 24 #5): a member's loop made 300 jobs in 5 s. The functions are stateless, so each
-- call of the member API is counted here first (member_api_admit), per member and per company,
-- and past either rate answered 429 with Retry-After. Two kinds of call: 'write' (enqueue-scan,
-- cancel-scan: jobs and GitHub's budget) and 'read' (scan-status, polled by the CLI and the
-- dashboard). The rates are the company's settings, per minute, with these defaults:
--   member_api_writes_per_minute 30, company_api_writes_per_minute 120,
--   member_api_reads_per_minute 600, company_api_reads_per_minute 3000
-- (a positive number; anything else reads as the default).

-- One row per scope (a member, or the company's own count: the nil uuid), kind and minute. Counted
-- as a sliding window: the minute so far plus the minute before weighted by the part of it still
-- within the last 60 s. A scope's rows older than the minute before go when it starts a new minute.
create table public.member_api_requests (
  company_id uuid not null references public.companies (id) on delete cascade,
  -- The member, or 00000000-0000-0000-0000-000000000000 for the company's count.
  user_id uuid not null,
  kind text not null check (kind in ('write', 'read')),
  window_start timestamptz not null,
  requests integer not null default 0 check (requests >= 0),
  primary key (company_id, user_id, kind, window_start)
);
alter table public.member_api_requests enable row level security; -- the pipeline's alone: no policy

-- Counts one call of the member API by p_user_id, of p_kind ('write' or 'read'), when the member
-- and their company are both under their rates; a call refused is not counted, so a client that
-- keeps asking gets through again as its earlier calls age. Answers {access: 'ok'}, 'not_member'
-- (counted nowhere: the function answers 403), or 'too_many_requests' with the scope that refused
-- ('member' or 'company'), its limit, the setting that holds it and retry_after (whole seconds
-- until one more call fits, if none came meanwhile).
create function public.member_api_admit(p_user_id uuid, p_kind text) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_company uuid := public.member_company_id(p_user_id);
  v_settings jsonb;
  v_now timestamptz := pg_catalog.clock_timestamp();
  v_window timestamptz;
  v_elapsed double precision;
  v_scope record;
  v_limit integer;
  v_curr integer;
  v_prev integer;
  v_wait double precision;
begin
  if p_kind is null or p_kind not in ('write', 'read') then
    raise exception 'member_api_admit: kind must be write or read, not %', coalesce(p_kind, 'null') using errcode = '22023';
  end if;
  if v_company is null then
    return pg_catalog.jsonb_build_object('access', 'not_member');
  end if;
  v_window := pg_catalog.date_trunc('minute', v_now);
  v_elapsed := extract(epoch from v_now - v_window);
  select c.settings into v_settings from public.companies c where c.id = v_company;
  -- The member's row before the company's, always: two members of a company lock in one order.
  for v_scope in
    select s.n, s.who, s.setting, s.fallback from (values
      (1, p_user_id, 'member_api_' || p_kind || 's_per_minute', case p_kind when 'write' then 30 else 600 end),
      (2, '00000000-0000-0000-0000-000000000000'::uuid, 'company_api_' || p_kind || 's_per_minute', case p_kind when 'write' then 120 else 3000 end)
    ) s(n, who, setting, fallback) order by s.n
  loop
    v_limit := case when pg_catalog.jsonb_typeof(v_settings -> v_scope.setting) = 'number' and (v_settings ->> v_scope.setting)::numeric >= 1
                    then least(floor((v_settings ->> v_scope.setting)::numeric), 1000000)::integer else v_scope.fallback end;
    insert into public.member_api_requests (company_id, user_id, kind, window_start)
    values (v_company, v_scope.who, p_kind, v_window)
    on conflict do nothing;
    if found then
      delete from public.member_api_requests r
      where r.company_id = v_company and r.user_id = v_scope.who and r.kind = p_kind and r.window_start < v_window - interval '1 minute';
    end if;
    select r.requests into v_curr from public.member_api_requests r
    where r.company_id = v_company and r.user_id = v_scope.who and r.kind = p_kind and r.window_start = v_window
    for update;
    select coalesce(sum(r.requests), 0)::integer into v_prev from public.member_api_requests r
    where r.company_id = v_company and r.user_id = v_scope.who and r.kind = p_kind and r.window_start = v_window - interval '1 minute';
    if v_prev * (1 - v_elapsed / 60) + v_curr + 1 > v_limit then
      -- When one more call fits: within this minute as the minute before weighs less, or, when this
      -- minute alone is full, in the next one as this one weighs less.
      v_wait := case when v_curr <= v_limit - 1 and v_prev > 0
                     then 60 * (1 - (v_limit - 1 - v_curr)::double precision / v_prev) - v_elapsed
                     else (60 - v_elapsed) + 60 * (1 - (v_limit - 1)::double precision / greatest(v_curr, 1)) end;
      return pg_catalog.jsonb_build_object('access', 'too_many_requests',
        'scope', case v_scope.n when 1 then 'member' else 'company' end,
        'limit', v_limit, 'setting', v_scope.setting, 'retry_after', greatest(1, ceil(v_wait))::integer);
    end if;
  end loop;
  update public.member_api_requests r set requests = r.requests + 1
  where r.company_id = v_company and r.user_id in (p_user_id, '00000000-0000-0000-0000-000000000000'::uuid)
    and r.kind = p_kind and r.window_start = v_window;
  return pg_catalog.jsonb_build_object('access', 'ok');
end $$;
