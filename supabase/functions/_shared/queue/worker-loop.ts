/**
 * The worker loop: claim → process → finish, with one processor per scan type.
 *
 * Two ways to run it, same code:
 *  - `drain({ budgetMs })` — an edge function's invocation: claim and process until nothing is
 *    ready or the time budget runs low, then finish or hand back what is still in flight.
 *  - `start()` … `stop({ graceMs })` — a long-lived worker (`codeguard worker`): waits for work
 *    between claims (`wake()` on a notification, a poll interval as the backstop) and, on stop,
 *    stops claiming, lets in-flight jobs finish within the grace period, then releases the rest.
 *
 * While a job runs the loop heartbeats it (extending the lease); when a heartbeat answers that a
 * cancel was requested, or that the claim is no longer ours, the job's AbortSignal fires and the
 * loop writes nothing more for it. Every write-back is fenced by job id + attempt in SQL, so a
 * processor that ignores its signal can still never overwrite newer work.
 */
import type { ScanQueue } from "./client.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { JsonValue, ScanJob, ScanJobWrite } from "./types.ts";

/** Why a job's signal fired. */
export type JobStopReason = "cancelled" | "lease_lost" | "deadline" | "shutdown";

/** The AbortSignal reason of a job the loop stopped. */
export class JobStopped extends Error {
  constructor(readonly reason: JobStopReason, message: string) {
    super(message);
    this.name = "JobStopped";
  }
}

/**
 * Return (or throw) from a processor to put the job back until `until` without spending an
 * attempt — a GitHub rate limit until its reset, or a checkpoint to continue in a later
 * invocation when the time budget runs low.
 */
export class SnoozeJob {
  constructor(readonly until: Date, readonly reason: string) {}
}

/** Throw from a processor for a failure that retrying cannot fix: the job goes dead at once. */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PermanentJobError";
  }
}

/** What a processor gets. */
export interface ScanJobContext {
  readonly job: ScanJob;
  /** The claim's attempt number (the fence of its write-backs). */
  readonly attempt: number;
  /** Fires when the job must stop: cancelled, lease lost, time budget reached, shutdown. */
  readonly signal: AbortSignal;
  /** Clock time (ms) by which to checkpoint and return a SnoozeJob; null without a budget. */
  readonly deadline: number | null;
  /** Records progress (0–100) with a heartbeat; the signal fires if the answer says stop. */
  progress(percent: number, message?: string): Promise<void>;
}

/**
 * Processes one job. Return the result (stored on the job) to complete it, a SnoozeJob to put it
 * back, or throw to fail it (retried with backoff unless it is a PermanentJobError).
 */
export type ScanProcessor = (ctx: ScanJobContext) => Promise<JsonValue | SnoozeJob | void>;

/** One line of the loop's log; fields carry the correlation ids (jobId, attempt, workerId). */
export type QueueLog = (level: "info" | "warn" | "error", message: string, fields: Record<string, unknown>) => void;

export interface WorkerLoopOptions {
  queue: ScanQueue;
  /** One processor per scan type. A claimed job of another type goes dead ("no processor for scan type X"). */
  processors: Readonly<Record<string, ScanProcessor>>;
  workerId: string;
  /** Jobs processed at once; default 1. */
  concurrency?: number;
  /** Lease of each claim; default 180 s — under the edge wall clock (150 s free, 400 s paid) plus margin. */
  leaseSeconds?: number;
  /** Heartbeat period; default a third of the lease, so two may be lost before the lease runs out. */
  heartbeatMs?: number;
  /** Claim only these types; default all (so that unknown types are seen and sent to dead). */
  scanTypes?: readonly string[];
  /** Long-lived mode: the longest wait between claims without a wake-up; default 2 s. */
  pollIntervalMs?: number;
  clock?: Clock;
  log?: QueueLog;
}

/** What one drain (or one run) did. */
export interface WorkerReport {
  claimed: number;
  completed: number;
  failed: number;
  snoozed: number;
  /** Handed back at shutdown without spending an attempt. */
  released: number;
  /** Stopped because a cancel was requested. */
  cancelled: number;
  /** Lost to another worker (the lease ran out). */
  lost: number;
  /** Write-backs the database refused (stale attempt, finished job). */
  refused: number;
}

interface InFlight {
  readonly job: ScanJob;
  readonly controller: AbortController;
  readonly done: Promise<void>;
  /** Set when the loop has written the job's outcome itself (release, time out): ignore the processor. */
  abandoned: boolean;
  /** True while the processor runs; false once only the job's write-back is left. */
  processing: boolean;
}

