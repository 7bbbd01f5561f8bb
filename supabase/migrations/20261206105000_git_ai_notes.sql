-- git-ai's authorship notes (issue 22): a commit whose note (or whose squash-merged PR's commits'
-- notes) records AI lines gets the verdict 'recorded', its AI lines from the record, and the row
-- keeps the record (AI lines per agent and model, human and untracked lines), what the marks alone
-- said, where they disagree, and the notes' blob shas (a later scan re-reads only changed notes).
-- record_scan_page writes them; scan_rows reads them back for the summary; complete_scan leaves
-- recorded rows out of the suspected tier's decisions and counts them among a week's AI commits;
-- scan_rows_with_new_notes finds the rows whose notes changed since they were written;
-- weekly_report_origins gives the weekly report the AI-LOC band, the coverage and the lines per agent and model.

alter domain public.scan_verdict drop constraint scan_verdict_known;
alter domain public.scan_verdict add constraint scan_verdict_known check (value in ('recorded', 'attested', 'assisted', 'suspected', 'human'));

alter table public.scan_results
  add column recorded jsonb,
  add column recorded_ai_lines integer,
  add column recorded_human_lines integer,
  add column marks_only jsonb,
  add column note_conflict text,
  add column note_blobs text[];

-- One page of a scan: p_page is {commits: [{sha, verdict, agents, confidence, suspect_score,
-- lines_added, lines_deleted, ai_lines, counted_lines, is_merge, author_name, author_email,
-- authored_at, committed_at, files: [{path, added, deleted, filtered_out}], suspect_inputs}], pull_requests: [{number,
-- title, …}], checkpoint, progress, message, api_requests: {…added by this page}, warnings: [text]}.
-- It is also the job's heartbeat: refused (nothing written) when the claim is not ours, and when a
-- cancel was requested the job becomes cancelled here and nothing is written either.
create or replace function public.record_scan_page(p_job_id uuid, p_attempt integer, p_page jsonb)
returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_write public.scan_job_write;
  v_scan public.scans;
  v_now timestamptz := public.scan_queue_now();
