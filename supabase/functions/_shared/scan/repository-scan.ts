/**
 * The processor of the repository scan types (full_scan: the scan window; incremental_scan: since
 * the watermark; pr_analysis: one PR by number — the types public.scan_job_types gives the
 * scan-repository worker). It reads the repository's history through the repository's source
 * (source/history.ts; which implementation serves which source is the composition root's choice:
 * `deps.sources`), and writes what it finds one page at a time, each page with the source's
 * checkpoint after it (record_scan_page), so that a run that runs out of its edge budget snoozes
 * itself and the next one continues there, without spending an attempt — and a killed worker's
 * job resumes from its last page after the lease. Once every page is in, finish.ts decides the
 * suspects and completes the scan. What the source's errors mean for the job: jobErrorFor. The
 * job's signal stops the source at once (cancel, time budget, shutdown). Runtime-agnostic: the
 * edge function and the Node worker both register it.
 */
import { createCommitScorer } from "../detection/index.ts";
import type { Db } from "../platform/db.ts";
import { JobStopped, PermanentJobError, SnoozeJob, SourceUnavailable, type JobContext, type JobProcessor } from "../queue/worker/outcomes.ts";
import { SourceDown, SourceRateLimited, SourceRefused } from "../source/errors.ts";
import type { HistoryScope, OpenHistory } from "../source/history.ts";
import { finishScan } from "./finish.ts";
import { ScanRun } from "./run.ts";
import { ScanStore } from "./store.ts";

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
  /** The sources this worker reads, by name (public.repositories.source): the composition root's. */
  sources: Readonly<Record<string, OpenHistory>>;
  now?: () => number;
}

/** The processor registered under every type in `scanTypes`, as a WorkerLoop wants them. */
export function repositoryScanProcessors(deps: RepositoryScanDeps, scanTypes: readonly string[]): Record<string, JobProcessor> {
  const processor = repositoryScanProcessor(deps);
  return Object.fromEntries(scanTypes.map((type) => [type, processor]));
}

/**
 * What a source's answer means for the job (source/errors.ts onto queue/worker/outcomes.ts):
 * "come back at" snoozes it (no attempt spent), a source that is down waits for the source (no
 * attempt spent, claims of the source's jobs paused), a refusal is a permanent failure. Anything
 * else is returned as it is: a failed attempt, retried with backoff.
 */
export function jobErrorFor(error: unknown): unknown {
  if (error instanceof SourceRateLimited) return new SnoozeJob(error.until, error.message);
  if (error instanceof SourceDown) return new SourceUnavailable(error.message, { cause: error, timedOut: error.timedOut });
  if (error instanceof SourceRefused) return new PermanentJobError(error.message, { cause: error });
  return error;
}

/** The PR a pr_analysis job reads (enqueue checks it too: scan_queue_job_key). */
function pullRequestNumberOf(payload: JobContext["job"]["payload"]): number {
  const n = payload.pr_number;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1) {
    throw new PermanentJobError(`pr_analysis needs payload.pr_number, the pull request's number (e.g. {"pr_number": 42}); got ${JSON.stringify(n ?? null)}`);
  }
  return n;
}

function lost(jobId: string, attempt: number): JobStopped {
  return new JobStopped("lease_lost", `job ${jobId} attempt ${attempt} no longer holds its claim`);
}

export function repositoryScanProcessor(deps: RepositoryScanDeps): JobProcessor {
  const now = deps.now ?? (() => Date.now());
  const store = new ScanStore(deps.db);
  return async (ctx: JobContext) => {
    const { job, attempt } = ctx;
    // A run claimed near the end of its invocation may have too little time for any page.
    const startedWithMs = ctx.deadline === null ? null : ctx.deadline - now();
    if (!job.repositoryId) throw new PermanentJobError(`${job.scanType} needs a repository_id`);
    const prNumber = job.scanType === "pr_analysis" ? pullRequestNumberOf(job.payload) : undefined;
    const target = await store.target(job.id, attempt);
    if (!target) throw lost(job.id, attempt);
    if (!target.fullName) throw new PermanentJobError(`repository ${job.repositoryId} is not tracked by company ${job.companyId}`);
    const open = deps.sources[target.source];
    if (!open) {
      throw new PermanentJobError(`repository ${target.fullName} is read from source '${target.source}', which this worker does not serve (it serves: ${Object.keys(deps.sources).join(", ") || "none"})`);
    }
    const scope: HistoryScope = prNumber !== undefined ? { kind: "pull_request", number: prNumber }
      : job.scanType === "full_scan" ? { kind: "full" }
      : { kind: "incremental", watermark: target.watermark };
    const scan = await store.begin(job.id, attempt);
    if (!scan) throw lost(job.id, attempt);
    ctx.correlate({ scanId: scan.scanId });
    const history = open({ companyId: job.companyId, signal: ctx.signal, now, answered: () => ctx.sourceAnswered() });
    const windowDays = target.scanWindowDays ?? DEFAULT_SCAN_WINDOW_DAYS;
    const windowStart = new Date(now() - windowDays * 86_400_000);
    const run = new ScanRun(store, { id: job.id, attempt }, history, createCommitScorer({}, scan.checkpoint?.scorer), now, scan.pages);
    try {
      const read = await history.read({
        fullName: target.fullName,
        defaultBranch: target.defaultBranch,
        scope,
        since: windowStart.toISOString(),
        windowDays,
        resume: scan.checkpoint?.source ?? null,
      }, {
        onDefaultBranch: (branch) => store.setDefaultBranch(job.id, attempt, branch),
        onPage: async (page) => {
          await run.writePage(page);
          if (ctx.signal.aborted) throw ctx.signal.reason;
          // Out of time for another page: stop here; the checkpoint just written is where the next run starts.
          if (ctx.deadline !== null && page.checkpoint !== null && now() > ctx.deadline - Math.max(CHECKPOINT_RESERVE_MS, 2 * run.longestPageMs)) return false;
        },
      });
      if (read.checkpoint !== null) {
        return new SnoozeJob(new Date(now()), `checkpointed after ${run.pagesThisRun} page(s) of this run (${run.pages} in all): the next run continues there`);
      }
      if (read.changedNotes) await run.writeRenoted(read.changedNotes);
      return await finishScan(store, {
        jobId: job.id,
        attempt,
        scanType: job.scanType,
        fullName: target.fullName,
        windowStart,
        windowDays,
        prNumber,
        unchanged: read.unchanged,
        watermark: read.watermark,
        lastSpent: run.spentSinceLastPage(),
      });
    } catch (error) {
      // The budget ran out in the middle of a page: the pages written so far stand, so the run
      // made progress and the next one continues. A run that wrote none spends an attempt (a page
      // longer than a whole run would otherwise come back forever) — unless it was claimed with
      // less than a page's reserve left, when no page could have fit: that is the claim's timing.
      if (ctx.signal.aborted && error === ctx.signal.reason && (error as JobStopped).reason === "deadline") {
        if (run.pagesThisRun > 0) {
          return new SnoozeJob(new Date(now()), `the time budget ran out after ${run.pagesThisRun} page(s) of this run (${run.pages} in all): the next run continues there`);
        }
        if (startedWithMs !== null && startedWithMs < CHECKPOINT_RESERVE_MS) {
          return new SnoozeJob(new Date(now()), `claimed with ${Math.round(startedWithMs)} ms of the time budget left, too little for a page: the next run continues at page ${run.pages + 1}`);
        }
      }
      if (error instanceof JobStopped || (ctx.signal.aborted && error === ctx.signal.reason)) throw error;
      throw jobErrorFor(error);
    } finally {
      await history.close();
    }
  };
}
