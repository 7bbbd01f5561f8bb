/**
 * The processor of the repository scan types (full_scan: the scan window; incremental_scan: since
 * the watermark; pr_analysis: one PR by number — the types public.scan_job_types gives the
 * scan-repository worker). It reads the repository from GitHub with the fewest requests (ETag
 * cache, the last scan's watermark), and writes what it finds one page at a time, each page with the checkpoint after it (record_scan_page), so that a run that
 * runs out of its edge budget snoozes itself and the next one continues there, without spending
 * an attempt — and a killed worker's job resumes from its last page after the lease. Once every
 * page is in, the suspected tier decides over the repository's commits in the scan window (earlier
 * scans' rows with this one's), and its decisions, the summary, the watermark and the job's
 * completion commit together (complete_scan).
 * What GitHub's errors mean for the job (jobErrorFor): "come back later" snoozes it (no attempt
 * spent), GitHub being down waits for GitHub (no attempt spent, claims paused), a refused token or
 * a repository GitHub does not have is a permanent failure. The job's signal stops the GitHub
 * client at once (cancel, time budget, shutdown). Runtime-agnostic: the edge function and the
 * Node worker both register it.
 */
import { classifyPullRequest, createCommitScorer, decideRepositorySuspects, suspectedVerdict } from "../detection/index.ts";
import { vaultToken, type TokenSource } from "../github/auth.ts";
import { GitHubError, GitHubUnavailable, RateLimited } from "../github/errors.ts";
import { PostgresEtagCache } from "../github/etag-cache.ts";
import { GitHubHttp, type RequestCounter } from "../github/http.ts";
import { fetchCommit } from "../github/commits.ts";
import { readNotes, readNotesTree } from "../github/notes.ts";
import { scanRepository } from "../github/scan.ts";
import type { Db } from "../platform/db.ts";
import {
  CompletedJob,
  JobStopped,
  PermanentJobError,
  SnoozeJob,
  SourceUnavailable,
  type ScanJobContext,
  type ScanProcessor,
} from "../queue/worker/outcomes.ts";
import type { JsonValue } from "../queue/types.ts";
import { pullRequestRecords, rowWithNewNote, withNotes } from "./recorded.ts";
import { type CommitRow, commitRow, pullRequestRow } from "./results.ts";
import { type ScanPageWrite, ScanStore } from "./store.ts";
import { summarizeRows } from "./summary.ts";

/** The edge function that runs repository scans (public.scan_job_types.worker). */
export const REPOSITORY_SCAN_WORKER = "scan-repository";

/** A full scan's window when the company sets none (settings.scan_window_days). */
export const DEFAULT_SCAN_WINDOW_DAYS = 90;

/**
 * A run stops at a page boundary when less than this is left of its time budget, or twice its
 * longest page so far if that is more: the next page and its write must fit before the deadline.
 */
const CHECKPOINT_RESERVE_MS = 10_000;

export interface RepositoryScanDeps {
  db: Db;
  /** GitHub's REST base (default https://api.github.com); the local GitHub's URL in the demo and tests. */
  githubBaseUrl?: string;
  /** The company's GitHub credentials; default: its token in Vault. */
  tokenFor?: (companyId: string) => TokenSource;
  now?: () => number;
}

/**
 * What a GitHub error means for the job: a SnoozeJob until a rate limit resets, a SourceUnavailable
 * when GitHub is down, a PermanentJobError when retrying cannot help (refused token, 404, GraphQL
 * errors), or the error itself: a failed attempt, retried with backoff (a malformed page).
 */
export function jobErrorFor(error: unknown): unknown {
  if (error instanceof RateLimited) return new SnoozeJob(error.resetAt, error.message);
  if (error instanceof GitHubUnavailable) return new SourceUnavailable(error.message, { cause: error, timedOut: error.timedOut });
  if (error instanceof GitHubError && !error.retryable) return new PermanentJobError(error.message, { cause: error });
  return error;
}

