-- The calculate_scores job a completed scan enqueues names that scan: its payload was
-- {"trigger":"scan_completed"}, which says why but not which; now it carries the scan's id, its job's
-- id and its repository's, so a score (ai_debt_scores.job_id → the job → its payload) traces back to
-- the scan that asked for it. complete_scan is replaced whole; its lock_timeout (55_write_lock_timeouts.sql)
-- is set again, since create or replace resets a function's settings.
create or replace function public.complete_scan(p_job_id uuid, p_attempt integer, p_completion jsonb)
returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_scan public.scans;
  v_write public.scan_job_write;
  v_now timestamptz := public.scan_queue_now();
  v_changed jsonb;
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

  -- The authors and weeks of the earlier rows whose verdict the decisions change: their team
  -- metrics are recomputed below with the scan's own.
  select coalesce(pg_catalog.jsonb_agg(distinct pg_catalog.jsonb_build_array(pg_catalog.lower(r.author_email),
           (pg_catalog.date_trunc('week', r.authored_at at time zone 'UTC'))::date)), '[]')
  into v_changed
  from public.scan_results r
  join pg_catalog.jsonb_to_recordset(coalesce(p_completion -> 'decisions', '[]')) as d (sha text, verdict text) on d.sha = r.commit_sha
  where r.repository_id = v_scan.repository_id and r.path = '' and r.scan_id <> v_scan.id
    and r.verdict in ('human', 'suspected') and r.recorded is null and r.verdict is distinct from d.verdict
    and r.author_email is not null and r.authored_at is not null;

  -- Only unmarked rows without a git-ai record take a decision (a row a mark or a record decided
  -- never does); a file row takes its commit's verdict and confidence, the commit's row its
  -- suspect_score too.
  update public.scan_results r
  set verdict = d.verdict, confidence = d.confidence, suspect_score = case when r.path = '' then d.suspect_score end
  from pg_catalog.jsonb_to_recordset(coalesce(p_completion -> 'decisions', '[]')) as d (sha text, verdict text, confidence real, suspect_score real)
  where r.repository_id = v_scan.repository_id and r.commit_sha = d.sha and r.verdict in ('human', 'suspected')
    and not exists (select 1 from public.scan_results c
                    where c.repository_id = r.repository_id and c.commit_sha = r.commit_sha and c.path = '' and c.recorded is not null)
    and (r.verdict is distinct from d.verdict or r.confidence is distinct from d.confidence
         or r.suspect_score is distinct from case when r.path = '' then d.suspect_score end);

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
    select pg_catalog.lower(r.author_email) as email,
           (pg_catalog.date_trunc('week', r.authored_at at time zone 'UTC'))::date as week
    from public.scan_results r
    where r.scan_id = v_scan.id and r.path = '' and r.author_email is not null and r.authored_at is not null
    union
    select c ->> 0, (c ->> 1)::date from pg_catalog.jsonb_array_elements(v_changed) c
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
         (count(*) filter (where w.verdict in ('recorded', 'attested')))::integer, (count(*) filter (where w.verdict = 'assisted'))::integer,
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
  -- that the scans finishing meanwhile join the pending job instead of each making one. Its payload
  -- names the scan (and its job) that made it, so a score traces back to the scan that asked for it;
  -- a scan joining a pending job is counted by it but not named (a running one's follow-up names the
  -- last scan that asked).
  perform public.enqueue_scan(v_scan.company_id, null, 'calculate_scores', 2,
    v_now + pg_catalog.make_interval(secs => public.pipeline_setting_int('score_debounce_seconds', 5)),
    pg_catalog.jsonb_build_object('trigger', 'scan_completed', 'scan_id', v_scan.id, 'job_id', p_job_id,
                                  'repository_id', v_scan.repository_id));
  return v_write;
end $$;
alter function public.complete_scan(uuid, integer, jsonb) set lock_timeout = '10s';
