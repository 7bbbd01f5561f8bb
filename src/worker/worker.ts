// The long-lived worker for self-hosting (and repositories too big for an edge function): the
// core's WorkerLoop over a postgres.js pool, woken by LISTEN scan_queue_jobs (enqueues, releases,
// retries, the reaper and a source's recovery notify) with the poll interval as the backstop for
// what no notification announces (retries whose backoff ends, snoozes, slots freed elsewhere).
// Postgres restarts are ridden out: postgres.js reconnects (and re-listens) on the next query, the
// loop's claims back off, and write-backs retry while their leases last.
import { hostname } from "node:os";
import postgres from "postgres";
import { dbUrlProblem, reachDatabase, redactUrl } from "../database-url.ts";
import { dbFromPostgresJs, type Db } from "../../supabase/functions/_shared/platform/db.ts";
import { JobQueue } from "../../supabase/functions/_shared/queue/client.ts";
import type { QueueLog, JobProcessor } from "../../supabase/functions/_shared/queue/worker/outcomes.ts";
import { WorkerLoop, type WorkerReport } from "../../supabase/functions/_shared/queue/worker/worker-loop.ts";

/** The channel the queue's functions notify when jobs become ready. */
export const WAKE_CHANNEL = "scan_queue_jobs";

type Processors = Readonly<Record<string, JobProcessor>>;

export interface WorkerOptions {
  dbUrl: string;
  /** One processor per scan type, or a factory given the worker's database. */
  processors: Processors | ((db: Db) => Processors | Promise<Processors>);
  /** Jobs at once; default 4. */
  concurrency?: number;
  /** Default `<hostname>:<pid>`. */
  workerId?: string;
  leaseSeconds?: number;
  heartbeatMs?: number;
  /** Backstop poll; default 2 s. */
  pollIntervalMs?: number;
  /** Each job's time limit from its claim (WorkerLoopOptions.jobTimeoutMs); default none. */
  jobTimeoutMs?: number;
  /** How long a job may run without moving before it is handed back (WorkerLoopOptions.stallMs); default 120 s. */
  stallMs?: number;
  log?: QueueLog;
}

export interface RunningWorker {
  readonly workerId: string;
  /** The scan types it has processors for. */
  readonly scanTypes: string[];
  /** Graceful stop: no more claims, in-flight jobs finish within graceMs, the rest are released. */
  stop(options?: { graceMs?: number; releaseMs?: number }): Promise<WorkerReport>;
}

/** The worker could not start; the message says what to fix (and never shows a password). */
export class WorkerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkerStartError";
  }
}

function checkDbUrl(url: string): void {
  const problem = dbUrlProblem(url);
  if (problem) throw new WorkerStartError(problem);
}

/**
 * Starts a worker: connects (failing with a WorkerStartError that names SUPABASE_DB_URL when the
 * database cannot be reached), listens for wake-ups, and runs until stop().
 */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  checkDbUrl(options.dbUrl);
  const concurrency = options.concurrency ?? 4;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}`;
  // One connection per job for its write-backs, plus room for the parallel claims.
  const sql = postgres(options.dbUrl, { max: concurrency + 4, onnotice: () => {}, connect_timeout: 10 });
  try {
    await reachDatabase(sql, options.dbUrl);
  } catch (e) {
    await sql.end({ timeout: 1 }).catch(() => {});
    const err = e as Error & { code?: string };
    throw new WorkerStartError(
      `cannot reach the database at ${redactUrl(options.dbUrl)}: ${err.message}${err.code && !err.message.includes(err.code) ? ` (${err.code})` : ""}; ` +
        "check SUPABASE_DB_URL (or --db-url): `npm start` prints the local one, a Supabase project shows it under Settings → Database",
    );
  }
  const db = dbFromPostgresJs(sql);
  const processors = typeof options.processors === "function" ? await options.processors(db) : options.processors;
  const loop = new WorkerLoop({
    queue: new JobQueue(db),
    processors,
    workerId,
    concurrency,
    leaseSeconds: options.leaseSeconds,
    heartbeatMs: options.heartbeatMs,
    pollIntervalMs: options.pollIntervalMs,
    jobTimeoutMs: options.jobTimeoutMs,
    stallMs: options.stallMs,
    log: options.log,
  });
  await sql.listen(WAKE_CHANNEL, () => loop.wake(), () => loop.wake()); // (re)listening: work may have been announced meanwhile
  const running = loop.start();
  let stopped: Promise<WorkerReport> | null = null;
  return {
    workerId,
    scanTypes: Object.keys(processors),
    stop(stopOptions) {
      stopped ??= (async () => {
        const report = await loop.stop(stopOptions);
        await running;
        await sql.end({ timeout: 5 });
        return report;
      })();
      return stopped;
    },
  };
}

/** One JSON line per event on stderr (stdout stays free for a command's answer). */
export const jsonLog: QueueLog = (level, message, fields) => {
  process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), level, message, ...fields })}\n`);
};