const noLog: QueueLog = () => {};

/**
 * The reason given when the loop aborts its own timers. `abort()` without a reason builds a
 * DOMException with a stack trace each time: ~8 % of the loop's CPU per no-op job in a profile of
 * bench/queue.ts (1 worker), on a 2-core machine where Postgres needs that CPU.
 */
const timerDone = Object.freeze({ reason: "timer no longer needed" });

function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return typeof e === "string" ? e : JSON.stringify(e) ?? String(e);
}

/** The loop. See the module comment. */
export class WorkerLoop {
  private readonly queue: ScanQueue;
  private readonly processors: Readonly<Record<string, ScanProcessor>>;
  readonly workerId: string;
  private readonly concurrency: number;
  private readonly leaseSeconds: number;
  private readonly heartbeatMs: number;
  private readonly scanTypes: readonly string[] | undefined;
  private readonly pollIntervalMs: number;
  private readonly clock: Clock;
  private readonly log: QueueLog;

  private readonly inFlight = new Map<string, InFlight>();
  /** In-flight jobs whose processor still runs: what `concurrency` bounds (see startJob). */
  private processing = 0;
  private readonly completions: { jobId: string; attempt: number; result?: JsonValue; settle: (w: Promise<ScanJobWrite>) => void }[] = [];
  private completing = false;
  /** While the pump runs, it sends the completions, one batch with each claim (see complete()). */
  private pumpSendsCompletions = false;
  private waiters: (() => void)[] = [];
  private nudged = false;
  private workMayBeReady = false;
  /** wake() calls so far: a claim that comes back short only idles the pump if none came meanwhile. */
  private wakes = 0;
  private stopping = false;
  private pumping: Promise<void> | null = null;
  private report: WorkerReport = WorkerLoop.emptyReport();

  constructor(options: WorkerLoopOptions) {
    this.queue = options.queue;
    this.processors = options.processors;
    this.workerId = options.workerId;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.leaseSeconds = options.leaseSeconds ?? 180;
    this.heartbeatMs = options.heartbeatMs ?? (this.leaseSeconds * 1000) / 3;
    this.scanTypes = options.scanTypes;
    this.pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? noLog;
    if (!this.workerId) throw new TypeError("WorkerLoop: workerId is required");
    if (!(this.leaseSeconds >= 1 && this.leaseSeconds <= 3600)) {
      throw new RangeError(`WorkerLoop: leaseSeconds must be between 1 and 3600, got ${this.leaseSeconds}`);
    }
  }

  private static emptyReport(): WorkerReport {
    return { claimed: 0, completed: 0, failed: 0, snoozed: 0, released: 0, cancelled: 0, lost: 0, refused: 0 };
  }

  /** Jobs being processed right now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** New work may be ready (a notification arrived): claim now instead of at the next poll. */
  wake(): void {
    this.wakes++;
    this.workMayBeReady = true;
    this.nudge();
  }

