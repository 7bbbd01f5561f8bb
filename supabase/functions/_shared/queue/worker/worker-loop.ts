/**
 * The worker loop: claim → run → write back, with one processor per scan type. It composes the
 * parts (River's producer / executor / completer, pgflow's worker and lifecycle):
 *   claimer.ts     claims while there is capacity, waits for work between claims;
 *   executor.ts    runs one job — heartbeats, the processor, the write of its outcome (outcomes.ts);
 *   completer.ts   batches completions;
 *   write-back.ts  retries a job's writes while its lease lasts;
 * and owns the lifecycle, here: the jobs in flight, and how a run ends.
 *
 * Two ways to run it, same code:
 *  - `drain({ budgetMs })` — an edge function's invocation: claim and process until nothing is
 *    ready or the time budget runs low, then finish or hand back what is still in flight.
 *  - `start()` … `stop({ graceMs })` — a long-lived worker (`codeguard worker`): waits for work
 *    between claims (`wake()` on a notification, a poll interval as the backstop) and, on stop,
 *    stops claiming, lets in-flight jobs finish within the grace period, then releases the rest.
 *    With `jobTimeoutMs`, each job has the time limit an invocation's budget gives it at the edge.
 */
import type { ScanQueue } from "../client.ts";
import { type Clock, systemClock } from "../clock.ts";
import type { ScanJob } from "../types.ts";
import { Claimer } from "./claimer.ts";
import { Completer } from "./completer.ts";
import { emptyReport, Executor, type InFlight, type WorkerReport } from "./executor.ts";
import { type JobOutcome, JobStopped, type QueueLog, type ScanProcessor } from "./outcomes.ts";
import { WriteBack } from "./write-back.ts";

export type { WorkerReport } from "./executor.ts";

export interface WorkerLoopOptions {
  queue: ScanQueue;
  /** One processor per scan type. A claimed job of another type goes dead ("No processor registered for job type: X"). */
  processors: Readonly<Record<string, ScanProcessor>>;
  workerId: string;
  /** Jobs processed at once; default 1. */
  concurrency?: number;
  /**
   * Lease of each claim; default 30 s, renewed by heartbeats: a killed worker's job is handed on
   * within a lease and the reaper's 10 s, and the lease no longer has to cover an edge invocation.
   */
  leaseSeconds?: number;
  /** Heartbeat period; default a third of the lease, so two may be lost before the lease runs out. */
  heartbeatMs?: number;
  /** Claim only these types; default the types of `processors`. */
  scanTypes?: readonly string[];
  /** Long-lived mode: the longest wait between claims without a wake-up; default 2 s. */
  pollIntervalMs?: number;
  /**
   * Long-lived mode: each job's time limit from its claim, its deadline as an edge budget is (a scan
   * checkpoints before it and snoozes, to go on from there). At the limit its signal fires (reason
   * "deadline"); a processor still running `jobTimeoutGraceMs` later (default 30 s) is abandoned and
   * the job failed as "did not finish within its time limit" (retried with backoff). Without a
   * limit, a processor that never returns — a request or a query that hangs — keeps its job, and
   * its heartbeats keep the lease, for ever. Default: none.
   */
  jobTimeoutMs?: number;
  jobTimeoutGraceMs?: number;
  /**
   * How long a job may run without moving — no progress report, no answer from its source — before
   * it is stopped (reason "stalled") and, 10 s later if its processor still has not returned,
   * handed back without spending an attempt. Heartbeats prove the worker lives, not that the job
   * moves: a processor waiting on a connection a Postgres restart left dead kept its lease with
   * them for 150 s until a kill freed it. Default 120 s: a scan reports a page every few seconds,
   * and one GitHub request gives up within 48 s (three tries of 15 s).
   */
  stallMs?: number;
  clock?: Clock;
  log?: QueueLog;
}

const noLog: QueueLog = () => {};

/**
 * The reason given when the loop aborts its own timers. `abort()` without a reason builds a
 * DOMException with a stack trace each time: ~8 % of the loop's CPU per no-op job in a profile of
 * bench/queue.ts (1 worker), on a 2-core machine where Postgres needs that CPU.
 */
