-- The AI-debt score: how much of a repository's recent code AI wrote, and how much of that shipped
-- without a human reading it. One row per calculation (the history is the trend), per repository
-- and per company (repository_id null). Written by calculate_ai_debt_score; the calculate_scores
-- job (run_calculate_scores) recomputes a company after its scans complete.

create domain public.risk_zone as text
  constraint risk_zone_known check (value in ('low', 'moderate', 'high', 'critical'));

create table public.ai_debt_scores (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references public.companies (id) on delete cascade,
  -- Null for the company's score (its repositories' scores weighted by lines of code).
  repository_id uuid references public.repositories (id) on delete cascade,
  score numeric(5, 2) not null check (score between 0 and 100),
  risk_zone public.risk_zone not null,
  -- The inputs and each component's share of the score (ai_debt_score_formula), so a reader can
  -- redo the arithmetic: ai_loc_ratio, review_coverage, unreviewed_ai_merge_ratio, ai_churn_ratio,
  -- large_unreviewed_ai_pr_ratio, the counts behind them, and the suspected share kept apart
  -- (suspected_loc_ratio, score_with_suspected).
  breakdown jsonb not null,
  -- The window of work the score covers: the company's scan window up to the calculation.
  period_start timestamptz not null,
  period_end timestamptz not null,
  -- The calculate_scores job that wrote it; null when called directly.
  job_id uuid,
  calculated_at timestamptz not null default now()
);
-- The latest score of a repository (or of the company: repository_id is null), and its history.
create index ai_debt_scores_latest on public.ai_debt_scores (company_id, repository_id, calculated_at desc);

alter table public.ai_debt_scores enable row level security;
create policy ai_debt_scores_member_read on public.ai_debt_scores for select to authenticated
  using (company_id = public.current_company_id());

comment on table public.ai_debt_scores is
  'AI-debt score history: one row per calculation, per repository and per company (repository_id null). Written by calculate_ai_debt_score.';

-- A number setting of a company (companies.settings), or p_default when absent or not a number.
create function public.company_setting_number(p_settings jsonb, p_name text, p_default numeric) returns numeric
language sql immutable
as $$
  select case when pg_catalog.jsonb_typeof(p_settings -> p_name) = 'number' then (p_settings ->> p_name)::numeric else p_default end
$$;

-- The zone of a score. The company's risk_threshold (default 60) is where "high" starts by
-- default, so a score that alerts is never called moderate.
create function public.ai_debt_risk_zone(p_score numeric) returns text
language sql immutable
as $$
  select case when p_score >= 80 then 'critical' when p_score >= 60 then 'high' when p_score >= 30 then 'moderate' else 'low' end
$$;