begin
  if p_page is null or pg_catalog.jsonb_typeof(p_page) <> 'object' then
    raise exception 'record_scan_page: p_page must be a JSON object' using errcode = '22023';
  end if;
  v_write := public.heartbeat_scan_job(p_job_id, p_attempt, (p_page ->> 'progress')::integer, p_page ->> 'message');
  if not v_write.accepted or v_write.status <> 'running' then
    return v_write;
  end if;
  select s.* into v_scan from public.scans s where s.job_id = p_job_id for update;
  if not found then
    raise exception 'record_scan_page: job % has no scan: call begin_scan first', p_job_id using errcode = '22023';
  end if;

  with commits as (
    select c.* from pg_catalog.jsonb_to_recordset(coalesce(p_page -> 'commits', '[]')) as c (
      sha text, verdict text, agents text[], confidence real, suspect_score real, lines_added integer,
      lines_deleted integer, ai_lines integer, counted_lines integer, is_merge boolean, author_name text,
      author_email text, authored_at timestamptz, committed_at timestamptz, files jsonb, suspect_inputs jsonb,
      recorded jsonb, marks_only jsonb, note_conflict text, note_blobs text[])
  ), rows as (
    select c.sha, '' as path, c.verdict, c.agents, c.confidence, c.suspect_score, c.lines_added, c.lines_deleted,
           c.ai_lines, c.counted_lines, null::text as filtered_out, coalesce(c.is_merge, false) as is_merge,
           c.author_name, c.author_email, c.authored_at, c.committed_at, c.suspect_inputs,
           nullif(c.recorded, 'null'::jsonb) as recorded, nullif(c.marks_only, 'null'::jsonb) as marks_only,
           c.note_conflict, c.note_blobs
    from commits c
    union all
    select c.sha, f.path, c.verdict, c.agents, c.confidence, null, f.added, f.deleted, null, null, f.filtered_out,
           coalesce(c.is_merge, false), c.author_name, c.author_email, c.authored_at, c.committed_at, null::jsonb,
           null::jsonb, null::jsonb, null::text, null::text[]
    from commits c, pg_catalog.jsonb_to_recordset(coalesce(c.files, '[]')) as f (path text, added integer, deleted integer, filtered_out text)
    where f.path is not null and f.path <> ''
  )
  insert into public.scan_results as r (repository_id, commit_sha, path, company_id, scan_id, verdict, agents, confidence,
    suspect_score, lines_added, lines_deleted, ai_lines, counted_lines, filtered_out, is_merge, author_name, author_email,
    authored_at, committed_at, suspect_inputs, recorded, recorded_ai_lines, recorded_human_lines, marks_only, note_conflict,
    note_blobs)
  select v_scan.repository_id, x.sha, x.path, v_scan.company_id, v_scan.id, x.verdict, coalesce(x.agents, '{}'), x.confidence,
         x.suspect_score, x.lines_added, x.lines_deleted, x.ai_lines, x.counted_lines, x.filtered_out, x.is_merge,
         x.author_name, x.author_email, x.authored_at, x.committed_at, x.suspect_inputs, x.recorded,
         (x.recorded ->> 'ai_lines')::integer, (x.recorded ->> 'human_lines')::integer, x.marks_only, x.note_conflict,
         x.note_blobs
  from rows x
  on conflict (repository_id, commit_sha, path) do update
    set scan_id = excluded.scan_id, verdict = excluded.verdict, agents = excluded.agents, confidence = excluded.confidence,
        suspect_score = excluded.suspect_score, lines_added = excluded.lines_added, lines_deleted = excluded.lines_deleted,
        ai_lines = excluded.ai_lines, counted_lines = excluded.counted_lines, filtered_out = excluded.filtered_out,
        is_merge = excluded.is_merge, author_name = excluded.author_name, author_email = excluded.author_email,
        authored_at = excluded.authored_at, committed_at = excluded.committed_at, suspect_inputs = excluded.suspect_inputs,
        recorded = excluded.recorded, recorded_ai_lines = excluded.recorded_ai_lines,
        recorded_human_lines = excluded.recorded_human_lines, marks_only = excluded.marks_only,
        note_conflict = excluded.note_conflict, note_blobs = excluded.note_blobs;

  insert into public.pull_requests as p (company_id, repository_id, github_pr_id, title, author_login, author_is_bot, state,
    head_ref, base_ref, ai_generated, verdict, agents, confidence, human_reviewed, reviewers, ai_reviewers, additions,
    deletions, ai_lines, pr_created_at, pr_updated_at, pr_merged_at, merged_by, unreviewed_ai_merge, scan_id, updated_at)
  select v_scan.company_id, v_scan.repository_id, x.number, x.title, x.author_login, coalesce(x.author_is_bot, false), x.state,
         x.head_ref, x.base_ref, x.ai_generated, x.verdict, coalesce(x.agents, '{}'), x.confidence, x.human_reviewed,
         coalesce(x.reviewers, '{}'), coalesce(x.ai_reviewers, '{}'), coalesce(x.additions, 0), coalesce(x.deletions, 0),
         coalesce(x.ai_lines, 0), x.created_at, x.updated_at, x.merged_at, x.merged_by, x.unreviewed_ai_merge, v_scan.id, v_now
  from pg_catalog.jsonb_to_recordset(coalesce(p_page -> 'pull_requests', '[]')) as x (
    number integer, title text, author_login text, author_is_bot boolean, state text, head_ref text, base_ref text,
    ai_generated boolean, verdict text, agents text[], confidence real, human_reviewed boolean, reviewers text[],
    ai_reviewers text[], additions integer, deletions integer, ai_lines integer, created_at timestamptz,
    updated_at timestamptz, merged_at timestamptz, merged_by text, unreviewed_ai_merge boolean)
  on conflict (repository_id, github_pr_id) do update
    set title = excluded.title, author_login = excluded.author_login, author_is_bot = excluded.author_is_bot,
        state = excluded.state, head_ref = excluded.head_ref, base_ref = excluded.base_ref,
        ai_generated = excluded.ai_generated, verdict = excluded.verdict, agents = excluded.agents,
        confidence = excluded.confidence, human_reviewed = excluded.human_reviewed, reviewers = excluded.reviewers,
        ai_reviewers = excluded.ai_reviewers, additions = excluded.additions, deletions = excluded.deletions,
        ai_lines = excluded.ai_lines, pr_created_at = excluded.pr_created_at, pr_updated_at = excluded.pr_updated_at,
        pr_merged_at = excluded.pr_merged_at, merged_by = excluded.merged_by,
        unreviewed_ai_merge = excluded.unreviewed_ai_merge, scan_id = excluded.scan_id, updated_at = excluded.updated_at;

  update public.scans s
  set checkpoint = p_page -> 'checkpoint',
      progress = coalesce((p_page ->> 'progress')::integer, s.progress),
      progress_message = coalesce(p_page ->> 'message', s.progress_message),
      api_requests = public.scan_add_counts(s.api_requests, p_page -> 'api_requests'),
      timings = public.scan_add_counts(s.timings, pg_catalog.jsonb_build_object('pages', 1) || coalesce(p_page -> 'timings', '{}')),
      warnings = s.warnings || coalesce((select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('at', v_now, 'message', w))
                                         from pg_catalog.jsonb_array_elements_text(coalesce(p_page -> 'warnings', '[]')) w), '[]'),
      updated_at = v_now
  where s.id = v_scan.id;
  return v_write;
end $$;

