-- Scans and what they found: the records the scores, alerts, reports and dashboards stand on. A
-- scan is the run of one job (its resumptions and retries continue it); its results are kept per
-- repository and commit, and per pull request, and outlive the queue's pruning of the job.

create domain public.scan_status as text
  constraint scan_status_known check (value in ('running', 'completed', 'failed', 'cancelled'));
create domain public.scan_verdict as text
  constraint scan_verdict_known check (value in ('recorded', 'attested', 'assisted', 'suspected', 'human'));

create table public.scans (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references public.companies (id) on delete cascade,
  repository_id uuid not null references public.repositories (id) on delete cascade,
  -- The job this scan runs. No foreign key: jobs are pruned after days, scans are kept.
  job_id uuid not null unique,
  scan_type public.scan_type_name not null,
  status public.scan_status not null default 'running',
  progress public.scan_progress not null default 0,
  progress_message text,
  -- Where the GitHub reader stands after the last page written (its ScanCheckpoint, plain JSON):
  -- a run that ran out of its edge budget, or whose worker died, continues from here.
  checkpoint jsonb,
  summary jsonb,
  error_message text,
  -- What did not stop the scan but is missing from it: [{at, message}] (a pull request that
  -- could not be read, …).
  warnings jsonb not null default '[]',
  -- GitHub requests, summed over the runs of the scan: {requests, counted, not_modified, graphql_points}.
  api_requests jsonb not null default '{}',
  -- {runs, pages, github_ms}: how many claims it took, and time spent reading GitHub.
  timings jsonb not null default '{}',
  -- The job's attempt that last wrote it (every write is fenced by it).
  attempt integer not null,
  started_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  completed_at timestamptz
);
create index scans_repository_started on public.scans (repository_id, started_at desc);
create index scans_company_started on public.scans (company_id, started_at desc);

comment on table public.scans is
  'One row per scan job: its status, progress (live through Realtime), checkpoint, summary, warnings and GitHub cost. Written by begin_scan, record_scan_page and complete_scan.';

