// What `codeguard queue` reads and does, over one database connection: the queue's figures and
// operator actions through the queue's own SQL functions (scan_queue_stats, retry_scan_job,
// cancel_scan_job), and the reads an operator needs that no function gives — a job with its log
// and its scan, the dead letters — as named statements here, the one place the command touches the
// tables.
import type postgres from "postgres";
import { dbFromPostgresJs } from "../../supabase/functions/_shared/platform/db.ts";
import { JobQueue } from "../../supabase/functions/_shared/queue/client.ts";
import type { JobWrite, JobQueueStats } from "../../supabase/functions/_shared/queue/types.ts";

export interface JobRow {
  id: string;
  company: string;
  company_id: string;
  repository: string | null;
  scan_type: string;
  status: string;
  priority: number;
  attempts: number;
  attempts_waived: number;
  max_attempts: number;
  run_after: Date;
  worker_id: string | null;
  lease_expires_at: Date | null;
  heartbeat_at: Date | null;
  progress: number;
  progress_message: string | null;
  error: string | null;
  cancel_requested_at: Date | null;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

export interface EventRow {
  created_at: Date;
  kind: string;
  attempt: number;
  worker_id: string | null;
  message: string | null;
}

export interface ScanRow {
  id: string;
  status: string;
  progress: number;
  error_message: string | null;
  warnings: number;
  requests: number | null;
  summary: Record<string, unknown> | null;
}

export interface DeadRow {
  id: string;
  company: string;
  repository: string | null;
  scan_type: string;
  attempts: number;
  completed_at: Date;
  error: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class NotAJobId extends Error {}

export class QueueOps {
  private readonly queue: JobQueue;

  constructor(private readonly sql: postgres.Sql) {
    this.queue = new JobQueue(dbFromPostgresJs(sql));
  }

  /** The queue at a glance, for all companies or one (an id or a name). */
  async status(company?: string): Promise<{ stats: JobQueueStats; companyId: string | null }> {
    const companyId = company ? await this.companyId(company) : null;
    return { stats: await this.queue.stats({ companyId: companyId ?? undefined }), companyId };
  }

  /** A company by id or name (case-insensitive), through the onboarding API's resolve_company. */
  async companyId(company: string): Promise<string> {
    const [r] = await this.sql<{ id: string }[]>`select public.resolve_company(${company}) as id`;
    return r.id;
  }

  /** A job by its id, or by its scan's id; null when neither names one. */
  async job(id: string): Promise<JobRow | null> {
    if (!UUID.test(id)) throw new NotAJobId(`${id} is not a job's or a scan's id (a uuid)`);
    const [job] = await this.sql<JobRow[]>`
      select q.id, c.name as company, q.company_id, r.full_name as repository, q.scan_type, q.status, q.priority,
             q.attempts, q.attempts_waived, q.max_attempts, q.run_after, q.worker_id, q.lease_expires_at, q.heartbeat_at,
             q.progress, q.progress_message, q.error, q.cancel_requested_at, q.created_at, q.started_at, q.completed_at
      from public.scan_queue q
      join public.companies c on c.id = q.company_id
      left join public.repositories r on r.id = q.repository_id
      where q.id = ${id} or q.id = (select s.job_id from public.scans s where s.id = ${id})`;
    return job ?? null;
  }

  /** The job's log, oldest first (the last `limit` entries). */
  async events(jobId: string, limit = 30): Promise<EventRow[]> {
    return [...await this.sql<EventRow[]>`
      select * from (select created_at, kind, attempt, worker_id, message from public.scan_job_events
                     where job_id = ${jobId} order by id desc limit ${limit}) e order by created_at, kind`];
  }

  /** The scan the job runs, if it has begun. */
  async scan(jobId: string): Promise<ScanRow | null> {
    const [s] = await this.sql<ScanRow[]>`
      select id, status, progress, error_message, jsonb_array_length(warnings) as warnings,
             (api_requests ->> 'requests')::int as requests, summary
      from public.scans where job_id = ${jobId}`;
    return s ?? null;
  }

  /** Dead jobs, newest first. */
  async dead(options: { companyId?: string | null; limit?: number } = {}): Promise<DeadRow[]> {
    const company = options.companyId ?? null;
    return [...await this.sql<DeadRow[]>`
      select q.id, c.name as company, r.full_name as repository, q.scan_type, q.attempts, q.completed_at, q.error
      from public.scan_queue q
      join public.companies c on c.id = q.company_id
      left join public.repositories r on r.id = q.repository_id
      where q.status = 'dead' and (${company}::uuid is null or q.company_id = ${company}::uuid)
      order by q.completed_at desc limit ${options.limit ?? 50}`];
  }

  retry(jobId: string): Promise<JobWrite> {
    return this.queue.retry({ jobId });
  }

  cancel(jobId: string, reason?: string): Promise<JobWrite> {
    return this.queue.cancel({ jobId, reason });
  }
}
