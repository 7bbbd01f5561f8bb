-- A scan corrects its repository's default branch from GitHub (supabase/schemas/41_scan_write_backs.sql).

-- The job's repository's default branch, as GitHub names it (a repository registered from an
-- installation event starts as 'main'; a default branch may be renamed): set by the job's claimant.
-- Answers whether the claim was ours.
create function public.set_scan_default_branch(p_job_id uuid, p_attempt integer, p_branch text) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
begin
  if p_branch is null or p_branch !~ '^[^[:cntrl:][:space:]~^:?*\[\\]{1,255}$' then
    raise exception 'set_scan_default_branch: % is not a branch name', pg_catalog.quote_literal(coalesce(p_branch, '')) using errcode = '22023';
  end if;
  update public.repositories r set default_branch = p_branch
  from public.scan_queue q
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running' and r.id = q.repository_id and r.company_id = q.company_id;
  return found;
end $$;

revoke all on function public.set_scan_default_branch(uuid, integer, text) from public, anon, authenticated, service_role;
grant execute on function public.set_scan_default_branch(uuid, integer, text) to service_role;
