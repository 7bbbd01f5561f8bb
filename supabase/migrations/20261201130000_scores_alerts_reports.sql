-- Scores, alerts, weekly governance reports, the Slack digest and the dashboards' views
-- (supabase/schemas/43_scores.sql … 48_dashboard_views.sql), their job types and schedules; a
-- completed scan now enqueues its company's calculate_scores job (complete_scan).

-- The job types of the spec beyond scans, and an SLA per type (20_scan_queue.sql).
alter table public.scan_job_types add column sla_seconds integer check (sla_seconds > 0);
update public.scan_job_types set sla_seconds = case name when 'full_scan' then 3600 when 'incremental_scan' then 900 when 'pr_analysis' then 600 end;
insert into public.scan_job_types (name, source, worker, subject_key, description, sla_seconds) values
  ('calculate_scores', null, 'calculate-scores', null, 'a company''s AI-debt scores, per repository and company-wide (after its scans complete)', 600),
  ('generate_alerts', null, 'generate-alerts', null, 'a company''s alerts from its scores and its jobs (after the scores; every 5 min for dead or late jobs)', 600),
  ('weekly_report', null, 'generate-report', null, 'a company''s weekly governance report: payload {"period_start", "period_end"} (Monday 02:00 UTC)', 3600),
  ('refresh_views', null, 'refresh-views', null, 'the dashboards'' materialized views, for all companies (every 15 min; the platform''s job)', 900),
  ('send_slack_digest', null, 'send-slack-digest', null, 'a company''s weekly digest to its Slack webhook: payload {"period_start", "period_end"} (Monday 09:00 UTC)', 3600);

insert into public.pipeline_settings (name, value, description) values
  ('score_debounce_seconds', '5', 'A completed scan''s calculate_scores job runs this much later, so scans finishing together are scored once.'),
  ('slack_webhook_hosts', '["hooks.slack.com"]', 'Hosts a company''s Slack webhook URL may point to (https only, but for loopback hosts).');

-- The platform's own tenant: the queue runs every job for a company (its slots, its dedupe keys),
-- and a few jobs are about no company — refresh_views refreshes the dashboards of all of them.
-- Those run as this company's, made on first use (ensure_platform_company), with one slot, so two
-- refreshes never run at once. No member belongs to it; company-wide jobs (reports, digests) skip it.
create function public.platform_company_id() returns uuid
language sql immutable
as $$ select '00000000-0000-4000-8000-000000000000'::uuid $$;

create function public.ensure_platform_company() returns uuid
language sql volatile security definer set search_path = ''
as $$
  insert into public.companies (id, name, settings)
  values (public.platform_company_id(), 'CodeGuard platform jobs', '{"auto_scan_enabled": false, "max_concurrent_scans": 1}')
  on conflict (id) do nothing;
  select public.platform_company_id();
$$;

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

