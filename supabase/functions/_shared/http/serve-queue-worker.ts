/**
 * The whole of a worker edge function's entry point: its database connection, its caller check,
 * its logs, and Deno.serve of the queue-worker handler. Each worker function's index.ts names its
 * worker (its name in public.scan_job_types.worker and its processors) and calls this.
 */
import { connectPostgres } from "../platform/postgres.ts";
import { type FunctionConfig, readConfig } from "../platform/config.ts";
import { type Db, dbFromPostgresJs } from "../platform/db.ts";
import { handleQueueWorker, type QueueWorker } from "./queue-worker.ts";
import { supabaseCallers } from "./supabase-callers.ts";

export interface WorkerSetup {
  db: Db;
  config: FunctionConfig;
}

/**
 * `connections`: the invocation's pool. Every worker function has its own max_scan_workers seats, so
 * the project's connections are seats × functions × this: the scan worker keeps 4 (its jobs write
 * pages while the loop claims and heartbeats); a worker whose job is one SQL call needs 2.
 */
export function serveQueueWorker(worker: (setup: WorkerSetup) => QueueWorker, options: { connections?: number } = {}): void {
  const config = readConfig(Deno.env.toObject());
  const sql = connectPostgres(config.dbUrl, { prepare: false, max: options.connections ?? 4, idle_timeout: 20, connect_timeout: 5 });
  const edge = (globalThis as { EdgeRuntime?: { waitUntil(p: Promise<unknown>): void } }).EdgeRuntime;
  const db = dbFromPostgresJs(sql);
  const deps = {
    db,
    verifyCaller: supabaseCallers(config.callerKeys),
    extendLifetime: edge ? (p: Promise<unknown>) => edge.waitUntil(p) : undefined,
    log: (level: "info" | "warn" | "error", message: string, fields: Record<string, unknown>) =>
      console[level === "info" ? "log" : level](JSON.stringify({ level, message, ...fields })),
  };
  const served = worker({ db, config });
  Deno.serve((req) => handleQueueWorker(req, deps, served));
}
