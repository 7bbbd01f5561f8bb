-- The daily auto-scan (product spec: 03:00 UTC, an incremental scan at priority 7 of every active
-- repository of the companies whose settings.auto_scan_enabled is true). Enqueued in one
-- statement for all repositories (enqueue_scans), with the default dedupe key, so it merges with
-- an incremental scan already pending and becomes the follow-up of one running. Idempotent per
-- day: a repository that already has today's auto-scan job, in any state, gets no second one, so
-- the schedule firing twice (a retried cron run) enqueues once. Answers how many it enqueued.
create function public.enqueue_daily_auto_scans(p_day date default null) returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_day date := coalesce(p_day, (public.scan_queue_now() at time zone 'UTC')::date);
  v_jobs jsonb;
begin
  select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
           'company_id', r.company_id, 'repository_id', r.id, 'scan_type', 'incremental_scan', 'priority', 7,
           'payload', pg_catalog.jsonb_build_object('trigger', 'daily_auto_scan', 'day', v_day)))
    into v_jobs
  from public.repositories r
  join public.companies c on c.id = r.company_id
  where r.is_active and coalesce((c.settings ->> 'auto_scan_enabled')::boolean, false)
    and not exists (select 1 from public.scan_queue q
                    where q.repository_id = r.id and q.scan_type = 'incremental_scan'
                      and q.payload ->> 'trigger' = 'daily_auto_scan' and q.payload ->> 'day' = v_day::text)
    and not exists (select 1 from public.scan_queue q
                    where q.repository_id = r.id and q.status = 'running'
                      and q.follow_up -> 'payload' ->> 'trigger' = 'daily_auto_scan' and q.follow_up -> 'payload' ->> 'day' = v_day::text);
  if v_jobs is null then
    return 0;
  end if;
  perform 1 from public.enqueue_scans(v_jobs);
  return pg_catalog.jsonb_array_length(v_jobs);
end $$;