-- Alerts: what a company should look at now. One row per condition — company, repository (null
-- for the company or its jobs), category and subject — for its whole life: raised when the
-- condition holds, updated (never repeated) while it holds, resolved by itself when it clears, and
-- reopened with its history when it comes back. Conditions are evaluated by the generate_alerts
-- job (run_generate_alerts: after each score calculation, and every 5 minutes for the companies
-- whose jobs are dead or late).
--
-- Categories: the product's three rules (ai_debt, review_coverage, unreviewed_merge, with their
-- original wording), risk_threshold (the score at or above the company's risk_threshold),
-- score_jump (a sharp rise of the score), dead_letter (jobs that ended dead) and job_sla (jobs
-- still waiting or running past their type's SLA).

create domain public.alert_severity as text
  constraint alert_severity_known check (value in ('low', 'medium', 'high', 'critical'));
create domain public.alert_category as text
  constraint alert_category_known check (value in ('ai_debt', 'review_coverage', 'unreviewed_merge', 'risk_threshold', 'score_jump',
                                                    'dead_letter', 'job_sla'));
create domain public.alert_status as text
  constraint alert_status_known check (value in ('open', 'resolved'));

create table public.alerts (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references public.companies (id) on delete cascade,
  repository_id uuid references public.repositories (id) on delete cascade,
  severity public.alert_severity not null,
  category public.alert_category not null,
  -- What the condition is about within its category: '' for a score's, the job type for a job's.
  subject text not null default '',
  title text not null,
  description text not null,
  status public.alert_status not null default 'open',
  -- The figures that raised it, as of the last evaluation that saw the condition.
  data jsonb not null default '{}',
  -- [{at, event: opened | updated | resolved | reopened, severity, title}]: its life, oldest first.
  history jsonb not null default '[]',
  -- How many times it came back after resolving.
  reopened integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- The last evaluation that found the condition.
  last_seen_at timestamptz not null default now(),
  resolved_at timestamptz
);
-- One row per condition, forever: the upsert of run_generate_alerts lands on it.
create unique index alerts_condition on public.alerts
  (company_id, coalesce(repository_id, '00000000-0000-0000-0000-000000000000'::uuid), category, subject);
create index alerts_company_open on public.alerts (company_id, created_at desc) where status = 'open';

alter table public.alerts enable row level security;
create policy alerts_member_read on public.alerts for select to authenticated using (company_id = public.current_company_id());

comment on table public.alerts is
  'One row per alert condition (company, repository, category, subject): open while it holds, resolved when it clears, reopened when it recurs; history keeps its life. Written by run_generate_alerts.';

-- 57.3 → '57.3', 60.0 → '60': the N of the product's wording.
create function public.alert_number(p_value numeric) returns text
language sql immutable
as $$ select pg_catalog.trim_scale(round(coalesce(p_value, 0), 1))::text $$;

-- Every condition that holds for a company now, as rows of alerts to raise. Thresholds come from
-- the company's settings: risk_threshold (60), alert_ai_loc_percentage (50),
-- alert_review_coverage_percentage (50), alert_unreviewed_merges (3), score_jump_points (15:
-- the rise of the latest score over the lowest of the 7 days before it).
create function public.company_alert_conditions(p_company_id uuid)
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
              and p.calculated_at >= l.calculated_at - interval '7 days' and p.calculated_at < l.calculated_at) as week_low
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

-- Brings a company's alerts in line with its conditions: a new condition opens an alert; one
-- already open is updated (its history grows only when its severity or title changes); a
-- resolved one reopens; an open alert whose condition is gone resolves. Answers the counts.
create function public.evaluate_company_alerts(p_company_id uuid) returns jsonb
language sql volatile security definer set search_path = ''
as $$
  with conditions as (
    select * from public.company_alert_conditions(p_company_id)
  ), upserted as (
    insert into public.alerts as a (company_id, repository_id, severity, category, subject, title, description, data, history,
                                    created_at, updated_at, last_seen_at)
    select p_company_id, c.repository_id, c.severity, c.category, c.subject, c.title, c.description, c.data,
           pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('at', public.scan_queue_now(), 'event', 'opened',
                                                                      'severity', c.severity, 'title', c.title)),
           public.scan_queue_now(), public.scan_queue_now(), public.scan_queue_now()
    from conditions c
    on conflict (company_id, coalesce(repository_id, '00000000-0000-0000-0000-000000000000'::uuid), category, subject) do update
      set severity = excluded.severity, title = excluded.title, description = excluded.description, data = excluded.data,
          last_seen_at = excluded.last_seen_at,
          status = 'open',
          resolved_at = null,
          reopened = a.reopened + case when a.status = 'resolved' then 1 else 0 end,
          updated_at = case when a.status = 'resolved' or a.severity is distinct from excluded.severity
                                 or a.title is distinct from excluded.title
                            then excluded.updated_at else a.updated_at end,
          history = a.history || case
            when a.status = 'resolved' or a.severity is distinct from excluded.severity or a.title is distinct from excluded.title
              then pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                     'at', excluded.updated_at, 'event', case when a.status = 'resolved' then 'reopened' else 'updated' end,
                     'severity', excluded.severity, 'title', excluded.title))
            else '[]'::jsonb end
    returning (a.xmax = 0) as inserted, a.updated_at = a.last_seen_at as changed, a.history -> -1 ->> 'event' as last_event
  ), resolved as (
    update public.alerts a
    set status = 'resolved', resolved_at = public.scan_queue_now(), updated_at = public.scan_queue_now(),
        history = a.history || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
          'at', public.scan_queue_now(), 'event', 'resolved', 'severity', a.severity, 'title', a.title))
    where a.company_id = p_company_id and a.status = 'open'
      and not exists (select 1 from conditions c
                      where c.repository_id is not distinct from a.repository_id and c.category = a.category and c.subject = a.subject)
    returning a.id
  )
  select pg_catalog.jsonb_build_object(
    'opened', (select count(*) from upserted u where u.inserted),
    'reopened', (select count(*) from upserted u where not u.inserted and u.changed and u.last_event = 'reopened'),
    'updated', (select count(*) from upserted u where not u.inserted and u.changed and u.last_event = 'updated'),
    'unchanged', (select count(*) from upserted u where not u.inserted and not u.changed),
    'resolved', (select count(*) from resolved))
