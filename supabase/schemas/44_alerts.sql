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
