/**
 * A running job's two bounds, each a timer armed at its start (RunningJobs.start) that answers its
 * disarm: its time limit from the claim (a long-lived worker's stand-in for an edge budget), and how
 * long it may run without moving. Either fires the job's signal first and, if its processor still
 * runs a grace later, writes the job's outcome without it (RunningJobs.abandon).
 */
import type { Clock } from "../clock.ts";
import { JobStopped, type JobOutcome, type QueueLog } from "./outcomes.ts";
import type { RunningJob } from "./running-job.ts";

/** The bounds of a loop's jobs (WorkerLoopOptions.jobTimeoutMs, jobTimeoutGraceMs, stallMs). */
export interface JobBounds {
  readonly clock: Clock;
  readonly log: QueueLog;
  readonly workerId: string;
  readonly jobTimeoutMs: number | null;
  readonly jobTimeoutGraceMs: number;
  readonly stallMs: number;
}

/** What a bound does to a job whose processor ignored its signal. */
export interface Abandon {
  abandon(entry: RunningJob, outcome: JobOutcome): Promise<void>;
}

/** A stalled job's processor gets this long to return after its signal fired, before it is let go. */
export const STALL_RELEASE_GRACE_MS = 10_000;

function logFields(entry: RunningJob, workerId: string) {
  return { jobId: entry.job.id, attempt: entry.job.attempts, scanType: entry.job.scanType, workerId };
}

/** The job's time limit (jobTimeoutMs, which must be set): past it, failed and retried with backoff. */
export function armTimeLimit(entry: RunningJob, b: JobBounds, on: Abandon): () => void {
  const ms = b.jobTimeoutMs!;
  const limit = ms >= 60_000 ? `${Math.round(ms / 6_000) / 10} min` : `${ms / 1000} s`;
  let disarmGrace = () => {};
  const disarm = b.clock.timer(ms, () => {
    if (!entry.processing) return;
    entry.controller.abort(new JobStopped("deadline", `the job ran past its time limit (${limit})`));
    disarmGrace = b.clock.timer(b.jobTimeoutGraceMs, () => {
      if (!entry.processing || entry.abandoned) return;
      b.log("warn", `abandoned a job still running ${limit} after its claim and ${b.jobTimeoutGraceMs / 1000} s after it was told to stop`, logFields(entry, b.workerId));
      void on.abandon(entry, { kind: "fail", error: `did not finish within its time limit (${limit})`, retryable: true });
    });
  });
  return () => {
    disarm();
    disarmGrace();
  };
}

/** The job's bound on running without moving (stallMs): past it, handed back without spending an attempt. */
export function armStallBound(entry: RunningJob, b: JobBounds, on: Abandon): () => void {
  let disarm = () => {};
  const check = () => {
    if (!entry.processing || entry.abandoned) return;
    const still = b.clock.now() - entry.movedAt;
    if (still < b.stallMs) {
      disarm = b.clock.timer(b.stallMs - still, check);
      return;
    }
    const why = `no progress for ${Math.round(still / 1000)} s (its bound is ${b.stallMs / 1000} s): the job is not moving although its worker lives`;
    entry.controller.abort(new JobStopped("stalled", why));
    disarm = b.clock.timer(STALL_RELEASE_GRACE_MS, () => {
      if (!entry.processing || entry.abandoned) return;
      b.log("warn", `handed back a job that made ${why}`, logFields(entry, b.workerId));
      void on.abandon(entry, { kind: "release", reason: `released: ${why}` });
    });
  };
  disarm = b.clock.timer(b.stallMs, check);
  return () => disarm();
}
