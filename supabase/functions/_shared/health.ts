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

export interface HealthReport {
  status: "ok" | "degraded" | "down";
  database: { reachable: boolean; error?: string };
  migrations: { applied: number; latest: string | null };
  schedules: ScheduleHealth[];
  problems: string[];
  checked_at: string;
}

export async function checkHealth(db: Db, now: () => Date = () => new Date()): Promise<HealthReport> {
  const report: HealthReport = {
    status: "ok",
    database: { reachable: true },
    migrations: { applied: 0, latest: null },
    schedules: [],
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
