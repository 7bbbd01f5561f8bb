-- Weekly governance reports: one per company and period (a week, Monday to Sunday, UTC), as JSON
-- content (the product's fields), Markdown and a self-contained HTML page. The weekly_report job
-- (generate-report function) asks weekly_report_data for the figures, renders them and stores
-- them with save_governance_report; a re-run for the same period replaces the report.

create table public.governance_reports (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references public.companies (id) on delete cascade,
  report_type text not null default 'weekly' check (report_type in ('weekly')),
  period_start date not null,
  period_end date not null,
  -- ai_usage_summary, risk_summary, technical_debt_signals, recommendations (the product's fields),
  -- change_since_previous, unreviewed_ai_prs, repositories, score_trend.
  content jsonb not null,
  markdown text not null,
  html text not null,
  status text not null default 'generated' check (status in ('generated')),
  -- The weekly_report job that wrote it last; null when written from the CLI.
  job_id uuid,
  generated_at timestamptz not null default now(),
  unique (company_id, report_type, period_start)
);

alter table public.governance_reports enable row level security;
create policy governance_reports_member_read on public.governance_reports for select to authenticated
  using (company_id = public.current_company_id());

comment on table public.governance_reports is
  'One weekly governance report per company and period: content (JSON), markdown and a self-contained html page. Written by save_governance_report.';

-- The week a report dated p_day covers: the last full Monday–Sunday week before it (a report made
-- on Monday 2026-11-30 covers 2026-11-23 – 2026-11-29).
create function public.report_week_before(p_day date) returns table (period_start date, period_end date)
language sql immutable
as $$
  select (pg_catalog.date_trunc('week', p_day::timestamp)::date - 7), (pg_catalog.date_trunc('week', p_day::timestamp)::date - 1)
$$;

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
-- within each. Each with its link on GitHub. p_repository_id: one repository's only (the members'
-- dashboard's repository view ranks its PRs by this same rule); null: the company's.
create function public.weekly_report_riskiest_prs(p_company_id uuid, p_start timestamptz, p_end timestamptz, p_limit integer default 10,
                                                  p_repository_id uuid default null)
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
        where p.company_id = p_company_id and p.ai_generated and (p_repository_id is null or p.repository_id = p_repository_id)
          and ((p.pr_created_at >= p_start and p.pr_created_at < p_end) or (p.pr_merged_at >= p_start and p.pr_merged_at < p_end))
        order by 2, 3 desc, 4, 5
        limit greatest(0, p_limit)) x
$$;

-- The figures of a company's weekly report for the week ending p_period_end (a Sunday, or any
-- day: the 7 days ending then), as one snapshot taken at its generation (scan_queue_now()): what
-- was written in the week (commits by author date, AI pull requests opened or merged), the latest
-- scores at generation and the company's score as the week ended (period_score), the alerts open
-- at generation and those raised in the week, the previous report's content for the change since,
-- and a 12-week trend (the company's score as each week ended).
create function public.weekly_report_data(p_company_id uuid, p_period_end date) returns jsonb
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

-- Where the week's AI-written lines come from and how much of their origin is known (issue 22),
-- over the same commits weekly_report_data counts (the week's non-merge commit rows of the
-- company's active repositories, by author date): the AI-LOC band — floor = lines a git-ai record
-- states AI wrote plus lines of commits an agent's mark attests (sum(ai_lines) of 'recorded' and
-- 'attested' rows: a row's ai_lines is its record's AI lines where it has one), ceiling = floor +
-- the suspected commits' lines —; the coverage (recorded: a record's AI and human lines; attested:
-- marked commits without a record; suspected; unknown: the rest, a record's untracked lines
-- included), the floor's lines per agent and model (a record names the model; a mark's lines
-- are split evenly between its agents, with no model), and per repository its band, its recorded
-- share and the share of its lines whose origin a record or a mark states (known).
create function public.weekly_report_origins(p_company_id uuid, p_period_end date) returns jsonb
language sql stable security definer set search_path = ''
as $$
  with period as (
    select ((p_period_end - 6)::timestamp at time zone 'UTC') as start_at, ((p_period_end + 1)::timestamp at time zone 'UTC') as end_at
  ), rows as (
    select x.* from public.scan_results x, period p
    where x.company_id = p_company_id and x.path = '' and not x.is_merge and x.authored_at >= p.start_at and x.authored_at < p.end_at
      and x.repository_id in (select r.id from public.repositories r where r.company_id = p_company_id and r.is_active)
  ), totals as (
    select coalesce(sum(counted_lines), 0) as counted,
           coalesce(sum(ai_lines) filter (where verdict in ('recorded', 'attested')), 0) as floor,
           coalesce(sum(recorded_ai_lines) filter (where recorded is not null), 0) as recorded_ai,
           coalesce(sum(ai_lines) filter (where verdict = 'attested' and recorded is null), 0) as attested_ai,
           coalesce(sum(counted_lines) filter (where verdict = 'suspected' and recorded is null), 0) as suspected,
           coalesce(sum(least(counted_lines, coalesce(recorded_ai_lines, 0) + coalesce(recorded_human_lines, 0))) filter (where recorded is not null), 0) as known_recorded,
           coalesce(sum(counted_lines) filter (where verdict = 'attested' and recorded is null), 0) as known_attested,
           count(*) filter (where recorded is not null) as noted_commits,
           count(*) filter (where verdict = 'recorded') as recorded_commits
    from rows
  ), agents as (
    select a ->> 'agent' as agent, a ->> 'model' as model, sum((a ->> 'lines')::numeric) as lines
    from rows x, pg_catalog.jsonb_array_elements(coalesce(x.recorded -> 'by_agent', '[]')) a
    where x.recorded is not null
    group by 1, 2
    union all
    select g.agent, null, sum(x.ai_lines::numeric / pg_catalog.cardinality(x.agents))
    from rows x, pg_catalog.unnest(x.agents) g (agent)
    where x.verdict = 'attested' and x.recorded is null and pg_catalog.cardinality(x.agents) > 0
    group by 1
  ), agent_lines as (
    select a.agent, a.model, sum(a.lines) as lines from agents a group by a.agent, a.model
  ), per_repository as (
    select x.repository_id, coalesce(sum(x.counted_lines), 0) as counted,
           coalesce(sum(x.ai_lines) filter (where x.verdict in ('recorded', 'attested')), 0) as floor,
           coalesce(sum(x.recorded_ai_lines) filter (where x.recorded is not null), 0) as recorded_ai,
           coalesce(sum(x.counted_lines) filter (where x.verdict = 'suspected' and x.recorded is null), 0) as suspected,
           coalesce(sum(least(x.counted_lines, coalesce(x.recorded_ai_lines, 0) + coalesce(x.recorded_human_lines, 0))) filter (where x.recorded is not null), 0)
             + coalesce(sum(x.counted_lines) filter (where x.verdict = 'attested' and x.recorded is null), 0) as known
    from rows x group by x.repository_id
  ), pct as (
    select t.*, case when t.counted > 0 then 100.0 / t.counted else 0 end as k from totals t
  )
  select pg_catalog.jsonb_build_object(
    'total_loc', p.counted,
    'floor_loc', p.floor,
    'floor_percentage', round(p.floor * p.k, 1),
    'ceiling_percentage', round((p.floor + p.suspected) * p.k, 1),
    'recorded_percentage', round(p.recorded_ai * p.k, 1),
    'attested_percentage', round(p.attested_ai * p.k, 1),
    'noted_commits', p.noted_commits,
    'recorded_commits', p.recorded_commits,
    'coverage', pg_catalog.jsonb_build_object(
      'recorded_pct', round(p.known_recorded * p.k, 1),
      'attested_pct', round(p.known_attested * p.k, 1),
      'suspected_pct', round(p.suspected * p.k, 1),
      'unknown_pct', case when p.counted > 0 then round(100 - (p.known_recorded + p.known_attested + p.suspected) * p.k, 1) else 0 end),
    'by_agent', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'agent', a.agent, 'model', a.model, 'lines', round(a.lines), 'share_pct', round(a.lines * p.k, 1))
                   order by a.lines desc, a.agent, a.model nulls last), '[]')
                 from agent_lines a),
    'repositories', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                       'full_name', r.full_name,
                       'total_loc', x.counted,
                       'floor_percentage', case when x.counted > 0 then round(100.0 * x.floor / x.counted, 1) else 0 end,
                       'ceiling_percentage', case when x.counted > 0 then round(100.0 * (x.floor + x.suspected) / x.counted, 1) else 0 end,
                       'recorded_percentage', case when x.counted > 0 then round(100.0 * x.recorded_ai / x.counted, 1) else 0 end,
                       'known_percentage', case when x.counted > 0 then round(100.0 * x.known / x.counted, 1) else 0 end)
                       order by x.counted desc, r.full_name), '[]')
                     from per_repository x join public.repositories r on r.id = x.repository_id))
  from pct p
