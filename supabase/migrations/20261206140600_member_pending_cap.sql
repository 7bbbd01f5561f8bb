-- Issue 24 #5: a member's loop of enqueue-scan calls made one job per call without bound. A
-- company with settings.max_pending_jobs (100) jobs waiting is answered 'too_many' (429).

-- "Run scan": enqueues a scan of a repository (by id, or by owner/name) of the member's company.
-- A full scan by default, at high priority (3: someone is waiting for it); a live job of the same
-- key answers instead (enqueue_scan: a pending one covers the request, a running one takes it as
-- its follow-up). Answers {access, job: {id, status, scan_type, repository_id, repository,
-- result: created | pending | follow_up}}; access 'too_many' (429) while the company has
-- settings.max_pending_jobs (100) jobs waiting: the queue and the company's GitHub budget are its
-- to protect from one member's loop (300 calls made 300 jobs in 5 s).
create or replace function public.member_request_scan(
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
