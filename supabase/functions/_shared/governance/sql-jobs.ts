/**
 * The jobs that are one SQL function each: calculate_scores (run_calculate_scores, 43_scores.sql),
 * generate_alerts (run_generate_alerts, 44_alerts.sql) and refresh_views (run_refresh_views,
 * 48_dashboard_views.sql). Each function checks the claim, does the work and completes the job in
 * one transaction, so the processor's whole part is the call — a retried job never half-writes.
 */
import type { Db } from "../platform/db.ts";
import { toJobWrite } from "../queue/client.ts";
import { CompletedJob, type JobProcessor } from "../queue/worker/outcomes.ts";

/** The SQL function that runs each type, and the worker function (public.scan_job_types.worker) that claims it. */
export const SQL_JOBS = {
  calculate_scores: { fn: "run_calculate_scores", worker: "calculate-scores" },
  generate_alerts: { fn: "run_generate_alerts", worker: "generate-alerts" },
  refresh_views: { fn: "run_refresh_views", worker: "refresh-views" },
} as const;

export type SqlJobType = keyof typeof SQL_JOBS;

export function sqlJobProcessor(db: Db, type: SqlJobType): JobProcessor {
  const sql = db.functions;
  return async ({ job, attempt }) => {
    const rows = await sql.rows(SQL_JOBS[type].fn, [["p_job_id", job.id, "uuid"], ["p_attempt", attempt, "integer"]]);
    return new CompletedJob(toJobWrite(rows[0]));
  };
}

/** The worker of one SQL job type, for its edge function. */
export function sqlJobWorker(db: Db, type: SqlJobType) {
  return {
    name: SQL_JOBS[type].worker,
    processors: (types: readonly string[]) =>
      Object.fromEntries(types.filter((t) => t === type).map((t) => [t, sqlJobProcessor(db, type)])),
  };
}
