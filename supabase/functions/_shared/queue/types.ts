/**
 * The records of the scan queue as the core sees them (camelCase, Dates), mapped from the rows of
 * `public.scan_queue` and from `public.scan_job_write`, the answer of every fenced write-back.
 */

/** pending (ready, or waiting for runAfter), running, and the finished completed, dead, cancelled. */
export type JobStatus = "pending" | "running" | "completed" | "dead" | "cancelled";

/** Any JSON value a job carries as payload or result. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One `scan_queue` row. */
export interface Job {
  readonly id: string;
  readonly companyId: string;
  readonly repositoryId: string | null;
  readonly scanType: string;
  /** 1 highest … 10 lowest. */
  readonly priority: number;
  readonly status: JobStatus;
  /** Claims so far; the fence (`attempt`) every write-back of the current claim carries. */
  readonly attempts: number;
  /** Claims that do not count against maxAttempts (snoozes; claims before a manual retry). */
  readonly attemptsWaived: number;
  readonly maxAttempts: number;
  readonly runAfter: Date;
  readonly leaseSeconds: number | null;
  readonly leaseExpiresAt: Date | null;
  readonly workerId: string | null;
  readonly heartbeatAt: Date | null;
  /** 0–100. */
  readonly progress: number;
  readonly progressMessage: string | null;
  readonly payload: { [key: string]: JsonValue };
  readonly dedupeKey: string;
  readonly result: JsonValue | null;
  readonly error: string | null;
  readonly cancelRequestedAt: Date | null;
  /** An enqueue that arrived while the job ran; it becomes a pending job when this one finishes. */
  readonly followUp: { [key: string]: JsonValue } | null;
  /** When the job first met an outage of its source; it gives up after 6 hours of them. */
  readonly sourceOutageSince: Date | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
}

/**
 * The answer of a fenced write-back (heartbeat, complete, fail, snooze, cancel, retry). When
 * `accepted` is false nothing changed, and `message` says why (a stale attempt, a finished job …).
 */
export interface JobWrite {
  readonly accepted: boolean;
  readonly jobId: string;
  readonly attempt: number | null;
  /** The job's status after the call (or its current one, when refused); null for an unknown job. */
  readonly status: JobStatus | null;
  readonly runAfter: Date | null;
  readonly leaseExpiresAt: Date | null;
  /** True when a cancel was requested: a worker that sees it on a heartbeat stops. */
  readonly cancelRequested: boolean;
  readonly message: string | null;
}

/** What `reap_expired_scan_jobs()` did. */
export interface ReapReport {
  readonly requeued: number;
  readonly dead: number;
  readonly cancelled: number;
}

/** What `prune_scan_queue()` deleted. */
export interface PruneReport {
  readonly jobs: number;
  readonly events: number;
}

/** A running job past the SLA, as `scan_queue_stats()` lists it. */
export interface RunningPastSla {
  readonly id: string;
  readonly companyId: string;
  readonly scanType: string;
  readonly workerId: string | null;
  readonly attempt: number;
  readonly startedAt: Date;
  readonly runningSeconds: number;
  /** The SLA it is past: its type's (scan_job_types.sla_seconds), or the one asked for. */
  readonly slaSeconds: number;
}

/** A source that is down, as `scan_queue_stats()` lists it. */
export interface SourceOutage {
  readonly source: string;
  readonly since: Date;
  readonly failedProbes: number;
  /** No job of the source is claimed before this; then one, as the probe. */
  readonly blockedUntil: Date;
  readonly probeJobId: string | null;
  readonly lastError: string | null;
}

/** One row of `public.scan_job_types`: what the queue runs, where, and what it depends on. */
export interface JobType {
  readonly name: string;
  /** The outside service the job reads ("github"), or null. */
  readonly source: string | null;
  /** The edge function that runs it ("scan-repository"), or null. */
  readonly worker: string | null;
  readonly description: string;
}

/** `scan_queue_stats()`: the queue at a glance. */
export interface JobQueueStats {
  readonly at: Date;
  readonly byStatus: Partial<Record<JobStatus, number>>;
  readonly byType: Record<string, Partial<Record<JobStatus, number>>>;
  /** Pending with runAfter reached. */
  readonly ready: number;
  /** Pending with runAfter in the future (retries waiting for their backoff, snoozes, delays). */
  readonly scheduled: number;
  readonly oldestReadySeconds: number | null;
  /** Running with the lease already past (the reaper has not run yet): their worker is gone. */
  readonly expiredLeases: number;
  /** Running with no heartbeat for half a lease: their worker is stalled or gone. */
  readonly overdueHeartbeats: number;
  /** Running jobs with a follow-up queued behind them. */
  readonly followUps: number;
  readonly sourceOutages: readonly SourceOutage[];
  /** The SLA asked for, for every type; null: each type's own (a type without one has none). */
  readonly slaSeconds: number | null;
  readonly runningPastSla: readonly RunningPastSla[];
}
