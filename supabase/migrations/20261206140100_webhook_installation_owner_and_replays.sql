-- Issue 24 #1, #6, #4: a company's own webhook wrote another company's installation (suspend,
-- account_login, deleted, and its repositories linked to it) because the delivery updated
-- github_installations by id alone; naming an installation nobody linked failed with a foreign-key
-- error (500). A company's hook now reaches only an installation linked to the same company, and
-- is refused (404, nothing written) otherwise. And a signed body resent under a new delivery id
-- (the signature does not cover the id) is refused as a replay: its SHA-256 is kept with the row.

alter table public.github_webhook_deliveries
  add column body_sha256 text check (body_sha256 ~ '^[0-9a-f]{64}$');
create unique index github_webhook_deliveries_body on public.github_webhook_deliveries (body_sha256);

drop function public.record_github_webhook_delivery(uuid, text, text, uuid, bigint, jsonb, integer);

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
-- delivery id, and duplicate true for an X-GitHub-Delivery seen before.
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

revoke all on function public.record_github_webhook_delivery(uuid, text, text, uuid, bigint, jsonb, integer, text) from public, anon, authenticated, service_role;
grant execute on function public.record_github_webhook_delivery(uuid, text, text, uuid, bigint, jsonb, integer, text) to service_role;
