-- The AI-debt score: how much of a repository's recent code AI wrote, and how much of that shipped
-- without a human reading it. One row per calculation (the history is the trend), per repository
-- and per company (repository_id null). Written by calculate_ai_debt_score; the calculate_scores
-- job (run_calculate_scores) recomputes a company after its scans complete.

create domain public.risk_zone as text
  constraint risk_zone_known check (value in ('low', 'moderate', 'high', 'critical'));

create table public.ai_debt_scores (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references public.companies (id) on delete cascade,
  -- Null for the company's score (the formula over its repositories' pooled counts).
  repository_id uuid references public.repositories (id) on delete cascade,
  score numeric(5, 2) not null check (score between 0 and 100),
  risk_zone public.risk_zone not null,
  -- The inputs and each component's share of the score (ai_debt_score_formula), so a reader can
  -- redo the arithmetic: the counts, their plain ratios (ai_loc_ratio, review_coverage,
  -- unreviewed_ai_merge_ratio, ai_churn_ratio, large_unreviewed_ai_pr_ratio), the shrunk rates
  -- the score used (rates), each component's sample ("1 merged AI PR": samples) and points
  -- (components), and the suspected share kept apart (suspected_loc_ratio, score_with_suspected).
  breakdown jsonb not null,
  -- The window of work the score covers: the company's scan window up to the calculation.
  period_start timestamptz not null,
  period_end timestamptz not null,
  -- The calculate_scores job that wrote it; null when called directly.
  job_id uuid,
  calculated_at timestamptz not null default now(),
  -- A point of the weekly trend recomputed after the fact from the stored rows (a new company's
  -- first scans: backfill_ai_debt_trend), as of its week's end; never the latest score.
  backfilled boolean not null default false
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
create function public.ai_debt_score_formula(p_inputs jsonb) returns jsonb
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
create function public.calculate_ai_debt_score(p_company_id uuid, p_repository_id uuid default null)
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
create function public.run_calculate_scores(p_job_id uuid, p_attempt integer) returns public.scan_job_write
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
