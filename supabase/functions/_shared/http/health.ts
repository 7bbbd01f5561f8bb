/**
 * The health check: is the database reachable, are the migrations applied, are the schedules
 * registered, did their last runs succeed and do the frequent ones still run, can the dispatch
 * reach the workers, is the queue moving, is GitHub up. 200 when healthy, 503 when degraded or down.
 */
import { schedulePeriodSeconds } from "../platform/cron-schedule.ts";
import type { Db } from "../platform/db.ts";
import { callerOr, type VerifyCaller } from "./callers.ts";

export interface ScheduleHealth {
  name: string;
  schedule: string;
  active: boolean;
  last_status: string | null;
  last_run_at: string | null;
}

export interface QueueHealth {
  ready: number;
  oldest_ready_seconds: number | null;
  expired_leases: number;
  overdue_heartbeats: number;
  running_past_sla: number;
  /**
   * The queue's lag: how long jobs claimed in the last window waited for a worker once ready
   * (claim − ready), p50 / p95 / max, and how many were claimed; null figures when none were.
   */
  lag: QueueLag;
  /** Sources (GitHub) that are down: their jobs wait without spending attempts. */
  source_outages: { source: string; since: string; last_error: string }[];
}

/** What public.scan_queue_lag() answers (supabase/schemas/61_queue_metrics.sql). */
export interface QueueLag {
  oldest_ready_seconds: number | null;
  window_seconds: number;
  claimed: number;
  claim_wait_p50_seconds: number | null;
  claim_wait_p95_seconds: number | null;
  claim_wait_max_seconds: number | null;
}

/** A ready job older than this means nobody is claiming: workers are not being woken. */
export const STALE_READY_SECONDS = 300;

export interface HealthReport {
  status: "ok" | "degraded" | "down";
  database: { reachable: boolean; error?: string };
  migrations: { applied: number; latest: string | null };
  schedules: ScheduleHealth[];
  queue: QueueHealth | null;
  problems: string[];
  checked_at: string;
}

/** What public.pipeline_health() answers (supabase/schemas/60_health.sql). */
interface PipelineHealth {
  migrations: { applied: number; latest: string | null };
  /** Since when pg_cron could run the schedules: the server's start. */
  scheduler_since: string;
  schedules: ScheduleHealth[];
  vault_missing: string[];
  lag: QueueLag;
  queue: {
    ready: number;
    oldest_ready_seconds: number | null;
    expired_leases: number;
    overdue_heartbeats: number;
    running_past_sla: { scan_type: string; sla_seconds: number }[];
    source_outages: { source: string; since: string; last_error: string }[];
  };
}

export async function checkHealth(db: Db, now: () => Date = () => new Date()): Promise<HealthReport> {
  const report: HealthReport = {
    status: "ok",
    database: { reachable: true },
    migrations: { applied: 0, latest: null },
    schedules: [],
    queue: null,
    problems: [],
    checked_at: now().toISOString(),
  };
  let health: PipelineHealth;
  try {
    health = await db.functions.value<PipelineHealth>("pipeline_health", []);
  } catch (e) {
    const message = (e as Error).message;
    if (/function public\.pipeline_health\(\) does not exist/.test(message)) {
      report.status = "degraded";
      report.problems.push("the schema is not applied: run supabase db push (locally: npm start)");
      return report;
    }
    report.status = "down";
    report.database = { reachable: false, error: message };
    report.problems.push(`database unreachable: ${message}`);
    return report;
  }
  report.migrations = health.migrations;
  if (health.migrations.applied === 0) report.problems.push("no migrations applied: run supabase db push (locally: npm start)");
  report.schedules = health.schedules;
  if (report.schedules.length === 0) report.problems.push("no codeguard schedules registered in cron.job");
  const schedulerSince = new Date(health.scheduler_since);
  for (const s of report.schedules) {
    if (!s.active) report.problems.push(`schedule ${s.name} is inactive`);
    if (s.last_status === "failed") report.problems.push(`schedule ${s.name} failed on its last run`);
    const late = s.active ? overdueSeconds(s, schedulerSince, now()) : null;
    if (late !== null) {
      report.problems.push(`schedule ${s.name} (${s.schedule}) last ran ${Math.round(late)} s ago: pg_cron is not running it${OVERDUE_MEANS[s.name] ?? ""}`);
    }
  }
  // The scan workers are called through pg_net with these (see README, "Deploying to Supabase").
  if (health.vault_missing.length > 0) {
    report.problems.push(`Vault lacks ${health.vault_missing.join(" and ")}: pg_cron cannot wake the scan workers (see README, "Deploying to Supabase")`);
  }
  const q = health.queue;
  report.queue = {
    ready: q.ready,
    oldest_ready_seconds: q.oldest_ready_seconds,
    expired_leases: q.expired_leases,
    overdue_heartbeats: q.overdue_heartbeats,
    running_past_sla: q.running_past_sla.length,
    lag: health.lag,
    source_outages: q.source_outages.map(({ source, since, last_error }) => ({ source, since, last_error })),
  };
  if (report.queue.running_past_sla > 0) {
    report.problems.push(`${report.queue.running_past_sla} scan job(s) running past their SLA (${slaByType(q.running_past_sla)})`);
  }
  if ((report.queue.oldest_ready_seconds ?? 0) > STALE_READY_SECONDS) {
    report.problems.push(`the oldest ready scan job has waited ${Math.round(report.queue.oldest_ready_seconds!)} s: workers are not claiming (is codeguard-dispatch-scan-workers running?)`);
  }
  const p95 = health.lag.claim_wait_p95_seconds;
  if (p95 !== null && p95 > STALE_READY_SECONDS) {
    report.problems.push(`jobs claimed in the last ${health.lag.window_seconds / 60} minutes waited ${Math.round(p95)} s (p95) for a worker once ready: add workers or raise pipeline_settings.max_scan_workers`);
  }
  for (const o of report.queue.source_outages) {
    report.problems.push(`${o.source} is unreachable since ${o.since} (${o.last_error}): its scans wait for it without spending attempts`);
  }
  if (report.problems.length > 0) report.status = "degraded";
  return report;
}