/** The processor registered under every type in `scanTypes`, as a WorkerLoop wants them. */
export function repositoryScanProcessors(deps: RepositoryScanDeps, scanTypes: readonly string[]): Record<string, ScanProcessor> {
  const processor = repositoryScanProcessor(deps);
  return Object.fromEntries(scanTypes.map((type) => [type, processor]));
}

/** What GitHub charged since `from` (a copy of the counter taken then). */
function spent(counter: RequestCounter, from: RequestCounter): ScanPageWrite["api_requests"] {
  return {
    requests: counter.requests - from.requests,
    counted: counter.counted - from.counted,
    not_modified: counter.notModified - from.notModified,
    graphql_points: counter.graphqlPoints - from.graphqlPoints,
  };
}

/** Progress without knowing the number of pages in advance: 9 % after one page, 59 % after ten, never 100 before the end. */
function progressAfter(pages: number): number {
  return Math.round(90 * (1 - 0.9 ** pages));
}

/** The PR a pr_analysis job reads (enqueue checks it too: scan_queue_job_key). */
function pullRequestNumberOf(payload: ScanJobContext["job"]["payload"]): number {
  const n = payload.pr_number;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1) {
    throw new PermanentJobError(`pr_analysis needs payload.pr_number, the pull request's number (e.g. {"pr_number": 42}); got ${JSON.stringify(n ?? null)}`);
  }
  return n;
}