-- What the job's scan has written so far: its commits ({sha, verdict, agents, confidence,
-- suspect_score, ai_lines, counted_lines, is_merge, recorded, marks_only, note_conflict}, in commit
-- order of writing) and pull requests.
-- Null when the claim is not ours.
create or replace function public.scan_rows(p_job_id uuid, p_attempt integer) returns jsonb
language sql stable security definer set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'scan_id', s.id,
    'api_requests', s.api_requests,
    'commits', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                  'sha', r.commit_sha, 'verdict', r.verdict, 'agents', r.agents, 'confidence', r.confidence,
                  'suspect_score', r.suspect_score, 'ai_lines', r.ai_lines, 'counted_lines', r.counted_lines,
                  'is_merge', r.is_merge, 'recorded', r.recorded, 'marks_only', r.marks_only,
                  'note_conflict', r.note_conflict) order by r.authored_at desc, r.commit_sha), '[]')
                from public.scan_results r where r.scan_id = s.id and r.path = ''),
    'pull_requests', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                        'number', p.github_pr_id, 'title', p.title, 'verdict', p.verdict, 'agents', p.agents,
                        'human_reviewed', p.human_reviewed, 'merged_at', p.pr_merged_at,
                        'unreviewed_ai_merge', p.unreviewed_ai_merge) order by p.github_pr_id), '[]')
                      from public.pull_requests p where p.scan_id = s.id))
  from public.scans s
  join public.scan_queue q on q.id = s.job_id
  where s.job_id = p_job_id and q.attempts = p_attempt and q.status = 'running'
$$;

-- The repository's stored commit rows whose git-ai notes changed since they were written (a note
-- pushed late, or rewritten — git-ai's CI rewrites notes after squash merges): p_notes is the notes
-- tree as {commit sha: blob sha}; a row is returned when its commit is in it and its note_blobs do
-- not hold that blob. Each as a commit row (record_scan_page's shape, its files from its file rows),
-- so the scan re-attributes it and writes it again with its page. Null when the claim is not ours.
create function public.scan_rows_with_new_notes(p_job_id uuid, p_attempt integer, p_notes jsonb) returns jsonb
language sql stable security definer set search_path = ''
as $$
  select (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
            'sha', r.commit_sha, 'verdict', r.verdict, 'agents', r.agents, 'confidence', r.confidence,
            'suspect_score', r.suspect_score, 'lines_added', r.lines_added, 'lines_deleted', r.lines_deleted,
            'ai_lines', r.ai_lines, 'counted_lines', r.counted_lines, 'is_merge', r.is_merge,
            'author_name', r.author_name, 'author_email', r.author_email, 'authored_at', r.authored_at,
            'committed_at', r.committed_at, 'suspect_inputs', r.suspect_inputs, 'recorded', r.recorded,
            'marks_only', r.marks_only, 'note_conflict', r.note_conflict, 'note_blobs', r.note_blobs,
            'files', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                        'path', f.path, 'added', f.lines_added, 'deleted', f.lines_deleted, 'filtered_out', f.filtered_out)
                        order by f.path), '[]')
                      from public.scan_results f
                      where f.repository_id = r.repository_id and f.commit_sha = r.commit_sha and f.path <> ''))
            order by r.commit_sha), '[]')
          from public.scan_results r
          join pg_catalog.jsonb_each_text(coalesce(p_notes, '{}')) n (sha, blob) on n.sha = r.commit_sha
          where r.repository_id = s.repository_id and r.path = '' and not r.is_merge
            and not (n.blob = any (coalesce(r.note_blobs, '{}'))))
  from public.scans s
  join public.scan_queue q on q.id = s.job_id
  where s.job_id = p_job_id and q.attempts = p_attempt and q.status = 'running'
$$;

-- The scan completes: p_completion is {summary, watermark, result, api_requests (what the run
-- spent since its last page), decisions: [{sha, verdict, confidence, suspect_score}]} (the
-- suspected tier's verdicts, decided over the repository's rows in the scan window: they apply to
-- the repository's unmarked rows, earlier scans' included, whose verdict may change with the new
-- evidence). The job completes first — refused, this writes nothing —, then the decisions, the
-- scan's summary, the repository's watermark and the team metrics of the authors and weeks the
-- scan touched or whose verdicts the decisions changed. The job's result holds the scan's id.
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
  -- that the scans finishing meanwhile join the pending job instead of each making one.
  perform public.enqueue_scan(v_scan.company_id, null, 'calculate_scores', 2,
    v_now + pg_catalog.make_interval(secs => public.pipeline_setting_int('score_debounce_seconds', 5)),
    pg_catalog.jsonb_build_object('trigger', 'scan_completed'));
  return v_write;
end $$;

revoke all on function public.scan_rows_with_new_notes(uuid, integer, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.scan_rows_with_new_notes(uuid, integer, jsonb) to service_role;

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

revoke all on function public.weekly_report_origins(uuid, date) from public, anon, authenticated, service_role;
grant execute on function public.weekly_report_origins(uuid, date) to service_role;