-- Per commit ('' path) and per file: what detection made of it, as the latest scan saw it. The key
-- is the repository and the commit, so scanning again (a retry, a resumed run, a later full scan)
-- updates rows and never adds duplicates; scan_id says which scan wrote them last.
create table public.scan_results (
  repository_id uuid not null references public.repositories (id) on delete cascade,
  commit_sha text not null,
  -- '' for the commit's own row; a file's path for each of its files.
  path text not null default '',
  company_id uuid not null,
  scan_id uuid not null references public.scans (id) on delete cascade,
  verdict public.scan_verdict not null,
  agents text[] not null default '{}',
  -- In the verdict, 0..1 (for a file: its commit's).
  confidence real not null,
  -- The repository rule's P(AI-written | no mark) of an unmarked non-merge commit it scored (set by
  -- complete_scan); null where marks decided, and where the rule did not score it or abstained.
  suspect_score real,
  -- A commit row: its totals (GitHub's stats). A file row: the file's numstat, or null when it is
  -- not known — a binary file, or a file the GitHub reader proved part of the commit from path
  -- histories without reading its lines, because no figure needed them (the totals did).
  lines_added integer,
  lines_deleted integer,
  -- Commit rows: added lines that count as AI LOC (attested only) and that count at all (the AI-LOC
  -- filter's lock files, vendored and generated code left out; 0 for merges).
  ai_lines integer,
  counted_lines integer,
  -- File rows: why the AI-LOC filter leaves it out ('lock', 'vendored', 'generated'), or null.
  filtered_out text,
  is_merge boolean not null default false,
  author_name text,
  author_email text,
  authored_at timestamptz,
  committed_at timestamptz,
  -- Commit rows: what the suspected tier's repository rule reads of the commit (its SuspectInputs:
  -- parents, author, authored ms, attested/candidate, style with marks stripped, paths), so that a
  -- scan's completion decides over the repository's rows within the scan window, earlier scans'
  -- included. Null for file rows and rows written before the rule kept it.
  suspect_inputs jsonb,
  -- Commit rows with a git-ai record (verdict 'recorded' when it has AI lines): what the commit's
  -- note — or a squash merge's PR's commits' notes — records of its counted lines, per file capped
  -- at what the commit added (RecordedLines: source, ai_lines, human_lines, untracked_lines,
  -- capped_lines, by_agent [{agent, tool, model, lines}], files). ai_lines is then the record's AI
  -- lines. recorded_ai_lines / recorded_human_lines repeat its two sums for SQL; marks_only is what
  -- the marks alone said ({verdict, agents, ai_added_lines}); note_conflict where the two disagree.
  -- Null without a record.
  recorded jsonb,
  recorded_ai_lines integer,
  recorded_human_lines integer,
  marks_only jsonb,
  note_conflict text,
  -- The blob shas of the notes read for the commit (its own, its PR's commits'): a later scan
  -- re-reads a commit's notes only when the notes tree has other blobs for them (a late note).
  note_blobs text[],
  primary key (repository_id, commit_sha, path)
);
create index scan_results_scan on public.scan_results (scan_id) where path = '';
create index scan_results_company_author on public.scan_results (company_id, lower(author_email), authored_at) where path = '';

-- One row per pull request of a repository, as the latest scan saw it.
create table public.pull_requests (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references public.companies (id) on delete cascade,
  repository_id uuid not null references public.repositories (id) on delete cascade,
  -- The pull request's number in its repository.
  github_pr_id integer not null,
  title text not null,
  author_login text,
  author_is_bot boolean not null default false,
  state text not null,
  head_ref text,
  base_ref text,
  ai_generated boolean not null,
  verdict public.scan_verdict not null,
  agents text[] not null default '{}',
  confidence real not null,
  -- A review before the merge by a human who is not the author (bots and AI reviewers do not count).
  human_reviewed boolean not null,
  reviewers text[] not null default '{}',
  ai_reviewers text[] not null default '{}',
  additions integer not null default 0,
  deletions integer not null default 0,
  ai_lines integer not null default 0,
  pr_created_at timestamptz,
  pr_updated_at timestamptz,
  pr_merged_at timestamptz,
  merged_by text,
  -- An AI pull request merged without a human review: what the review-coverage alert counts.
  unreviewed_ai_merge boolean not null,
  scan_id uuid references public.scans (id) on delete set null,
  updated_at timestamptz not null default now(),
  unique (repository_id, github_pr_id)
);
create index pull_requests_company_merged on public.pull_requests (company_id, pr_merged_at desc);
create index pull_requests_scan on public.pull_requests (scan_id);

-- Per author of a company and per ISO week (Monday to Sunday, UTC): what their commits were,
-- over all the company's repositories, from the latest results. Recomputed for the authors and
-- weeks a scan touched, when it completes.
create table public.team_metrics (
  company_id uuid not null references public.companies (id) on delete cascade,
  author_email text not null,
  period_start date not null,
  period_end date not null,
  author_name text,
  commits integer not null,
  ai_commits integer not null,
  assisted_commits integer not null,
  suspected_commits integer not null,
  -- Counted added lines (the AI-LOC filter applied), and of those the attested AI LOC.
  lines_added integer not null,
  ai_lines integer not null,
  repositories integer not null,
  updated_at timestamptz not null default now(),
  primary key (company_id, author_email, period_start)
);

alter table public.scans enable row level security;
alter table public.scan_results enable row level security;
alter table public.pull_requests enable row level security;
alter table public.team_metrics enable row level security;
create policy scans_member_read on public.scans for select to authenticated using (company_id = public.current_company_id());
create policy scan_results_member_read on public.scan_results for select to authenticated using (company_id = public.current_company_id());
create policy pull_requests_member_read on public.pull_requests for select to authenticated using (company_id = public.current_company_id());
create policy team_metrics_member_read on public.team_metrics for select to authenticated using (company_id = public.current_company_id());

-- A dashboard streams a scan's progress (Supabase Realtime; the local bootstrap has the publication too).
alter publication supabase_realtime add table public.scans;
