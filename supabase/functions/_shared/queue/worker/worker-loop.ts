/**
 * The worker loop: claim → run → write back, with one processor per scan type. It composes the
 * parts (River's producer / executor / completer, pgflow's worker and lifecycle), each owning what
 * it decides on and reached through a small interface:
 *   claimer.ts       claims while there is capacity, waits for work between claims; counts claims;
 *   running-jobs.ts  the jobs in flight: starts each, frees its slot, settles the rest at the end
 *                    (one job's way through the parts is drawn there); bounds.ts: its time limits;
 *   executor.ts      runs one job — heartbeats, the processor — and writes its outcome (outcomes.ts);
 *                    counts the outcomes;
 *   completer.ts     batches completions;
 *   write-back.ts    retries a job's writes while its lease lasts;
 *   job-log.ts       the correlation ids of each job's log lines;
 * and owns the lifecycle, here: when a run begins, and how it ends.
 *
 * Two ways to run it, same code:
 *  - `drain({ budgetMs })` — an edge function's invocation: claim and process until nothing is
 *    ready or the time budget runs low, then finish or hand back what is still in flight.
 *  - `start()` … `stop({ graceMs })` — a long-lived worker (`codeguard worker`): waits for work
 *    between claims (`wake()` on a notification, a poll interval as the backstop) and, on stop,
 *    stops claiming, lets in-flight jobs finish within the grace period, then releases the rest.
 *    With `jobTimeoutMs`, each job has the time limit an invocation's budget gives it at the edge.
 */
import type { JobQueue } from "../client.ts";
import { type Clock, systemClock } from "../clock.ts";
import type { Job } from "../types.ts";
import { Claimer } from "./claimer.ts";
import { Completer } from "./completer.ts";
import { Executor, type WorkerReport } from "./executor.ts";
import { JobLog } from "./job-log.ts";
import type { QueueLog, JobProcessor } from "./outcomes.ts";
import { RunningJobs } from "./running-jobs.ts";
import { WriteBack } from "./write-back.ts";

export type { WorkerReport } from "./executor.ts";

export interface WorkerLoopOptions {
  queue: JobQueue;
  /** One processor per scan type. A claimed job of another type goes dead ("No processor registered for job type: X"). */
  processors: Readonly<Record<string, JobProcessor>>;
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

/** The reason stop() gives (without one, abort() builds a DOMException with its stack). */
const stopRequested = Object.freeze({ reason: "stop requested" });

/** The loop. See the module comment. */
export class WorkerLoop {
  readonly workerId: string;
  private readonly clock: Clock;
  private readonly claimer: Claimer;
  private readonly executor: Executor;
  private readonly jobs: RunningJobs;

  /** Aborted by stop(): the claimer's run ends. */
  private stopping = new AbortController();
  private running: Promise<void> | null = null;

  constructor(options: WorkerLoopOptions) {
    const { queue } = options;
    this.workerId = options.workerId;
    this.clock = options.clock ?? systemClock;
    const log = options.log ?? noLog;
    const leaseSeconds = options.leaseSeconds ?? 30;
    const jobTimeoutMs = options.jobTimeoutMs ?? null;
    const stallMs = options.stallMs ?? 120_000;
    if (!(stallMs > 0)) throw new RangeError(`WorkerLoop: stallMs must be positive, got ${stallMs}`);
    if (jobTimeoutMs !== null && !(jobTimeoutMs > 0)) throw new RangeError(`WorkerLoop: jobTimeoutMs must be positive, got ${jobTimeoutMs}`);
    if (!this.workerId) throw new TypeError("WorkerLoop: workerId is required");
    if (!(leaseSeconds >= 1 && leaseSeconds <= 3600)) {
      throw new RangeError(`WorkerLoop: leaseSeconds must be between 1 and 3600, got ${leaseSeconds}`);
    }
    const jobLog = new JobLog(log, this.workerId);
    const completer = new Completer(queue);
    this.claimer = new Claimer(queue, completer, this.clock, log, {
      workerId: this.workerId,
      leaseSeconds,
      scanTypes: options.scanTypes ?? Object.keys(options.processors),
      concurrency: Math.max(1, Math.floor(options.concurrency ?? 1)),
      pollIntervalMs: options.pollIntervalMs ?? 2000,
    });
    this.executor = new Executor({
      queue,
      processors: options.processors,
      completer,
      writeBack: new WriteBack(this.clock, jobLog),
      clock: this.clock,
      jobLog,
      heartbeatMs: options.heartbeatMs ?? (leaseSeconds * 1000) / 3,
      leaseSeconds,
    });
    this.jobs = new RunningJobs(this.executor, this.claimer, this.clock, leaseSeconds, {
      clock: this.clock,
      log,
      workerId: this.workerId,
      jobTimeoutMs,
      jobTimeoutGraceMs: options.jobTimeoutGraceMs ?? 30_000,
      stallMs,
    });
  }

  /** Jobs being processed or written back right now. */
  get inFlightCount(): number {
    return this.jobs.inFlight;
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
  async drain(options: { budgetMs: number; stopClaimingMs?: number; graceMs?: number; claimed?: readonly Job[] }): Promise<WorkerReport> {
    const deadline = this.clock.now() + options.budgetMs;
    const stopClaimingAt = deadline - (options.stopClaimingMs ?? Math.min(options.budgetMs * 0.2, 30_000));
    await this.begin({ deadline, stopClaimingAt, untilIdle: true, claimed: options.claimed });
    await this.jobs.settle(deadline - this.clock.now(), "deadline", options.graceMs ?? 2000);
    return this.report();
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
    this.stopping.abort(stopRequested);
    this.claimer.wake();
    if (this.running) await this.running;
    await this.jobs.settle(options.graceMs ?? 30_000, "shutdown", options.releaseMs ?? 2000);
    return this.report();
  }

  /** What this run did: the claimer's count and the executor's tally of outcomes. */
  private report(): WorkerReport {
    return { claimed: this.claimer.claimed, ...this.executor.outcomes() };
  }

  /** Runs the claimer; `claimed`: jobs claimed already (a request named them) run first. */
  private begin(o: { deadline: number | null; stopClaimingAt: number | null; untilIdle: boolean; claimed?: readonly Job[] }): Promise<void> {
    if (this.running) throw new Error("WorkerLoop: already running");
    this.executor.newRun();
    this.stopping = new AbortController();
    this.running = this.claimer.run({ ...o, stop: this.stopping.signal }, this.jobs).finally(() => {
      this.running = null;
    });
    return this.running;
  }
}