const timerDone = Object.freeze({ reason: "timer no longer needed" });

/** A stalled job's processor gets this long to return after its signal fired, before it is let go. */
const STALL_RELEASE_GRACE_MS = 10_000;

/** The loop. See the module comment. */
export class WorkerLoop {
  readonly workerId: string;
  private readonly queue: ScanQueue;
  private readonly clock: Clock;
  private readonly log: QueueLog;
  private readonly leaseSeconds: number;
  private readonly jobTimeoutMs: number | null;
  private readonly jobTimeoutGraceMs: number;
  private readonly stallMs: number;
  private readonly claimer: Claimer;
  private readonly executor: Executor;

  private readonly inFlight = new Map<string, InFlight>();
  /** In-flight jobs whose processor still runs: what `concurrency` bounds. */
  private processing = 0;
  private stopping = false;
  private running: Promise<void> | null = null;
  private report: WorkerReport = emptyReport();

  constructor(options: WorkerLoopOptions) {
    this.queue = options.queue;
    this.workerId = options.workerId;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? noLog;
    this.leaseSeconds = options.leaseSeconds ?? 30;
    this.jobTimeoutMs = options.jobTimeoutMs ?? null;
    this.jobTimeoutGraceMs = options.jobTimeoutGraceMs ?? 30_000;
    this.stallMs = options.stallMs ?? 120_000;
    if (!(this.stallMs > 0)) throw new RangeError(`WorkerLoop: stallMs must be positive, got ${this.stallMs}`);
    if (this.jobTimeoutMs !== null && !(this.jobTimeoutMs > 0)) throw new RangeError(`WorkerLoop: jobTimeoutMs must be positive, got ${this.jobTimeoutMs}`);
    if (!this.workerId) throw new TypeError("WorkerLoop: workerId is required");
    if (!(this.leaseSeconds >= 1 && this.leaseSeconds <= 3600)) {
      throw new RangeError(`WorkerLoop: leaseSeconds must be between 1 and 3600, got ${this.leaseSeconds}`);
    }
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    // Correlation ids of each job's log lines: the job's own, and what its processor learns (its
    // scan's id) or its payload carries (the webhook delivery that asked for it).
    const learned = new WeakMap<ScanJob, { scanId?: string; deliveryId?: string }>();
    const fields = (job: ScanJob) => ({
      jobId: job.id, attempt: job.attempts, scanType: job.scanType, companyId: job.companyId, workerId: this.workerId,
      ...(job.repositoryId ? { repositoryId: job.repositoryId } : {}),
      ...(typeof job.payload.delivery_id === "string" ? { deliveryId: job.payload.delivery_id } : {}),
      ...learned.get(job),
    });
    const correlate = (job: ScanJob, ids: { scanId?: string; deliveryId?: string }) => learned.set(job, { ...learned.get(job), ...ids });
    const completer = new Completer(this.queue, () => this.claimer.nudge());
    this.executor = new Executor({
      queue: this.queue,
      processors: options.processors,
      completer,
      writeBack: new WriteBack({ clock: this.clock, log: this.log, fields, onRefused: () => this.report.refused++ }),
      clock: this.clock,
      log: this.log,
      heartbeatMs: options.heartbeatMs ?? (this.leaseSeconds * 1000) / 3,
      leaseSeconds: this.leaseSeconds,
      report: () => this.report,
      fields,
      correlate,
      onProcessed: (entry) => this.processed(entry),
    });
    this.claimer = new Claimer({
      queue: this.queue,
      completer,
      clock: this.clock,
      log: this.log,
      workerId: this.workerId,
      leaseSeconds: this.leaseSeconds,
      scanTypes: options.scanTypes ?? Object.keys(options.processors),
      concurrency,
      pollIntervalMs: options.pollIntervalMs ?? 2000,
      processing: () => this.processing,
      inFlight: () => this.inFlight.size,
      start: (job, deadline) => this.startJob(job, deadline),
      onClaimed: (n) => (this.report.claimed += n),
    });
  }

