-- What the last completed scan of a repository saw (the GitHub source's watermark: newest PR update
-- and default-branch head), so the next incremental scan reads only what changed after it.
alter table public.repositories
  add column scan_watermark jsonb,
  add column last_scanned_at timestamptz;

-- Written by the scan that holds the job's claim, and only by it: the job must still be running
-- under the same attempt, so a late or duplicate worker cannot move the watermark.
create function public.record_repository_scan(p_job_id uuid, p_attempt integer, p_watermark jsonb)
returns boolean
language sql security definer set search_path = ''
as $$
  with w as (
    update public.repositories r
       set scan_watermark = p_watermark, last_scanned_at = now()
      from public.scan_queue q
     where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
       and r.id = q.repository_id and r.company_id = q.company_id
    returning 1
  )
  select exists (select 1 from w)
$$;
revoke execute on function public.record_repository_scan(uuid, integer, jsonb) from public, anon, authenticated;
grant execute on function public.record_repository_scan(uuid, integer, jsonb) to service_role;
