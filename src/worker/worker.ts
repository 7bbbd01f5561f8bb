// The long-lived worker for self-hosting (and repositories too big for an edge function): the
// core's WorkerLoop over a postgres.js pool, woken by LISTEN scan_queue_jobs (enqueue_scan
// notifies) with the poll interval as the backstop for what no notification announces (retries
// whose backoff ends, snoozes, slots freed in other processes).
import { hostname } from "node:os";
import postgres from "postgres";
import { dbFromPostgresJs, type Db } from "../../supabase/functions/_shared/db.ts";
import { ScanQueue } from "../../supabase/functions/_shared/queue/client.ts";
import {
  type QueueLog,
  type ScanProcessor,
  WorkerLoop,
  type WorkerReport,
} from "../../supabase/functions/_shared/queue/worker-loop.ts";

/** The channel enqueue_scan, enqueue_scans, retry_scan_job and the reaper notify. */
export const WAKE_CHANNEL = "scan_queue_jobs";

export interface WorkerOptions {
  dbUrl: string;
  /** One processor per scan type, or a factory given the worker's database. */
  processors: Readonly<Record<string, ScanProcessor>> | ((db: Db) => Readonly<Record<string, ScanProcessor>>);
  /** Jobs at once; default 4. */
  concurrency?: number;
  /** Default `<hostname>:<pid>`. */
  workerId?: string;
  leaseSeconds?: number;
  heartbeatMs?: number;
  /** Backstop poll; default 2 s. */
  pollIntervalMs?: number;
  log?: QueueLog;
}

export interface RunningWorker {
  readonly workerId: string;
  /** The scan types it has processors for. */
  readonly scanTypes: string[];
  /** Resolves once LISTEN is active (wake-ups from then on are seen). */
  readonly listening: Promise<void>;
  /** Graceful stop: no more claims, in-flight jobs finish within graceMs, the rest are released. */
  stop(options?: { graceMs?: number; releaseMs?: number }): Promise<WorkerReport>;
}

/** Starts a worker; it runs until stop(). */
export function startWorker(options: WorkerOptions): RunningWorker {
  const concurrency = options.concurrency ?? 4;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}`;
  // One connection per job for its write-backs, plus room for the parallel claims.
  const sql = postgres(options.dbUrl, { max: concurrency + 4, onnotice: () => {} });
  const db = dbFromPostgresJs(sql);
  const processors = typeof options.processors === "function" ? options.processors(db) : options.processors;
  const loop = new WorkerLoop({
    queue: new ScanQueue(db),
    processors,
    workerId,
    concurrency,
    leaseSeconds: options.leaseSeconds,
    heartbeatMs: options.heartbeatMs,
    pollIntervalMs: options.pollIntervalMs,
    log: options.log,
  });
  const listening = sql.listen(WAKE_CHANNEL, () => loop.wake()).then(() => undefined);
  const running = loop.start();
  let stopped: Promise<WorkerReport> | null = null;
  return {
    workerId,
    scanTypes: Object.keys(processors),
    listening,
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
