-- The members' dashboard (the `dashboard` edge function, _shared/http/dashboard.ts). Its company
-- figures are the weekly report's own: the function calls weekly_report_data (45_reports.sql) for
-- the 7 days ending the day asked (today by default) and builds the report's content from it with
-- the report's builder, so the page and a report of the same moment cannot disagree. These functions
-- add only what a report has no place for, each read with the report's rules (the period's commits
-- by author date, active repositories): the repositories' ids, review counts and latest scans, the
-- open alerts' histories, the recent scans, and one repository's view. A figure the report has (the
-- AI lines per agent and model, the AI-LOC band and its coverage, the open alerts, the riskiest PRs,
-- the scores) is not computed here again: the page shows the report's. The function verifies the member's session and passes the member's company
-- (member_company_id); only the service executes these.

-- The scans of the given job ids, of the company only, as the page shows them (scan-status' fields):
-- a job's queue state with its scans row, or the scans row alone once the job was pruned.
create function public.dashboard_scan_entries(p_company_id uuid, p_job_ids uuid[])
returns table (repository_id uuid, at timestamptz, entry jsonb)
language sql stable security definer set search_path = ''
as $$
  select r.id, coalesce(q.created_at, s.started_at), pg_catalog.jsonb_build_object(
           'scanId', ids.id,
           'repositoryId', r.id,
           'repository', r.full_name,
           'scanType', coalesce(q.scan_type, s.scan_type),
           'status', st.status,
           'progress', case when st.status = 'completed' then 100 else greatest(coalesce(s.progress, 0), coalesce(q.progress, 0)) end,
           'progressMessage', coalesce(q.progress_message, s.progress_message),
           'createdAt', coalesce(q.created_at, s.started_at),
           'startedAt', coalesce(s.started_at, q.started_at),
           'completedAt', coalesce(q.completed_at, s.completed_at),
           'error', case when st.status in ('failed', 'cancelled') then coalesce(q.error, s.error_message) end)
  from pg_catalog.unnest(p_job_ids) ids (id)
  left join public.scan_queue q on q.id = ids.id and q.company_id = p_company_id
  left join public.scans s on s.job_id = ids.id and s.company_id = p_company_id
  join public.repositories r on r.id = coalesce(q.repository_id, s.repository_id)
  -- The status in member_scan_status' words (queued until its scans row exists, dead is failed).
  cross join lateral (select case when q.id is null then s.status::text
                                  when q.status = 'pending' then case when s.id is not null then 'running' else 'queued' end
                                  when q.status = 'dead' then 'failed'
                                  else q.status end as status) st
$$;

-- A company's scans (full, incremental, pr_analysis), newest first: the queue's jobs with their
-- scans rows, and the scans whose jobs were pruned. p_repository_id null: every repository's.
create function public.dashboard_scans(p_company_id uuid, p_repository_id uuid, p_limit integer) returns jsonb
language sql stable security definer set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_agg(e.entry order by e.at desc), '[]')
  from (select * from public.dashboard_scan_entries(p_company_id, array(
          (select q.id from public.scan_queue q
           where q.company_id = p_company_id and q.scan_type in ('full_scan', 'incremental_scan', 'pr_analysis')
             and (p_repository_id is null or q.repository_id = p_repository_id)
           order by q.created_at desc limit p_limit)
          union
          (select s.job_id from public.scans s
           where s.company_id = p_company_id and (p_repository_id is null or s.repository_id = p_repository_id)
           order by s.started_at desc limit p_limit))) x
        order by x.at desc limit p_limit) e
$$;

-- What the dashboard shows of a company beside its report (weekly_report_data) for the 7 days
-- ending p_period_end: per active repository its id, its merged AI PRs of the period and how many
-- of them a human reviewed (the report's company review coverage, per repository: summed over the
-- repositories they are the report's merged_ai_prs and reviewed_ai_prs) and its latest scan; the
-- history of the alerts the report lists as open (its filter: open now, of the company or of an
-- active repository); and the company's last 15 scans.
create function public.dashboard_company(p_company_id uuid, p_period_end date) returns jsonb
language sql stable security definer set search_path = ''
as $$
  with period as (
    select ((p_period_end - 6)::timestamp at time zone 'UTC') as start_at, ((p_period_end + 1)::timestamp at time zone 'UTC') as end_at
  ), repos as (
    select r.id, r.full_name, r.default_branch from public.repositories r where r.company_id = p_company_id and r.is_active
  ), last_scan as (
    -- Each repository's latest scan: its newest job, or its newest scans row when that is newer
    -- (the job pruned); one index lookup each, then their entries in one call.
    select r.id as repository_id, case when ls.job_id is null or lq.created_at >= ls.started_at then lq.id else ls.job_id end as job_id
    from repos r
    left join lateral (select q.id, q.created_at from public.scan_queue q
                       where q.repository_id = r.id and q.company_id = p_company_id and q.scan_type in ('full_scan', 'incremental_scan', 'pr_analysis')
                       order by q.created_at desc limit 1) lq on true
    left join lateral (select s.job_id, s.started_at from public.scans s
                       where s.repository_id = r.id and s.company_id = p_company_id order by s.started_at desc limit 1) ls on true
  ), last_entry as (
    select e.repository_id, e.entry from public.dashboard_scan_entries(p_company_id, array(select l.job_id from last_scan l where l.job_id is not null)) e
  ), merged as (
    select pr.repository_id, count(*) as merged, count(*) filter (where pr.human_reviewed) as reviewed
    from public.pull_requests pr, period p
    where pr.company_id = p_company_id and pr.ai_generated and pr.pr_merged_at >= p.start_at and pr.pr_merged_at < p.end_at
    group by pr.repository_id
  )
  select pg_catalog.jsonb_build_object(
    'repositories', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
          'id', r.id, 'full_name', r.full_name, 'default_branch', r.default_branch,
          'merged_ai_prs', coalesce(m.merged, 0), 'reviewed_ai_prs', coalesce(m.reviewed, 0),
          'last_scan', le.entry) order by r.full_name), '[]')
      from repos r left join merged m on m.repository_id = r.id left join last_entry le on le.repository_id = r.id),
    -- The history of the alerts the report lists as open (weekly_report_data's open_alerts: open at
    -- generation, the company's or an active repository's), by category, repository and title, as
    -- the report names them.
    'alert_history', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
          'category', a.category, 'repository', r.full_name, 'title', a.title, 'created_at', a.created_at,
          'reopened', a.reopened, 'history', a.history) order by a.created_at), '[]')
      from public.alerts a left join repos r on r.id = a.repository_id
      where a.company_id = p_company_id and a.status = 'open' and (a.repository_id is null or r.id is not null)),
    'recent_scans', public.dashboard_scans(p_company_id, null, 15))
