/**
 * Runs one claimed job: its heartbeats, the processor with its context, and the write that records
 * how it ended (outcomes.ts). While the job runs the executor heartbeats it, extending the lease;
 * when a heartbeat answers that a cancel was requested, or that the claim is no longer ours, the
 * job's AbortSignal fires and nothing more is written for it. Every write-back is fenced by job id
 * + attempt in SQL, so a processor that ignores its signal can still never overwrite newer work.
 *
 * Two steps, which RunningJobs calls in order (its slot is freed between them): process() runs the
 * job to an outcome, record() writes it. The executor decides and counts the outcomes (its tally).
 */
import type { JobQueue } from "../client.ts";
import type { Clock } from "../clock.ts";
import type { Job, JobWrite } from "../types.ts";
import type { Completer } from "./completer.ts";
import {
  errorMessage,
  JobStopped,
  noProcessorOutcome,
  outcomeOf,
  type JobOutcome,
  type JobContext,
  type JobProcessor,
  type Settled,
} from "./outcomes.ts";
import type { JobLog } from "./job-log.ts";
import type { RunningJob } from "./running-job.ts";
import type { WriteBack } from "./write-back.ts";

/** What one drain (or one run) did: the claimer's count, then the executor's tally of outcomes. */
export interface WorkerReport extends OutcomeTally {
  claimed: number;
}

/** The outcomes the executor counted in one run. */
export interface OutcomeTally {
  completed: number;
  failed: number;
  snoozed: number;
  /** Put back because the job's source was down (no attempt spent). */
  outages: number;
  /** Handed back without spending an attempt (shutdown, a lost database connection). */
  released: number;
  /** Stopped because a cancel was requested. */
  cancelled: number;
  /** Lost to another worker (the lease ran out). */
  lost: number;
  /** Write-backs the database refused (stale attempt, finished job). */
  refused: number;
}

export function emptyTally(): OutcomeTally {
  return { completed: 0, failed: 0, snoozed: 0, outages: 0, released: 0, cancelled: 0, lost: 0, refused: 0 };
}

export interface ExecutorDeps {
  queue: JobQueue;
  processors: Readonly<Record<string, JobProcessor>>;
  completer: Completer;
  writeBack: WriteBack;
  clock: Clock;
  jobLog: JobLog;
  heartbeatMs: number;
  leaseSeconds: number;
}

export class Executor {
  /** The outcomes of the current run (newRun() starts a new one). */
  private tally: OutcomeTally = emptyTally();

  constructor(private readonly d: ExecutorDeps) {}

  /** Starts counting a new run's outcomes. */
  newRun(): void {
    this.tally = emptyTally();
  }

  /** The outcomes counted so far in this run. */
  outcomes(): Readonly<OutcomeTally> {
    return this.tally;
  }

  /** Runs the job's processor, heartbeating it, and answers how its run ended (not yet written). */
  async process(entry: RunningJob, deadline: number | null): Promise<JobOutcome> {
    const { job, controller } = entry;
    const { jobLog } = this.d;
    const processor = Object.hasOwn(this.d.processors, job.scanType) ? this.d.processors[job.scanType] : undefined;
    if (!processor) return noProcessorOutcome(job.scanType);
    // One log line per job event (README, "Watching it"): started here, its outcome in record().
    jobLog.line("info", "started", job);

    // Heartbeats: a timer re-armed after each answer (no timer object or listener left per job once
    // it ends, which a no-op job would otherwise pay for; bench/queue.ts).
    let beating = true;
    let beat: Promise<void> | null = null;
    const arm = (): (() => void) => this.d.clock.timer(this.d.heartbeatMs, () => {
      beat = (async () => {
        const sentAt = this.d.clock.now();
        try {
          this.onHeartbeat(entry, sentAt, await this.d.queue.heartbeat({ jobId: job.id, attempt: job.attempts }));
        } catch (e) {
          jobLog.line("warn", `heartbeat failed: ${errorMessage(e)}`, job);
        }
        beat = null;
        if (beating) disarm = arm();
      })();
    });
    let disarm = arm();

    let answered = false;
    const ctx: JobContext = {
      job,
      attempt: job.attempts,
      signal: controller.signal,
      deadline,
      correlate: (ids) => jobLog.correlate(job, ids),
      progress: async (percent, message) => {
        const sentAt = this.d.clock.now();
        entry.movedAt = sentAt;
        const w = await this.d.queue.heartbeat({ jobId: job.id, attempt: job.attempts, progress: Math.round(percent), message });
        this.onHeartbeat(entry, sentAt, w);
      },
      sourceAnswered: () => {
        entry.movedAt = this.d.clock.now();
        if (answered) return;
        answered = true;
        this.d.queue.sourceAnswered({ jobId: job.id, attempt: job.attempts }).then(
          (closed) => closed && jobLog.line("info", "the job's source answered: its outage is over", job),
          (e) => {
            answered = false; // say it again with the next answer
            jobLog.line("warn", `could not record that the source answered: ${errorMessage(e)}`, job);
          },
        );
      },
    };

    let settled: Settled;
    try {
      settled = { ok: true, value: await processor(ctx) };
    } catch (error) {
      settled = { ok: false, error };
    } finally {
      beating = false;
      disarm();
      await beat; // a heartbeat on its way lands before the outcome is written
    }
    const stopped = controller.signal.aborted ? (controller.signal.reason as JobStopped) : null;
    return outcomeOf(settled, stopped);
  }

