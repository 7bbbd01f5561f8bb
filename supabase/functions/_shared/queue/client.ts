/**
 * The typed client of the scan queue: one method per SQL function of supabase/schemas/2x_*.sql,
 * with named arguments (platform/sql-call.ts). No SQL of the queue lives anywhere else; the
 * functions are the API (ARCHITECTURE.md, "Layers").
 */
import type { Db } from "../platform/db.ts";
import { SqlCallError, type SqlFunctions, type SqlArg, type SqlRow } from "../platform/sql-call.ts";
import type {
  JsonValue,
  PruneReport,
  ReapReport,
  RunningPastSla,
  Job,
  JobStatus,
  JobType,
  JobWrite,
  JobQueueStats,
  SourceOutage,
} from "./types.ts";

/** A job to enqueue. Only companyId is required. */
export interface EnqueueJob {
  companyId: string;
  /** Null for company-wide jobs (scores, reports). Must belong to companyId. */
  repositoryId?: string | null;
  /** Default `full_scan`; one of public.scan_job_types. */
  scanType?: string;
  /** 1 highest … 10 lowest; default 5. */
  priority?: number;
  /** Not before this time; default now. */
  runAfter?: Date;
  payload?: { [key: string]: JsonValue };
  /** At most one live (pending or running) job per company and key. Default: scan type + repository. */
  dedupeKey?: string;
  /** Default 3. */
  maxAttempts?: number;
}

export interface ClaimJobs {
  workerId: string;
  /** How long the claim holds without a heartbeat; default 30 s (the SQL default). */
  leaseSeconds?: number;
  /** Only these types; default all. */
  scanTypes?: readonly string[];
}

function date(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v));
}
function dateOrNull(v: unknown): Date | null {
  return v === null || v === undefined ? null : date(v);
}
function textOrNull(v: unknown): string | null {
  return v == null ? null : String(v);
}
/** jsonb arrives parsed (postgres.js decodes it); a JSON string stays a string. */
function json(v: unknown): JsonValue | null {
  return v === undefined ? null : (v as JsonValue);
}

/** Maps a `scan_queue` row. */
export function toScanJob(r: SqlRow): Job {
  return {
    id: String(r.id),
    companyId: String(r.company_id),
    repositoryId: textOrNull(r.repository_id),
    scanType: String(r.scan_type),
    priority: Number(r.priority),
    status: r.status as JobStatus,
    attempts: Number(r.attempts),
    attemptsWaived: Number(r.attempts_waived),
    maxAttempts: Number(r.max_attempts),
    runAfter: date(r.run_after),
    leaseSeconds: r.lease_seconds == null ? null : Number(r.lease_seconds),
    leaseExpiresAt: dateOrNull(r.lease_expires_at),
    workerId: textOrNull(r.worker_id),
    heartbeatAt: dateOrNull(r.heartbeat_at),
    progress: Number(r.progress),
    progressMessage: textOrNull(r.progress_message),
    payload: (json(r.payload) ?? {}) as { [key: string]: JsonValue },
    dedupeKey: String(r.dedupe_key),
    result: json(r.result),
    error: textOrNull(r.error),
    cancelRequestedAt: dateOrNull(r.cancel_requested_at),
    followUp: (json(r.follow_up) ?? null) as { [key: string]: JsonValue } | null,
    sourceOutageSince: dateOrNull(r.source_outage_since),
    createdAt: date(r.created_at),
    startedAt: dateOrNull(r.started_at),
    completedAt: dateOrNull(r.completed_at),
  };
}

/** Maps the answer of a fenced write-back (public.scan_job_write). */
export function toJobWrite(r: SqlRow | undefined): JobWrite {
  if (!r) throw new SqlCallError("a queue write-back answered no row");
  return {
    accepted: r.accepted === true,
    jobId: String(r.job_id),
    attempt: r.attempt == null ? null : Number(r.attempt),
    status: (r.status ?? null) as JobStatus | null,
    runAfter: dateOrNull(r.run_after),
    leaseExpiresAt: dateOrNull(r.lease_expires_at),
    cancelRequested: r.cancel_requested === true,
    message: textOrNull(r.message),
  };
}

