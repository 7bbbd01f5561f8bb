/**
 * What a processor is given and what it may answer, and how the way a job's run ended maps onto
 * the write that records it (River's "job outcomes": complete, retry, snooze, cancel, discard).
 * Pure: no I/O here; the executor performs the write.
 */
import { isConnectionError } from "../../platform/db.ts";
import type { JsonValue, Job, JobWrite } from "../types.ts";

/** Why a job's signal fired. */
export type JobStopReason = "cancelled" | "lease_lost" | "deadline" | "shutdown" | "stalled";

/**
 * Postgres's lock_not_available: a statement waited longer than its lock_timeout. The work's
 * writes carry one (supabase/schemas/55_write_lock_timeouts.sql) so that a lock held elsewhere (an
 * operator's open transaction, a slow ALTER TABLE) never holds the job's own row — and with it the
 * job's heartbeats — for long; the job is handed back, not failed.
 */
export function isLockTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "55P03";
}

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

/**
 * Throw from a processor when the job's source (GitHub) is down — refused connections, timeouts,
 * 5xx after the client's own retries. Not the job's fault: it waits for the source without
 * spending an attempt, and claims of the source's jobs pause until a probe finds it up again.
 */
export class SourceUnavailable extends Error {
  /**
   * The source gave no answer at all (timeouts, not refused connections or 5xx): an outage, or only
   * this job's requests hanging. The queue decides which (report_scan_source_timeout): when other
   * jobs heard from the source meanwhile, it is the job's failed attempt and the circuit stays shut.
   */
  readonly timedOut: boolean;
  constructor(message: string, options?: { cause?: unknown; timedOut?: boolean }) {
    super(message, options);
    this.name = "SourceUnavailable";
    this.timedOut = options?.timedOut ?? false;
  }
}

/**
 * Return from a processor that completed its job itself, in the transaction that wrote its results
 * (River's JobCompleteTx: a scan's rows and the job's completion commit together): `write` is the
 * database's answer. Nothing more is written for the job.
 */
export class CompletedJob {
  constructor(readonly write: JobWrite) {}
}

/** What a processor gets. */
export interface JobContext {
  readonly job: Job;
  /** The claim's attempt number (the fence of its write-backs). */
  readonly attempt: number;
  /** Fires when the job must stop: cancelled, lease lost, time budget reached, shutdown. */
  readonly signal: AbortSignal;
  /** Clock time (ms) by which to checkpoint and return a SnoozeJob; null without a budget. */
  readonly deadline: number | null;
  /**
   * Adds ids to every log line of this job from now on (the scan's, once the processor knows it),
   * so one job's lines can be found across workers and attempts.
   */
  correlate(ids: { scanId?: string; deliveryId?: string }): void;
  /** Records progress (0–100) with a heartbeat; the signal fires if the answer says stop. */
  progress(percent: number, message?: string): Promise<void>;
  /**
   * The job's source answered (anything but an outage). Call it as soon as it does: when the source
   * was down, this is what ends the outage for every job waiting on it. Cheap to call repeatedly.
   */
  sourceAnswered(): void;
}

/**
 * Processes one job. Return the result (stored on the job) to complete it, a SnoozeJob to put it
 * back, or throw to fail it (retried with backoff unless it is a PermanentJobError; a
 * SourceUnavailable or a lost database connection waits without spending an attempt).
 */
export type JobProcessor = (ctx: JobContext) => Promise<JsonValue | SnoozeJob | CompletedJob | void>;

/**
 * One line of the loop's log; fields carry the correlation ids: jobId, attempt, scanType,
 * companyId, workerId, repositoryId, and scanId and deliveryId once known.
 */
export type QueueLog = (level: "info" | "warn" | "error", message: string, fields: Record<string, unknown>) => void;

/** What a job's run came to: the write that records it, or none (the database already knows). */
export type JobOutcome =
  | { kind: "complete"; result: JsonValue | undefined }
  | { kind: "fail"; error: string; retryable: boolean }
  | { kind: "snooze"; until: Date; reason: string }
  /** Back to pending now without spending an attempt: the worker is stopping, or lost the database. */
  | { kind: "release"; reason: string }
  | { kind: "source_outage"; error: string; timedOut?: boolean }
  /** The processor completed the job itself (CompletedJob); `accepted` is whether the database took it. */
  | { kind: "completed_by_processor"; accepted: boolean; message: string | null }
  /** The heartbeat that saw the cancel already finished the job. */
  | { kind: "cancelled" }
  /** The claim is no longer ours (the lease ran out and the reaper handed the job on). */
  | { kind: "lost"; message: string };

/** How the processor ended: its value, or what it threw. */
export type Settled = { ok: true; value: JsonValue | SnoozeJob | CompletedJob | void } | { ok: false; error: unknown };

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return typeof e === "string" ? e : JSON.stringify(e) ?? String(e);
}

/** Maps how a processor ended, and why its signal fired (if it did), onto the job's outcome. */
export function outcomeOf(settled: Settled, signalled: JobStopped | null): JobOutcome {
  // A processor may learn that it must stop from a write of its own (a scan page's heartbeat).
  const stopped = signalled ?? (!settled.ok && settled.error instanceof JobStopped ? settled.error : null);
  // A processor's own completion that the database accepted is the job's end, whatever a heartbeat
  // said after it: a heartbeat sent while that completion's transaction held the job's row waits for
  // it, then finds the job completed and is refused — a "lost lease" that is only the completion seen
  // from the other side. (Counting it lost made a completed scan look handed on, once in a CI run.)
  if (settled.ok && settled.value instanceof CompletedJob && settled.value.write.accepted) {
    return { kind: "completed_by_processor", accepted: true, message: settled.value.write.message };
  }
  if (stopped?.reason === "cancelled") return { kind: "cancelled" };
  if (stopped?.reason === "lease_lost") return { kind: "lost", message: stopped.message };
  const snooze = settled.ok ? (settled.value instanceof SnoozeJob ? settled.value : null)
    : settled.error instanceof SnoozeJob ? settled.error : null;
  if (snooze) return { kind: "snooze", until: snooze.until, reason: snooze.reason };
  if (settled.ok && settled.value instanceof CompletedJob) {
    return { kind: "completed_by_processor", accepted: settled.value.write.accepted, message: settled.value.write.message };
  }
  if (settled.ok) return { kind: "complete", result: settled.value as JsonValue | undefined };
  const error = settled.error;
  // It gave up because we asked it to: hand it back without spending an attempt.
  if (stopped?.reason === "shutdown") return { kind: "release", reason: "released: the worker is shutting down" };
  if (stopped?.reason === "stalled") return { kind: "release", reason: `released: ${stopped.message}` };
  if (isLockTimeout(error)) {
    return { kind: "release", reason: `released: a lock held elsewhere kept the job's write waiting past its lock_timeout (${errorMessage(error)})` };
  }
  if (error instanceof SourceUnavailable) return { kind: "source_outage", error: error.message, ...(error.timedOut ? { timedOut: true } : {}) };
  if (isConnectionError(error)) {
    return { kind: "release", reason: `released: the database connection was lost (${errorMessage(error)})` };
  }
  const message = stopped?.reason === "deadline" ? `stopped at the time budget: ${errorMessage(error)}` : errorMessage(error);
  return { kind: "fail", error: message, retryable: !(error instanceof PermanentJobError) };
}

/** The same for a job whose type has no processor here. */
export function noProcessorOutcome(scanType: string): JobOutcome {
  return { kind: "fail", error: `No processor registered for job type: ${scanType}`, retryable: false };
}
