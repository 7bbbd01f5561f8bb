// `codeguard schedules [--db-url URL]`: every pg_cron schedule of the database — ours are named
// codeguard-… — with its next run (UTC) and how its last run went.
import postgres from "postgres";
import { dbFromPostgresJs } from "../../../supabase/functions/_shared/platform/db.ts";
import { nextRun } from "../../local/schedule.ts";
import { dbUrlProblem, reachDatabase, redactUrl } from "../../database-url.ts";
import { databaseUrl, parseArgs, UsageError, usageMessage } from "../args.ts";

export const summary = "list the pg_cron schedules with their next run and last run's status (SUPABASE_DB_URL)";

export const USAGE = "usage: codeguard schedules [--db-url URL]   (default: $SUPABASE_DB_URL)";

interface ScheduleRow {
  name: string;
  schedule: string;
  active: boolean;
  last_status: string | null;
  last_run_at: Date | null;
  last_message: string | null;
}

const when = (d: Date | null) => (d ? d.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z") : "—");

export async function run(args: string[]): Promise<number> {
  let dbUrl: string;
  try {
    const parsed = parseArgs(args, ["db-url"]);
    if (parsed.positional.length) throw new UsageError(`unexpected ${parsed.positional.join(" ")}`);
    dbUrl = databaseUrl(parsed);
  } catch (e) {
    console.error(usageMessage("schedules", e as Error, USAGE));
    return 2;
  }
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await reachDatabase(sql, dbUrl);
    const rows = await dbFromPostgresJs(sql).functions.rows<ScheduleRow>("pipeline_schedules", []);
    const now = new Date();
    const table = rows.map((r) => [
      r.name, r.schedule, r.active ? when(nextRun(r.schedule, now, r.last_run_at)) : "inactive",
      when(r.last_run_at), r.last_status === "failed" ? `failed: ${(r.last_message ?? "").split("\n")[0].slice(0, 80)}` : (r.last_status ?? "never run"),
    ]);
    const head = ["SCHEDULE", "WHEN", "NEXT RUN (UTC)", "LAST RUN (UTC)", "LAST STATUS"];
    const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
    for (const row of [head, ...table]) console.log(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join("  "));
    return 0;
  } catch (e) {
    console.error(`codeguard schedules: cannot read the schedules at ${redactUrl(dbUrl)}: ${(e as Error).message}`);
    return 1;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}
