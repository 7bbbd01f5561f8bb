// `codeguard schedules [--db-url URL]`: every pg_cron schedule of the database — ours are named
// codeguard-… — with its next run (UTC) and how its last run went.
import postgres from "postgres";
import { dbFromPostgresJs } from "../../../supabase/functions/_shared/platform/db.ts";
import { nextRun } from "../../local/schedule.ts";
import { dbUrlProblem, reachDatabase, redactUrl } from "../../database-url.ts";

export const summary = "list the pg_cron schedules with their next run and last run's status (SUPABASE_DB_URL)";

const USAGE = "usage: codeguard schedules [--db-url URL]   (default: $SUPABASE_DB_URL)";

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
  let dbUrl = process.env.SUPABASE_DB_URL || undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "-h" || args[i] === "--help") {
      console.log(USAGE);
      return 0;
    }
    if (args[i] === "--db-url" && args[i + 1]) dbUrl = args[++i];
    else if (args[i].startsWith("--db-url=")) dbUrl = args[i].slice("--db-url=".length);
    else {
      console.error(`codeguard schedules: unknown option ${args[i]}\n${USAGE}`);
      return 2;
    }
  }
  if (!dbUrl) {
    console.error("codeguard schedules: missing SUPABASE_DB_URL: set it (or pass --db-url postgres://…); `npm start` prints the local one");
    return 2;
  }
  const problem = dbUrlProblem(dbUrl, args.some((a) => a.startsWith("--db-url")) ? "--db-url" : "SUPABASE_DB_URL");
  if (problem) {
    console.error(`codeguard schedules: ${problem}`);
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