$$;

-- The generate_alerts job of a company, fenced: evaluate, then complete, in one transaction.
create function public.run_generate_alerts(p_job_id uuid, p_attempt integer) returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_job public.scan_queue;
begin
  select q.* into v_job from public.scan_queue q
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running' and q.scan_type = 'generate_alerts'
  for update;
  if not found then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'generate alerts');
  end if;
  return public.complete_scan_job(p_job_id, p_attempt, public.evaluate_company_alerts(v_job.company_id));
end $$;

-- Every 5 minutes: a generate_alerts job for each company whose jobs are dead (last 24 h) or past
-- their SLA, or that has such an alert open (so it resolves when they clear). Scores raise their
-- own (run_calculate_scores). Answers how many companies it enqueued for.
create function public.enqueue_job_alerts() returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_jobs jsonb;
begin
  with companies as (
    select q.company_id from public.scan_queue q
    where q.status = 'dead' and q.completed_at >= public.scan_queue_now() - interval '24 hours'
    union
    select q.company_id from public.scan_queue q join public.scan_job_types t on t.name = q.scan_type
    where q.status in ('pending', 'running') and t.sla_seconds is not null
      and q.created_at < public.scan_queue_now() - pg_catalog.make_interval(secs => t.sla_seconds)
    union
    select a.company_id from public.alerts a where a.status = 'open' and a.category in ('dead_letter', 'job_sla')
  )
  select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('company_id', c.company_id, 'scan_type', 'generate_alerts',
           'priority', 4, 'payload', '{"trigger": "job_watch"}'::jsonb))
  into v_jobs from companies c;
  if v_jobs is null then
    return 0;
  end if;
  perform 1 from public.enqueue_scans(v_jobs);
  return pg_catalog.jsonb_array_length(v_jobs);
end $$;

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

