-- Issue 24 #5, what remained: per-member and per-company rates on the member API (member_api_requests,
-- member_api_admit: 429 with Retry-After past them), and a cap on the repositories one webhook
-- registration may add (settings.max_repositories_per_registration, 200: past it the delivery is
-- refused and nothing of it written, so GitHub's Redeliver acts once the setting is raised).

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

revoke all on public.member_api_requests from public, anon, authenticated, service_role;
grant select on public.member_api_requests to service_role;
revoke all on function public.member_api_admit(uuid, text) from public, anon, authenticated, service_role;
grant execute on function public.member_api_admit(uuid, text) to service_role;

-- Records a verified delivery and does what it asks, in one transaction: a delivery is recorded
-- once with its jobs, or not at all. p_route is what the function made of the payload
-- (supabase/functions/_shared/webhooks/routes.ts):
--   {"kind": "scan", "scan_type": "incremental_scan" | "pr_analysis", "repository": "o/r",
--    "default_branch"?: "main", "pr_number"?: n}
--   {"kind": "register", "repositories": ["o/r", …], "include_linked"?: bool, "installation_status"?: s, "account_login"?: l}
--   {"kind": "deactivate", "repositories": ["o/r", …], "include_linked"?: bool, "unlink"?: bool, "installation_status"?: s}
--   {"kind": "ping"} | {"kind": "ignored", "reason": "…"}
-- The company is p_company_id (a company's hook, verified with its secret) or the one p_installation_id
-- is linked to (the App's hook). A company's hook naming an installation reaches that installation
-- only when it is linked to the same company: its secret proves the company, not the installation.
-- Answers {recorded, duplicate, outcome, reason, jobs}; recorded false, nothing written, with outcome
-- 'unknown_installation' when the delivery belongs to no company or its hook's company does not
-- hold the installation it names (one answer for both: a company learns nothing of another's
-- installations), 'replayed' when its body (p_body_sha256) was recorded before under another
-- delivery id, 'too_many_repositories' when a registration names more repositories than the
-- company's settings.max_repositories_per_registration (200), and duplicate true for an
-- X-GitHub-Delivery seen before.
create or replace function public.record_github_webhook_delivery(
  p_delivery_id uuid,
  p_event text,
  p_action text,
  p_company_id uuid,
  p_installation_id bigint,
  p_route jsonb,
  p_payload_bytes integer,
  p_body_sha256 text default null
) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_company uuid := p_company_id;
  v_kind text := p_route ->> 'kind';
  v_names text[] := array(select pg_catalog.jsonb_array_elements_text(coalesce(p_route -> 'repositories', '[]')));
  v_outcome text;
  v_reason text;
  v_jobs jsonb := '[]';
  v_existing public.github_webhook_deliveries;
  v_repo public.repositories;
  v_job public.scan_queue;
  v_payload jsonb;
  v_ids uuid[];
  v_cap integer;
  v_count integer;
begin
  if v_kind is null or v_kind not in ('scan', 'register', 'deactivate', 'ping', 'ignored') then
    raise exception 'record_github_webhook_delivery: unknown route %', coalesce(v_kind, 'null') using errcode = '22023';
  end if;
  if v_company is null and p_installation_id is not null then
    select i.company_id into v_company from public.github_installations i where i.installation_id = p_installation_id;
  elsif v_company is not null and p_installation_id is not null
        and not exists (select 1 from public.github_installations i
                        where i.installation_id = p_installation_id and i.company_id = v_company) then
    return pg_catalog.jsonb_build_object('recorded', false, 'duplicate', false, 'outcome', 'unknown_installation',
      'reason', pg_catalog.format('installation %s is not linked to this company: link it (link_github_installation), then redeliver', p_installation_id));
  end if;
  if v_company is null and not (v_kind = 'ping' and p_installation_id is null) then
    return pg_catalog.jsonb_build_object('recorded', false, 'duplicate', false, 'outcome', 'unknown_installation',
      'reason', case when p_installation_id is null
                     then 'the delivery names no installation, and no company''s hook (?company=) received it'
                     else pg_catalog.format('installation %s is not linked to a company: link it (link_github_installation), then redeliver', p_installation_id) end);
  end if;

  -- Claim the delivery id first: a concurrent copy waits here for this transaction and then finds it.
  -- Any unique key: the delivery id (a redelivery) or the body's hash (a replay under a new id).
  insert into public.github_webhook_deliveries (delivery_id, company_id, installation_id, event, action, outcome, payload_bytes, body_sha256)
  values (p_delivery_id, v_company, p_installation_id, p_event, p_action, 'ignored', p_payload_bytes,
          -- Only a delivery that acts is guarded: a ping or an ignored event does nothing when replayed.
          case when v_kind in ('scan', 'register', 'deactivate') then p_body_sha256 end)
  on conflict do nothing;
  if not found then
    select * into v_existing from public.github_webhook_deliveries d where d.delivery_id = p_delivery_id;
    if v_existing.delivery_id is null then
      return pg_catalog.jsonb_build_object('recorded', false, 'duplicate', false, 'outcome', 'replayed',
        'reason', 'this body was delivered before under another X-GitHub-Delivery id: a replay, refused (GitHub''s own redelivery keeps the id)');
    end if;
    -- Another company's delivery id says nothing about that delivery to this one.
    if v_existing.company_id is distinct from v_company then
      return pg_catalog.jsonb_build_object('recorded', false, 'duplicate', true, 'outcome', null, 'reason', 'this delivery id was recorded before', 'jobs', '[]'::jsonb);
    end if;
    return pg_catalog.jsonb_build_object('recorded', false, 'duplicate', true, 'outcome', v_existing.outcome,
      'reason', v_existing.reason, 'jobs', v_existing.jobs, 'received_at', v_existing.received_at);
  end if;

  if v_kind = 'ping' then
    v_outcome := 'ping';
  elsif v_kind = 'ignored' then
    v_outcome := 'ignored';
    v_reason := p_route ->> 'reason';
  elsif v_kind = 'scan' then
    select * into v_repo from public.repositories r
    where r.company_id = v_company and lower(r.full_name) = lower(p_route ->> 'repository');
    if not found then
      v_outcome := 'ignored';
      v_reason := pg_catalog.format('%s is not a repository the company tracks', p_route ->> 'repository');
    elsif not v_repo.is_active then
      v_outcome := 'ignored';
      v_reason := pg_catalog.format('%s is deactivated', v_repo.full_name);
    else
      -- GitHub's word on the default branch wins over what onboarding assumed.
      if p_route ? 'default_branch' and v_repo.default_branch is distinct from p_route ->> 'default_branch' then
        update public.repositories r set default_branch = p_route ->> 'default_branch' where r.id = v_repo.id;
      end if;
      v_payload := case when p_route ? 'pr_number' then pg_catalog.jsonb_build_object('pr_number', p_route -> 'pr_number') else '{}' end;
      v_job := public.enqueue_scan(p_company_id => v_company, p_repository_id => v_repo.id,
                                   p_scan_type => p_route ->> 'scan_type', p_priority => 5, p_payload => v_payload);
      v_jobs := pg_catalog.jsonb_build_array(public.github_webhook_job_entry(v_job, v_repo.full_name));
      v_outcome := case when v_jobs -> 0 ->> 'result' = 'created' then 'enqueued' else 'coalesced' end;
    end if;
  elsif v_kind = 'register' then
    -- Each repository registered gets a full scan: one delivery may register at most the company's
    -- settings.max_repositories_per_registration (200). Past it, nothing of it is written — the
    -- delivery row claimed above goes too — so that GitHub's Redeliver acts once the setting is raised.
    select coalesce(case when pg_catalog.jsonb_typeof(c.settings -> 'max_repositories_per_registration') = 'number'
                              and (c.settings ->> 'max_repositories_per_registration')::numeric >= 1
                         then least(floor((c.settings ->> 'max_repositories_per_registration')::numeric), 1000000)::integer end, 200)
    into v_cap from public.companies c where c.id = v_company;
    select count(*)::integer into v_count from (
      select lower(n) from unnest(v_names) n
      union
      select lower(r.full_name) from public.repositories r
      where r.company_id = v_company and coalesce((p_route ->> 'include_linked')::boolean, false)
        and r.id in (select l.repository_id from public.github_installation_repositories l where l.installation_id = p_installation_id)
    ) registered;
    if v_count > v_cap then
      delete from public.github_webhook_deliveries d where d.delivery_id = p_delivery_id;
      return pg_catalog.jsonb_build_object('recorded', false, 'duplicate', false, 'outcome', 'too_many_repositories',
        'repositories', v_count, 'max_repositories_per_registration', v_cap,
        'reason', pg_catalog.format('this delivery registers %s repositories (a full scan each), more than the company''s '
          'settings.max_repositories_per_registration (%s): nothing was registered. To accept it: update public.companies set '
          'settings = settings || ''{"max_repositories_per_registration": %s}'' where id = ''%s''; then Redeliver it from the '
          'webhook''s Recent Deliveries', v_count, v_cap, v_count, v_company));
    end if;
    if p_installation_id is not null then
      update public.github_installations i
      set status = coalesce(p_route ->> 'installation_status', i.status),
          account_login = coalesce(p_route ->> 'account_login', i.account_login), updated_at = now()
      where i.installation_id = p_installation_id;
    end if;
    -- New names become repositories; known ones (any spelling) are reactivated.
    insert into public.repositories (company_id, full_name)
    select v_company, n from unnest(v_names) n
    where not exists (select 1 from public.repositories r where r.company_id = v_company and lower(r.full_name) = lower(n))
    on conflict (company_id, full_name) do nothing;
    select array_agg(r.id order by r.full_name) into v_ids from public.repositories r
    where r.company_id = v_company
      and (lower(r.full_name) in (select lower(n) from unnest(v_names) n)
           or (coalesce((p_route ->> 'include_linked')::boolean, false)
               and r.id in (select l.repository_id from public.github_installation_repositories l where l.installation_id = p_installation_id)));
    update public.repositories r set is_active = true where r.id = any (v_ids) and not r.is_active;
    if p_installation_id is not null then
      insert into public.github_installation_repositories (installation_id, repository_id, company_id)
      select p_installation_id, id, v_company from unnest(v_ids) id
      on conflict do nothing;
    end if;
    -- "Onboarding": a full scan at high priority (product spec), one per repository.
    for v_repo in select * from public.repositories r where r.id = any (v_ids) order by r.full_name loop
      v_job := public.enqueue_scan(p_company_id => v_company, p_repository_id => v_repo.id, p_scan_type => 'full_scan', p_priority => 3);
      v_jobs := v_jobs || pg_catalog.jsonb_build_array(public.github_webhook_job_entry(v_job, v_repo.full_name));
    end loop;
    v_outcome := 'registered';
    v_reason := pg_catalog.format('%s repositories registered', coalesce(pg_catalog.cardinality(v_ids), 0));
  else -- deactivate
    if p_installation_id is not null and p_route ? 'installation_status' then
      update public.github_installations i set status = p_route ->> 'installation_status', updated_at = now()
      where i.installation_id = p_installation_id;
    end if;
    select array_agg(r.id order by r.full_name) into v_ids from public.repositories r
    where r.company_id = v_company
      and (lower(r.full_name) in (select lower(n) from unnest(v_names) n)
           or (coalesce((p_route ->> 'include_linked')::boolean, false)
               and r.id in (select l.repository_id from public.github_installation_repositories l where l.installation_id = p_installation_id)));
    update public.repositories r set is_active = false where r.id = any (v_ids) and r.is_active;
    if coalesce((p_route ->> 'unlink')::boolean, false) and p_installation_id is not null then
      delete from public.github_installation_repositories l where l.installation_id = p_installation_id and l.repository_id = any (v_ids);
    end if;
    -- GitHub no longer lets us read them: their live jobs would only fail.
    for v_job in select * from public.scan_queue q where q.repository_id = any (v_ids) and q.status in ('pending', 'running') order by q.created_at loop
      perform public.cancel_scan_job(v_job.id, 'the repository was removed from the GitHub App installation');
      v_jobs := v_jobs || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
        'job_id', v_job.id, 'scan_type', v_job.scan_type, 'repository_id', v_job.repository_id, 'result', 'cancelled'));
    end loop;
    v_outcome := 'deactivated';
    v_reason := pg_catalog.format('%s repositories deactivated', coalesce(pg_catalog.cardinality(v_ids), 0));
  end if;

  update public.github_webhook_deliveries d set outcome = v_outcome, reason = v_reason, jobs = v_jobs
  where d.delivery_id = p_delivery_id;
  return pg_catalog.jsonb_build_object('recorded', true, 'duplicate', false, 'outcome', v_outcome, 'reason', v_reason, 'jobs', v_jobs);
end $$;
