// Shared set-up for the scan queue's tests: companies, repositories, and a queue client on its
// own connection whose clock can be moved (the `codeguard.now` setting public.scan_queue_now()
// reads), so leases, backoff and retention are tested without sleeping.
import type postgres from "postgres";
import { dbFromPostgresJs } from "../../supabase/functions/_shared/platform/db.ts";
import { JobQueue } from "../../supabase/functions/_shared/queue/client.ts";
import type { TestDatabase } from "../harness/db.ts";

export async function createCompany(sql: postgres.Sql, settings: Record<string, unknown> = {}): Promise<string> {
  const [c] = await sql<{ id: string }[]>`
    insert into public.companies (name, settings)
    values ('company', ${sql.json({ risk_threshold: 60, auto_scan_enabled: true, max_concurrent_scans: 2, ...settings } as postgres.JSONValue)})
    returning id`;
  return c.id;
}

export async function createRepository(sql: postgres.Sql, companyId: string, fullName = `org/repo-${Math.random().toString(36).slice(2, 8)}`): Promise<string> {
  const [r] = await sql<{ id: string }[]>`
    insert into public.repositories (company_id, full_name) values (${companyId}, ${fullName}) returning id`;
  return r.id;
}

/** A queue client on one connection whose clock reads `at` (null: the real clock). */
export interface ClockedQueue {
  queue: JobQueue;
  sql: postgres.Sql;
  setNow(at: Date | null): Promise<void>;
}

export async function clockedQueue(tdb: TestDatabase, at: Date | null = null): Promise<ClockedQueue> {
  const sql = tdb.connect({ max: 1 });
  const setNow = async (t: Date | null) => {
    await sql`select set_config('codeguard.now', ${t ? t.toISOString() : ""}, false)`;
  };
  await setNow(at);
  return { queue: new JobQueue(dbFromPostgresJs(sql)), sql, setNow };
}

export const seconds = (base: Date, s: number) => new Date(base.getTime() + s * 1000);

export interface EventRow {
  job_id: string;
  kind: string;
  attempt: number;
  worker_id: string | null;
  message: string | null;
  data: Record<string, unknown> | null;
}

export async function eventsOf(sql: postgres.Sql, jobId: string): Promise<EventRow[]> {
  return await sql<EventRow[]>`
    select job_id, kind, attempt, worker_id, message, data from public.scan_job_events where job_id = ${jobId} order by id`;
}
