/**
 * The health check: is the database reachable, are the migrations applied, are the schedules
 * registered and did their last runs succeed. 200 when healthy, 503 when degraded or down.
 */
import type { Db } from "./db.ts";

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
  running_past_sla: number;
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
  try {
    const [m] = await db.query<{ applied: number; latest: string | null }>(
      `select count(*)::int as applied, max(version) as latest from supabase_migrations.schema_migrations`,
    );
    report.migrations = m;
    if (m.applied === 0) report.problems.push("no migrations applied: run supabase db push (locally: npm start)");
  } catch (e) {
    const message = (e as Error).message;
    const unreachable = !/relation .* does not exist/.test(message);
    if (unreachable) {
      report.status = "down";
      report.database = { reachable: false, error: message };
      report.problems.push(`database unreachable: ${message}`);
      return report;
    }
    report.problems.push("no migrations applied: run supabase db push (locally: npm start)");
  }
  try {
    report.schedules = await db.query<ScheduleHealth>(
      `select j.jobname as name, j.schedule, j.active, r.status as last_status, r.start_time as last_run_at
         from cron.job j
         left join lateral (select status, start_time from cron.job_run_details d
                             where d.jobid = j.jobid order by d.runid desc limit 1) r on true
        where j.jobname like 'codeguard-%' order by j.jobname`,
    );
    if (report.schedules.length === 0) report.problems.push("no codeguard schedules registered in cron.job");
    for (const s of report.schedules) {
      if (!s.active) report.problems.push(`schedule ${s.name} is inactive`);
      if (s.last_status === "failed") report.problems.push(`schedule ${s.name} failed on its last run`);
    }
  } catch (e) {
    report.problems.push(`schedules unreadable: ${(e as Error).message}`);
  }
  try {
    // The scan workers are called through pg_net with these (see README, "Deploying to Supabase").
    const [vault] = await db.query<{ missing: string[] }>(
      `select coalesce(array_agg(n), '{}') as missing from unnest(array['project_url', 'service_role_key']) n
        where not exists (select 1 from vault.decrypted_secrets s where s.name = n)`,
    );
    if (vault.missing.length > 0) {
      report.problems.push(`Vault lacks ${vault.missing.join(" and ")}: pg_cron cannot wake the scan workers (see README, "Deploying to Supabase")`);
    }
    const [{ stats }] = await db.query<{ stats: QueueHealth & { running_past_sla: unknown[]; sla_seconds: number } }>(
      `select public.scan_queue_stats() as stats`,
    );
    report.queue = {
      ready: stats.ready,
      oldest_ready_seconds: stats.oldest_ready_seconds,
      expired_leases: stats.expired_leases,
      running_past_sla: stats.running_past_sla.length,
    };
    if (report.queue.running_past_sla > 0) {
      report.problems.push(`${report.queue.running_past_sla} scan job(s) running past their ${stats.sla_seconds / 60}-minute SLA`);
    }
    if ((report.queue.oldest_ready_seconds ?? 0) > STALE_READY_SECONDS) {
      report.problems.push(`the oldest ready scan job has waited ${Math.round(report.queue.oldest_ready_seconds!)} s: workers are not claiming (is codeguard-dispatch-scan-workers running?)`);
    }
  } catch (e) {
    report.problems.push(`queue unreadable: ${(e as Error).message}`);
  }
  if (report.problems.length > 0) report.status = "degraded";
  return report;
}

/** The HTTP face: GET (or POST, as pg_net sends) → the report as JSON. */
export async function handleHealth(req: Request, db: Db): Promise<Response> {
  if (req.method !== "GET" && req.method !== "POST") {
    return Response.json({ error: "method not allowed: use GET" }, { status: 405, headers: { allow: "GET, POST" } });
  }
  const report = await checkHealth(db);
  return Response.json(report, { status: report.status === "ok" ? 200 : 503 });
}
