-- A repository scan's writes, each fenced by the job's id and attempt like every write-back of
-- the queue, so that a late, duplicate or reaped worker can write nothing:
--   begin_scan        the scan of a job (made on its first run) and where its last run stopped;
--   record_scan_page  one page of results, the checkpoint after it, and a heartbeat — one statement,
--                     so a checkpoint never runs ahead of the rows it stands for;
--   scan_rows         what the scan has written so far (for the summary);
--   scan_repository_evidence  what the suspected tier reads of the repository's rows in the scan window;
--   complete_scan     the suspected verdicts, the summary, the repository's watermark, the team
--                     metrics, the job's completion and the company's calculate_scores job, in one
--                     transaction: never a watermark without its results, never results of a scan
--                     that did not complete.

-- The repository of a scan job, for the job's claimant: no row when the claim is no longer ours,
-- a row with null full_name when the company does not track the repository (deleted, or a row
-- written around enqueue_scan's check). scan_window_days is the company's window for full scans.
create function public.repository_scan_target(p_job_id uuid, p_attempt integer)
returns table (repository_id uuid, full_name text, default_branch text, is_active boolean, scan_watermark jsonb,
               scan_window_days integer, source text)
language sql stable security definer set search_path = ''
as $$
  select q.repository_id, r.full_name, r.default_branch, r.is_active, r.scan_watermark,
         case when pg_catalog.jsonb_typeof(c.settings -> 'scan_window_days') = 'number'
              then greatest(1, floor((c.settings ->> 'scan_window_days')::numeric))::integer end,
         r.source
  from public.scan_queue q
  join public.companies c on c.id = q.company_id
  left join public.repositories r on r.id = q.repository_id and r.company_id = q.company_id
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
$$;

-- The job's repository's default branch, as GitHub names it (a repository registered from an
-- installation event starts as 'main'; a default branch may be renamed): set by the job's claimant.
-- Answers whether the claim was ours.
create function public.set_scan_default_branch(p_job_id uuid, p_attempt integer, p_branch text) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
begin
  if p_branch is null or p_branch !~ '^[^[:cntrl:][:space:]~^:?*\[\\]{1,255}$' then
    raise exception 'set_scan_default_branch: % is not a branch name', pg_catalog.quote_literal(coalesce(p_branch, '')) using errcode = '22023';
  end if;
  update public.repositories r set default_branch = p_branch
  from public.scan_queue q
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running' and r.id = q.repository_id and r.company_id = q.company_id;
  return found;
end $$;

-- The scan of a job, made on its first run: its id, the checkpoint to resume from (null: start
-- afresh), and its runs and pages so far (each run counts in timings.runs). No row when the claim
-- is not ours.
create function public.begin_scan(p_job_id uuid, p_attempt integer)
returns table (scan_id uuid, checkpoint jsonb, runs integer, pages integer)
language sql volatile security definer set search_path = ''
as $$
  insert into public.scans as s (company_id, repository_id, job_id, scan_type, attempt, timings)
  select q.company_id, q.repository_id, q.id, q.scan_type, q.attempts, '{"runs": 1}'
  from public.scan_queue q
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running' and q.repository_id is not null
  on conflict (job_id) do update
    set attempt = excluded.attempt, status = 'running', error_message = null, completed_at = null, updated_at = now(),
        timings = s.timings || pg_catalog.jsonb_build_object('runs', coalesce((s.timings ->> 'runs')::integer, 0) + 1)
  returning s.id, s.checkpoint, (s.timings ->> 'runs')::integer, coalesce((s.timings ->> 'pages')::integer, 0)
$$;

-- {requests: a, counted: b, …} + {requests: c, …} = {requests: a + c, …}: the GitHub cost of a scan over its pages.
create function public.scan_add_counts(p_total jsonb, p_more jsonb) returns jsonb
language sql immutable
as $$
  select coalesce(pg_catalog.jsonb_object_agg(k, coalesce((p_total ->> k)::numeric, 0) + coalesce((p_more ->> k)::numeric, 0)), '{}')
  from (select pg_catalog.jsonb_object_keys(coalesce(p_total, '{}') || coalesce(p_more, '{}')) k) keys
$$;

-- One page of a scan: p_page is {commits: [{sha, verdict, agents, confidence, suspect_score,
-- lines_added, lines_deleted, ai_lines, counted_lines, is_merge, author_name, author_email,
-- authored_at, committed_at, files: [{path, added, deleted, filtered_out}], suspect_inputs}], pull_requests: [{number,
-- title, …}], checkpoint, progress, message, api_requests: {…added by this page}, warnings: [text]}.
-- It is also the job's heartbeat: refused (nothing written) when the claim is not ours, and when a
-- cancel was requested the job becomes cancelled here and nothing is written either.
create function public.record_scan_page(p_job_id uuid, p_attempt integer, p_page jsonb)
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
create function public.scan_rows(p_job_id uuid, p_attempt integer) returns jsonb
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

-- What the suspected tier reads at the scan's completion: [[sha, suspect_inputs], …] of the
-- repository's commit rows in the company's scan window (authored at p_since or later) and of the
-- scan's own rows whatever their age, in sha order — earlier scans' rows with this one's, so that
-- the commits an incremental scan brings are judged with the repository's evidence and the earlier
-- rows re-decided with them. Null when the claim is not ours.
create function public.scan_repository_evidence(p_job_id uuid, p_attempt integer, p_since timestamptz) returns jsonb
language sql stable security definer set search_path = ''
as $$
  select (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(r.commit_sha, r.suspect_inputs) order by r.commit_sha), '[]')
          from public.scan_results r
          where r.repository_id = s.repository_id and r.path = '' and r.suspect_inputs is not null
            and (r.scan_id = s.id or r.authored_at >= p_since))
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
create function public.complete_scan(p_job_id uuid, p_attempt integer, p_completion jsonb)
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
