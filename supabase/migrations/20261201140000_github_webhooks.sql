-- GitHub webhook ingress and members' scan requests (issue 14): supabase/schemas/35_github_webhooks.sql
-- and supabase/schemas/47_scan_requests.sql as they are, then their grants (90_privileges.sql).

-- GitHub webhooks: where deliveries come from, their secrets (in Vault), and the one function that
-- records a delivery and enqueues its work in the same transaction (github-webhook only verifies,
-- parses and calls it, so it answers well within GitHub's 10 s).
--
-- Two kinds of hook reach the github-webhook function:
--   * a company's own webhook (on a repository or an organization), at
--     …/functions/v1/github-webhook?company=<company id>, signed with the company's secret
--     (Vault: github_webhook_secret:<company id>, set by set_github_webhook_secret);
--   * the GitHub App's webhook, at …/functions/v1/github-webhook, signed with the App's secret
--     (Vault: github_app_webhook_secret). Its deliveries name an installation, which onboarding
--     links to a company (link_github_installation); a delivery of an installation no company has
--     is refused and recorded nowhere, so GitHub's "Redeliver" works once it is linked.
-- Each X-GitHub-Delivery is recorded once; GitHub redelivers with the same id, and a redelivery is
-- answered with what the first delivery did, changing nothing.

-- ---------------------------------------------------------------------------------------------
-- The GitHub App's installations and the repositories each gives access to

create table public.github_installations (
  installation_id bigint primary key check (installation_id > 0),
  company_id uuid not null references public.companies (id) on delete cascade,
  -- The user or organization that installed the App.
  account_login text,
  -- installation.suspend / unsuspend / deleted set it.
  status text not null default 'active' check (status in ('active', 'suspended', 'deleted')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index github_installations_company on public.github_installations (company_id);

-- Which repositories came through which installation: a suspended or deleted installation
-- deactivates them although its payload lists none (installation.suspend carries no repositories).
create table public.github_installation_repositories (
  installation_id bigint not null references public.github_installations (installation_id) on delete cascade,
  repository_id uuid not null references public.repositories (id) on delete cascade,
  company_id uuid not null references public.companies (id) on delete cascade,
  primary key (installation_id, repository_id)
);
create index github_installation_repositories_repository on public.github_installation_repositories (repository_id);

-- GitHub's owner and repository names are case-insensitive, and payloads spell them as GitHub
-- does today, not as a member typed them: deliveries find repositories by lower(full_name).
create index repositories_company_lower_full_name on public.repositories (company_id, lower(full_name));

-- ---------------------------------------------------------------------------------------------
-- Deliveries

create domain public.github_webhook_outcome as text
  constraint github_webhook_outcome_known check (value in (
    'enqueued',    -- at least one new job
    'coalesced',   -- its jobs were live already: a pending one covers it, a running one took it as its follow-up
    'registered',  -- repositories registered (or reactivated) and their full scans enqueued
    'deactivated', -- repositories deactivated, their live jobs cancelled
    'ignored',     -- nothing to do: another event or action, a branch other than the default, an untracked repository
    'ping'));

-- One row per X-GitHub-Delivery: what it was and what it did. Outlives the jobs (pruned after 30
-- days by prune_github_webhook_deliveries; GitHub redelivers only deliveries of the last 3 days).
create table public.github_webhook_deliveries (
  delivery_id uuid primary key,
  -- Null only for a ping of the GitHub App's own hook, which concerns no company.
  company_id uuid references public.companies (id) on delete cascade,
  installation_id bigint,
  event text not null,
  action text,
  outcome public.github_webhook_outcome not null,
  -- Why it was ignored, or what it did, in words.
  reason text,
  -- [{job_id, scan_type, repository_id, repository, result: created | pending | follow_up | cancelled}]
  jobs jsonb not null default '[]',
  payload_bytes integer not null,
  received_at timestamptz not null default now()
);
create index github_webhook_deliveries_company_received on public.github_webhook_deliveries (company_id, received_at desc);
create index github_webhook_deliveries_received on public.github_webhook_deliveries (received_at);

comment on table public.github_webhook_deliveries is
  'Every GitHub webhook delivery accepted (signature verified, payload valid), once per X-GitHub-Delivery, with its outcome and the jobs it enqueued. Written only by record_github_webhook_delivery.';

alter table public.github_installations enable row level security;
alter table public.github_installation_repositories enable row level security;
alter table public.github_webhook_deliveries enable row level security;
create policy github_installations_member_read on public.github_installations for select to authenticated
  using (company_id = public.current_company_id());
create policy github_installation_repositories_member_read on public.github_installation_repositories for select to authenticated
  using (company_id = public.current_company_id());
create policy github_webhook_deliveries_member_read on public.github_webhook_deliveries for select to authenticated
  using (company_id = public.current_company_id());

-- ---------------------------------------------------------------------------------------------
-- Secrets

-- The Vault name of a hook's secret: a company's webhook, or (null) the GitHub App's.
create function public.github_webhook_secret_name(p_company_id uuid) returns text
language sql immutable
as $$ select case when p_company_id is null then 'github_app_webhook_secret' else 'github_webhook_secret:' || p_company_id::text end $$;

-- Stores (or replaces) a hook's secret in Vault: a company's webhook (p_company_id), or the GitHub
-- App's (null). Refuses a secret anyone could guess (under 16 characters: it would sign forged
-- deliveries) and one with spaces or control characters (pasted with a line break, GitHub would
-- sign with another string). Errors never contain the secret. Answers the Vault secret's id.
create function public.set_github_webhook_secret(p_company_id uuid, p_secret text) returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_name text := public.github_webhook_secret_name(p_company_id);
  v_id uuid;
begin
  if p_company_id is not null and not exists (select 1 from public.companies c where c.id = p_company_id) then
    raise exception 'set_github_webhook_secret: company % does not exist', p_company_id using errcode = '23503';
  end if;
  if p_secret is null or length(p_secret) < 16 then
    raise exception 'set_github_webhook_secret: the secret has % characters; use at least 16 random ones', coalesce(length(p_secret), 0)
      using errcode = '22023', hint = 'For example: openssl rand -hex 32. Give GitHub the same string in the webhook''s Secret field.';
  end if;
  if p_secret ~ '[[:cntrl:][:space:]]' then
    raise exception 'set_github_webhook_secret: the secret contains a space, newline or other control character (% characters in all)', length(p_secret)
      using errcode = '22023', hint = 'Paste the secret alone, without quotes, spaces or a line break.';
  end if;
  select s.id into v_id from vault.secrets s where s.name = v_name;
  if v_id is null then
    v_id := vault.create_secret(p_secret, v_name,
      case when p_company_id is null then 'webhook secret of the GitHub App' else 'GitHub webhook secret of company ' || p_company_id::text end);
  else
    perform vault.update_secret(v_id, p_secret);
  end if;
  return v_id;
end $$;

-- A hook's secret from Vault, for the github-webhook function to verify a delivery's signature;
-- null when none is stored (the delivery is then refused as unsigned). Only the pipeline calls it.
create function public.github_webhook_secret(p_company_id uuid) returns text
language sql stable security definer set search_path = ''
as $$ select s.decrypted_secret from vault.decrypted_secrets s where s.name = public.github_webhook_secret_name(p_company_id) $$;

-- ---------------------------------------------------------------------------------------------
-- Installations

-- Links a GitHub App installation to a company (onboarding, after GitHub's setup redirect names
-- the installation). Refuses an installation another company holds. Answers the installation row.
create function public.link_github_installation(p_company_id uuid, p_installation_id bigint, p_account_login text default null)
returns public.github_installations
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_row public.github_installations;
begin
  insert into public.github_installations as i (installation_id, company_id, account_login)
  values (p_installation_id, p_company_id, p_account_login)
  on conflict (installation_id) do update
    set account_login = coalesce(excluded.account_login, i.account_login), updated_at = now()
    where i.company_id = excluded.company_id
  returning * into v_row;
  if not found then
    raise exception 'link_github_installation: installation % belongs to another company', p_installation_id
      using errcode = '23505', hint = 'An installation is one company''s; unlink it there first (delete from public.github_installations).';
  end if;
  return v_row;
end $$;

-- ---------------------------------------------------------------------------------------------
-- Recording a delivery

-- The outcome of one job asked for: whether this transaction created it (its row version is
-- ours: xmin is the current transaction), or a live job answered — a pending one that covers it,
-- or a running one that took it as its follow-up (enqueue_scan).
create function public.github_webhook_job_entry(p_job public.scan_queue, p_full_name text) returns jsonb
language sql stable security definer set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'job_id', p_job.id, 'scan_type', p_job.scan_type, 'repository_id', p_job.repository_id, 'repository', p_full_name,
    'result', case when p_job.status = 'running' then 'follow_up'
                   when (select q.xmin from public.scan_queue q where q.id = p_job.id) = pg_catalog.pg_current_xact_id()::xid
                   then 'created' else 'pending' end)
  || case when p_job.payload ? 'pr_number' then pg_catalog.jsonb_build_object('pr_number', p_job.payload -> 'pr_number') else '{}' end
$$;

-- Records a verified delivery and does what it asks, in one transaction: a delivery is recorded
-- once with its jobs, or not at all. p_route is what the function made of the payload
-- (supabase/functions/_shared/webhooks/routes.ts):
--   {"kind": "scan", "scan_type": "incremental_scan" | "pr_analysis", "repository": "o/r",
--    "default_branch"?: "main", "pr_number"?: n}
--   {"kind": "register", "repositories": ["o/r", …], "include_linked"?: bool, "installation_status"?: s, "account_login"?: l}
--   {"kind": "deactivate", "repositories": ["o/r", …], "include_linked"?: bool, "unlink"?: bool, "installation_status"?: s}
--   {"kind": "ping"} | {"kind": "ignored", "reason": "…"}
-- The company is p_company_id (a company's hook, verified with its secret) or the one p_installation_id
-- is linked to (the App's hook). Answers {recorded, duplicate, outcome, reason, jobs}; recorded false
-- with outcome 'unknown_installation' when the delivery belongs to no company (nothing is written),
-- and duplicate true for an X-GitHub-Delivery seen before (nothing is written either).
create function public.record_github_webhook_delivery(
  p_delivery_id uuid,
  p_event text,
  p_action text,
  p_company_id uuid,
  p_installation_id bigint,
  p_route jsonb,
  p_payload_bytes integer
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
begin
  if v_kind is null or v_kind not in ('scan', 'register', 'deactivate', 'ping', 'ignored') then
    raise exception 'record_github_webhook_delivery: unknown route %', coalesce(v_kind, 'null') using errcode = '22023';
  end if;
  if v_company is null and p_installation_id is not null then
    select i.company_id into v_company from public.github_installations i where i.installation_id = p_installation_id;
  end if;
  if v_company is null and not (v_kind = 'ping' and p_installation_id is null) then
    return pg_catalog.jsonb_build_object('recorded', false, 'duplicate', false, 'outcome', 'unknown_installation',
      'reason', case when p_installation_id is null
                     then 'the delivery names no installation, and no company''s hook (?company=) received it'
                     else pg_catalog.format('installation %s is not linked to a company: link it (link_github_installation), then redeliver', p_installation_id) end);
  end if;

  -- Claim the delivery id first: a concurrent copy waits here for this transaction and then finds it.
  insert into public.github_webhook_deliveries (delivery_id, company_id, installation_id, event, action, outcome, payload_bytes)
  values (p_delivery_id, v_company, p_installation_id, p_event, p_action, 'ignored', p_payload_bytes)
  on conflict (delivery_id) do nothing;
  if not found then
    select * into v_existing from public.github_webhook_deliveries d where d.delivery_id = p_delivery_id;
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

-- Deletes deliveries older than p_keep (GitHub redelivers only the last 3 days'; a month of them
-- answers "what did that push do?"). Answers how many it deleted.
create function public.prune_github_webhook_deliveries(p_keep interval default '30 days') returns integer
language sql volatile security definer set search_path = ''
as $$
  with gone as (delete from public.github_webhook_deliveries d where d.received_at < now() - p_keep returning 1)
  select count(*)::integer from gone
$$;

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

-- The company of a member, or null.
create function public.member_company_id(p_user_id uuid) returns uuid
language sql stable security definer set search_path = ''
as $$ select u.company_id from public.users u where u.id = p_user_id $$;

-- "Run scan": enqueues a scan of a repository (by id, or by owner/name) of the member's company.
-- A full scan by default, at high priority (3: someone is waiting for it); a live job of the same
-- key answers instead (enqueue_scan: a pending one covers the request, a running one takes it as
-- its follow-up). Answers {access, job: {id, status, scan_type, repository_id, repository,
-- result: created | pending | follow_up}}.
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

revoke all on public.github_installations, public.github_installation_repositories, public.github_webhook_deliveries
  from public, anon, authenticated, service_role;
revoke all on function public.github_webhook_secret_name(uuid), public.set_github_webhook_secret(uuid, text),
  public.github_webhook_secret(uuid), public.link_github_installation(uuid, bigint, text),
  public.github_webhook_job_entry(public.scan_queue, text),
  public.record_github_webhook_delivery(uuid, text, text, uuid, bigint, jsonb, integer),
  public.prune_github_webhook_deliveries(interval), public.member_company_id(uuid),
  public.member_request_scan(uuid, uuid, text, text, jsonb), public.member_scan_status(uuid, uuid),
  public.member_cancel_scan(uuid, uuid)
  from public, anon, authenticated, service_role;
grant select on public.github_installations, public.github_installation_repositories, public.github_webhook_deliveries
  to authenticated, service_role;
grant execute on function
  public.set_github_webhook_secret(uuid, text),
  public.github_webhook_secret(uuid),
  public.link_github_installation(uuid, bigint, text),
  public.record_github_webhook_delivery(uuid, text, text, uuid, bigint, jsonb, integer),
  public.member_request_scan(uuid, uuid, text, text, jsonb),
  public.member_scan_status(uuid, uuid),
  public.member_cancel_scan(uuid, uuid)
to service_role;