-- The figures of a company's weekly report for the week ending p_period_end (a Sunday, or any
-- day: the 7 days ending then), as of that week's end: what was written in the week (commits by
-- author date, AI pull requests opened or merged), the latest scores before the week ended, the
-- alerts raised in it, the previous report's content for the change since, and a 12-week trend.
create function public.weekly_report_data(p_company_id uuid, p_period_end date) returns jsonb
language sql stable security definer set search_path = ''
as $$
  with period as (
    select (p_period_end - 6) as period_start, p_period_end as period_end,
           ((p_period_end - 6)::timestamp at time zone 'UTC') as start_at, ((p_period_end + 1)::timestamp at time zone 'UTC') as end_at
  ), company as (
    select c.id, c.name, public.company_setting_number(c.settings, 'risk_threshold', 60) as risk_threshold
    from public.companies c where c.id = p_company_id
  ), repos as (
    select r.id, r.full_name, r.last_scanned_at from public.repositories r where r.company_id = p_company_id and r.is_active
  ), commits as (
    select x.repository_id, count(*) as commits, count(*) filter (where x.verdict = 'attested') as ai_commits,
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
    -- The latest score before the week ended; for a week reported after the fact that no score
    -- had reached yet, the first one after it (the report says when it was calculated).
    select distinct on (s.repository_id) s.repository_id, s.score, s.risk_zone, s.breakdown, s.calculated_at
    from public.ai_debt_scores s, period p
    where s.company_id = p_company_id
    order by s.repository_id, s.calculated_at < p.end_at desc,
             case when s.calculated_at < p.end_at then -extract(epoch from s.calculated_at) else extract(epoch from s.calculated_at) end, s.id
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
    'ai_usage_summary', (select pg_catalog.jsonb_build_object(
        'ai_loc_percentage', x.ai_loc, 'ai_prs_total', pt.ai_prs, 'reviewed_percentage', x.reviewed,
        'suspected_loc_percentage', x.suspected_loc, 'assisted_loc_percentage', x.assisted_loc,
        'total_loc', t.counted, 'ai_loc', t.ai, 'commits', t.commits, 'ai_commits', t.ai_commits,
        'merged_ai_prs', pt.merged, 'reviewed_ai_prs', pt.reviewed)
      from pct x, totals t, pr_totals pt),
    'risk_summary', (select pg_catalog.jsonb_build_object(
        'debt_score', s.score, 'risk_zone', coalesce(s.risk_zone::text, 'unknown'), 'score_calculated_at', s.calculated_at,
        'new_alerts', (select count(*) from public.alerts a, period p
                       where a.company_id = p_company_id and exists (
                         select 1 from pg_catalog.jsonb_array_elements(a.history) h
                         where h ->> 'event' in ('opened', 'reopened') and (h ->> 'at')::timestamptz >= p.start_at and (h ->> 'at')::timestamptz < p.end_at)),
        'high_severity_alerts', (select count(*) from public.alerts a, period p
                                 where a.company_id = p_company_id and a.severity in ('high', 'critical') and a.created_at < p.end_at
                                   and (a.status = 'open' or a.resolved_at >= p.end_at)),
        'open_alerts', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                 'severity', a.severity, 'category', a.category, 'title', a.title,
                                 'repository', (select r.full_name from repos r where r.id = a.repository_id))
                               order by case a.severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 else 3 end, a.created_at), '[]')
                        from public.alerts a, period p
                        where a.company_id = p_company_id and a.created_at < p.end_at and (a.status = 'open' or a.resolved_at >= p.end_at)))
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
          'additions', pr.additions, 'merged_at', pr.pr_merged_at, 'merged_by', pr.merged_by)
        order by pr.pr_merged_at desc, r.full_name, pr.github_pr_id), '[]')
      from prs pr join repos r on r.id = pr.repository_id where pr.merged_in_period and pr.unreviewed_ai_merge),
    'repositories', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
          'full_name', r.full_name, 'score', s.score, 'risk_zone', coalesce(s.risk_zone::text, 'unknown'),
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

-- The Slack digest: a company's weekly report as a Block Kit message to its incoming webhook. The
-- webhook URL is a secret (anyone holding it can post to the channel): it lives in Vault as
-- `slack_webhook_url:<company id>` and is read only by the send-slack-digest function. Messages go
-- out through an outbound table, one row per company and week, with every attempt logged: 5
-- attempts, 1 s doubling to 16 s between them with jitter (the function waits them out within its
-- run); a 4xx that can never succeed (a revoked webhook, an archived channel) is dead at once with
-- Slack's reason; after the fifth failure the delivery is dead and so is its job. Delivery is at
-- least once: a worker killed after Slack took the message but before the row said so sends it
-- again (incoming webhooks have no idempotency key).

-- Stores (or replaces) a company's Slack webhook URL in Vault; null removes it. Answers nothing
-- that holds the URL. The host must be one of pipeline_settings.slack_webhook_hosts (Slack's; the
-- local stack adds its loopback receiver), so the setting cannot make the pipeline post to an
-- internal address; https only, but for loopback hosts.
create function public.set_slack_webhook_url(p_company_id uuid, p_url text) returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_name text := 'slack_webhook_url:' || p_company_id::text;
  v_id uuid;
  v_host text;
  v_hosts jsonb := coalesce((select s.value from public.pipeline_settings s where s.name = 'slack_webhook_hosts'), '[]');
begin
  if not exists (select 1 from public.companies c where c.id = p_company_id) then
    raise exception 'set_slack_webhook_url: no company %', p_company_id using errcode = '23503';
  end if;
  select s.id into v_id from vault.secrets s where s.name = v_name;
  if p_url is null then
    delete from vault.secrets s where s.id = v_id;
    return;
  end if;
  v_host := pg_catalog.lower(pg_catalog.substring(p_url, '^https?://([^/:?#]+)'));
  if v_host is null or not v_hosts ? v_host
     or (p_url !~ '^https://' and v_host not in ('127.0.0.1', 'localhost')) then
    -- The message names the host, never the URL: its path is the secret.
    raise exception 'set_slack_webhook_url: a Slack incoming-webhook URL is https://hooks.slack.com/services/…; host % is not allowed', coalesce(v_host, '(none)')
      using errcode = '22023', hint = 'Create one in Slack: Apps → Incoming Webhooks → Add New Webhook to Workspace.';
  end if;
  if v_id is null then
    perform vault.create_secret(p_url, v_name, 'Slack incoming-webhook URL of company ' || p_company_id::text);
  else
    perform vault.update_secret(v_id, p_url);
  end if;