export function repositoryScanProcessor(deps: RepositoryScanDeps): ScanProcessor {
  const now = deps.now ?? (() => Date.now());
  const store = new ScanStore(deps.db);
  return async (ctx: ScanJobContext) => {
    const { job, attempt } = ctx;
    // A run claimed near the end of its invocation may have too little time for any page.
    const startedWithMs = ctx.deadline === null ? null : ctx.deadline - now();
    if (!job.repositoryId) throw new PermanentJobError(`${job.scanType} needs a repository_id`);
    const prNumber = job.scanType === "pr_analysis" ? pullRequestNumberOf(job.payload) : undefined;
    const target = await store.target(job.id, attempt);
    if (!target) throw new JobStopped("lease_lost", `job ${job.id} attempt ${attempt} no longer holds its claim`);
    if (!target.fullName) throw new PermanentJobError(`repository ${job.repositoryId} is not tracked by company ${job.companyId}`);
    const scan = await store.begin(job.id, attempt);
    if (!scan) throw new JobStopped("lease_lost", `job ${job.id} attempt ${attempt} no longer holds its claim`);
    ctx.correlate({ scanId: scan.scanId });
    const [owner, name] = target.fullName.split("/");
    const etagCache = new PostgresEtagCache(deps.db, job.companyId);
    const http = new GitHubHttp({
      token: (deps.tokenFor ?? ((id) => vaultToken(deps.db, id)))(job.companyId),
      baseUrl: deps.githubBaseUrl,
      etagCache,
      now,
      signal: ctx.signal,
      onAnswer: () => ctx.sourceAnswered(),
    });
    const windowDays = target.scanWindowDays ?? DEFAULT_SCAN_WINDOW_DAYS;
    const score = createCommitScorer({}, scan.checkpoint?.scorer);
    let pages = scan.pages;
    let pagesThisRun = 0;
    let lastCounter = { ...http.counter };
    let lastPageAt = now();
    let longestPageMs = 0;
    try {
      const result = await scanRepository(http, {
        owner,
        name,
        branch: target.defaultBranch,
        previous: job.scanType === "full_scan" ? null : target.watermark,
        commitsSince: new Date(now() - windowDays * 86_400_000).toISOString(),
        scanWindowDays: windowDays,
        pullRequest: prNumber,
        resume: scan.checkpoint?.github ?? null,
        onDefaultBranch: (branch) => store.setDefaultBranch(job.id, attempt, branch),
        onPage: async (page) => {
          pages++;
          pagesThisRun++;
          const pageMs = now() - lastPageAt;
          longestPageMs = Math.max(longestPageMs, pageMs);
          // A commit's git-ai record (its note's, or its squash-merged PR's commits' notes') over its marks.
          const noteWarnings: string[] = [];
          const commits = page.commits.map((c) => {
            const out = withNotes(c, score(c), page.notes[c.sha]);
            noteWarnings.push(...out.warnings);
            return commitRow(c, out.scored, out.noteBlobs);
          });
          const write = await store.recordPage(job.id, attempt, {
            commits,
            // A PR whose commits' git-ai notes record AI lines is recorded (its commits' records).
            pull_requests: page.pullRequests.map((pr) => pullRequestRow(pr, classifyPullRequest(pr, { records: pullRequestRecords(pr, page.pullRequestNotes?.[String(pr.number)]) }))),
            // The scorer's cadence after this page's commits: the next run scores on from here
            // (the rows keep each commit's evidence for the suspected tier).
            checkpoint: page.checkpoint && { github: page.checkpoint, scorer: score.cadence() },
            progress: progressAfter(pages),
            message: `read ${pages} page(s) from GitHub`,
            api_requests: spent(http.counter, lastCounter),
            timings: { github_ms: pageMs },
            warnings: [...page.warnings, ...noteWarnings],
          });
          lastCounter = { ...http.counter };
          lastPageAt = now();
          if (write.cancelRequested || write.status === "cancelled") throw new JobStopped("cancelled", "a cancel was requested");
          if (!write.accepted) throw new JobStopped("lease_lost", write.message ?? "the claim is no longer ours");
          if (ctx.signal.aborted) throw ctx.signal.reason;
          // Out of time for another page: stop here; the checkpoint just written is where the next run starts.
          if (ctx.deadline !== null && page.checkpoint && now() > ctx.deadline - Math.max(CHECKPOINT_RESERVE_MS, 2 * longestPageMs)) return false;
        },
      });
      if (result.checkpoint) {
        return new SnoozeJob(new Date(now()), `checkpointed after ${pagesThisRun} page(s) of this run (${pages} in all): the next run continues there`);
      }
      // Notes that appeared or changed since the rows were written (pushed late; git-ai's CI rewrites
      // a squash merge's note): those rows are attributed again and written with this scan, so
      // its completion recomputes their weeks' team metrics and the company's scores.
      if (result.notesChanged && result.notes) {
        const repo = { owner, name };
        const tree = await readNotesTree(http, repo, result.notes);
        const stale = await store.rowsWithNewNotes(job.id, attempt, Object.fromEntries([...tree].map(([sha, e]) => [sha, e.blob])));
        if (!stale) throw new JobStopped("lease_lost", `job ${job.id} attempt ${attempt} no longer holds its claim`);
        if (stale.length > 0) {
          const reads = await readNotes(http, repo, result.notes, new Map(stale.map((r) => [r.sha, tree.get(r.sha)!])));
          const warnings: string[] = [];
          const rows: CommitRow[] = [];
          for (const row of stale) {
            // The note's lines are capped at what the commit added to each file: a stored file
            // whose lines were not read (proven from path histories) is read from REST now.
            const files = row.files.some((f) => f.added === null && f.filtered_out === null)
              ? (await fetchCommit(http, `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`, row.sha)).files
              : row.files.map((f) => ({ path: f.path, added: f.added, deleted: f.deleted }));
            const out = rowWithNewNote(row, files, reads.get(row.sha)!);
            warnings.push(...out.warnings);
            rows.push(out.row);
          }
          const write = await store.recordPage(job.id, attempt, {
            commits: rows,
            pull_requests: [],
            checkpoint: null,
            progress: progressAfter(pages + 1),
            message: `${rows.length} earlier commit(s) with new git-ai notes`,
            api_requests: spent(http.counter, lastCounter),
            timings: { github_ms: now() - lastPageAt },
            warnings,
          });
          lastCounter = { ...http.counter };
          if (!write.accepted) throw new JobStopped("lease_lost", write.message ?? "the claim is no longer ours");
        }
      }
      const soFar = await store.soFar(job.id, attempt);
      if (!soFar) throw new JobStopped("lease_lost", `job ${job.id} attempt ${attempt} no longer holds its claim`);
      // The suspected tier decides now, over the repository's rows in the scan window — earlier
      // scans' and this one's, each keeping its commit's evidence — so that the few commits of an
      // incremental scan are judged with the repository's evidence, and the earlier rows are
      // re-decided with the new commits (the rule is order-independent: the same rows, the same
      // decisions, however many scans and runs wrote them).
      const evidence = await store.repositoryEvidence(job.id, attempt, new Date(now() - windowDays * 86_400_000));
      if (!evidence) throw new JobStopped("lease_lost", `job ${job.id} attempt ${attempt} no longer holds its claim`);
      const rule = decideRepositorySuspects(evidence);
      const abstained = rule.report.abstained !== null;
      const decisions = rule.decisions.map((d) => ({ sha: d.sha, ...suspectedVerdict(d), suspect_score: abstained ? null : d.probability }));
      const bySha = new Map(decisions.map((d) => [d.sha, d]));
      const commits = soFar.commits.map((c) => {
        const d = bySha.get(c.sha);
        return d && !c.recorded && (c.verdict === "human" || c.verdict === "suspected") ? { ...c, verdict: d.verdict, confidence: d.confidence, suspect_score: d.suspect_score } : c;
      });
      // The scan's summary lists the suspects among its own commits; the rule's report is the window's.
      const own = new Set(soFar.commits.map((c) => c.sha));
      const suspects = { report: rule.report, decisions: rule.decisions.filter((d) => own.has(d.sha)) };
      const lastSpent = spent(http.counter, lastCounter);
      const summary = summarizeRows({
        commits,
        pullRequests: soFar.pullRequests,
        apiRequests: { counted: (soFar.apiRequests.counted ?? 0) + lastSpent.counted, notModified: (soFar.apiRequests.not_modified ?? 0) + lastSpent.not_modified },
        suspects,
      });
      const write = await store.complete(job.id, attempt, {
        summary,
        ...(result.watermark ? { watermark: result.watermark } : {}),
        decisions,
        api_requests: lastSpent,
        result: {
          repository: target.fullName,
          scan_type: job.scanType,
          unchanged: result.unchanged,
          ...(prNumber === undefined ? { scan_window_days: windowDays } : { pr_number: prNumber }),
          watermark: result.watermark as unknown as JsonValue,
        },
      });
      return new CompletedJob(write);
    } catch (error) {
      // The budget ran out in the middle of a page: the pages written so far stand, so the run
      // made progress and the next one continues. A run that wrote none spends an attempt (a page
      // longer than a whole run would otherwise come back forever) — unless it was claimed with
      // less than a page's reserve left, when no page could have fit: that is the claim's timing.
      if (ctx.signal.aborted && error === ctx.signal.reason && (error as JobStopped).reason === "deadline") {
        if (pagesThisRun > 0) {
          return new SnoozeJob(new Date(now()), `the time budget ran out after ${pagesThisRun} page(s) of this run (${pages} in all): the next run continues there`);
        }
        if (startedWithMs !== null && startedWithMs < CHECKPOINT_RESERVE_MS) {
          return new SnoozeJob(new Date(now()), `claimed with ${Math.round(startedWithMs)} ms of the time budget left, too little for a page: the next run continues at page ${pages + 1}`);
        }
      }
      if (error instanceof JobStopped || (ctx.signal.aborted && error === ctx.signal.reason)) throw error;
      throw jobErrorFor(error);
    } finally {
      // The company's cache stays within its bound after every scan (its figures: 30_github.sql).
      await etagCache.trim().catch(() => {});
    }
  };
}