  /** Writes an outcome (retried while the lease lasts) and counts it. */
  async record(entry: RunningJob, outcome: JobOutcome): Promise<void> {
    const { job } = entry;
    const { queue } = this.d;
    const report = this.tally;
    const fields = this.d.jobLog.fields(job);
    const log = this.d.jobLog.log;
    const write = async (fn: () => Promise<JobWrite>) => {
      const w = await this.d.writeBack.write(job, () => entry.leaseEndsAt, fn);
      if (w && !w.accepted) report.refused++;
      return w;
    };
    const fence = { jobId: job.id, attempt: job.attempts };
    switch (outcome.kind) {
      case "cancelled":
        report.cancelled++;
        log("info", "stopped: a cancel was requested", fields);
        return;
      case "lost":
        report.lost++;
        log("warn", `stopped: ${outcome.message}`, fields);
        return;
      case "complete":
        if ((await write(() => this.d.completer.complete(job, outcome.result)))?.accepted) {
          report.completed++;
          log("info", "completed", fields);
        }
        return;
      case "completed_by_processor":
        if (outcome.accepted) {
          report.completed++;
          log("info", "completed", fields);
        } else {
          report.refused++;
          log("warn", outcome.message ?? "the completion was refused", fields);
        }
        return;
      case "snooze":
        if ((await write(() => queue.snooze({ ...fence, until: outcome.until, reason: outcome.reason })))?.accepted) {
          report.snoozed++;
          log("info", `snoozed until ${outcome.until.toISOString()}: ${outcome.reason}`, fields);
        }
        return;
      case "release":
        if ((await write(() => queue.snooze({ ...fence, until: new Date(this.d.clock.now()), reason: outcome.reason })))?.accepted) {
          report.released++;
        }
        log("warn", outcome.reason, fields);
        return;
      case "source_outage": {
        if (outcome.timedOut) {
          // An outage only if no other job heard from the source meanwhile; else this job's failed attempt.
          if ((await write(() => queue.reportSourceTimeout({ ...fence, error: outcome.error })))?.accepted) report.outages++;
          log("warn", `the job's source did not answer in time (an outage, unless other jobs heard from it meanwhile: then a failed attempt): ${outcome.error}`, fields);
          return;
        }
        if ((await write(() => queue.reportSourceOutage({ ...fence, error: outcome.error })))?.accepted) report.outages++;
        log("warn", `the job's source is down, waiting for it without spending an attempt: ${outcome.error}`, fields);
        return;
      }
      case "fail":
        if ((await write(() => queue.fail({ ...fence, error: outcome.error, retryable: outcome.retryable })))?.accepted) report.failed++;
        log(outcome.retryable ? "warn" : "error", `failed: ${outcome.error}`, fields);
        return;
    }
  }

  /** Reacts to a heartbeat's answer: a longer lease, or stop the job if it was cancelled or is no longer ours. */
  private onHeartbeat(entry: RunningJob, sentAt: number, w: JobWrite): void {
    if (w.accepted && w.status === "running") entry.leaseEndsAt = sentAt + this.d.leaseSeconds * 1000;
    if (entry.controller.signal.aborted) return;
    if (w.cancelRequested || w.status === "cancelled") {
      entry.controller.abort(new JobStopped("cancelled", "a cancel was requested"));
    } else if (!w.accepted) {
      entry.controller.abort(new JobStopped("lease_lost", w.message ?? "the claim is no longer ours"));
    }
  }
}