end $$;

-- The company's webhook URL, for the send-slack-digest function alone.
create function public.slack_webhook_url(p_company_id uuid) returns text
language sql stable security definer set search_path = ''
as $$ select s.decrypted_secret from vault.decrypted_secrets s where s.name = 'slack_webhook_url:' || p_company_id::text $$;

create domain public.slack_delivery_status as text
  constraint slack_delivery_status_known check (value in ('pending', 'delivered', 'dead'));

create table public.slack_deliveries (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references public.companies (id) on delete cascade,
  kind text not null default 'weekly_digest' check (kind in ('weekly_digest')),
  period_start date not null,
  -- The Block Kit message (no secret in it).
  payload jsonb not null,
  status public.slack_delivery_status not null default 'pending',
  attempts integer not null default 0,
  last_status_code integer,
  -- Why the last attempt failed, or why the delivery is dead (Slack's answer, never the URL).
  last_error text,
  job_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  delivered_at timestamptz,
  dead_at timestamptz,
  unique (company_id, kind, period_start)
);

-- Every attempt of every delivery: the delivery log.
create table public.slack_delivery_attempts (
  delivery_id uuid not null references public.slack_deliveries (id) on delete cascade,
  attempt integer not null,
  company_id uuid not null,
  attempted_at timestamptz not null default now(),
  status_code integer,
  outcome text not null check (outcome in ('delivered', 'retry', 'dead')),
  error text,
  duration_ms integer,
  primary key (delivery_id, attempt)
);

alter table public.slack_deliveries enable row level security;
alter table public.slack_delivery_attempts enable row level security;
create policy slack_deliveries_member_read on public.slack_deliveries for select to authenticated
  using (company_id = public.current_company_id());
create policy slack_delivery_attempts_member_read on public.slack_delivery_attempts for select to authenticated
  using (company_id = public.current_company_id());

-- The delivery of a company's digest for a week, made once: a delivered one stays delivered
-- (a re-run sends nothing); a dead one is tried again from its first attempt (someone retried the
-- job, after fixing the webhook); a pending one continues where it stopped. Answers the row.
create function public.prepare_slack_delivery(p_company_id uuid, p_period_start date, p_payload jsonb, p_job_id uuid default null)
returns public.slack_deliveries
language sql volatile security definer set search_path = ''
as $$
  insert into public.slack_deliveries as d (company_id, kind, period_start, payload, job_id, created_at, updated_at)
  values (p_company_id, 'weekly_digest', p_period_start, p_payload, p_job_id, public.scan_queue_now(), public.scan_queue_now())
  on conflict (company_id, kind, period_start) do update
    set payload = case when d.status = 'delivered' then d.payload else excluded.payload end,
        job_id = excluded.job_id,
        attempts = case when d.status = 'dead' then 0 else d.attempts end,
        status = case when d.status = 'dead' then 'pending' else d.status end,
        dead_at = case when d.status = 'dead' then null else d.dead_at end,
        updated_at = excluded.updated_at
  returning d.*
$$;

-- One attempt's outcome ('delivered', 'retry' or 'dead'), logged, and the delivery moved on.
-- Refused (false) when the delivery is no longer pending: another worker finished it.
create function public.record_slack_attempt(p_delivery_id uuid, p_attempt integer, p_status_code integer, p_outcome text,
  p_error text, p_duration_ms integer) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_delivery public.slack_deliveries;
begin
  update public.slack_deliveries d
  set attempts = p_attempt, last_status_code = p_status_code, last_error = case when p_outcome = 'delivered' then null else p_error end,
      status = case p_outcome when 'retry' then 'pending' else p_outcome end,
      delivered_at = case when p_outcome = 'delivered' then v_now end,
      dead_at = case when p_outcome = 'dead' then v_now end,
      updated_at = v_now
  where d.id = p_delivery_id and d.status = 'pending' and d.attempts = p_attempt - 1
  returning d.* into v_delivery;
  if not found then
    return false;
  end if;
  insert into public.slack_delivery_attempts (delivery_id, attempt, company_id, attempted_at, status_code, outcome, error, duration_ms)
  values (p_delivery_id, p_attempt, v_delivery.company_id, v_now, p_status_code, p_outcome, p_error, p_duration_ms);
  return true;
end $$;

-- Monday 09:00 UTC: the digest of last week's report, for each company with a Slack webhook URL.
create function public.enqueue_slack_digests(p_day date default null) returns integer
language sql volatile security definer set search_path = ''
as $$ select public.enqueue_weekly_company_jobs('send_slack_digest', p_day) $$;

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

-- The scan completes: p_completion is {summary, watermark, result, api_requests (what the run
-- spent since its last page), decisions: [{sha, verdict, confidence}]} (the suspected tier's
-- verdicts, decided on the scan's whole score profile). The
-- job completes first — refused, this writes nothing —, then the decisions, the scan's summary,
-- the repository's watermark and the team metrics of the authors and weeks the scan touched.
-- The job's result holds the scan's id.
create or replace function public.complete_scan(p_job_id uuid, p_attempt integer, p_completion jsonb)
returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_scan public.scans;
  v_write public.scan_job_write;
  v_now timestamptz := public.scan_queue_now();
begin
  select s.* into v_scan from public.scans s where s.job_id = p_job_id;
  if not found then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'complete scan');
  end if;
  v_write := public.complete_scan_job(p_job_id, p_attempt,
    coalesce(p_completion -> 'result', '{}') || pg_catalog.jsonb_build_object('scan_id', v_scan.id, 'summary', p_completion -> 'summary'));
  if not v_write.accepted then
    return v_write;
  end if;

  update public.scan_results r
  set verdict = d.verdict, confidence = d.confidence
  from pg_catalog.jsonb_to_recordset(coalesce(p_completion -> 'decisions', '[]')) as d (sha text, verdict text, confidence real)
  where r.repository_id = v_scan.repository_id and r.commit_sha = d.sha and r.scan_id = v_scan.id
    and (r.verdict is distinct from d.verdict or r.confidence is distinct from d.confidence);

  update public.scans s
  set status = 'completed', progress = 100, summary = p_completion -> 'summary', checkpoint = null,
      api_requests = public.scan_add_counts(s.api_requests, p_completion -> 'api_requests'),
      progress_message = null, completed_at = v_now, updated_at = v_now
  where s.id = v_scan.id;

  if p_completion ? 'watermark' then
    update public.repositories r set scan_watermark = p_completion -> 'watermark', last_scanned_at = v_now
    where r.id = v_scan.repository_id;
  end if;

  with touched as (
    select distinct pg_catalog.lower(r.author_email) as email,
           (pg_catalog.date_trunc('week', r.authored_at at time zone 'UTC'))::date as week
    from public.scan_results r
    where r.scan_id = v_scan.id and r.path = '' and r.author_email is not null and r.authored_at is not null
  ), weeks as (
    select t.email, t.week, r.author_name, r.verdict, r.counted_lines, r.ai_lines, r.repository_id
    from touched t
    join public.scan_results r
      on r.company_id = v_scan.company_id and r.path = '' and not r.is_merge
     and pg_catalog.lower(r.author_email) = t.email
     and r.authored_at >= t.week::timestamp at time zone 'UTC' and r.authored_at < (t.week + 7)::timestamp at time zone 'UTC'
  )
  insert into public.team_metrics as m (company_id, author_email, period_start, period_end, author_name, commits, ai_commits,
    assisted_commits, suspected_commits, lines_added, ai_lines, repositories, updated_at)
  select v_scan.company_id, w.email, w.week, w.week + 6, max(w.author_name), count(*)::integer,
         (count(*) filter (where w.verdict = 'attested'))::integer, (count(*) filter (where w.verdict = 'assisted'))::integer,
         (count(*) filter (where w.verdict = 'suspected'))::integer, coalesce(sum(w.counted_lines), 0)::integer,
         coalesce(sum(w.ai_lines), 0)::integer, count(distinct w.repository_id)::integer, v_now
  from weeks w group by w.email, w.week
  on conflict (company_id, author_email, period_start) do update
    set author_name = excluded.author_name, commits = excluded.commits, ai_commits = excluded.ai_commits,
        assisted_commits = excluded.assisted_commits, suspected_commits = excluded.suspected_commits,
        lines_added = excluded.lines_added, ai_lines = excluded.ai_lines, repositories = excluded.repositories,
        updated_at = excluded.updated_at;

  -- The company's scores follow its scans, in this transaction (never a completed scan that no
  -- score will count): one calculate_scores job per company, due score_debounce_seconds later, so
  -- that the scans finishing meanwhile join the pending job instead of each making one.
  perform public.enqueue_scan(v_scan.company_id, null, 'calculate_scores', 2,
    v_now + pg_catalog.make_interval(secs => public.pipeline_setting_int('score_debounce_seconds', 5)),
    pg_catalog.jsonb_build_object('trigger', 'scan_completed'));
  return v_write;
