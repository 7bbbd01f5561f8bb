/**
 * The handler of every worker edge function (scan-repository, calculate-scores, generate-alerts,
 * generate-report, send-slack-digest, refresh-views): one invocation is one worker that claims the
 * jobs of its types and processes them within the edge time budget (WorkerLoop.drain), then exits.
 * pg_cron's tick and the enqueue trigger wake it through pg_net; it answers 202 at once and keeps
 * working in the background (EdgeRuntime.waitUntil on Supabase), because pg_net waits only a few
 * seconds.
 */
import type { Db } from "../platform/db.ts";
import { JobQueue, WorkerLoop, type QueueLog, type JobProcessor, type WorkerReport } from "../queue/mod.ts";
import { callerOr, type VerifyCaller } from "./callers.ts";
import { readJsonObject } from "./request-body.ts";

/**
 * 150 s is the free plan's wall clock: stop claiming 30 s before and let jobs checkpoint by then.
 * Leases are short and renewed by heartbeats, so a worker the platform kills is reaped within one.
 */
export const EDGE_BUDGET_MS = 140_000;

/** Its body is {"budget_ms"?, "reason"?, "job_id"?}: a few dozen bytes; anything near this is not a dispatch. */
export const MAX_BODY_BYTES = 16 * 1024;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface QueueWorkerDeps {
  db: Db;
  /** Who is calling (supabase-callers.ts): only the service may start a worker. */
  verifyCaller: VerifyCaller;
  /** Keeps the isolate alive for background work (EdgeRuntime.waitUntil); locally, nothing is needed. */
  extendLifetime?: (work: Promise<unknown>) => void;
  log?: QueueLog;
  newWorkerId?: () => string;
}

/** One worker function: its name (public.scan_job_types.worker) and its processors. */
export interface QueueWorker {
  name: string;
  /** The processors for the job types public.scan_job_types gives this function. */
  processors(types: readonly string[]): Record<string, JobProcessor>;
  /** Jobs run at once by one invocation (default 2). */
  concurrency?: number;
}

/** A worker loop for the job types public.scan_job_types gives this function, and those types. */
export async function queueWorkerLoop(deps: QueueWorkerDeps, worker: QueueWorker, workerId: string): Promise<{ loop: WorkerLoop; types: string[] }> {
  const queue = new JobQueue(deps.db);
  const types = (await queue.jobTypes({ worker: worker.name })).map((t) => t.name);
  return { loop: new WorkerLoop({ queue, workerId, concurrency: worker.concurrency ?? 2, processors: worker.processors(types), log: deps.log }), types };
}

/**
 * POST (body optional: {"budget_ms": n}); `?wait=1` answers with the drain's report instead of 202.
 * Only the service may call it — the platform's dispatch (a secret key from Vault, through pg_net)
 * or a server with a secret key: a worker runs any company's jobs with that company's secrets
 * (GitHub token, Slack webhook), so the public key or a user's session gets 403 and nothing runs.
 */
export async function handleQueueWorker(req: Request, deps: QueueWorkerDeps, worker: QueueWorker): Promise<Response> {
  if (req.method !== "POST") {
    return Response.json({ error: "method not allowed: POST to start a worker" }, { status: 405, headers: { allow: "POST" } });
  }
  const caller = await callerOr(req, deps.verifyCaller, (c) => c.kind === "service",
    `${worker.name} starts a worker only for the platform's dispatch or a server of the project (a secret key in the apikey header)`);
  if (caller instanceof Response) return caller;
  const body = await readJsonObject(req, { maxBytes: MAX_BODY_BYTES, example: `{"budget_ms": 60000}` });
  if (body instanceof Response) return body;
  let budgetMs = EDGE_BUDGET_MS;
  if (body.budget_ms !== undefined) {
    if (typeof body.budget_ms !== "number" || !(body.budget_ms >= 1000 && body.budget_ms <= EDGE_BUDGET_MS)) {
      return Response.json({ error: `budget_ms must be a number from 1000 to ${EDGE_BUDGET_MS}` }, { status: 400 });
    }
    budgetMs = body.budget_ms;
  }
  if (body.job_id !== undefined && (typeof body.job_id !== "string" || !UUID.test(body.job_id))) {
    return Response.json({ error: "job_id must be a job's id (a uuid)" }, { status: 400 });
  }
  const workerId = (deps.newWorkerId ?? (() => `edge-${crypto.randomUUID()}`))();
  const queue = new JobQueue(deps.db);
  if (!(await queue.beginWorker({ workerId, functionName: worker.name, budgetSeconds: budgetMs / 1000 }))) {
    return Response.json({ worker_id: workerId, status: "not started", reason: "no seat free: max_scan_workers of this function, or max_edge_workers of all worker functions, are running already" });
  }
  const work: Promise<WorkerReport> = (async () => {
    try {
      const { loop, types } = await queueWorkerLoop(deps, worker, workerId);
      let named = typeof body.job_id === "string" ? await queue.claimJob({ jobId: body.job_id, workerId }) : null;
      if (named && !types.includes(named.scanType)) {
        // Named to the wrong function: hand it straight back (a snooze spends no attempt) rather
        // than fail it for want of a processor.
        await queue.snooze({ jobId: named.id, attempt: named.attempts, until: new Date(), reason: `${worker.name} does not run ${named.scanType} jobs` });
        named = null;
      }
      return await loop.drain({ budgetMs, claimed: named ? [named] : [] });
    } finally {
      await queue.endWorker({ workerId }).catch(() => {});
    }
  })();
  if (new URL(req.url).searchParams.get("wait") === "1") {
    const report = await work;
    return Response.json({ worker_id: workerId, report });
  }
  const background = work.catch((e) => deps.log?.("error", `worker ${workerId} failed: ${(e as Error).message}`, { workerId }));
  deps.extendLifetime?.(background);
  return Response.json({ worker_id: workerId, status: "started" }, { status: 202 });
}
