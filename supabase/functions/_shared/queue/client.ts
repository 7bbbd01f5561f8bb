/**
 * The typed client of the scan queue: one method per SQL function of
 * supabase/migrations/20261124001000_scan_queue.sql, with named arguments, over the core's `Db`.
 * No SQL lives anywhere else; the functions are the API (ARCHITECTURE.md, "Layers").
 *
 * Arguments are passed by name (`p_x => …::type`), leaving out the ones the caller did not give
 * so the SQL defaults apply. Each value travels as text that Postgres casts to the argument's
 * type, so no driver-side encoding can change it. Where the driver prepares statements (a direct
 * connection: `codeguard worker`), the values are parameters and the statement's text is the same
 * on every call: prepared once per connection, then one round trip (Bind/Execute) with no parse or
 * plan — with 4 no-op workers, 0.85–0.93× graphile-worker's throughput became ~1.0–1.04×
 * (bench/queue.ts; see the issue note). Where it does not (`prepare: false`, Supabase's transaction
 * pooler), a statement with parameters would cost two round trips (Parse/Describe, wait, then
 * Bind/Execute), so the values are quoted literals inside the text instead: one simple Query, one
 * round trip. Quoting is `E'…'` with backslashes and quotes doubled, which reads the same whatever
 * standard_conforming_strings says. A NUL (which Postgres text cannot hold) is refused either way.
 */
import type { Db } from "../db.ts";
import type {
  JsonValue,
  PruneReport,
  ReapReport,
  RunningPastSla,
  ScanJob,
  ScanJobStatus,
  ScanJobWrite,
  ScanQueueStats,
} from "./types.ts";

/** A job to enqueue. Only companyId is required. */
export interface EnqueueScan {
  companyId: string;
  /** Null for company-wide jobs (scores, reports). Must belong to companyId. */
  repositoryId?: string | null;
  /** Default `full_scan`. */
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

export interface ClaimScanJobs {
  workerId: string;
  /** How long the claim holds without a heartbeat; default 180 s (the SQL default). */
  leaseSeconds?: number;
  /** Only these types; default all. */
  scanTypes?: readonly string[];
}

type Arg = readonly [name: string, value: unknown, cast: string];

/** Thrown when the database answers something this client does not understand. */
export class ScanQueueProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScanQueueProtocolError";
  }
}

/** A Postgres array literal of texts: `{"a","b"}` with quotes and backslashes escaped. */
export function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, "\\$&")}"`).join(",")}}`;
}

/** Postgres text cannot hold a NUL: refuse it here rather than let it cut the value short. */
function refuseNul(s: string): void {
  if (s.includes("\0")) {
    throw new ScanQueueProtocolError("a scan queue argument contains a NUL character, which Postgres text cannot store: remove it");
  }
}