end $$;

-- The governance jobs (product spec): reports Monday 02:00 UTC, the Slack digest Monday 09:00 UTC,
-- the dashboards every 15 minutes; and alerts about dead or late jobs every 5 minutes.
select cron.schedule('codeguard-weekly-reports', '0 2 * * 1', $$select public.enqueue_weekly_reports()$$);
select cron.schedule('codeguard-slack-digests', '0 9 * * 1', $$select public.enqueue_slack_digests()$$);
select cron.schedule('codeguard-refresh-views', '*/15 * * * *', $$select public.enqueue_refresh_views()$$);
select cron.schedule('codeguard-job-alerts', '*/5 * * * *', $$select public.enqueue_job_alerts()$$);

-- Closed first, then granted as 90_privileges.sql grants.
revoke all on public.ai_debt_scores, public.alerts, public.governance_reports, public.slack_deliveries, public.slack_delivery_attempts, public.dashboard_repository_risk, public.dashboard_company_weekly_trend, public.repository_risk_overview, public.company_weekly_trend from public, anon, authenticated, service_role;
revoke all on function
  public.calculate_ai_debt_score(uuid, uuid),
  public.run_calculate_scores(uuid, integer),
  public.evaluate_company_alerts(uuid),
  public.run_generate_alerts(uuid, integer),
  public.enqueue_job_alerts(),
  public.weekly_report_data(uuid, date),
  public.save_governance_report(uuid, date, date, jsonb, text, text, uuid),
  public.governance_report(uuid, date),
  public.enqueue_weekly_reports(date),
  public.set_slack_webhook_url(uuid, text),
  public.slack_webhook_url(uuid),
  public.prepare_slack_delivery(uuid, date, jsonb, uuid),
  public.record_slack_attempt(uuid, integer, integer, text, text, integer),
  public.enqueue_slack_digests(date),
  public.refresh_dashboard_views(),
  public.run_refresh_views(uuid, integer),
  public.enqueue_refresh_views()
