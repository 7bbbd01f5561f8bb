-- The weekly report as one snapshot (issue 23): the latest score at generation beside the score as
-- the week ended, the alerts open at generation beside those raised in the week, the time of
-- generation; and its new sections — the riskiest AI PRs with their links, who wrote and who
-- merged AI work, the AI lines per agent — each in a function of its own that weekly_report_data
-- calls, so the report's figures still come from one function.

-- The sections of a weekly report that list people and pull requests, each its own function so
-- that weekly_report_data stays the one place a report's figures come from (the dashboard asks it
-- "as of now" too). AI is the floor of the evidence: recorded or attested.

-- Who wrote AI code in [p_start, p_end) and who merged it: per commit author (team_metrics' weeks
-- of the period: their lines, and the AI share of them) and per person who merged AI PRs (merged,
-- reviewed before the merge, merged without a human review). Two lists, because commits name an
-- e-mail and merges a GitHub login, and nothing links the two reliably. No teams are set in the
-- product yet, so there is no per-team table.
create function public.weekly_report_people(p_company_id uuid, p_start timestamptz, p_end timestamptz) returns jsonb
language sql stable security definer set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'authors', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                  'author', a.author, 'commits', a.commits, 'ai_commits', a.ai_commits, 'lines', a.lines, 'ai_lines', a.ai_lines,
                  'ai_loc_percentage', case when a.lines > 0 then round(100.0 * a.ai_lines / a.lines, 1) else 0 end)
                order by a.ai_lines desc, a.lines desc, a.author), '[]')
                from (select coalesce(max(m.author_name), m.author_email) as author, sum(m.commits)::integer as commits,
                             sum(m.ai_commits)::integer as ai_commits, sum(m.lines_added)::bigint as lines, sum(m.ai_lines)::bigint as ai_lines
                      from public.team_metrics m
                      where m.company_id = p_company_id and m.period_start >= (p_start at time zone 'UTC')::date
                        and m.period_start < (p_end at time zone 'UTC')::date
                      group by m.author_email) a),
    'mergers', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                  'merged_by', x.merged_by, 'merged_ai_prs', x.merged, 'reviewed_ai_prs', x.reviewed,
                  'reviewed_percentage', round(100.0 * x.reviewed / x.merged, 1), 'unreviewed_ai_merges', x.unreviewed)
                order by x.unreviewed desc, x.merged desc, x.merged_by), '[]')
                from (select coalesce(p.merged_by, 'unknown') as merged_by, count(*)::integer as merged,
                             count(*) filter (where p.human_reviewed)::integer as reviewed,
                             count(*) filter (where p.unreviewed_ai_merge)::integer as unreviewed
                      from public.pull_requests p join public.repositories r on r.id = p.repository_id and r.is_active
                      where p.company_id = p_company_id and p.ai_generated and p.pr_merged_at >= p_start and p.pr_merged_at < p_end
                      group by 1) x))
$$;

-- The riskiest AI pull requests of [p_start, p_end) (opened or merged in it), at most p_limit:
-- merged without a human review first, then open without one, then reviewed; larger first
-- within each. Each with its link on GitHub.
create function public.weekly_report_riskiest_prs(p_company_id uuid, p_start timestamptz, p_end timestamptz, p_limit integer default 10)
returns jsonb
language sql stable security definer set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_agg(x.pr order by x.rank, x.additions desc, x.repository, x.number), '[]')
  from (select pg_catalog.jsonb_build_object(
                 'repository', r.full_name, 'number', p.github_pr_id, 'title', p.title, 'agents', p.agents, 'additions', p.additions,
                 'state', case when p.pr_merged_at is not null then 'merged' else lower(p.state) end,
                 'human_reviewed', p.human_reviewed, 'unreviewed_ai_merge', p.unreviewed_ai_merge, 'large', p.additions >= 400,
                 'merged_at', p.pr_merged_at, 'merged_by', p.merged_by,
                 'url', 'https://github.com/' || r.full_name || '/pull/' || p.github_pr_id) as pr,
               case when p.unreviewed_ai_merge then 0 when not p.human_reviewed then 1 else 2 end as rank,
               p.additions, r.full_name as repository, p.github_pr_id as number
        from public.pull_requests p join public.repositories r on r.id = p.repository_id and r.is_active
        where p.company_id = p_company_id and p.ai_generated
          and ((p.pr_created_at >= p_start and p.pr_created_at < p_end) or (p.pr_merged_at >= p_start and p.pr_merged_at < p_end))
        order by 2, 3 desc, 4, 5
        limit greatest(0, p_limit)) x
$$;

-- The AI lines of [p_start, p_end) per agent, as the commits' marks name them, with their share
-- of the counted lines (a commit with two agents counts for each).
create function public.weekly_report_agent_shares(p_company_id uuid, p_start timestamptz, p_end timestamptz) returns jsonb
language sql stable security definer set search_path = ''
as $$
  with c as (
    select x.agents, x.ai_lines, x.counted_lines
    from public.scan_results x join public.repositories r on r.id = x.repository_id and r.is_active
    where x.company_id = p_company_id and x.path = '' and not x.is_merge and x.authored_at >= p_start and x.authored_at < p_end
  ), total as (select coalesce(sum(c.counted_lines), 0) as counted from c)
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
           'agent', a.agent, 'ai_lines', a.ai_lines,
           'share_percentage', case when t.counted > 0 then round(100.0 * a.ai_lines / t.counted, 1) else 0 end)
         order by a.ai_lines desc, a.agent), '[]')
  from (select u.agent, sum(c.ai_lines)::bigint as ai_lines from c, pg_catalog.unnest(c.agents) u (agent)
        where c.ai_lines > 0 group by u.agent) a, total t
$$;

-- The figures of a company's weekly report for the week ending p_period_end (a Sunday, or any
-- day: the 7 days ending then), as one snapshot taken at its generation (scan_queue_now()): what
-- was written in the week (commits by author date, AI pull requests opened or merged), the latest
-- scores at generation and the company's score as the week ended (period_score), the alerts open
-- at generation and those raised in the week, the previous report's content for the change since,
-- and a 12-week trend (the company's score as each week ended).
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
    'agent_shares', (select public.weekly_report_agent_shares(p_company_id, p.start_at, p.end_at) from period p),
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