  /** Wakes the pump without saying anything about the queue (a claim returned). */
  private nudge(): void {
    this.nudged = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Waits for a nudge or `ms`; answers whether work may be ready (a wake, a freed slot, the poll). */
  private async waitForNudge(ms: number): Promise<boolean> {
    if (!this.nudged) {
      let timedOut = false;
      let cancel = () => {};
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        cancel = this.clock.timer(ms, () => {
          timedOut = true;
          resolve();
        });
      });
      cancel();
      if (timedOut) this.workMayBeReady = true;
    }
    this.nudged = false;
    const ready = this.workMayBeReady;
    this.workMayBeReady = false;
    return ready;
  }

  /**
   * Edge mode: claims and processes until no job is ready or the budget runs low, then waits for
   * in-flight jobs until the budget ends. At the budget their signals fire (reason "deadline"):
   * a processor checkpoints and returns a SnoozeJob; one still running `graceMs` later (default
   * 2 s) is failed as "did not finish within the time budget" (retried with backoff).
   */
  async drain(options: { budgetMs: number; stopClaimingMs?: number; graceMs?: number }): Promise<WorkerReport> {
    if (this.pumping) throw new Error("WorkerLoop: already running");
    this.report = WorkerLoop.emptyReport();
    this.stopping = false;
    const deadline = this.clock.now() + options.budgetMs;
    const stopClaimingAt = deadline - (options.stopClaimingMs ?? Math.min(options.budgetMs * 0.2, 30_000));
    this.pumping = this.pump({ deadline, stopClaimingAt, untilIdle: true });
    try {
      await this.pumping;
    } finally {
      this.pumping = null;
    }
    await this.settle(deadline - this.clock.now(), "deadline", options.graceMs ?? 2000);
    return { ...this.report };
  }

  /** Long-lived mode: runs until stop(). Resolves when the loop has stopped claiming. */
  start(): Promise<void> {
    if (this.pumping) throw new Error("WorkerLoop: already running");
    this.report = WorkerLoop.emptyReport();
    this.stopping = false;
    this.pumping = this.pump({ deadline: null, stopClaimingAt: null, untilIdle: false });
    return this.pumping;
  }

  /**
   * Graceful stop: no more claims; in-flight jobs get `graceMs` (default 30 s) to finish; then
   * their signals fire (reason "shutdown") and, `releaseMs` later (default 2 s), those still
   * running are handed back (pending now, no attempt spent) so another worker takes them at once.
   */
  async stop(options: { graceMs?: number; releaseMs?: number } = {}): Promise<WorkerReport> {
    this.stopping = true;
    this.wake();
    if (this.pumping) await this.pumping;
    this.pumping = null;
    await this.settle(options.graceMs ?? 30_000, "shutdown", options.releaseMs ?? 2000);
    return { ...this.report };
  }

  /**
   * Claims while slots are free. Up to ceil(concurrency / 2) claims (at most 4) run at once, each
   * for the slots free when it starts: with 4 no-op workers one claimer at a time left the
   * database idle between round trips (1,060 jobs/s against 2,9xx with two; bench/queue.ts).
   * After a claim comes back short the queue is taken as empty until something says otherwise:
   * a wake() (notification), a job of ours finishing, or the poll interval — unless such a wake
   * came while that claim was on its way (16 workers otherwise sat out a 2 s poll in a third of the
   * bench runs: a claim came back short because slots were still held by completions that
   * committed, and woke the pump, before the short answer arrived).
   */
  private async pump(o: { deadline: number | null; stopClaimingAt: number | null; untilIdle: boolean }): Promise<void> {
    const maxClaims = Math.min(4, Math.ceil(this.concurrency / 2));
    const claims = new Set<Promise<void>>();
    this.pumpSendsCompletions = true;
    let reserved = 0;
    let idle = false;
    let claimErrors = 0;
    while (!this.stopping) {
      if (o.stopClaimingAt !== null && this.clock.now() >= o.stopClaimingAt) break;
      const free = this.concurrency - this.processing - reserved;
      if (!idle && free > 0 && claims.size < maxClaims) {
        reserved += free;
        const wakesBefore = this.wakes;
        const claim = (async () => {
          try {
            const jobs = await this.queue.claim({ workerId: this.workerId, leaseSeconds: this.leaseSeconds, scanTypes: this.scanTypes, limit: free });
            claimErrors = 0;
            this.report.claimed += jobs.length;
            for (const job of jobs) this.startJob(job, o.deadline);
            // Short: nothing more is ready, unless a slot was freed or work announced while the claim
            // was on its way (that wake was spent already; idling now would wait out the poll).
            if (jobs.length < free && this.wakes === wakesBefore) idle = true;
          } catch (e) {
            claimErrors++;
            this.log("error", "claim failed", { workerId: this.workerId, error: errorMessage(e) });
            await this.clock.sleep(Math.min(30_000, 250 * 2 ** Math.min(claimErrors, 7)));
          } finally {
            reserved -= free;
          }
        })();
        claims.add(claim);
        void claim.finally(() => {
          claims.delete(claim);
          this.nudge();
        });
        // The completions go out after the claim, in the same turn of the event loop: the claim's
        // round trip is what the next jobs wait for, the completions' is not.
        this.sendCompletions();
        continue;
      }
      this.sendCompletions();
      if (o.untilIdle && idle && this.inFlight.size === 0 && claims.size === 0) break;
      const wait = o.stopClaimingAt === null ? this.pollIntervalMs : Math.min(this.pollIntervalMs, Math.max(0, o.stopClaimingAt - this.clock.now()));
      if (await this.waitForNudge(wait)) idle = false;
    }
    this.pumpSendsCompletions = false;
    this.sendCompletions();
    await Promise.all(claims);
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
        f.abandoned = true;
        const fields = this.fields(f.job);
        if (reason === "shutdown") {
          const w = await this.write(f.job, () =>
            this.queue.snooze({ jobId: f.job.id, attempt: f.job.attempts, until: new Date(this.clock.now()), reason: `released: ${message}` }));
          if (w?.accepted) this.report.released++;
          this.log("warn", "released a job still running at shutdown", fields);
        } else {
          const w = await this.write(f.job, () =>
            this.queue.fail({ jobId: f.job.id, attempt: f.job.attempts, error: "did not finish within the time budget", retryable: true }));
          if (w?.accepted) this.report.failed++;
          this.log("warn", "a job did not finish within the time budget", fields);
        }
        this.processed(f);
        this.inFlight.delete(f.job.id);
      }),
    );
  }

  private fields(job: ScanJob): Record<string, unknown> {
    return { jobId: job.id, attempt: job.attempts, scanType: job.scanType, companyId: job.companyId, workerId: this.workerId };
  }

  /** A write-back, retried on database errors (it is idempotent: a repeat is refused, not doubled). */
  private async write(job: ScanJob, fn: () => Promise<ScanJobWrite>): Promise<ScanJobWrite | null> {
    for (let i = 0; ; i++) {
      try {
        const w = await fn();
        if (!w.accepted) {
          this.report.refused++;
          this.log("warn", w.message ?? "write refused", this.fields(job));
        }
        return w;
      } catch (e) {
        if (i >= 3) {
          this.log("error", `write-back failed, the lease will hand the job on: ${errorMessage(e)}`, this.fields(job));
          return null;
        }
        await this.clock.sleep(100 * 4 ** i);
      }
    }
  }

  /**
   * Completes a job. Completions that arrive while one is in flight wait for it and then go
   * together in one statement (complete_scan_jobs): no added delay for a lone worker, and one
   * round trip instead of N when many finish at once. Measured with 16 no-op workers on 2 cores:
   * see bench/queue.ts and the issue note.
   * While the pump runs, it is the pump that sends them, when it starts its next claim (on another
   * connection, in parallel) or finds no claim to make: the jobs of one claim finish together, so
   * their completions go as one batch instead of the first alone and the rest after it. With 4
   * no-op workers on 2 cores (10,000 jobs, 3 alternating runs each): 2,529 jobs/s against 2,355;
   * the socket write of each round trip was the loop's largest CPU cost in a profile. A combined
   * complete-and-claim SQL call was slower (~1,700 jobs/s): the completions then sat on the
   * claim's critical path instead of running beside it on the second core.
   */
  private complete(job: ScanJob, result: JsonValue | undefined): Promise<ScanJobWrite> {
    return new Promise<ScanJobWrite>((resolve, reject) => {
      this.completions.push({
        jobId: job.id,
        attempt: job.attempts,
        result,
        settle: (w) => w.then(resolve, reject),
      });
      if (this.pumpSendsCompletions) this.nudge();
      else this.sendCompletions();
    });
  }

  private sendCompletions(): void {
    if (this.completions.length > 0 && !this.completing) void this.flushCompletions();
  }

  private async flushCompletions(): Promise<void> {
    this.completing = true;
    try {
      while (this.completions.length > 0) {
        const batch = this.completions.splice(0, 500);
        if (batch.length === 1) {
          const [c] = batch;
          const answer = this.queue.complete({ jobId: c.jobId, attempt: c.attempt, result: c.result });
          c.settle(answer);
          await answer.catch(() => null); // meanwhile the next completions coalesce
          continue;
        }
        const answer = this.queue.completeMany(batch.map(({ jobId, attempt, result }) => ({ jobId, attempt, result })));
        const byJob = answer.then((ws) => new Map(ws.map((w) => [w.jobId, w])));
        for (const c of batch) {
          c.settle(byJob.then((m) => {
            const w = m.get(c.jobId);
            if (!w) throw new Error(`complete_scan_jobs gave no answer for job ${c.jobId}`);
            return w;
          }));
        }
        await answer.catch(() => null);
      }
    } finally {
      this.completing = false;
    }
  }

  private startJob(job: ScanJob, deadline: number | null): void {
    const controller = new AbortController();
    const entry: InFlight = { job, controller, abandoned: false, processing: true, done: Promise.resolve() };
    this.processing++;
    this.inFlight.set(job.id, entry);
    (entry as { done: Promise<void> }).done = this.runJob(entry, deadline).finally(() => {
      this.processed(entry);
      if (this.inFlight.get(job.id) === entry) this.inFlight.delete(job.id);
      this.wake(); // the write-back committed: a company of ours may be under its cap again
    });
  }

  /**
   * The job's processor is done: its slot is free while the write-back is still on its way, so
   * the next claim overlaps the completion instead of waiting a round trip for it. With 1 no-op
   * worker that took the loop from claim + complete in series to both at once (bench/queue.ts).
   * stop() and drain() still wait for the write-back (the job stays in `inFlight` until then).
   */
  private processed(entry: InFlight): void {
    if (!entry.processing) return;
    entry.processing = false;
    this.processing--;
    this.wake();
  }

  /** Reacts to a heartbeat's answer: stop the job if it was cancelled or is no longer ours. */
  private onHeartbeat(entry: InFlight, w: ScanJobWrite): void {
    if (entry.controller.signal.aborted) return;
    if (w.cancelRequested || w.status === "cancelled") {
      entry.controller.abort(new JobStopped("cancelled", "a cancel was requested"));
    } else if (!w.accepted) {
      entry.controller.abort(new JobStopped("lease_lost", w.message ?? "the claim is no longer ours"));
    }
  }

  private async runJob(entry: InFlight, deadline: number | null): Promise<void> {
    const { job, controller } = entry;
    const fields = this.fields(job);
    const processor = Object.hasOwn(this.processors, job.scanType) ? this.processors[job.scanType] : undefined;
    if (!processor) {
      const w = await this.write(job, () =>
        this.queue.fail({ jobId: job.id, attempt: job.attempts, error: `no processor for scan type ${job.scanType}`, retryable: false }));
      if (w?.accepted) this.report.failed++;
      this.log("error", `no processor for scan type ${job.scanType}`, fields);
      return;
    }

    // Heartbeats: a timer re-armed after each answer (no timer object or listener left per job once
    // it ends, which a no-op job would otherwise pay for; bench/queue.ts).
    let beating = true;
    let beat: Promise<void> | null = null;
    const arm = (): (() => void) => this.clock.timer(this.heartbeatMs, () => {
      beat = (async () => {
        try {
          this.onHeartbeat(entry, await this.queue.heartbeat({ jobId: job.id, attempt: job.attempts }));
        } catch (e) {
          this.log("warn", `heartbeat failed: ${errorMessage(e)}`, fields);
        }
        beat = null;
        if (beating) disarm = arm();
      })();
    });
    let disarm = arm();

    const ctx: ScanJobContext = {
      job,
      attempt: job.attempts,
      signal: controller.signal,
      deadline,
      progress: async (percent, message) => {
        const w = await this.queue.heartbeat({ jobId: job.id, attempt: job.attempts, progress: Math.round(percent), message });
        this.onHeartbeat(entry, w);
      },
    };

    let outcome: { ok: true; value: JsonValue | SnoozeJob | void } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await processor(ctx) };
    } catch (error) {
      outcome = { ok: false, error };
    } finally {
      beating = false;
      disarm();
      await beat; // a heartbeat on its way lands before the outcome is written
    }
    if (entry.abandoned) return; // the loop already wrote this job's outcome (release, time out)
    this.processed(entry);

    const stopped = controller.signal.aborted ? (controller.signal.reason as JobStopped) : null;
    if (stopped?.reason === "cancelled") {
      this.report.cancelled++;
      this.log("info", "stopped: a cancel was requested", fields);
      return;
    }
    if (stopped?.reason === "lease_lost") {
      this.report.lost++;
      this.log("warn", `stopped: ${stopped.message}`, fields);
      return;
    }

    const snooze = outcome.ok ? (outcome.value instanceof SnoozeJob ? outcome.value : null)
      : outcome.error instanceof SnoozeJob ? outcome.error : null;
    if (snooze) {
      const w = await this.write(job, () => this.queue.snooze({ jobId: job.id, attempt: job.attempts, until: snooze.until, reason: snooze.reason }));
      if (w?.accepted) this.report.snoozed++;
    } else if (!outcome.ok && stopped?.reason === "shutdown") {
      // It gave up because we asked it to: hand it back without spending an attempt.
      const w = await this.write(job, () =>
        this.queue.snooze({ jobId: job.id, attempt: job.attempts, until: new Date(this.clock.now()), reason: "released: the worker is shutting down" }));
      if (w?.accepted) this.report.released++;
    } else if (!outcome.ok) {
      const error = outcome.error;
      const retryable = !(error instanceof PermanentJobError);
      const message = stopped?.reason === "deadline" ? `stopped at the time budget: ${errorMessage(error)}` : errorMessage(error);
      const w = await this.write(job, () => this.queue.fail({ jobId: job.id, attempt: job.attempts, error: message, retryable }));
      if (w?.accepted) this.report.failed++;
      this.log(retryable ? "warn" : "error", `failed: ${message}`, fields);
    } else {
      const value = outcome.value as JsonValue | undefined;
      const w = await this.write(job, () => this.complete(job, value));
      if (w?.accepted) this.report.completed++;
    }
  }
}