/** A Postgres string literal that reads back as exactly `s`, whatever standard_conforming_strings is. */
export function sqlLiteral(s: string): string {
  refuseNul(s);
  return `E'${s.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/** The text Postgres casts to `cast` (null stays null). */
function argText(value: unknown, cast: string): string | null {
  if (value === null) return null;
  let text: string;
  if (value instanceof Date) text = value.toISOString();
  else if (cast === "jsonb") text = JSON.stringify(value);
  else if (cast === "text[]") text = textArrayLiteral(value as string[]);
  else text = typeof value === "string" ? value : String(value);
  return text;
}

/**
 * `schema.fn(p_a => …::t, …)` for the given args, leaving out undefined ones. With `params`, each
 * value is a text parameter (`$n::t`), so the statement's text is the same on every call and the
 * driver prepares it once; without, each value is a quoted literal in the text.
 */
function callText(fn: string, args: readonly Arg[], params: string[] | null): string {
  const parts: string[] = [];
  for (const [name, value, cast] of args) {
    if (value === undefined) continue;
    const text = argText(value, cast);
    if (text === null) parts.push(`${name} => null::${cast}`);
    // Either way Postgres casts a text to the type: no driver-side encoding can change the value.
    else if (params) {
      refuseNul(text);
      params.push(text);
      // Typed text, then cast: the driver then sends the text as it is (it would encode a jsonb
      // or an array parameter itself).
      parts.push(cast === "text" ? `${name} => $${params.length}::text` : `${name} => $${params.length}::text::${cast}`);
    } else parts.push(`${name} => ${sqlLiteral(text)}::${cast}`);
  }
  return `public.${fn}(${parts.join(", ")})`;
}

type Row = Record<string, unknown>;

function date(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v));
}
function dateOrNull(v: unknown): Date | null {
  return v === null || v === undefined ? null : date(v);
}
/** jsonb arrives parsed (postgres.js decodes it); a JSON string stays a string. */
function json(v: unknown): JsonValue | null {
  return v === undefined ? null : (v as JsonValue);
}

/** Maps a `scan_queue` row. */
export function toScanJob(r: Row): ScanJob {
  return {
    id: String(r.id),
    companyId: String(r.company_id),
    repositoryId: r.repository_id == null ? null : String(r.repository_id),
    scanType: String(r.scan_type),
    priority: Number(r.priority),
    status: r.status as ScanJobStatus,
    attempts: Number(r.attempts),
    attemptsWaived: Number(r.attempts_waived),
    maxAttempts: Number(r.max_attempts),
    runAfter: date(r.run_after),
    leaseSeconds: r.lease_seconds == null ? null : Number(r.lease_seconds),
    leaseExpiresAt: dateOrNull(r.lease_expires_at),
    workerId: r.worker_id == null ? null : String(r.worker_id),
    heartbeatAt: dateOrNull(r.heartbeat_at),
    progress: Number(r.progress),
    progressMessage: r.progress_message == null ? null : String(r.progress_message),
    payload: (json(r.payload) ?? {}) as { [key: string]: JsonValue },
    dedupeKey: String(r.dedupe_key),
    result: json(r.result),
    error: r.error == null ? null : String(r.error),
    cancelRequestedAt: dateOrNull(r.cancel_requested_at),
    createdAt: date(r.created_at),
    startedAt: dateOrNull(r.started_at),
    completedAt: dateOrNull(r.completed_at),
  };
}

function toWrite(r: Row | undefined): ScanJobWrite {
  if (!r) throw new ScanQueueProtocolError("a queue write-back answered no row");
  return {
    accepted: r.accepted === true,
    jobId: String(r.job_id),
    attempt: r.attempt == null ? null : Number(r.attempt),
    status: (r.status ?? null) as ScanJobStatus | null,
    runAfter: dateOrNull(r.run_after),
    leaseExpiresAt: dateOrNull(r.lease_expires_at),
    cancelRequested: r.cancel_requested === true,
    message: r.message == null ? null : String(r.message),
  };
}

function toStats(raw: unknown): ScanQueueStats {
  const s = (typeof raw === "string" ? JSON.parse(raw) : raw) as Record<string, unknown>;
  const past = (s.running_past_sla as Row[]).map(
    (j): RunningPastSla => ({
      id: String(j.id),
      companyId: String(j.company_id),
      scanType: String(j.scan_type),
      workerId: j.worker_id == null ? null : String(j.worker_id),
      attempt: Number(j.attempt),
      startedAt: date(j.started_at),
      runningSeconds: Number(j.running_seconds),
    }),
  );
  return {
    at: date(s.at),
    byStatus: s.by_status as ScanQueueStats["byStatus"],
    byType: s.by_type as ScanQueueStats["byType"],
    ready: Number(s.ready),
    scheduled: Number(s.scheduled),
    oldestReadySeconds: s.oldest_ready_seconds == null ? null : Number(s.oldest_ready_seconds),
    expiredLeases: Number(s.expired_leases),
    slaSeconds: Number(s.sla_seconds),
    runningPastSla: past,
  };
}

function enqueueJson(job: EnqueueScan): Record<string, unknown> {
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

/** The scan queue's SQL API, typed. */
export class ScanQueue {
  constructor(private readonly db: Db) {}

  /** Runs `statement(call)`, where call is `public.fn(…args)`, with parameters when the driver prepares. */
  private async run<T>(statement: (call: string) => string, fn: string, args: readonly Arg[]): Promise<T[]> {
    if (!this.db.prepares) return await this.db.query<T>(statement(callText(fn, args, null)));
    const params: string[] = [];
    const text = statement(callText(fn, args, params));
    return await this.db.query<T>(text, params);
  }

  private async rows(fn: string, args: readonly Arg[], where = ""): Promise<Row[]> {
    return await this.run<Row>((call) => `select * from ${call} r${where}`, fn, args);
  }

  /** `enqueue_scan`: the new job, or the live job that already holds its dedupe key. */
  async enqueue(job: EnqueueScan): Promise<ScanJob> {
    const rows = await this.rows("enqueue_scan", [
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
  async enqueueMany(jobs: readonly EnqueueScan[]): Promise<ScanJob[]> {
    if (jobs.length === 0) return [];
    const rows = await this.rows("enqueue_scans", [["p_jobs", jobs.map(enqueueJson), "jsonb"]]);
    return rows.map(toScanJob);
  }

  /** `claim_next_scan_job`: one job claimed for `workerId`, or null when none is ready. */
  async claimNext(args: ClaimScanJobs): Promise<ScanJob | null> {
    const rows = await this.rows("claim_next_scan_job", claimArgs(args), " where r.id is not null");
    return rows.length ? toScanJob(rows[0]) : null;
  }

  /** `claim_scan_jobs`: up to `limit` jobs claimed in one statement. */
  async claim(args: ClaimScanJobs & { limit: number }): Promise<ScanJob[]> {
    const rows = await this.rows("claim_scan_jobs", [...claimArgs(args), ["p_limit", args.limit, "integer"]]);
    return rows.map(toScanJob);
  }

  /** `heartbeat_scan_job`: extends the lease, records progress; says whether to stop (cancelRequested). */
  async heartbeat(args: { jobId: string; attempt: number; progress?: number; message?: string }): Promise<ScanJobWrite> {
    const rows = await this.rows("heartbeat_scan_job", [
      ["p_job_id", args.jobId, "uuid"],
      ["p_attempt", args.attempt, "integer"],
      ["p_progress", args.progress, "integer"],
      ["p_message", args.message, "text"],
    ]);
    return toWrite(rows[0]);
  }

  /** `complete_scan_job`. */
  async complete(args: { jobId: string; attempt: number; result?: JsonValue }): Promise<ScanJobWrite> {
    const rows = await this.rows("complete_scan_job", [
      ["p_job_id", args.jobId, "uuid"],
      ["p_attempt", args.attempt, "integer"],
      ["p_result", args.result, "jsonb"],
    ]);
    return toWrite(rows[0]);
  }

  /**
   * `complete_scan_jobs`: completes many jobs in one statement; one answer per job (accepted
   * first, then refused), each fenced like `complete`.
   */
  async completeMany(jobs: readonly { jobId: string; attempt: number; result?: JsonValue }[]): Promise<ScanJobWrite[]> {
    if (jobs.length === 0) return [];
    const rows = await this.rows("complete_scan_jobs", [
      ["p_jobs", jobs.map((j) => ({ job_id: j.jobId, attempt: j.attempt, result: j.result ?? null })), "jsonb"],
    ]);
    return rows.map(toWrite);
  }

  /** `fail_scan_job`: pending again after the backoff, or dead (attempts spent, or not retryable). */
  async fail(args: { jobId: string; attempt: number; error: string; retryable?: boolean }): Promise<ScanJobWrite> {
    const rows = await this.rows("fail_scan_job", [
      ["p_job_id", args.jobId, "uuid"],
      ["p_attempt", args.attempt, "integer"],
      ["p_error", args.error, "text"],
      ["p_retryable", args.retryable, "boolean"],
    ]);
    return toWrite(rows[0]);
  }

  /** `snooze_scan_job`: pending again at `until`, without spending an attempt. */
  async snooze(args: { jobId: string; attempt: number; until: Date; reason?: string }): Promise<ScanJobWrite> {
    const rows = await this.rows("snooze_scan_job", [
      ["p_job_id", args.jobId, "uuid"],
      ["p_attempt", args.attempt, "integer"],
      ["p_until", args.until, "timestamptz"],
      ["p_reason", args.reason, "text"],
    ]);
    return toWrite(rows[0]);
  }

  /** `cancel_scan_job`: pending → cancelled; running → cancel requested (honoured at the next heartbeat). */
  async cancel(args: { jobId: string; reason?: string }): Promise<ScanJobWrite> {
    const rows = await this.rows("cancel_scan_job", [
      ["p_job_id", args.jobId, "uuid"],
      ["p_reason", args.reason, "text"],
    ]);
    return toWrite(rows[0]);
  }

  /** `retry_scan_job`: dead or cancelled → pending now, with a fresh budget of attempts. */
  async retry(args: { jobId: string }): Promise<ScanJobWrite> {
    const rows = await this.rows("retry_scan_job", [["p_job_id", args.jobId, "uuid"]]);
    return toWrite(rows[0]);
  }

  /** `reap_expired_scan_jobs`: expired leases → pending (or dead, or cancelled). */
  async reapExpired(): Promise<ReapReport> {
    const [r] = await this.rows("reap_expired_scan_jobs", []);
    return { requeued: Number(r.requeued), dead: Number(r.dead), cancelled: Number(r.cancelled) };
  }

  /** `prune_scan_queue`: deletes finished jobs past retention, and their events. */
  async prune(args: { completedRetentionSeconds?: number; deadRetentionSeconds?: number; cancelledRetentionSeconds?: number } = {}): Promise<PruneReport> {
    const seconds = (s: number | undefined) => (s === undefined ? undefined : `${s} seconds`);
    const [r] = await this.rows("prune_scan_queue", [
      ["p_completed_retention", seconds(args.completedRetentionSeconds), "interval"],
      ["p_dead_retention", seconds(args.deadRetentionSeconds), "interval"],
      ["p_cancelled_retention", seconds(args.cancelledRetentionSeconds), "interval"],
    ]);
    return { jobs: Number(r.jobs), events: Number(r.events) };
  }

  /** `scan_queue_stats`: counts by status and type, oldest ready job, jobs running past the SLA. */
  async stats(args: { companyId?: string; slaSeconds?: number } = {}): Promise<ScanQueueStats> {
    const [r] = await this.run<{ stats: unknown }>((call) => `select ${call} as stats`, "scan_queue_stats", [
      ["p_company_id", args.companyId, "uuid"],
      ["p_sla", args.slaSeconds === undefined ? undefined : `${args.slaSeconds} seconds`, "interval"],
    ]);
    return toStats(r.stats);
  }
}

function claimArgs(args: ClaimScanJobs): Arg[] {
  return [
    ["p_worker_id", args.workerId, "text"],
    ["p_lease_seconds", args.leaseSeconds, "integer"],
    ["p_scan_types", args.scanTypes, "text[]"],
  ];
}