-- THE FORMULA, in one place. p_inputs holds the ratios (0..1) of one repository's window; the
-- answer is {score, components: {name: points}, weights}. Each weight, and why:
--   ai_loc_ratio                 0.35  attested AI lines over counted added lines: how much of the
--                                      code no human wrote. The base of AI debt, but only its base:
--                                      reviewed AI code is ordinary code.
--   unreviewed_ai_merge_ratio    0.30  merged AI PRs without a human review over merged AI PRs:
--                                      AI code that shipped with nobody reading it, the debt that
--                                      bites later. As heavy as the volume itself.
--   review_gap (1 − coverage)    0.10  AI PRs of the window, open ones included, that no human has
--                                      reviewed: debt forming. Light, because merged ones are
--                                      already counted above.
--   large_unreviewed_ai_pr_ratio 0.15  unreviewed merged AI PRs of 400+ added lines over merged
--                                      AI PRs: reviews find far fewer defects past ~400 lines
--                                      (SmartBear/Cisco's study), so a large unread AI PR is the
--                                      worst case and counts again.
--   ai_churn_ratio               0.10  AI file changes whose file was reworked (a later commit
--                                      deleting lines in it) within 21 days: AI code that did not
--                                      fit. A signal, not proof: light.
-- The weights sum to 1, so a repository that is all unreviewed AI, all in large PRs, all
-- reworked scores 100. Without AI PRs the review terms are 0 (coverage counts as 100 %, as the
-- product rules say). Scores are rounded to 2 decimals.
create function public.ai_debt_score_formula(p_inputs jsonb) returns jsonb
language sql immutable
as $$
  with w (name, weight, value) as (
    values ('ai_loc_ratio', 0.35, coalesce((p_inputs ->> 'ai_loc_ratio')::numeric, 0)),
           ('unreviewed_ai_merge_ratio', 0.30, coalesce((p_inputs ->> 'unreviewed_ai_merge_ratio')::numeric, 0)),
           ('review_gap', 0.10, 1 - coalesce((p_inputs ->> 'review_coverage')::numeric, 1)),
           ('large_unreviewed_ai_pr_ratio', 0.15, coalesce((p_inputs ->> 'large_unreviewed_ai_pr_ratio')::numeric, 0)),
           ('ai_churn_ratio', 0.10, coalesce((p_inputs ->> 'ai_churn_ratio')::numeric, 0))
  )
  select pg_catalog.jsonb_build_object(
    'score', round(least(100, greatest(0, 100 * sum(w.weight * least(1, greatest(0, w.value))))), 2),
    'components', pg_catalog.jsonb_object_agg(w.name, round(100 * w.weight * least(1, greatest(0, w.value)), 2)),
    'weights', pg_catalog.jsonb_object_agg(w.name, w.weight))
  from w
$$;

-- What one repository's window holds: the ratios of the formula and the counts behind them. The
-- window is [p_start, p_end) on commit author dates and PR merge (or creation) dates. Merges are
-- not work of their own (their lines are their PR's); lines are the AI-LOC filter's counted lines.
create function public.ai_debt_inputs(p_repository_id uuid, p_start timestamptz, p_end timestamptz) returns jsonb
language sql stable security definer set search_path = ''
as $$
  with commits as (
    select coalesce(sum(r.counted_lines), 0) as counted,
           coalesce(sum(r.ai_lines), 0) as ai,
           coalesce(sum(r.counted_lines) filter (where r.verdict = 'suspected'), 0) as suspected,
           coalesce(sum(r.counted_lines) filter (where r.verdict = 'assisted'), 0) as assisted,
           count(*) as commits
    from public.scan_results r
    where r.repository_id = p_repository_id and r.path = '' and not r.is_merge
      and r.authored_at >= p_start and r.authored_at < p_end
  ), prs as (
    select count(*) as ai_prs,
           count(*) filter (where p.human_reviewed) as reviewed,
           count(*) filter (where p.pr_merged_at is not null) as merged,
           count(*) filter (where p.unreviewed_ai_merge) as unreviewed,
           count(*) filter (where p.unreviewed_ai_merge and p.additions >= 400) as large_unreviewed
    from public.pull_requests p
    where p.repository_id = p_repository_id and p.ai_generated
      and coalesce(p.pr_merged_at, p.pr_created_at) >= p_start and coalesce(p.pr_merged_at, p.pr_created_at) < p_end
  ), changes as (
    -- Each file change in the window, and whether the next change of that file (any commit,
    -- within 21 days) deleted lines in it.
    select f.verdict, f.lines_added,
           (pg_catalog.lead(f.authored_at) over x) <= f.authored_at + interval '21 days'
             and coalesce(pg_catalog.lead(f.lines_deleted) over x, 0) > 0 as reworked
    from public.scan_results f
    where f.repository_id = p_repository_id and f.path <> '' and not f.is_merge and f.filtered_out is null
      and f.authored_at >= p_start and f.authored_at < p_end + interval '21 days'
    window x as (partition by f.path order by f.authored_at, f.commit_sha)
  ), churn as (
    select count(*) filter (where c.verdict = 'attested' and coalesce(c.lines_added, 1) > 0) as ai_changes,
           count(*) filter (where c.verdict = 'attested' and coalesce(c.lines_added, 1) > 0 and c.reworked) as reworked
    from changes c
  )
  select pg_catalog.jsonb_build_object(
    'counted_lines', c.counted, 'ai_lines', c.ai, 'suspected_lines', c.suspected, 'assisted_lines', c.assisted,
    'commits', c.commits,
    'ai_prs', p.ai_prs, 'reviewed_ai_prs', p.reviewed, 'merged_ai_prs', p.merged,
    'unreviewed_ai_merges', p.unreviewed, 'large_unreviewed_ai_prs', p.large_unreviewed,
    'ai_file_changes', ch.ai_changes, 'reworked_ai_file_changes', ch.reworked,
    'ai_loc_ratio', case when c.counted > 0 then round(c.ai::numeric / c.counted, 4) else 0 end,
    'suspected_loc_ratio', case when c.counted > 0 then round(c.suspected::numeric / c.counted, 4) else 0 end,
    'review_coverage', case when p.ai_prs > 0 then round(p.reviewed::numeric / p.ai_prs, 4) else 1 end,
    'unreviewed_ai_merge_ratio', case when p.merged > 0 then round(p.unreviewed::numeric / p.merged, 4) else 0 end,
    'large_unreviewed_ai_pr_ratio', case when p.merged > 0 then round(p.large_unreviewed::numeric / p.merged, 4) else 0 end,
    'ai_churn_ratio', case when ch.ai_changes > 0 then round(ch.reworked::numeric / ch.ai_changes, 4) else 0 end)
  from commits c, prs p, churn ch
  where p_end > p_start
$$;

-- Calculates and stores one score: a repository's (over the company's scan window up to now), or,
-- with p_repository_id null, the company's — its active repositories' latest scores weighted by
-- their counted lines of code (a plain mean when none has any), with their counts summed. Answers
-- the stored row; null for a company none of whose repositories has a score yet.
create function public.calculate_ai_debt_score(p_company_id uuid, p_repository_id uuid default null)
returns public.ai_debt_scores
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_company public.companies;
  v_now timestamptz := public.scan_queue_now();
  v_start timestamptz;
  v_inputs jsonb;
  v_formula jsonb;
  v_with_suspected jsonb;
  v_row public.ai_debt_scores;
  v_job uuid := nullif(pg_catalog.current_setting('codeguard.score_job_id', true), '')::uuid;
begin
  select c.* into v_company from public.companies c where c.id = p_company_id;
  if not found then
    raise exception 'calculate_ai_debt_score: no company %', p_company_id using errcode = '23503';
  end if;
  v_start := v_now - pg_catalog.make_interval(days => greatest(1, public.company_setting_number(v_company.settings, 'scan_window_days', 90))::integer);

  if p_repository_id is not null then
    if not exists (select 1 from public.repositories r where r.id = p_repository_id and r.company_id = p_company_id) then
      raise exception 'calculate_ai_debt_score: repository % does not belong to company %', p_repository_id, p_company_id
        using errcode = '23503';
    end if;
    v_inputs := public.ai_debt_inputs(p_repository_id, v_start, v_now);
    v_formula := public.ai_debt_score_formula(v_inputs);
    -- The score if the suspected lines were AI's too: reported beside the score, never in it.
    v_with_suspected := public.ai_debt_score_formula(v_inputs || pg_catalog.jsonb_build_object('ai_loc_ratio',
      (v_inputs ->> 'ai_loc_ratio')::numeric + (v_inputs ->> 'suspected_loc_ratio')::numeric));
    insert into public.ai_debt_scores (company_id, repository_id, score, risk_zone, breakdown, period_start, period_end, job_id, calculated_at)
    values (p_company_id, p_repository_id, (v_formula ->> 'score')::numeric, public.ai_debt_risk_zone((v_formula ->> 'score')::numeric),
            v_inputs || pg_catalog.jsonb_build_object('components', v_formula -> 'components', 'weights', v_formula -> 'weights',
                                                      'score_with_suspected', (v_with_suspected ->> 'score')::numeric),
            v_start, v_now, v_job, v_now)
    returning * into v_row;
    return v_row;
  end if;

  with latest as (
    select distinct on (s.repository_id) s.repository_id, s.score, s.breakdown
    from public.ai_debt_scores s
    join public.repositories r on r.id = s.repository_id and r.is_active
    where s.company_id = p_company_id and s.repository_id is not null
    order by s.repository_id, s.calculated_at desc, s.id
  ), totals as (
    select count(*) as repositories,
           sum((l.breakdown ->> 'counted_lines')::numeric) as loc,
           -- Weighted by lines of code; a plain mean when no repository has any.
           case when sum((l.breakdown ->> 'counted_lines')::numeric) > 0
                then sum(l.score * (l.breakdown ->> 'counted_lines')::numeric) / sum((l.breakdown ->> 'counted_lines')::numeric)
                else avg(l.score) end as score,
           case when sum((l.breakdown ->> 'counted_lines')::numeric) > 0
                then sum((l.breakdown ->> 'score_with_suspected')::numeric * (l.breakdown ->> 'counted_lines')::numeric) / sum((l.breakdown ->> 'counted_lines')::numeric)
                else avg((l.breakdown ->> 'score_with_suspected')::numeric) end as score_with_suspected,
           pg_catalog.jsonb_build_object(
             'repositories', count(*),
             'counted_lines', sum((l.breakdown ->> 'counted_lines')::bigint),
             'ai_lines', sum((l.breakdown ->> 'ai_lines')::bigint),
             'suspected_lines', sum((l.breakdown ->> 'suspected_lines')::bigint),
             'assisted_lines', sum((l.breakdown ->> 'assisted_lines')::bigint),
             'commits', sum((l.breakdown ->> 'commits')::bigint),
             'ai_prs', sum((l.breakdown ->> 'ai_prs')::bigint),
             'reviewed_ai_prs', sum((l.breakdown ->> 'reviewed_ai_prs')::bigint),
             'merged_ai_prs', sum((l.breakdown ->> 'merged_ai_prs')::bigint),
             'unreviewed_ai_merges', sum((l.breakdown ->> 'unreviewed_ai_merges')::bigint),
             'large_unreviewed_ai_prs', sum((l.breakdown ->> 'large_unreviewed_ai_prs')::bigint),
             'ai_file_changes', sum((l.breakdown ->> 'ai_file_changes')::bigint),
             'reworked_ai_file_changes', sum((l.breakdown ->> 'reworked_ai_file_changes')::bigint)) as counts
    from latest l
  )
  insert into public.ai_debt_scores (company_id, repository_id, score, risk_zone, breakdown, period_start, period_end, job_id, calculated_at)
  select p_company_id, null, round(t.score, 2), public.ai_debt_risk_zone(round(t.score, 2)),
         t.counts || pg_catalog.jsonb_build_object(
           'aggregation', 'repository scores weighted by counted lines of code',
           'ai_loc_ratio', case when (t.counts ->> 'counted_lines')::numeric > 0
                                then round((t.counts ->> 'ai_lines')::numeric / (t.counts ->> 'counted_lines')::numeric, 4) else 0 end,
           'suspected_loc_ratio', case when (t.counts ->> 'counted_lines')::numeric > 0
                                       then round((t.counts ->> 'suspected_lines')::numeric / (t.counts ->> 'counted_lines')::numeric, 4) else 0 end,
           'review_coverage', case when (t.counts ->> 'ai_prs')::numeric > 0
                                   then round((t.counts ->> 'reviewed_ai_prs')::numeric / (t.counts ->> 'ai_prs')::numeric, 4) else 1 end,
           'unreviewed_ai_merge_ratio', case when (t.counts ->> 'merged_ai_prs')::numeric > 0
                                             then round((t.counts ->> 'unreviewed_ai_merges')::numeric / (t.counts ->> 'merged_ai_prs')::numeric, 4) else 0 end,
           'large_unreviewed_ai_pr_ratio', case when (t.counts ->> 'merged_ai_prs')::numeric > 0
                                                then round((t.counts ->> 'large_unreviewed_ai_prs')::numeric / (t.counts ->> 'merged_ai_prs')::numeric, 4) else 0 end,
           'ai_churn_ratio', case when (t.counts ->> 'ai_file_changes')::numeric > 0
                                  then round((t.counts ->> 'reworked_ai_file_changes')::numeric / (t.counts ->> 'ai_file_changes')::numeric, 4) else 0 end,
           'score_with_suspected', round(t.score_with_suspected, 2)),
         v_start, v_now, v_job, v_now
  from totals t
  where t.repositories > 0
  returning * into v_row;
  return v_row;
end $$;

-- The calculate_scores job of a company, fenced like every write-back (refused: nothing written):
-- every active repository with a completed scan scored again (the window slides, so an unchanged
-- repository's score moves too), then the company; generate_alerts enqueued for what the scores
-- say; and the job completed — one transaction, so a retried job never leaves a half-scored
-- company or two alert runs.
create function public.run_calculate_scores(p_job_id uuid, p_attempt integer) returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_job public.scan_queue;
  v_repositories integer := 0;
  v_company public.ai_debt_scores;
begin
  select q.* into v_job from public.scan_queue q
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running' and q.scan_type = 'calculate_scores'
  for update;
  if not found then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'calculate scores');
  end if;
  perform pg_catalog.set_config('codeguard.score_job_id', p_job_id::text, true);
  select count(public.calculate_ai_debt_score(v_job.company_id, r.id)) into v_repositories
  from public.repositories r
  where r.company_id = v_job.company_id and r.is_active
    and exists (select 1 from public.scans s where s.repository_id = r.id and s.status = 'completed');
  v_company := public.calculate_ai_debt_score(v_job.company_id, null);
  perform pg_catalog.set_config('codeguard.score_job_id', '', true);
  perform public.enqueue_scan(v_job.company_id, null, 'generate_alerts', 4, null,
                              pg_catalog.jsonb_build_object('trigger', 'calculate_scores', 'scores_job_id', p_job_id));
  return public.complete_scan_job(p_job_id, p_attempt, pg_catalog.jsonb_build_object(
    'repositories_scored', v_repositories, 'company_score', v_company.score, 'risk_zone', v_company.risk_zone));
end $$;

-- The history thinned, daily: each recomputation writes a row per repository and one for the
-- company, so a busy company writes hundreds a day, and what is read of them is the latest score,
-- the lowest of the 7 days before it (the score-jump alert), and the last score before a day's end
-- (the weekly report's scores and 12-week trend, the dashboards' weekly trend: weeks end at UTC
-- midnight). So of each series (a repository's, or the company's: repository_id null), rows more
-- than p_keep_all older than its latest are kept only as the last of their UTC day, and the
-- series' first row stays (a report for a week before any score names the first one after it).
-- Every reader answers as before. Answers the rows deleted.
create function public.prune_ai_debt_scores(p_keep_all interval default '8 days') returns integer
language sql volatile security definer set search_path = ''
as $$
  with series as (
    select s.company_id, s.repository_id, max(s.calculated_at) as latest, min(s.calculated_at) as first
    from public.ai_debt_scores s
    group by s.company_id, s.repository_id
  ), ranked as (
    select s.id, s.calculated_at < x.latest - p_keep_all and s.calculated_at > x.first as thinned,
           pg_catalog.row_number() over (partition by s.company_id, s.repository_id, (s.calculated_at at time zone 'UTC')::date
                                         order by s.calculated_at desc, s.id desc) as nth_from_day_end
    from public.ai_debt_scores s
    join series x on x.company_id = s.company_id and x.repository_id is not distinct from s.repository_id
  ), gone as (
    delete from public.ai_debt_scores s
    using ranked r where r.id = s.id and r.thinned and r.nth_from_day_end > 1
    returning 1
  )
  select count(*)::integer from gone
$$;