function toStats(raw: unknown): JobQueueStats {
  const s = (typeof raw === "string" ? JSON.parse(raw) : raw) as Record<string, unknown>;
  const past = (s.running_past_sla as SqlRow[]).map(
    (j): RunningPastSla => ({
      id: String(j.id),
      companyId: String(j.company_id),
      scanType: String(j.scan_type),
      workerId: textOrNull(j.worker_id),
      attempt: Number(j.attempt),
      startedAt: date(j.started_at),
      runningSeconds: Number(j.running_seconds),
      slaSeconds: Number(j.sla_seconds),
    }),
  );
  const outages = ((s.source_outages ?? []) as SqlRow[]).map(
    (o): SourceOutage => ({
      source: String(o.source),
      since: date(o.since),
      failedProbes: Number(o.failed_probes),
      blockedUntil: date(o.blocked_until),
      probeJobId: textOrNull(o.probe_job_id),
      lastError: textOrNull(o.last_error),
    }),
  );
  return {
    at: date(s.at),
    byStatus: s.by_status as JobQueueStats["byStatus"],
    byType: s.by_type as JobQueueStats["byType"],
    ready: Number(s.ready),
    scheduled: Number(s.scheduled),
    oldestReadySeconds: s.oldest_ready_seconds == null ? null : Number(s.oldest_ready_seconds),
    expiredLeases: Number(s.expired_leases),
    overdueHeartbeats: Number(s.overdue_heartbeats),
    followUps: Number(s.follow_ups),
    sourceOutages: outages,
    slaSeconds: s.sla_seconds == null ? null : Number(s.sla_seconds),
    runningPastSla: past,
  };
}

function enqueueJson(job: EnqueueJob): Record<string, unknown> {
  return {
    company_id: job.companyId,
    repository_id: job.repositoryId ?? undefined,
    scan_type: job.scanType,
    priority: job.priority,
    run_after: job.runAfter?.toISOString(),
    payload: job.payload,
    dedupe_key: job.dedupeKey,
    max_attempts: job.maxAttempts,
  };
}

function claimArgs(args: ClaimJobs): SqlArg[] {
  return [
    ["p_worker_id", args.workerId, "text"],
    ["p_lease_seconds", args.leaseSeconds, "integer"],
    ["p_scan_types", args.scanTypes, "text[]"],
  ];
}

const fenced = (jobId: string, attempt: number): SqlArg[] => [["p_job_id", jobId, "uuid"], ["p_attempt", attempt, "integer"]];

/** The scan queue's SQL API, typed. */
export class JobQueue {
  private readonly sql: SqlFunctions;

  constructor(db: Db) {
    this.sql = db.functions;
  }

  /** The job types (public.scan_job_types); `worker`: only those that edge function runs. */
  async jobTypes(args: { worker?: string } = {}): Promise<JobType[]> {
    // A table, not a function: read through the same builder as a set-returning call would be.
    const rows = await this.sql.rows("scan_queue_job_types", [["p_worker", args.worker, "text"]]);
    return rows.map((r) => ({ name: String(r.name), source: textOrNull(r.source), worker: textOrNull(r.worker), description: String(r.description) }));
  }

  /** `enqueue_scan`: the new job, or the live job that already holds its dedupe key. */
  async enqueue(job: EnqueueJob): Promise<Job> {
    const rows = await this.sql.rows("enqueue_scan", [
      ["p_company_id", job.companyId, "uuid"],
      ["p_repository_id", job.repositoryId ?? undefined, "uuid"],
      ["p_scan_type", job.scanType, "text"],
      ["p_priority", job.priority, "integer"],
      ["p_run_after", job.runAfter, "timestamptz"],
      ["p_payload", job.payload, "jsonb"],
      ["p_dedupe_key", job.dedupeKey, "text"],
      ["p_max_attempts", job.maxAttempts, "integer"],
    ]);
    return toScanJob(rows[0]);
  }

