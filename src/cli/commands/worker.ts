// `codeguard worker [--concurrency N] [--db-url URL]`: runs the scan queue's worker loop as a
// long-lived process. SIGINT, SIGTERM, SIGHUP or its parent exiting (npx, npm: see shutdown.ts)
// stop it gracefully: no more claims; in-flight jobs get the grace period, then are handed back
// without spending an attempt. A second signal exits at once. Each job has a time limit (60 min by
// default): a scan checkpoints before it and goes on later; a job that hangs is failed and retried.
import { scanProcessors } from "../../worker/processors.ts";
import { jsonLog, startWorker, WorkerStartError, type WorkerOptions } from "../../worker/worker.ts";
import { onShutdown } from "../shutdown.ts";

export const summary = "process scan jobs from the queue (long-lived; --concurrency N, default 4)";

const USAGE = `usage: codeguard worker [--concurrency N] [--db-url URL] [--grace-seconds S] [--job-timeout-minutes M]

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

export function parseWorkerArgs(args: readonly string[], env: Record<string, string | undefined>): WorkerArgs | "help" {
  let concurrency = 4;
  let graceSeconds = 30;
  let jobTimeoutMinutes = 60;
  let dbUrl: string | undefined = env.SUPABASE_DB_URL || undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string => {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : args[++i];
      if (v === undefined || v === "") throw new Error(`${a.split("=")[0]} needs a value`);
      return v;
    };
    const name = a.split("=")[0];
    if (a === "-h" || a === "--help") return "help";
    else if (name === "--concurrency") {
      const v = value();
      concurrency = Number(v);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
        throw new Error(`--concurrency must be a whole number from 1 to 256, got ${v}`);
      }
    } else if (name === "--grace-seconds") {
      const v = value();
      graceSeconds = Number(v);
      if (!Number.isFinite(graceSeconds) || graceSeconds < 0) throw new Error(`--grace-seconds must be a number ≥ 0, got ${v}`);
    } else if (name === "--job-timeout-minutes") {
      const v = value();
      jobTimeoutMinutes = Number(v);
      if (!Number.isFinite(jobTimeoutMinutes) || jobTimeoutMinutes <= 0) throw new Error(`--job-timeout-minutes must be a number > 0, got ${v}`);
    } else if (name === "--db-url") dbUrl = value();
    else throw new Error(`unknown option ${a}`);
  }
  if (!dbUrl) {
    throw new Error("missing SUPABASE_DB_URL: set it (or pass --db-url postgres://…); `npm start` prints the local one");
  }
  return { concurrency, dbUrl, graceSeconds, jobTimeoutMinutes };
}

export async function run(args: string[], processors: WorkerOptions["processors"] = scanProcessors): Promise<number> {
  let parsed: WorkerArgs | "help";
  try {
    parsed = parseWorkerArgs(args, process.env);
  } catch (e) {
    console.error(`codeguard worker: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed === "help") {
    console.log(USAGE);
    return 0;
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
