// `codeguard worker [--concurrency N] [--db-url URL]`: runs the scan queue's worker loop as a
// long-lived process. SIGINT, SIGTERM, SIGHUP or its parent exiting (npx, npm: see shutdown.ts)
// stop it gracefully: no more claims; in-flight jobs get the grace period, then are handed back
// without spending an attempt. A second signal exits at once. Each job has a time limit (60 min by
// default): a scan checkpoints before it and goes on later; a job that hangs is failed and retried.
import { scanProcessors } from "../../worker/processors.ts";
import { jsonLog, startWorker, WorkerStartError, type WorkerOptions } from "../../worker/worker.ts";
import { parseArgs, UsageError } from "../args.ts";
import { onShutdown } from "../shutdown.ts";

export const summary = "process scan jobs from the queue (long-lived; --concurrency N, default 4)";

export const USAGE = `usage: codeguard worker [--concurrency N] [--db-url URL] [--grace-seconds S] [--job-timeout-minutes M]

  --concurrency N          jobs processed at once (default 4)
  --db-url URL             Postgres URL (default: $SUPABASE_DB_URL)
  --grace-seconds S        on SIGINT/SIGTERM, how long in-flight jobs may take to finish (default 30)
  --job-timeout-minutes M  each job's time limit: a scan checkpoints before it and goes on in a later
                           run; a job still running 30 s past it is failed and retried (default 60)`;

/** Options of `codeguard worker`, parsed; an Error carries the message for a bad command line. */
export interface WorkerArgs {
  concurrency: number;
  dbUrl: string;
  graceSeconds: number;
  jobTimeoutMinutes: number;
}

export function parseWorkerArgs(args: readonly string[], env: Record<string, string | undefined>): WorkerArgs {
  const { positional, options } = parseArgs([...args], ["concurrency", "grace-seconds", "job-timeout-minutes", "db-url"]);
  if (positional.length) throw new UsageError(`unexpected ${positional.join(" ")}`);
  const number = (name: string, fallback: number, ok: (n: number) => boolean, what: string): number => {
    const v = options.get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (v === "" || !ok(n)) throw new UsageError(`--${name} must be ${what}, got ${v}`);
    return n;
  };
  const concurrency = number("concurrency", 4, (n) => Number.isInteger(n) && n >= 1 && n <= 256, "a whole number from 1 to 256");
  const graceSeconds = number("grace-seconds", 30, (n) => Number.isFinite(n) && n >= 0, "a number ≥ 0");
  const jobTimeoutMinutes = number("job-timeout-minutes", 60, (n) => Number.isFinite(n) && n > 0, "a number > 0");
  const dbUrl = (options.get("db-url") as string | undefined) || env.SUPABASE_DB_URL || undefined;
  if (!dbUrl) {
    throw new Error("missing SUPABASE_DB_URL: set it (or pass --db-url postgres://…); `npm start` prints the local one");
  }
  return { concurrency, dbUrl, graceSeconds, jobTimeoutMinutes };
}

export async function run(args: string[], processors: WorkerOptions["processors"] = scanProcessors): Promise<number> {
  let parsed: WorkerArgs;
  try {
    parsed = parseWorkerArgs(args, process.env);
  } catch (e) {
    console.error(`codeguard worker: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  let worker: Awaited<ReturnType<typeof startWorker>>;
  try {
    worker = await startWorker({ dbUrl: parsed.dbUrl, concurrency: parsed.concurrency, processors, log: jsonLog, jobTimeoutMs: parsed.jobTimeoutMinutes * 60_000 });
  } catch (e) {
    if (!(e instanceof WorkerStartError)) throw e;
    console.error(`codeguard worker: ${e.message}`);
    return 1;
  }
  jsonLog("info", "worker started", { workerId: worker.workerId, concurrency: parsed.concurrency, scanTypes: worker.scanTypes });
  const graceMs = parsed.graceSeconds * 1000;
  const report = await new Promise<Awaited<ReturnType<typeof worker.stop>>>((resolve) => {
    onShutdown(
      (reason) => {
        jsonLog("info", `${reason}: stopping (no more claims; ${parsed.graceSeconds}s for running jobs)`, { workerId: worker.workerId });
        void worker.stop({ graceMs }).then(resolve);
      },
      {
        force: (reason) => {
          jsonLog("warn", `${reason} again: exiting now; running jobs return to the queue when their leases expire`, { workerId: worker.workerId });
          process.exit(130);
        },
      },
    );
  });
  jsonLog("info", "worker stopped", { workerId: worker.workerId, ...report });
  return 0;
}