  /** `enqueue_scans`: many jobs in one statement; one job per input, in order (deduped as enqueue). */
  async enqueueMany(jobs: readonly EnqueueJob[]): Promise<Job[]> {
    if (jobs.length === 0) return [];
    const rows = await this.sql.rows("enqueue_scans", [["p_jobs", jobs.map(enqueueJson), "jsonb"]]);
    return rows.map(toScanJob);
  }

  /** `claim_next_scan_job`: one job claimed for `workerId`, or null when none is ready. */
  async claimNext(args: ClaimJobs): Promise<Job | null> {
    const rows = await this.sql.rows("claim_next_scan_job", claimArgs(args), " where r.id is not null");
    return rows.length ? toScanJob(rows[0]) : null;
  }

  /** `claim_scan_job`: one given job, if it is ready and its company has a free slot; else null. */
  async claimJob(args: { jobId: string; workerId: string; leaseSeconds?: number }): Promise<Job | null> {
    const rows = await this.sql.rows("claim_scan_job", [
      ["p_job_id", args.jobId, "uuid"],
      ["p_worker_id", args.workerId, "text"],
      ["p_lease_seconds", args.leaseSeconds, "integer"],
    ]);
    return rows.length ? toScanJob(rows[0]) : null;
  }

  /** `begin_scan_worker`: a seat for an edge worker under max_scan_workers (its function's) and max_edge_workers (all functions'); false when none is free. */
  async beginWorker(args: { workerId: string; functionName: string; budgetSeconds: number }): Promise<boolean> {
    return await this.sql.value<boolean>("begin_scan_worker", [
      ["p_worker_id", args.workerId, "text"],
      ["p_function", args.functionName, "text"],
      ["p_budget_seconds", Math.ceil(args.budgetSeconds), "integer"],
    ]);
  }

  /** `end_scan_worker`: the edge worker's seat is free again. */
  async endWorker(args: { workerId: string }): Promise<void> {
    await this.sql.value("end_scan_worker", [["p_worker_id", args.workerId, "text"]]);
  }

  /** `claim_scan_jobs`: up to `limit` jobs claimed in one statement. */
  async claim(args: ClaimJobs & { limit: number }): Promise<Job[]> {
    const rows = await this.sql.rows("claim_scan_jobs", [...claimArgs(args), ["p_limit", args.limit, "integer"]]);
    return rows.map(toScanJob);
  }

  /** `heartbeat_scan_job`: extends the lease, records progress; says whether to stop (cancelRequested). */
  async heartbeat(args: { jobId: string; attempt: number; progress?: number; message?: string }): Promise<JobWrite> {
    const rows = await this.sql.rows("heartbeat_scan_job", [
      ...fenced(args.jobId, args.attempt),
      ["p_progress", args.progress, "integer"],
      ["p_message", args.message, "text"],
    ]);
    return toJobWrite(rows[0]);
  }

  /** `complete_scan_job`. */
  async complete(args: { jobId: string; attempt: number; result?: JsonValue }): Promise<JobWrite> {
    const rows = await this.sql.rows("complete_scan_job", [...fenced(args.jobId, args.attempt), ["p_result", args.result, "jsonb"]]);
    return toJobWrite(rows[0]);
  }

  /**
   * `complete_scan_jobs`: completes many jobs in one statement; one answer per job (accepted
   * first, then refused), each fenced like `complete`.
   */
  async completeMany(jobs: readonly { jobId: string; attempt: number; result?: JsonValue }[]): Promise<JobWrite[]> {
    if (jobs.length === 0) return [];
    const rows = await this.sql.rows("complete_scan_jobs", [
      ["p_jobs", jobs.map((j) => ({ job_id: j.jobId, attempt: j.attempt, result: j.result ?? null })), "jsonb"],
    ]);
    return rows.map(toJobWrite);
  }

  /** `fail_scan_job`: pending again after the backoff, or dead (attempts spent, or not retryable). */
  async fail(args: { jobId: string; attempt: number; error: string; retryable?: boolean }): Promise<JobWrite> {
    const rows = await this.sql.rows("fail_scan_job", [
      ...fenced(args.jobId, args.attempt),
      ["p_error", args.error, "text"],
      ["p_retryable", args.retryable, "boolean"],
    ]);
    return toJobWrite(rows[0]);
  }

