-- The health check's "running past SLA" (scan_queue_stats, member_scan_queue_stats, and with them
-- pipeline_health and `codeguard queue status`) reads each job type's own SLA,
-- scan_job_types.sla_seconds, as the job_sla alert does, instead of 15 minutes for all: a full scan
-- (1 h) was reported late at 15 minutes, a pr_analysis (10 min) only after 15. p_sla still sets one
-- for all.

-- The queue at a glance: jobs by status, by type and status, the age of the oldest ready job,
-- running jobs whose lease has expired (their worker is gone; the reaper hands them on within
-- 10 s) or whose heartbeat is overdue (none for half a lease: the worker is stalled or gone),
-- running jobs past their SLA (longest first, 20 at most: p_sla for all, by default each type's
-- scan_job_types.sla_seconds, as the job_sla alert reads it; a type without one has none),
-- follow-ups queued behind running jobs, and the sources that are down. For one company, or all.
-- The pipeline's (service_role); a member reads their own company's figures through
-- member_scan_queue_stats.
create or replace function public.scan_queue_stats(p_company_id uuid default null, p_sla interval default null)
returns jsonb
language sql stable security definer set search_path = ''
as $$
  with now_ as (select public.scan_queue_now() as t),
  jobs as (select * from public.scan_queue q where p_company_id is null or q.company_id = p_company_id)
  select pg_catalog.jsonb_build_object(
    'at', (select t from now_),
    'by_status', (select coalesce(pg_catalog.jsonb_object_agg(s.status, s.n), '{}')
                  from (select status, count(*) as n from jobs group by status) s),
    'by_type', (select coalesce(pg_catalog.jsonb_object_agg(t.scan_type, t.statuses), '{}')
                from (select scan_type, pg_catalog.jsonb_object_agg(status, n) as statuses
                      from (select scan_type, status, count(*) as n from jobs group by scan_type, status) x
                      group by scan_type) t),
    'ready', (select count(*) from jobs, now_ where status = 'pending' and run_after <= now_.t),
    'scheduled', (select count(*) from jobs, now_ where status = 'pending' and run_after > now_.t),
    'oldest_ready_seconds', (select extract(epoch from max(now_.t) - min(run_after))::double precision
                             from jobs, now_ where status = 'pending' and run_after <= now_.t),
    'expired_leases', (select count(*) from jobs, now_ where status = 'running' and lease_expires_at < now_.t),
    'overdue_heartbeats', (select count(*) from jobs, now_ where status = 'running'
                             and heartbeat_at < now_.t - pg_catalog.make_interval(secs => lease_seconds / 2.0)),
    'follow_ups', (select count(*) from jobs where status = 'running' and follow_up is not null),
    'source_outages', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                 'source', o.source, 'since', o.since, 'failed_probes', o.failures,
                                 'blocked_until', o.blocked_until, 'probe_job_id', o.probe_job_id,
                                 'last_error', o.last_error) order by o.source), '[]')
                       from public.scan_source_outages o),
    'sla_seconds', extract(epoch from p_sla)::double precision,
    'running_past_sla', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                  'id', j.id, 'company_id', j.company_id, 'scan_type', j.scan_type,
                                  'worker_id', j.worker_id, 'attempt', j.attempts, 'started_at', j.started_at,
                                  'running_seconds', extract(epoch from now_.t - j.started_at)::double precision,
                                  'sla_seconds', extract(epoch from j.sla)::double precision)
                                  order by j.started_at), '[]')
                         from (select r.* from (select jobs.*, coalesce(p_sla, pg_catalog.make_interval(secs => t.sla_seconds)) as sla
                                                from jobs join public.scan_job_types t on t.name = jobs.scan_type
                                                where jobs.status = 'running') r, now_
                               where r.started_at < now_.t - r.sla
                               order by r.started_at limit 20) j, now_)
  )
$$;

-- scan_queue_stats for the signed-in member's company. Outages are shown by source and time only
-- (their probe job and error belong to the pipeline).
create or replace function public.member_scan_queue_stats(p_sla interval default null)
returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_company uuid := public.current_company_id();
  v_stats jsonb;
begin
  if v_company is null then
    raise exception 'member_scan_queue_stats: the caller is not a member of any company' using errcode = '42501';
  end if;
  v_stats := public.scan_queue_stats(v_company, p_sla);
  return v_stats || pg_catalog.jsonb_build_object('source_outages',
    (select coalesce(pg_catalog.jsonb_agg(o - 'probe_job_id' - 'last_error'), '[]')
     from pg_catalog.jsonb_array_elements(v_stats -> 'source_outages') o));
end $$;
