-- Dashboards read materialized views, so a page of a thousand repositories never runs the score
-- queries: the repository risk overview and the company weekly trend. refresh_dashboard_views()
-- refreshes them CONCURRENTLY (each has a unique index for it), so readers keep reading the old
-- rows while the new ones are built and never wait; the refresh_views job does it every 15 minutes.
-- Materialized views have no row-level security: members read them through the two views below,
-- which keep a member to their company's rows; the materialized views themselves are the service's.

create materialized view public.dashboard_repository_risk as
  select r.company_id, r.id as repository_id, r.full_name, r.is_active, r.last_scanned_at,
         s.score, s.risk_zone::text as risk_zone, s.calculated_at,
         round(100 * (s.breakdown ->> 'ai_loc_ratio')::numeric, 1) as ai_loc_percentage,
         round(100 * (s.breakdown ->> 'suspected_loc_ratio')::numeric, 1) as suspected_loc_percentage,
         round(100 * (s.breakdown ->> 'review_coverage')::numeric, 1) as review_coverage_percentage,
         (s.breakdown ->> 'unreviewed_ai_merges')::integer as unreviewed_ai_merges,
         (select count(*) from public.alerts a where a.repository_id = r.id and a.status = 'open')::integer as open_alerts
  from public.repositories r
  left join lateral (
    select x.score, x.risk_zone, x.breakdown, x.calculated_at from public.ai_debt_scores x
    where x.company_id = r.company_id and x.repository_id = r.id
    order by x.calculated_at desc limit 1) s on true;
create unique index dashboard_repository_risk_key on public.dashboard_repository_risk (repository_id);
create index dashboard_repository_risk_company on public.dashboard_repository_risk (company_id, score desc nulls last);

-- Per company and ISO week (Monday, UTC) of the last 26: the lines written and the AI share
-- (team_metrics, the authors' weeks), and the company's last score of that week.
create materialized view public.dashboard_company_weekly_trend as
  select m.company_id, m.period_start as week_start,
         sum(m.commits)::integer as commits, sum(m.ai_commits)::integer as ai_commits,
         sum(m.lines_added)::bigint as lines_added, sum(m.ai_lines)::bigint as ai_lines,
         case when sum(m.lines_added) > 0 then round(100.0 * sum(m.ai_lines) / sum(m.lines_added), 1) else 0 end as ai_loc_percentage,
         count(distinct m.author_email)::integer as authors,
         (select x.score from public.ai_debt_scores x
          where x.company_id = m.company_id and x.repository_id is null
            and x.calculated_at < ((m.period_start + 7)::timestamp at time zone 'UTC')
          order by x.calculated_at desc limit 1) as score
  from public.team_metrics m
  where m.period_start >= (pg_catalog.date_trunc('week', pg_catalog.now() at time zone 'UTC')::date - 7 * 25)
  group by m.company_id, m.period_start;
create unique index dashboard_company_weekly_trend_key on public.dashboard_company_weekly_trend (company_id, week_start);

-- What a signed-in member reads: their company's rows (security barrier: no function of theirs
-- sees other rows first).
create view public.repository_risk_overview with (security_barrier) as
  select d.* from public.dashboard_repository_risk d where d.company_id = public.current_company_id();
create view public.company_weekly_trend with (security_barrier) as
  select d.* from public.dashboard_company_weekly_trend d where d.company_id = public.current_company_id();

-- Refreshes both, concurrently. Answers how long each took (ms).
create function public.refresh_dashboard_views() returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_t timestamptz := pg_catalog.clock_timestamp();
  v_risk numeric;
begin
  refresh materialized view concurrently public.dashboard_repository_risk;
  v_risk := round(extract(epoch from pg_catalog.clock_timestamp() - v_t) * 1000, 1);
  v_t := pg_catalog.clock_timestamp();
  refresh materialized view concurrently public.dashboard_company_weekly_trend;
  return pg_catalog.jsonb_build_object('repository_risk_ms', v_risk,
    'company_weekly_trend_ms', round(extract(epoch from pg_catalog.clock_timestamp() - v_t) * 1000, 1));
end $$;

-- The refresh_views job, fenced: refresh, then complete, in one transaction.
create function public.run_refresh_views(p_job_id uuid, p_attempt integer) returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
begin
  perform 1 from public.scan_queue q
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running' and q.scan_type = 'refresh_views'
  for update;
  if not found then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'refresh views');
  end if;
  return public.complete_scan_job(p_job_id, p_attempt, public.refresh_dashboard_views());
end $$;

-- Every 15 minutes: one refresh_views job, the platform's (ensure_platform_company).
create function public.enqueue_refresh_views() returns uuid
language sql volatile security definer set search_path = ''
as $$
  select (public.enqueue_scan(public.ensure_platform_company(), null, 'refresh_views', 8, null, '{"trigger": "schedule"}')).id
$$;
