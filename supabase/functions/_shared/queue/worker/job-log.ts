/**
 * The correlation ids of each job's log lines (README, "Watching it"): the job's own, and what its
 * processor learns (its scan's id) or its payload carries (the webhook delivery that asked for it).
 * One per loop; the executor and the write-back log through it.
 */
import type { Job } from "../types.ts";
import type { QueueLog } from "./outcomes.ts";

/** Ids a processor adds to its job's log lines (JobContext.correlate). */
export interface CorrelationIds {
  scanId?: string;
  deliveryId?: string;
}

export class JobLog {
  /** Weak: a job's ids go with the job, whichever part drops it last. */
  private readonly learned = new WeakMap<Job, CorrelationIds>();

  constructor(readonly log: QueueLog, private readonly workerId: string) {}

  /** The fields of every log line about `job`. */
  fields(job: Job): Record<string, unknown> {
    return {
      jobId: job.id, attempt: job.attempts, scanType: job.scanType, companyId: job.companyId, workerId: this.workerId,
      ...(job.repositoryId ? { repositoryId: job.repositoryId } : {}),
      ...(typeof job.payload.delivery_id === "string" ? { deliveryId: job.payload.delivery_id } : {}),
      ...this.learned.get(job),
    };
  }

  /** Adds ids to the job's later lines. */
  correlate(job: Job, ids: CorrelationIds): void {
    this.learned.set(job, { ...this.learned.get(job), ...ids });
  }

  /** One line about `job`. */
  line(level: "info" | "warn" | "error", message: string, job: Job): void {
    this.log(level, message, this.fields(job));
  }
}