from public, anon, authenticated, service_role;
-- Scores, alerts, reports, the Slack digest and the dashboards (43–48): members read their
-- company's rows (the dashboards through the views that filter them); the jobs' functions are the
-- service's (the helpers they call run as their owner and need no grant). The materialized views
-- have no row-level security, so only the service reads them.
grant select on public.ai_debt_scores, public.alerts, public.governance_reports, public.slack_deliveries,
  public.slack_delivery_attempts, public.repository_risk_overview, public.company_weekly_trend to authenticated;
grant select on public.ai_debt_scores, public.alerts, public.governance_reports, public.slack_deliveries,
  public.slack_delivery_attempts, public.dashboard_repository_risk, public.dashboard_company_weekly_trend,
  public.repository_risk_overview, public.company_weekly_trend to service_role;
grant execute on function
  public.calculate_ai_debt_score(uuid, uuid),
  public.run_calculate_scores(uuid, integer),
  public.evaluate_company_alerts(uuid),
  public.run_generate_alerts(uuid, integer),
  public.enqueue_job_alerts(),
  public.weekly_report_data(uuid, date),
  public.save_governance_report(uuid, date, date, jsonb, text, text, uuid),
  public.governance_report(uuid, date),
  public.enqueue_weekly_reports(date),
  public.set_slack_webhook_url(uuid, text),
  public.slack_webhook_url(uuid),
  public.prepare_slack_delivery(uuid, date, jsonb, uuid),
  public.record_slack_attempt(uuid, integer, integer, text, text, integer),
  public.enqueue_slack_digests(date),
  public.refresh_dashboard_views(),
  public.run_refresh_views(uuid, integer),
  public.enqueue_refresh_views()
to service_role;