$$;

-- Stores a company's report for a period, replacing the one already there (a re-run never
-- duplicates). Answers its id.
create function public.save_governance_report(p_company_id uuid, p_period_start date, p_period_end date, p_content jsonb,
  p_markdown text, p_html text, p_job_id uuid default null) returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_id uuid;
begin
  if p_period_end < p_period_start then
    raise exception 'save_governance_report: the period ends (%) before it starts (%)', p_period_end, p_period_start using errcode = '22023';
  end if;
  insert into public.governance_reports as g (company_id, report_type, period_start, period_end, content, markdown, html, job_id, generated_at)
  values (p_company_id, 'weekly', p_period_start, p_period_end, p_content, p_markdown, p_html, p_job_id, public.scan_queue_now())
  on conflict (company_id, report_type, period_start) do update
    set period_end = excluded.period_end, content = excluded.content, markdown = excluded.markdown, html = excluded.html,
        job_id = excluded.job_id, generated_at = excluded.generated_at, status = 'generated'
  returning g.id into v_id;
  return v_id;
end $$;

-- A company's stored report for the week starting p_period_start: {id, content, markdown, html,
-- generated_at}, or null.
create function public.governance_report(p_company_id uuid, p_period_start date) returns jsonb
language sql stable security definer set search_path = ''
as $$
  select pg_catalog.jsonb_build_object('id', g.id, 'period_start', g.period_start, 'period_end', g.period_end,
                                       'content', g.content, 'markdown', g.markdown, 'html', g.html, 'generated_at', g.generated_at)
  from public.governance_reports g
  where g.company_id = p_company_id and g.report_type = 'weekly' and g.period_start = p_period_start