$$;

-- One repository of the company, for its view: {access: ok | not_found | forbidden, repository}.
-- Over the 12 weeks ending p_period_end (the report's trend's span): its score by week (the last
-- score calculated before each week ended, as the report's company trend), its riskiest AI pull
-- requests (the report's rule and fields, weekly_report_riskiest_prs: opened or merged in the span;
-- merged without a human review first, then open without one, then reviewed; larger first), its
-- authors (commits, AI commits — recorded or attested, as team_metrics counts them — and suspected
-- commits, counted and AI lines), and its latest
-- scans. A repository id of another company is forbidden, an unknown one not found (as the member
-- API answers).
create function public.dashboard_repository(p_company_id uuid, p_repository_id uuid, p_period_end date) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_repo public.repositories;
  v_start timestamptz := ((p_period_end - 83)::timestamp at time zone 'UTC');
  v_end timestamptz := ((p_period_end + 1)::timestamp at time zone 'UTC');
begin
  select * into v_repo from public.repositories r where r.id = p_repository_id;
  if v_repo.id is null then
    return pg_catalog.jsonb_build_object('access', 'not_found');
  end if;
  if v_repo.company_id <> p_company_id then
    return pg_catalog.jsonb_build_object('access', 'forbidden');
  end if;
  return pg_catalog.jsonb_build_object('access', 'ok', 'repository', pg_catalog.jsonb_build_object(
    'id', v_repo.id, 'full_name', v_repo.full_name, 'default_branch', v_repo.default_branch, 'is_active', v_repo.is_active,
    'last_scanned_at', v_repo.last_scanned_at, 'github_url', 'https://github.com/' || v_repo.full_name,
    'span', pg_catalog.jsonb_build_object('start', p_period_end - 83, 'end', p_period_end),
    'score_trend', (select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('week_start', w.week_start, 'score', w.score) order by w.week_start)
      from (select (p_period_end - 6 - 7 * k) as week_start,
                   (select s.score from public.ai_debt_scores s
                    where s.company_id = p_company_id and s.repository_id = p_repository_id
                      and s.calculated_at < ((p_period_end - 7 * k + 1)::timestamp at time zone 'UTC')
                    order by s.calculated_at desc limit 1) as score
            from pg_catalog.generate_series(0, 11) k) w),
    'riskiest_prs', public.weekly_report_riskiest_prs(p_company_id, v_start, v_end, 10, p_repository_id),
    -- The AI pull requests the ranking is over (opened or merged in the span).
    'ai_prs', (select count(*) from public.pull_requests pr
      where pr.repository_id = p_repository_id and pr.company_id = p_company_id and pr.ai_generated
        and ((pr.pr_created_at >= v_start and pr.pr_created_at < v_end) or (pr.pr_merged_at >= v_start and pr.pr_merged_at < v_end))),
    'authors', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
          'name', a.name, 'email', a.email, 'commits', a.commits, 'ai_commits', a.ai_commits, 'suspected_commits', a.suspected_commits,
          'counted_lines', a.counted, 'ai_lines', a.ai,
          'ai_loc_percentage', case when a.counted > 0 then round(100.0 * a.ai / a.counted, 1) else 0 end)
          order by a.counted desc, a.email), '[]')
      from (select lower(x.author_email) as email, max(x.author_name) as name, count(*) as commits,
                   count(*) filter (where x.verdict in ('recorded', 'attested')) as ai_commits, count(*) filter (where x.verdict = 'suspected') as suspected_commits,
                   coalesce(sum(x.counted_lines), 0) as counted, coalesce(sum(x.ai_lines), 0) as ai
            from public.scan_results x
            where x.repository_id = p_repository_id and x.company_id = p_company_id and x.path = '' and not x.is_merge
              and x.authored_at >= v_start and x.authored_at < v_end
            group by lower(x.author_email) order by coalesce(sum(x.counted_lines), 0) desc, lower(x.author_email) limit 25) a),
    'scans', public.dashboard_scans(p_company_id, p_repository_id, 10)));
end $$;
