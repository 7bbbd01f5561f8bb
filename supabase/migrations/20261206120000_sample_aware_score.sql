-- A sample-aware AI-debt score (issue 23). Rates over small samples are read through a skeptical
-- prior (hits / (sample + m)), so one PR moves a repository's score by a few points at most; the
-- company's score is the formula over its repositories' pooled counts (each weighs by its volume
-- in each component); each component's sample is in the breakdown ("1 merged AI PR"). A new
-- company's first scans backfill its weekly trend (backfill_ai_debt_trend), marked backfilled so
-- the score-jump alert skips those points. Every stored score is recomputed at the end of this
-- migration from the counts its breakdown holds: the history keeps its shape under the new formula
-- and no score "jumps" at the upgrade.

alter table public.ai_debt_scores add column backfilled boolean not null default false;

-- THE FORMULA, in one place. p_inputs holds one window's counts (ai_debt_inputs, or a company's
-- pooled counts); the answer is {score, components: {name: points}, rates, samples, weights,
-- prior_strengths}. Each component is a rate, and each rate is read through a skeptical prior:
--
--     rate = hits / (sample + m)          (a Beta(0, m) prior: m pseudo-observations of "no debt")
--
-- so a rate over a handful of PRs counts for little and one over hundreds counts nearly in full
-- (1 unreviewed merge of 1 is 1/11 = 0.09, not 1; 100 of 100 is 0.91). Why toward 0 and not
-- toward a population rate: the score claims debt, and a claim needs evidence — a repository with
-- no AI PR has no unreviewed AI merges, and a company-wide prior would give it some. Why this
-- shape: adding one PR moves each PR rate by at most 1/(m + 1), whatever the repository, so one
-- PR moves the score by at most 100·(0.30 + 0.10 + 0.15)/11 = 5 points through its review terms
-- (plus its lines' share of the repository's lines); and the score is monotone: one more AI
-- line, unreviewed AI merge, large unreviewed AI PR or reworked AI file change never lowers it
-- (hits/(n + m) grows when hit and sample grow together, since hits ≤ n; no term's sample grows
-- without its hits but the review terms' by reviewed PRs). Each weight, and why:
--   ai_loc_ratio                 0.35  m = 1000 lines. Recorded + attested AI lines (the floor) over
--                                      counted added lines: how much of the code no human wrote.
--                                      The base of AI debt, but only its base: reviewed AI code is
--                                      ordinary code. 1000 lines ≈ a fortnight of one developer.
--   unreviewed_ai_merge_ratio    0.30  m = 10 PRs. Merged AI PRs without a human review over merged
--                                      AI PRs: AI code that shipped with nobody reading it, the
--                                      debt that bites later. As heavy as the volume itself.
--   review_gap                   0.10  m = 10 PRs. AI PRs of the window, open ones included, that
--                                      no human has reviewed: debt forming. Light, because merged
--                                      ones are already counted above.
--   large_unreviewed_ai_prs      0.15  m = 10 PRs. Unreviewed merged AI PRs of 400+ added lines, as a
--                                      count: k / (k + 10), half at 10 such PRs in the window.
--                                      Reviews find far fewer defects past ~400 lines
--                                      (SmartBear/Cisco's study), so a large unread AI PR is the
--                                      worst case and counts again — on its own, however many
--                                      reviewed PRs surround it. Not a rate over merged AI PRs:
--                                      that rate falls when a small unreviewed AI merge is added,
--                                      and could pull the score down with more unreviewed work
--                                      (the property test found it: 81.03 → 81.02).
--   ai_churn_ratio               0.10  m = 20 file changes. AI file changes whose file was reworked
--                                      (a later commit deleting lines in it) within 21 days: AI
--                                      code that did not fit. A signal, not proof: light.
-- The weights sum to 1, so the score tends to 100 for a large repository that is all unreviewed
-- AI, all in large PRs, all reworked. Scores are rounded to 2 decimals.
create or replace function public.ai_debt_score_formula(p_inputs jsonb) returns jsonb
language sql immutable
as $$
  with n as (
    select greatest(0, coalesce((p_inputs ->> 'counted_lines')::numeric, 0)) as counted,
           greatest(0, coalesce((p_inputs ->> 'ai_lines')::numeric, 0)) as ai,
           greatest(0, coalesce((p_inputs ->> 'ai_prs')::numeric, 0)) as ai_prs,
           greatest(0, coalesce((p_inputs ->> 'reviewed_ai_prs')::numeric, 0)) as reviewed,
           greatest(0, coalesce((p_inputs ->> 'merged_ai_prs')::numeric, 0)) as merged,
           greatest(0, coalesce((p_inputs ->> 'unreviewed_ai_merges')::numeric, 0)) as unreviewed,
           greatest(0, coalesce((p_inputs ->> 'large_unreviewed_ai_prs')::numeric, 0)) as large,
           greatest(0, coalesce((p_inputs ->> 'ai_file_changes')::numeric, 0)) as changes,
           greatest(0, coalesce((p_inputs ->> 'reworked_ai_file_changes')::numeric, 0)) as reworked
  ), w (name, weight, hits, sample, prior, one, many) as (
    select v.* from n, lateral (values
      ('ai_loc_ratio', 0.35, least(n.ai, n.counted), n.counted, 1000, 'counted line', 'counted lines'),
      ('unreviewed_ai_merge_ratio', 0.30, least(n.unreviewed, n.merged), n.merged, 10, 'merged AI PR', 'merged AI PRs'),
      ('review_gap', 0.10, greatest(0, n.ai_prs - least(n.reviewed, n.ai_prs)), n.ai_prs, 10, 'AI PR', 'AI PRs'),
      ('large_unreviewed_ai_prs', 0.15, least(n.large, n.unreviewed, n.merged), least(n.large, n.unreviewed, n.merged), 10,
       'large unreviewed AI PR', 'large unreviewed AI PRs'),
      ('ai_churn_ratio', 0.10, least(n.reworked, n.changes), n.changes, 20, 'AI file change', 'AI file changes')) v
  ), r as (
    select w.*, w.hits / (w.sample + w.prior) as rate from w
  )
  select pg_catalog.jsonb_build_object(
    'score', round(100 * sum(r.weight * r.rate), 2),
    'components', pg_catalog.jsonb_object_agg(r.name, round(100 * r.weight * r.rate, 2)),
    'rates', pg_catalog.jsonb_object_agg(r.name, round(r.rate, 4)),
    'samples', pg_catalog.jsonb_object_agg(r.name, r.sample::bigint || ' ' || case when r.sample = 1 then r.one else r.many end),
    'weights', pg_catalog.jsonb_object_agg(r.name, r.weight),
    'prior_strengths', pg_catalog.jsonb_object_agg(r.name, r.prior))
  from r
$$;

-- The plain ratios of a window's counts, as read (not shrunk): what the dashboards, alerts and
-- reports show beside the score. Coverage is 100 % without AI PRs (the product's rule).
create function public.ai_debt_ratios(p_counts jsonb) returns jsonb
language sql immutable
as $$
  select pg_catalog.jsonb_build_object(
    'ai_loc_ratio', case when c.counted > 0 then round(c.ai / c.counted, 4) else 0 end,
    'suspected_loc_ratio', case when c.counted > 0 then round(c.suspected / c.counted, 4) else 0 end,
    'review_coverage', case when c.ai_prs > 0 then round(c.reviewed / c.ai_prs, 4) else 1 end,
    'unreviewed_ai_merge_ratio', case when c.merged > 0 then round(c.unreviewed / c.merged, 4) else 0 end,
    'large_unreviewed_ai_pr_ratio', case when c.merged > 0 then round(c.large / c.merged, 4) else 0 end,
    'ai_churn_ratio', case when c.changes > 0 then round(c.reworked / c.changes, 4) else 0 end)
  from (select coalesce((p_counts ->> 'counted_lines')::numeric, 0) as counted, coalesce((p_counts ->> 'ai_lines')::numeric, 0) as ai,
               coalesce((p_counts ->> 'suspected_lines')::numeric, 0) as suspected, coalesce((p_counts ->> 'ai_prs')::numeric, 0) as ai_prs,
               coalesce((p_counts ->> 'reviewed_ai_prs')::numeric, 0) as reviewed, coalesce((p_counts ->> 'merged_ai_prs')::numeric, 0) as merged,
               coalesce((p_counts ->> 'unreviewed_ai_merges')::numeric, 0) as unreviewed,
               coalesce((p_counts ->> 'large_unreviewed_ai_prs')::numeric, 0) as large,
               coalesce((p_counts ->> 'ai_file_changes')::numeric, 0) as changes,
               coalesce((p_counts ->> 'reworked_ai_file_changes')::numeric, 0) as reworked) c
$$;

-- What one repository's window holds: the counts the formula reads, and their plain ratios. The
-- window is [p_start, p_end) on commit author dates and PR merge (or creation) dates. Merges are
-- not work of their own (their lines are their PR's); lines are the AI-LOC filter's counted lines.
-- AI is the floor of the evidence: recorded or attested ('recorded' comes with line-level notes).
create or replace function public.ai_debt_inputs(p_repository_id uuid, p_start timestamptz, p_end timestamptz) returns jsonb
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
    select count(*) filter (where c.verdict in ('recorded', 'attested') and coalesce(c.lines_added, 1) > 0) as ai_changes,
           count(*) filter (where c.verdict in ('recorded', 'attested') and coalesce(c.lines_added, 1) > 0 and c.reworked) as reworked
    from changes c
  ), counts as (
    select pg_catalog.jsonb_build_object(
      'counted_lines', c.counted, 'ai_lines', c.ai, 'suspected_lines', c.suspected, 'assisted_lines', c.assisted,
      'commits', c.commits,
      'ai_prs', p.ai_prs, 'reviewed_ai_prs', p.reviewed, 'merged_ai_prs', p.merged,
      'unreviewed_ai_merges', p.unreviewed, 'large_unreviewed_ai_prs', p.large_unreviewed,
      'ai_file_changes', ch.ai_changes, 'reworked_ai_file_changes', ch.reworked) as j
    from commits c, prs p, churn ch
    where p_end > p_start
  )
  select x.j || public.ai_debt_ratios(x.j) from counts x
$$;

-- A company's inputs as of p_as_of: the counts of its active repositories' latest scores at that
-- time, summed (pooled), with their plain ratios; null when none had a score yet. The company's
-- score is the formula over these pooled counts, so each repository weighs by its exposure in
-- each component — its lines in the AI share, its merged AI PRs in the review rates, its AI file
-- changes in the churn — and the company's score stays monotone in every repository's counts (a
-- weighted mean of scores would not: more AI lines in a low-scoring repository would add weight
-- to its low score and could lower the mean).
create function public.ai_debt_company_inputs(p_company_id uuid, p_as_of timestamptz) returns jsonb
language sql stable security definer set search_path = ''
as $$
  with latest as (
    select distinct on (s.repository_id) s.repository_id, s.breakdown
    from public.ai_debt_scores s
    join public.repositories r on r.id = s.repository_id and r.is_active
    where s.company_id = p_company_id and s.repository_id is not null and s.calculated_at <= p_as_of
    order by s.repository_id, s.calculated_at desc, s.id
  ), counts as (
    select pg_catalog.jsonb_build_object(
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
             'reworked_ai_file_changes', sum((l.breakdown ->> 'reworked_ai_file_changes')::bigint),
             'aggregation', 'the formula over the repositories'' pooled counts (each weighs by its volume in each component)') as j,
           count(*) as repositories
    from latest l
  )
  select c.j || public.ai_debt_ratios(c.j) from counts c where c.repositories > 0
$$;

-- Scores one window's inputs and stores the row: the formula, the score with the suspected lines
-- counted as AI's too (reported beside the score, never in it), the zone. p_backfilled marks a
-- point of the trend recomputed after the fact (backfill_ai_debt_trend).
create function public.store_ai_debt_score(p_company_id uuid, p_repository_id uuid, p_inputs jsonb, p_start timestamptz,
  p_end timestamptz, p_calculated_at timestamptz, p_backfilled boolean) returns public.ai_debt_scores
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_formula jsonb := public.ai_debt_score_formula(p_inputs);
  v_with_suspected jsonb := public.ai_debt_score_formula(p_inputs || pg_catalog.jsonb_build_object('ai_lines',
    coalesce((p_inputs ->> 'ai_lines')::numeric, 0) + coalesce((p_inputs ->> 'suspected_lines')::numeric, 0)));
  v_row public.ai_debt_scores;
begin
  insert into public.ai_debt_scores (company_id, repository_id, score, risk_zone, breakdown, period_start, period_end, job_id,
                                     calculated_at, backfilled)
  values (p_company_id, p_repository_id, (v_formula ->> 'score')::numeric, public.ai_debt_risk_zone((v_formula ->> 'score')::numeric),
          p_inputs || (v_formula - 'score') || pg_catalog.jsonb_build_object('score_with_suspected', (v_with_suspected ->> 'score')::numeric),
          p_start, p_end, nullif(pg_catalog.current_setting('codeguard.score_job_id', true), '')::uuid, p_calculated_at, p_backfilled)
  returning * into v_row;
  return v_row;
end $$;

-- Calculates and stores one score: a repository's (over the company's scan window up to now), or,
-- with p_repository_id null, the company's — the formula over its active repositories' latest
-- counts, pooled (ai_debt_company_inputs). Answers the stored row; null for a company none of
-- whose repositories has a score yet.
create or replace function public.calculate_ai_debt_score(p_company_id uuid, p_repository_id uuid default null)
returns public.ai_debt_scores
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_company public.companies;
  v_now timestamptz := public.scan_queue_now();
  v_start timestamptz;
  v_inputs jsonb;
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
  else
    v_inputs := public.ai_debt_company_inputs(p_company_id, v_now);
    if v_inputs is null then
      return null;
    end if;
  end if;
  return public.store_ai_debt_score(p_company_id, p_repository_id, v_inputs, v_start, v_now, v_now, false);
end $$;

-- The weekly trend from the first scan: for each active repository, the ends of the weeks (Monday
-- 00:00 UTC) of the last p_weeks that came before its first calculated score and after its oldest
-- stored commit get the score the repository had then — its window of the company's scan window
-- ending at that week's end, from the stored rows — and the company gets its score at each of
-- those week ends from them. So a new company's 12-week chart and week-on-week change are there
-- after its first full scans. A point is stored as of the week's last instant (Sunday
-- 23:59:59.999999 UTC: what every reader of "the last score before a week's end" reads) and marked
-- backfilled, which the score-jump alert skips. Weeks that already have a point are left alone, so
-- a rerun adds nothing; the company's backfilled points are recomputed when a repository gained
-- some (a repository added later reaches back too). Answers the points stored.
create function public.backfill_ai_debt_trend(p_company_id uuid, p_weeks integer default 52) returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_window interval;
  v_points integer := 0;
  v_first_company timestamptz;
  -- The earliest week end the backfill may reach.
  v_first_week timestamptz := pg_catalog.date_trunc('week', public.scan_queue_now() at time zone 'UTC') at time zone 'UTC'
                              - pg_catalog.make_interval(weeks => greatest(0, p_weeks - 1));
  v_row record;
begin
  select pg_catalog.make_interval(days => greatest(1, public.company_setting_number(c.settings, 'scan_window_days', 90))::integer)
    into v_window from public.companies c where c.id = p_company_id;
  if not found then
    raise exception 'backfill_ai_debt_trend: no company %', p_company_id using errcode = '23503';
  end if;
  for v_row in
    -- Every calculate_scores job calls this, so what has nothing to backfill is cheap: a repository
    -- whose first score is older than the earliest week end reachable is left at the index's
    -- first row (ai_debt_scores_latest), and its commits are not read.
    with repos as (
      select r.id,
             (select min(s.calculated_at) from public.ai_debt_scores s
              where s.company_id = p_company_id and s.repository_id = r.id and not s.backfilled) as first_score
      from public.repositories r
      where r.company_id = p_company_id and r.is_active
    ), due as (
      select r.id, r.first_score,
             (select min(x.authored_at) from public.scan_results x where x.repository_id = r.id and x.path = '' and not x.is_merge) as oldest
      from repos r
      where r.first_score > v_first_week
    )
    select r.id as repository_id, w.week_end
    from due r,
         lateral pg_catalog.generate_series(v_first_week, pg_catalog.date_trunc('week', v_now at time zone 'UTC') at time zone 'UTC',
                                            interval '7 days') w (week_end)
    where r.oldest is not null
      and w.week_end < r.first_score and w.week_end > r.oldest
      and not exists (select 1 from public.ai_debt_scores s
                      where s.company_id = p_company_id and s.repository_id = r.id
                        and s.calculated_at = w.week_end - interval '1 microsecond')
    order by r.id, w.week_end
  loop
    perform public.store_ai_debt_score(p_company_id, v_row.repository_id,
      public.ai_debt_inputs(v_row.repository_id, v_row.week_end - v_window, v_row.week_end),
      v_row.week_end - v_window, v_row.week_end, v_row.week_end - interval '1 microsecond', true);
    v_points := v_points + 1;
  end loop;
  if v_points = 0 then
    return 0;
  end if;

  -- The company at each week end a repository has a backfilled point at, before its first score.
  select min(s.calculated_at) into v_first_company
  from public.ai_debt_scores s where s.company_id = p_company_id and s.repository_id is null and not s.backfilled;
  delete from public.ai_debt_scores s where s.company_id = p_company_id and s.repository_id is null and s.backfilled;
  for v_row in
    select distinct s.calculated_at as at, s.period_end as week_end
    from public.ai_debt_scores s
    where s.company_id = p_company_id and s.repository_id is not null and s.backfilled
      and (v_first_company is null or s.calculated_at < v_first_company)
    order by 1
  loop
    perform public.store_ai_debt_score(p_company_id, null, public.ai_debt_company_inputs(p_company_id, v_row.at),
      v_row.week_end - v_window, v_row.week_end, v_row.at, true);
    v_points := v_points + 1;
  end loop;
  return v_points;
end $$;

-- The calculate_scores job of a company, fenced like every write-back (refused: nothing written):
-- every active repository with a completed scan scored again (the window slides, so an unchanged
-- repository's score moves too), then the company; the weekly trend backfilled where it has no
-- points yet (a new company's first scans: backfill_ai_debt_trend); generate_alerts enqueued for
-- what the scores say; and the job completed — one transaction, so a retried job never leaves a
-- half-scored company or two alert runs.
create or replace function public.run_calculate_scores(p_job_id uuid, p_attempt integer) returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_job public.scan_queue;
  v_repositories integer := 0;
  v_company public.ai_debt_scores;
  v_backfilled integer;
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
  v_backfilled := public.backfill_ai_debt_trend(v_job.company_id);
  perform pg_catalog.set_config('codeguard.score_job_id', '', true);
  perform public.enqueue_scan(v_job.company_id, null, 'generate_alerts', 4, null,
                              pg_catalog.jsonb_build_object('trigger', 'calculate_scores', 'scores_job_id', p_job_id));
  return public.complete_scan_job(p_job_id, p_attempt, pg_catalog.jsonb_build_object(
    'repositories_scored', v_repositories, 'company_score', v_company.score, 'risk_zone', v_company.risk_zone,
    'trend_points_backfilled', v_backfilled));
end $$;

-- Every condition that holds for a company now, as rows of alerts to raise. Thresholds come from
-- the company's settings: risk_threshold (60), alert_ai_loc_percentage (50),
-- alert_review_coverage_percentage (50), alert_unreviewed_merges (3), score_jump_points (15:
-- the rise of the latest score over the lowest of the 7 days before it).
create or replace function public.company_alert_conditions(p_company_id uuid)
returns table (repository_id uuid, category text, subject text, severity text, title text, description text, data jsonb)
language sql stable security definer set search_path = ''
as $$
  with company as (
    select c.id, public.company_setting_number(c.settings, 'risk_threshold', 60) as risk_threshold,
           public.company_setting_number(c.settings, 'alert_ai_loc_percentage', 50) as ai_loc_max,
           public.company_setting_number(c.settings, 'alert_review_coverage_percentage', 50) as coverage_min,
           public.company_setting_number(c.settings, 'alert_unreviewed_merges', 3) as unreviewed_max,
           public.company_setting_number(c.settings, 'score_jump_points', 15) as jump_points
    from public.companies c where c.id = p_company_id
  ), latest as (
    -- The latest score of each active repository, and the company's (repository_id null).
    select distinct on (s.repository_id) s.repository_id, s.score, s.risk_zone, s.breakdown, s.calculated_at
    from public.ai_debt_scores s
    left join public.repositories r on r.id = s.repository_id
    where s.company_id = p_company_id and (s.repository_id is null or r.is_active)
    order by s.repository_id, s.calculated_at desc, s.id
  ), figures as (
    select l.*, round(100 * (l.breakdown ->> 'ai_loc_ratio')::numeric, 1) as ai_loc_pct,
           round(100 * (l.breakdown ->> 'review_coverage')::numeric, 1) as coverage_pct,
           (l.breakdown ->> 'ai_prs')::integer as ai_prs,
           (l.breakdown ->> 'unreviewed_ai_merges')::integer as unreviewed,
           (select min(p.score) from public.ai_debt_scores p
            where p.company_id = p_company_id and p.repository_id is not distinct from l.repository_id
              and p.calculated_at >= l.calculated_at - interval '7 days' and p.calculated_at < l.calculated_at
              -- A backfilled point is the trend recomputed after the fact, not a score anyone saw:
              -- a new company's first real score must not "jump" over its own history.
              and not p.backfilled) as week_low
    from latest l
  )
  -- The product's three rules, per repository.
  select f.repository_id, 'ai_debt', '', 'high',
         'High AI-generated code detected (' || public.alert_number(f.ai_loc_pct) || '%)',
         'Repository has ' || public.alert_number(f.ai_loc_pct) || '% AI-generated lines of code, which exceeds the recommended threshold.',
         pg_catalog.jsonb_build_object('ai_loc_percentage', f.ai_loc_pct, 'threshold', c.ai_loc_max)
  from figures f, company c where f.repository_id is not null and f.ai_loc_pct > c.ai_loc_max
  union all
  select f.repository_id, 'review_coverage', '', 'high',
         'Low human review coverage (' || public.alert_number(f.coverage_pct) || '%)',
         'Only ' || public.alert_number(f.coverage_pct) || '% of AI-generated PRs received human review. ' || f.unreviewed || ' unreviewed AI merges detected.',
         pg_catalog.jsonb_build_object('review_coverage_percentage', f.coverage_pct, 'ai_prs', f.ai_prs,
                                       'unreviewed_ai_merges', f.unreviewed, 'threshold', c.coverage_min)
  from figures f, company c where f.repository_id is not null and f.ai_prs > 0 and f.coverage_pct < c.coverage_min
  union all
  select f.repository_id, 'unreviewed_merge', '', 'medium',
         f.unreviewed || ' unreviewed AI merges',
         'Multiple AI-generated pull requests were merged without human review this period.',
         pg_catalog.jsonb_build_object('unreviewed_ai_merges', f.unreviewed, 'threshold', c.unreviewed_max)
  from figures f, company c where f.repository_id is not null and f.unreviewed > c.unreviewed_max
  -- The score, per repository and for the company.
  union all
  select f.repository_id, 'risk_threshold', '', case when f.risk_zone = 'critical' then 'critical' else 'high' end,
         'AI-debt score ' || public.alert_number(f.score) || ' at or above the risk threshold (' || public.alert_number(c.risk_threshold) || ')',
         case when f.repository_id is null then 'The company''s' else 'The repository''s' end
           || ' AI-debt score is ' || public.alert_number(f.score) || ' (' || f.risk_zone || '), at or above the risk threshold of '
           || public.alert_number(c.risk_threshold) || ' set for the company.',
         pg_catalog.jsonb_build_object('score', f.score, 'risk_zone', f.risk_zone, 'threshold', c.risk_threshold)
  from figures f, company c where f.score >= c.risk_threshold
  union all
  select f.repository_id, 'score_jump', '', 'medium',
         'AI-debt score jumped ' || public.alert_number(f.score - f.week_low) || ' points (' || public.alert_number(f.week_low) || ' → ' || public.alert_number(f.score) || ')',
         'The AI-debt score rose by ' || public.alert_number(f.score - f.week_low) || ' points within 7 days, more than the '
           || public.alert_number(c.jump_points) || ' points set for the company.',
         pg_catalog.jsonb_build_object('score', f.score, 'week_low', f.week_low, 'threshold', c.jump_points)
  from figures f, company c where f.week_low is not null and f.score - f.week_low >= c.jump_points
  -- The company's jobs: dead in the last 24 hours (and not retried since), or live past their SLA.
  union all
  select d.repository_id, 'dead_letter', d.scan_type, 'high',
         d.jobs || ' ' || d.scan_type || ' job' || case when d.jobs = 1 then '' else 's' end || ' dead in the last 24 hours',
         'Jobs that failed for good and will not run again unless retried (codeguard queue retry <id>). Latest error: ' || d.error,
         pg_catalog.jsonb_build_object('jobs', d.jobs, 'job_ids', d.job_ids, 'latest_error', d.error)
  from (select q.repository_id, q.scan_type::text as scan_type, count(*)::integer as jobs,
               pg_catalog.to_jsonb((array_agg(q.id order by q.completed_at desc))[1:20]) as job_ids,
               left((array_agg(q.error order by q.completed_at desc))[1], 300) as error
        from public.scan_queue q
        where q.company_id = p_company_id and q.status = 'dead' and q.completed_at >= public.scan_queue_now() - interval '24 hours'
        group by q.repository_id, q.scan_type) d
  union all
  select l.repository_id, 'job_sla', l.scan_type, 'medium',
         l.jobs || ' ' || l.scan_type || ' job' || case when l.jobs = 1 then '' else 's' end || ' past the SLA of '
           || public.alert_number(l.sla_seconds / 60.0) || ' min',
         'Jobs enqueued more than ' || public.alert_number(l.sla_seconds / 60.0) || ' minutes ago have not finished (oldest: '
           || public.alert_number(l.oldest_seconds / 60.0) || ' min). See codeguard queue status.',
         pg_catalog.jsonb_build_object('jobs', l.jobs, 'job_ids', l.job_ids, 'sla_seconds', l.sla_seconds, 'oldest_seconds', l.oldest_seconds)
  from (select q.repository_id, q.scan_type::text as scan_type, t.sla_seconds, count(*)::integer as jobs,
               pg_catalog.to_jsonb((array_agg(q.id order by q.created_at))[1:20]) as job_ids,
               round(extract(epoch from public.scan_queue_now() - min(q.created_at))) as oldest_seconds
        from public.scan_queue q join public.scan_job_types t on t.name = q.scan_type
        where q.company_id = p_company_id and q.status in ('pending', 'running') and t.sla_seconds is not null
          and q.created_at < public.scan_queue_now() - pg_catalog.make_interval(secs => t.sla_seconds)
        group by q.repository_id, q.scan_type, t.sla_seconds) l
$$;



-- Every stored score again, under the new formula, from the counts its breakdown holds (the
-- company's rows hold their repositories' summed counts, which is what the company is now scored
-- over). The plain ratios stay; components, rates, samples, weights and the score with the
-- suspected lines are replaced.
update public.ai_debt_scores s
set score = (x.f ->> 'score')::numeric,
    risk_zone = public.ai_debt_risk_zone((x.f ->> 'score')::numeric),
    breakdown = s.breakdown || (x.f - 'score') || pg_catalog.jsonb_build_object('score_with_suspected', (x.with_suspected ->> 'score')::numeric)
                || case when s.repository_id is null
                        then pg_catalog.jsonb_build_object('aggregation', 'the formula over the repositories'' pooled counts (each weighs by its volume in each component)')
                        else '{}'::jsonb end
from (select y.id, public.ai_debt_score_formula(y.breakdown) as f,
             public.ai_debt_score_formula(y.breakdown || pg_catalog.jsonb_build_object('ai_lines',
               coalesce((y.breakdown ->> 'ai_lines')::numeric, 0) + coalesce((y.breakdown ->> 'suspected_lines')::numeric, 0))) as with_suspected
      from public.ai_debt_scores y) x
where x.id = s.id;