  /** `snooze_scan_job`: pending again at `until` (now: a release), without spending an attempt. */
  async snooze(args: { jobId: string; attempt: number; until: Date; reason?: string }): Promise<JobWrite> {
    const rows = await this.sql.rows("snooze_scan_job", [
      ...fenced(args.jobId, args.attempt),
      ["p_until", args.until, "timestamptz"],
      ["p_reason", args.reason, "text"],
    ]);
    return toJobWrite(rows[0]);
  }

  /**
   * `report_scan_source_outage`: the job's source is down — pending until the source's next probe
   * without spending an attempt (dead after 6 hours of outages, saying what to do).
   */
  async reportSourceOutage(args: { jobId: string; attempt: number; error: string }): Promise<JobWrite> {
    const rows = await this.sql.rows("report_scan_source_outage", [...fenced(args.jobId, args.attempt), ["p_error", args.error, "text"]]);
    return toJobWrite(rows[0]);
  }

  /**
   * `report_scan_source_timeout`: every request to the job's source timed out. A failed attempt when
   * other jobs heard from the source since this attempt began (one repository hangs); otherwise an
   * outage, as reportSourceOutage.
   */
  async reportSourceTimeout(args: { jobId: string; attempt: number; error: string }): Promise<JobWrite> {
    const rows = await this.sql.rows("report_scan_source_timeout", [...fenced(args.jobId, args.attempt), ["p_error", args.error, "text"]]);
    return toJobWrite(rows[0]);
  }

  /** `scan_source_answered`: the job's source answered; closes its circuit if it was open. */
  async sourceAnswered(args: { jobId: string; attempt: number }): Promise<boolean> {
    return await this.sql.value<boolean>("scan_source_answered", fenced(args.jobId, args.attempt));
  }

  /** `cancel_scan_job`: pending → cancelled; running → cancel requested (honoured at the next heartbeat). */
  async cancel(args: { jobId: string; reason?: string }): Promise<JobWrite> {
    const rows = await this.sql.rows("cancel_scan_job", [["p_job_id", args.jobId, "uuid"], ["p_reason", args.reason, "text"]]);
    return toJobWrite(rows[0]);
  }

  /** `retry_scan_job`: dead or cancelled → pending now, with a fresh budget of attempts. */
  async retry(args: { jobId: string }): Promise<JobWrite> {
    const rows = await this.sql.rows("retry_scan_job", [["p_job_id", args.jobId, "uuid"]]);
    return toJobWrite(rows[0]);
  }

  /** `reap_expired_scan_jobs`: expired leases → pending (or dead, or cancelled). */
  async reapExpired(): Promise<ReapReport> {
    const [r] = await this.sql.rows("reap_expired_scan_jobs", []);
    return { requeued: Number(r.requeued), dead: Number(r.dead), cancelled: Number(r.cancelled) };
  }

  /** `prune_scan_queue`: deletes finished jobs past retention, and their events. */
  async prune(args: { completedRetentionSeconds?: number; deadRetentionSeconds?: number; cancelledRetentionSeconds?: number } = {}): Promise<PruneReport> {
    const seconds = (s: number | undefined) => (s === undefined ? undefined : `${s} seconds`);
    const [r] = await this.sql.rows("prune_scan_queue", [
      ["p_completed_retention", seconds(args.completedRetentionSeconds), "interval"],
      ["p_dead_retention", seconds(args.deadRetentionSeconds), "interval"],
      ["p_cancelled_retention", seconds(args.cancelledRetentionSeconds), "interval"],
    ]);
    return { jobs: Number(r.jobs), events: Number(r.events) };
  }

  /** `scan_queue_stats`: counts by status and type, oldest ready job, expired leases, outages, SLA. */
  async stats(args: { companyId?: string; slaSeconds?: number } = {}): Promise<JobQueueStats> {
    return toStats(await this.sql.value("scan_queue_stats", [
      ["p_company_id", args.companyId, "uuid"],
      ["p_sla", args.slaSeconds === undefined ? undefined : `${args.slaSeconds} seconds`, "interval"],
    ]));
  }
}
