-- One per-agent figure in the weekly report: weekly_report_origins' lines per agent and model
-- (a record's model, a mark's agents sharing its lines evenly), which the page, Markdown, Slack and
-- the dashboard show. weekly_report_data's agent_shares (marks' agents only, a commit of two agents
-- counted for each) was a second figure for the same thing in the content JSON; it goes.
drop function public.weekly_report_agent_shares(uuid, timestamptz, timestamptz);

create or replace function public.weekly_report_data(p_company_id uuid, p_period_end date) returns jsonb
language sql stable security definer set search_path = ''
as $$
  with period as (
    select (p_period_end - 6) as period_start, p_period_end as period_end,
           ((p_period_end - 6)::timestamp at time zone 'UTC') as start_at, ((p_period_end + 1)::timestamp at time zone 'UTC') as end_at,
           public.scan_queue_now() as generated_at
  ), company as (
    select c.id, c.name, public.company_setting_number(c.settings, 'risk_threshold', 60) as risk_threshold
    from public.companies c where c.id = p_company_id
  ), repos as (
    select r.id, r.full_name, r.last_scanned_at from public.repositories r where r.company_id = p_company_id and r.is_active
  ), commits as (
    select x.repository_id, count(*) as commits, count(*) filter (where x.verdict in ('recorded', 'attested')) as ai_commits,
           coalesce(sum(x.counted_lines), 0) as counted, coalesce(sum(x.ai_lines), 0) as ai,
           coalesce(sum(x.counted_lines) filter (where x.verdict = 'suspected'), 0) as suspected,
           coalesce(sum(x.counted_lines) filter (where x.verdict = 'assisted'), 0) as assisted
    from public.scan_results x, period p
    where x.company_id = p_company_id and x.path = '' and not x.is_merge and x.authored_at >= p.start_at and x.authored_at < p.end_at
      and x.repository_id in (select id from repos)
    group by x.repository_id
  ), prs as (
    select pr.*, pr.pr_merged_at >= p.start_at and pr.pr_merged_at < p.end_at as merged_in_period
    from public.pull_requests pr, period p
    where pr.company_id = p_company_id and pr.ai_generated and pr.repository_id in (select id from repos)
      and ((pr.pr_created_at >= p.start_at and pr.pr_created_at < p.end_at) or (pr.pr_merged_at >= p.start_at and pr.pr_merged_at < p.end_at))
  ), scores as (
    -- The latest score at generation, per repository and for the company (repository_id null):
    -- the score the report shows is the one a reader finds live when they open it.
    select distinct on (s.repository_id) s.repository_id, s.score, s.risk_zone, s.breakdown, s.calculated_at
    from public.ai_debt_scores s, period p
    where s.company_id = p_company_id and s.calculated_at <= p.generated_at
    order by s.repository_id, s.calculated_at desc, s.id
  ), period_score as (
    -- The company's score as the week ended (the trend's last point).
    select s.score, s.risk_zone, s.calculated_at
    from public.ai_debt_scores s, period p
    where s.company_id = p_company_id and s.repository_id is null and s.calculated_at < p.end_at
    order by s.calculated_at desc, s.id desc limit 1
  ), open_alerts as (
    -- Open at generation, with when each was (last) raised.
    select a.*, coalesce((select max((h ->> 'at')::timestamptz) from pg_catalog.jsonb_array_elements(a.history) h
                          where h ->> 'event' in ('opened', 'reopened')), a.created_at) as since
    from public.alerts a
    where a.company_id = p_company_id and a.status = 'open'
      and (a.repository_id is null or a.repository_id in (select id from repos))
  ), totals as (
    select coalesce(sum(c.commits), 0) as commits, coalesce(sum(c.ai_commits), 0) as ai_commits, coalesce(sum(c.counted), 0) as counted,
           coalesce(sum(c.ai), 0) as ai, coalesce(sum(c.suspected), 0) as suspected, coalesce(sum(c.assisted), 0) as assisted
    from commits c
  ), pr_totals as (
    select count(*) as ai_prs, count(*) filter (where merged_in_period) as merged,
           count(*) filter (where merged_in_period and human_reviewed) as reviewed,
           count(*) filter (where merged_in_period and unreviewed_ai_merge) as unreviewed,
           count(*) filter (where merged_in_period and unreviewed_ai_merge and additions >= 400) as large_unreviewed
    from prs
  ), pct as (
    select case when t.counted > 0 then round(100.0 * t.ai / t.counted, 1) else 0 end as ai_loc,
           case when t.counted > 0 then round(100.0 * t.suspected / t.counted, 1) else 0 end as suspected_loc,
           case when t.counted > 0 then round(100.0 * t.assisted / t.counted, 1) else 0 end as assisted_loc,
           case when pt.merged > 0 then round(100.0 * pt.reviewed / pt.merged, 1) else 100 end as reviewed
    from totals t, pr_totals pt
  )
  select pg_catalog.jsonb_build_object(
    'company', (select pg_catalog.jsonb_build_object('id', c.id, 'name', c.name, 'risk_threshold', c.risk_threshold) from company c),
    'period', (select pg_catalog.jsonb_build_object('start', p.period_start, 'end', p.period_end) from period p),
    'generated_at', (select p.generated_at from period p),
    'ai_usage_summary', (select pg_catalog.jsonb_build_object(
        'ai_loc_percentage', x.ai_loc, 'ai_prs_total', pt.ai_prs, 'reviewed_percentage', x.reviewed,
        'suspected_loc_percentage', x.suspected_loc, 'assisted_loc_percentage', x.assisted_loc,
        'total_loc', t.counted, 'ai_loc', t.ai, 'commits', t.commits, 'ai_commits', t.ai_commits,
        'merged_ai_prs', pt.merged, 'reviewed_ai_prs', pt.reviewed)
      from pct x, totals t, pr_totals pt),
    'risk_summary', (select pg_catalog.jsonb_build_object(
        'debt_score', s.score, 'risk_zone', coalesce(s.risk_zone::text, 'unknown'), 'score_calculated_at', s.calculated_at,
        'score_samples', s.breakdown -> 'samples',
        'period_score', (select ps.score from period_score ps),
        'period_risk_zone', coalesce((select ps.risk_zone::text from period_score ps), 'unknown'),
        'period_score_calculated_at', (select ps.calculated_at from period_score ps),
        -- Raised (opened or reopened) in the week, whether open now or not.
        'new_alerts', (select count(*) from public.alerts a, period p
                       where a.company_id = p_company_id and exists (
                         select 1 from pg_catalog.jsonb_array_elements(a.history) h
                         where h ->> 'event' in ('opened', 'reopened') and (h ->> 'at')::timestamptz >= p.start_at and (h ->> 'at')::timestamptz < p.end_at)),
        -- Open at generation: all of them, and the high or critical ones.
        'open_alert_count', (select count(*) from open_alerts),
        'high_severity_alerts', (select count(*) from open_alerts a where a.severity in ('high', 'critical')),
        'open_alerts', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                 'severity', a.severity, 'category', a.category, 'title', a.title, 'since', a.since,
                                 'repository', (select r.full_name from repos r where r.id = a.repository_id))
                               order by case a.severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 else 3 end, a.since), '[]')
                        from open_alerts a))
      from (select 1) one left join scores s on s.repository_id is null),
    'technical_debt_signals', (select pg_catalog.jsonb_build_object(
        'unreviewed_ai_merges', pt.unreviewed, 'large_unreviewed_ai_prs', pt.large_unreviewed,
        'ai_churn_percentage', (select round(100 * (s.breakdown ->> 'ai_churn_ratio')::numeric, 1) from scores s where s.repository_id is null),
        'repositories_at_or_above_threshold', (select count(*) from scores s join repos r on r.id = s.repository_id, company c where s.score >= c.risk_threshold),
        'suspected_loc_percentage', x.suspected_loc,
        'dead_jobs', (select count(*) from public.scan_queue q, period p
                      where q.company_id = p_company_id and q.status = 'dead' and q.completed_at >= p.start_at and q.completed_at < p.end_at))
      from pr_totals pt, pct x),
    'unreviewed_ai_prs', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
          'repository', r.full_name, 'number', pr.github_pr_id, 'title', pr.title, 'agents', pr.agents,
          'additions', pr.additions, 'merged_at', pr.pr_merged_at, 'merged_by', pr.merged_by,
          'url', 'https://github.com/' || r.full_name || '/pull/' || pr.github_pr_id)
        order by pr.pr_merged_at desc, r.full_name, pr.github_pr_id), '[]')
      from prs pr join repos r on r.id = pr.repository_id where pr.merged_in_period and pr.unreviewed_ai_merge),
    'riskiest_prs', (select public.weekly_report_riskiest_prs(p_company_id, p.start_at, p.end_at) from period p),
    'people', (select public.weekly_report_people(p_company_id, p.start_at, p.end_at) from period p),
    'repositories', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
          'full_name', r.full_name, 'score', s.score, 'risk_zone', coalesce(s.risk_zone::text, 'unknown'),
          'score_samples', s.breakdown -> 'samples',
          'ai_loc_percentage', case when c.counted > 0 then round(100.0 * c.ai / c.counted, 1) else 0 end,
          'total_loc', coalesce(c.counted, 0), 'commits', coalesce(c.commits, 0),
          'ai_prs', (select count(*) from prs pr where pr.repository_id = r.id),
          'unreviewed_ai_merges', (select count(*) from prs pr where pr.repository_id = r.id and pr.merged_in_period and pr.unreviewed_ai_merge),
          'last_scanned_at', r.last_scanned_at)
        order by s.score desc nulls last, r.full_name), '[]')
      from repos r left join scores s on s.repository_id = r.id left join commits c on c.repository_id = r.id),
    'score_trend', (select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('week_start', w.week_start, 'score', w.score) order by w.week_start)
      from (select (p.period_start - 7 * k) as week_start,
                   (select s.score from public.ai_debt_scores s
                    where s.company_id = p_company_id and s.repository_id is null
                      and s.calculated_at < ((p.period_end - 7 * k + 1)::timestamp at time zone 'UTC')
                    order by s.calculated_at desc limit 1) as score
            from period p, pg_catalog.generate_series(0, 11) k) w),
    'previous', (select g.content from public.governance_reports g, period p
                 where g.company_id = p_company_id and g.report_type = 'weekly' and g.period_start = p.period_start - 7))
  where exists (select 1 from company)
$$;
