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
  received_at timestamptz not null default now(),
  -- SHA-256 (hex) of the signed body. The signature covers the body, not X-GitHub-Delivery, so a
  -- captured delivery resent under a new id verifies: a body already recorded is refused as a
  -- replay (GitHub's own redelivery keeps the id and is answered as a duplicate). Held as long as
  -- the row (30 days); null for pings and ignored events (a replay of them does nothing) and on
  -- rows recorded before it was kept.
  body_sha256 text check (body_sha256 ~ '^[0-9a-f]{64}$')
);
create unique index github_webhook_deliveries_body on public.github_webhook_deliveries (body_sha256);
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
-- is linked to (the App's hook). A company's hook naming an installation reaches that installation
-- only when it is linked to the same company: its secret proves the company, not the installation.
-- Answers {recorded, duplicate, outcome, reason, jobs}; recorded false, nothing written, with outcome
-- 'unknown_installation' when the delivery belongs to no company or its hook's company does not
-- hold the installation it names (one answer for both: a company learns nothing of another's
-- installations), 'replayed' when its body (p_body_sha256) was recorded before under another
-- delivery id, 'too_many_repositories' when a registration names more repositories than the
-- company's settings.max_repositories_per_registration (200), and duplicate true for an
-- X-GitHub-Delivery seen before.
create function public.record_github_webhook_delivery(
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

-- Deletes deliveries older than p_keep (GitHub redelivers only the last 3 days'; a month of them
-- answers "what did that push do?"). Answers how many it deleted.
create function public.prune_github_webhook_deliveries(p_keep interval default '30 days') returns integer
language sql volatile security definer set search_path = ''
as $$
  with gone as (delete from public.github_webhook_deliveries d where d.received_at < now() - p_keep returning 1)
  select count(*)::integer from gone
$$;
