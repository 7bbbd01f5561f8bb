-- What a repository scan reads and leaves behind: its repository (with the last scan's watermark
-- and the company's lookback), and the watermark it records for the next incremental scan.

-- The repository of a scan job, for the job's claimant: no row when the claim is no longer ours
-- (fenced like a write-back), a row with null full_name when the company does not track the
-- repository (deleted, or a row written around enqueue_scan's check).
create function public.repository_scan_target(p_job_id uuid, p_attempt integer)
returns table (repository_id uuid, full_name text, default_branch text, is_active boolean, scan_watermark jsonb,
               lookback_days integer)
language sql stable security definer set search_path = ''
as $$
  select q.repository_id, r.full_name, r.default_branch, r.is_active, r.scan_watermark,
         case when pg_catalog.jsonb_typeof(c.settings -> 'lookback_days') = 'number'
              then greatest(1, floor((c.settings ->> 'lookback_days')::numeric))::integer end
  from public.scan_queue q
  join public.companies c on c.id = q.company_id
  left join public.repositories r on r.id = q.repository_id and r.company_id = q.company_id
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
$$;

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