$$;

-- The Monday schedules' jobs (weekly_report at 02:00 UTC, send_slack_digest at 09:00): one job of
-- p_scan_type per company — not the platform's; for the digest, only companies with a Slack
-- webhook URL — about the week before p_day, payload {period_start, period_end}, keyed by the week
-- so that a schedule firing twice enqueues once. In pages of 500 companies, each page one
-- enqueue_scans statement. Answers how many it enqueued.
create function public.enqueue_weekly_company_jobs(p_scan_type text, p_day date default null) returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_week record;
  v_after uuid := '00000000-0000-0000-0000-000000000000';
  v_jobs jsonb;
  v_total integer := 0;
begin
  if p_scan_type not in ('weekly_report', 'send_slack_digest') then
    raise exception 'enqueue_weekly_company_jobs: % is not a weekly job (weekly_report, send_slack_digest)', p_scan_type using errcode = '22023';
  end if;
  select * into v_week from public.report_week_before(coalesce(p_day, (public.scan_queue_now() at time zone 'UTC')::date));
  loop
    select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
             'company_id', c.id, 'scan_type', p_scan_type, 'priority', 8,
             'payload', pg_catalog.jsonb_build_object('period_start', v_week.period_start, 'period_end', v_week.period_end),
             'dedupe_key', p_scan_type || ':' || v_week.period_start) order by c.id),
           max(c.id::text)::uuid
      into v_jobs, v_after
    from (select c.id from public.companies c
          where c.id > v_after and c.id <> public.platform_company_id()
            and (p_scan_type <> 'send_slack_digest'
                 or exists (select 1 from vault.secrets s where s.name = 'slack_webhook_url:' || c.id::text))
          order by c.id limit 500) c;
    exit when v_jobs is null;
    perform 1 from public.enqueue_scans(v_jobs);
    v_total := v_total + pg_catalog.jsonb_array_length(v_jobs);
  end loop;
  return v_total;
end $$;

-- Monday 02:00 UTC: every company's report of last week.
create function public.enqueue_weekly_reports(p_day date default null) returns integer
language sql volatile security definer set search_path = ''
as $$ select public.enqueue_weekly_company_jobs('weekly_report', p_day) $$;