  /** Jobs being processed or written back right now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** New work may be ready (a notification arrived): claim now instead of at the next poll. */
  wake(): void {
    this.claimer.wake();
  }

  /**
   * Edge mode: claims and processes until no job is ready or the budget runs low, then waits for
   * in-flight jobs until the budget ends. At the budget their signals fire (reason "deadline"):
   * a processor checkpoints and returns a SnoozeJob; one still running `graceMs` later (default
   * 2 s) is failed as "did not finish within the time budget" (retried with backoff).
   */
  async drain(options: { budgetMs: number; stopClaimingMs?: number; graceMs?: number; claimed?: readonly ScanJob[] }): Promise<WorkerReport> {
    const deadline = this.clock.now() + options.budgetMs;
    const stopClaimingAt = deadline - (options.stopClaimingMs ?? Math.min(options.budgetMs * 0.2, 30_000));
    await this.begin({ deadline, stopClaimingAt, untilIdle: true, claimed: options.claimed });
    await this.settle(deadline - this.clock.now(), "deadline", options.graceMs ?? 2000);
    return { ...this.report };
  }

  /** Long-lived mode: runs until stop(). Resolves when the loop has stopped claiming. */
  start(): Promise<void> {
    return this.begin({ deadline: null, stopClaimingAt: null, untilIdle: false });
  }

  /**
   * Graceful stop: no more claims; in-flight jobs get `graceMs` (default 30 s) to finish; then
   * their signals fire (reason "shutdown") and, `releaseMs` later (default 2 s), those still
   * running are handed back (pending now, no attempt spent) so another worker takes them at once.
   */
  async stop(options: { graceMs?: number; releaseMs?: number } = {}): Promise<WorkerReport> {
    this.stopping = true;
    this.claimer.wake();
    if (this.running) await this.running;
    await this.settle(options.graceMs ?? 30_000, "shutdown", options.releaseMs ?? 2000);
    return { ...this.report };
  }