/**
 * The HTTP face: GET (or POST, as pg_net sends) → 200 when healthy, 503 otherwise. The service
 * (a secret key, the legacy service_role key) gets the whole report; anyone else only whether the
 * pipeline is up — the report names schedules, migrations and every tenant's queue figures.
 */
export async function handleHealth(req: Request, deps: { db: Db; verifyCaller: VerifyCaller }): Promise<Response> {
  if (req.method !== "GET" && req.method !== "POST") {
    return Response.json({ error: "method not allowed: use GET" }, { status: 405, headers: { allow: "GET, POST" } });
  }
  const caller = await callerOr(req, deps.verifyCaller, () => true, "");
  if (caller instanceof Response) return caller;
  const report = await checkHealth(deps.db);
  const status = report.status === "ok" ? 200 : 503;
  if (caller.kind === "service") return Response.json(report, { status });
  return Response.json({ status: report.status, checked_at: report.checked_at }, { status });
}

/**
 * How long ago a frequent schedule last ran (seconds) when that is late, else null. Late: no run
 * has started for three periods (and at least a minute: pg_cron's jitter, a stack starting) while
 * the scheduler could run it — counted from `schedulerSince` when the last run is older, so a
 * project back from a pause has its three periods before it is late. A schedule that never ran is
 * not judged: a database without a scheduler (a test's) registers schedules that never run.
 */
function overdueSeconds(s: ScheduleHealth, schedulerSince: Date, now: Date): number | null {
  const period = schedulePeriodSeconds(s.schedule);
  if (period === null || s.last_run_at === null) return null;
  const lastRun = new Date(s.last_run_at).getTime();
  const waited = (now.getTime() - Math.max(lastRun, schedulerSince.getTime())) / 1000;
  return waited > Math.max(60, 3 * period) ? (now.getTime() - lastRun) / 1000 : null;
}

/** What a stopped schedule leaves undone, for the ones whose stop harms the queue. */
const OVERDUE_MEANS: Record<string, string> = {
  "codeguard-dispatch-scan-workers": " — no worker is woken, ready jobs wait (check pg_cron and pg_net)",
  "codeguard-reap-expired-scan-jobs": " — a dead worker's job is not handed on, and its company's slot stays taken (check pg_cron)",
};

/** "full_scan: 60 min, pr_analysis: 10 min": each late type once, with its SLA. */
function slaByType(jobs: readonly { scan_type: string; sla_seconds: number }[]): string {
  const types = new Map(jobs.map((j) => [j.scan_type, j.sla_seconds]));
  return [...types].map(([type, seconds]) => `${type}: ${Math.round(seconds / 60)} min`).join(", ");
}