  /** Runs the claimer; `claimed`: jobs claimed already (a request named them) run first. */
  private begin(o: { deadline: number | null; stopClaimingAt: number | null; untilIdle: boolean; claimed?: readonly ScanJob[] }): Promise<void> {
    if (this.running) throw new Error("WorkerLoop: already running");
    this.report = emptyReport();
    this.stopping = false;
    for (const job of o.claimed ?? []) {
      this.report.claimed++;
      this.startJob(job, o.deadline);
    }
    this.running = this.claimer.run({ ...o, stopping: () => this.stopping }).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private startJob(job: ScanJob, deadline: number | null): void {
    const entry: InFlight = {
      job,
      controller: new AbortController(),
      abandoned: false,
      processing: true,
      done: Promise.resolve(),
      leaseEndsAt: this.clock.now() + this.leaseSeconds * 1000,
      movedAt: this.clock.now(),
    };
    this.processing++;
    this.inFlight.set(job.id, entry);
    let disarmLimit = () => {};
    if (deadline === null && this.jobTimeoutMs !== null) {
      deadline = this.clock.now() + this.jobTimeoutMs;
      disarmLimit = this.timeLimit(entry, this.jobTimeoutMs);
    }
    const disarmStall = this.stallBound(entry);
    const disarm = () => {
      disarmLimit();
      disarmStall();
    };
    entry.done = this.executor.run(entry, deadline).finally(() => {
      disarm();
      this.processed(entry);
      if (this.inFlight.get(job.id) === entry) this.inFlight.delete(job.id);
      this.claimer.wake(); // the write-back committed: a company of ours may be under its cap again
    });
  }

  /** The job's time limit (see jobTimeoutMs); answers its disarm. */
  private timeLimit(entry: InFlight, ms: number): () => void {
    const limit = ms >= 60_000 ? `${Math.round(ms / 6_000) / 10} min` : `${ms / 1000} s`;
    let disarmGrace = () => {};
    const disarm = this.clock.timer(ms, () => {
      if (!entry.processing) return;
      entry.controller.abort(new JobStopped("deadline", `the job ran past its time limit (${limit})`));
      disarmGrace = this.clock.timer(this.jobTimeoutGraceMs, () => {
        if (!entry.processing || entry.abandoned) return;
        this.log("warn", `abandoned a job still running ${limit} after its claim and ${this.jobTimeoutGraceMs / 1000} s after it was told to stop`, { jobId: entry.job.id, attempt: entry.job.attempts, scanType: entry.job.scanType, workerId: this.workerId });
        void this.abandon(entry, { kind: "fail", error: `did not finish within its time limit (${limit})`, retryable: true });
      });
    });
    return () => {
      disarm();
      disarmGrace();
    };
  }

  /** The job's bound on running without moving (see stallMs); answers its disarm. */
  private stallBound(entry: InFlight): () => void {
    let disarm = () => {};
    const check = () => {
      if (!entry.processing || entry.abandoned) return;
      const still = this.clock.now() - entry.movedAt;
      if (still < this.stallMs) {
        disarm = this.clock.timer(this.stallMs - still, check);
        return;
      }
      const why = `no progress for ${Math.round(still / 1000)} s (its bound is ${this.stallMs / 1000} s): the job is not moving although its worker lives`;
      entry.controller.abort(new JobStopped("stalled", why));
      disarm = this.clock.timer(STALL_RELEASE_GRACE_MS, () => {
        if (!entry.processing || entry.abandoned) return;
        this.log("warn", `handed back a job that made ${why}`, { jobId: entry.job.id, attempt: entry.job.attempts, scanType: entry.job.scanType, workerId: this.workerId });
        void this.abandon(entry, { kind: "release", reason: `released: ${why}` });
      });
    };
    disarm = this.clock.timer(this.stallMs, check);
    return () => disarm();
  }

  /** Writes an outcome for a job whose processor still runs, and lets the processor go. */
  private async abandon(entry: InFlight, outcome: JobOutcome): Promise<void> {
    entry.abandoned = true;
    this.processed(entry);
    await this.executor.record(entry, outcome);
    if (this.inFlight.get(entry.job.id) === entry) this.inFlight.delete(entry.job.id);
  }

  /**
   * The job's processor is done: its capacity is free while the write-back is still on its way, so
   * the next claim overlaps the completion instead of waiting a round trip for it. With 1 no-op
   * worker that took the loop from claim + complete in series to both at once (bench/queue.ts).
   * stop() and drain() still wait for the write-back (the job stays in `inFlight` until then).
   */
  private processed(entry: InFlight): void {
    if (!entry.processing) return;
    entry.processing = false;
    this.processing--;
    this.claimer.wake();
  }

  /** Waits up to `ms` for in-flight jobs, then stops the rest with `reason` and hands them back. */
  private async settle(ms: number, reason: "deadline" | "shutdown", reactMs: number): Promise<void> {
    const all = () => Promise.all([...this.inFlight.values()].map((f) => f.done));
    if (this.inFlight.size === 0) return;
    const timer = new AbortController();
    await Promise.race([all(), this.clock.sleep(Math.max(0, ms), timer.signal)]);
    timer.abort(timerDone);
    if (this.inFlight.size === 0) return;
    const message = reason === "deadline" ? "the time budget ran out" : "the worker is shutting down";
    for (const f of this.inFlight.values()) f.controller.abort(new JobStopped(reason, message));
    const react = new AbortController();
    await Promise.race([all(), this.clock.sleep(reactMs, react.signal)]);
    react.abort(timerDone);
    await Promise.all(
      [...this.inFlight.values()].map(async (f) => {
        if (f.abandoned) return; // its time limit's outcome is being written; its processor may never return
        if (!f.processing) return await f.done; // only its write-back is left: let it land
        await this.abandon(f, reason === "shutdown"
          ? { kind: "release", reason: `released: ${message}` }
          : { kind: "fail", error: "did not finish within the time budget", retryable: true });
      }),
    );
  }
}
