// `codeguard queue status | inspect <id> | retry <id> | cancel <id> | dead`: the scan queue for an
// operator, as tables in the terminal, over a database URL — the local stack's (`npm start` prints
// it) or a hosted project's (Connect → Session pooler) — through the queue's own SQL functions.
import postgres from "postgres";
import { reachDatabase, redactUrl } from "../../database-url.ts";
import { databaseUrl, parseArgs, UsageError, usageMessage } from "../args.ts";
import { NotAJobId, QueueOps } from "../../ops/queue-store.ts";
import { fields, table, when } from "../table.ts";

export const summary = "queue status | inspect <id> | retry <id> | cancel <id> | dead: the scan queue for an operator (SUPABASE_DB_URL)";

export const USAGE = `usage: codeguard queue <action> [--db-url URL] (default: $SUPABASE_DB_URL)
  status [--company C]        jobs by type and status, ready jobs and the oldest one's wait, lost leases, outages
  inspect <job or scan id>    one job: its state, its scan, its log
  retry <job id>              a dead or cancelled job back to pending, with a fresh budget of attempts
  cancel <job id> [--reason]  a pending job cancelled now; a running one at its worker's next heartbeat
  dead [--company C] [--limit N]   the dead letters, newest first, with why each died`;

const STATUSES = ["pending", "running", "completed", "dead", "cancelled"] as const;

async function status(ops: QueueOps, company: string | undefined): Promise<void> {
  const { stats } = await ops.status(company);
  const types = Object.keys(stats.byType).sort();
  const rows = types.map((t) => [t, ...STATUSES.map((s) => stats.byType[t][s] ?? 0)]);
  rows.push(["all", ...STATUSES.map((s) => stats.byStatus[s] ?? 0)]);
  console.log(table(["type", ...STATUSES], rows));
  console.log("");
  console.log(fields([
    ["ready", stats.ready],
    ["scheduled", `${stats.scheduled} (retries, snoozes and delays waiting for their time)`],
    ["oldest ready", stats.oldestReadySeconds === null ? "none waiting" : `${Math.round(stats.oldestReadySeconds)} s`],
    ["expired leases", `${stats.expiredLeases}${stats.expiredLeases ? " (their workers are gone: the reaper hands them on within 10 s)" : ""}`],
    ["overdue heartbeats", stats.overdueHeartbeats],
    ["follow-ups", stats.followUps],
    [stats.slaSeconds === null ? "past their SLA" : `past the ${stats.slaSeconds / 60}-min SLA`, stats.runningPastSla.length],
  ]));
  if (stats.sourceOutages.length) {
    console.log("");
    console.log(table(["source down", "since", "failed probes", "next probe", "last error"],
      stats.sourceOutages.map((o) => [o.source, when(o.since), o.failedProbes, when(o.blockedUntil), o.lastError])));
  }
  if (stats.runningPastSla.length) {
    console.log("");
    console.log(table(["running past SLA", "type", "worker", "attempt", "running", "SLA"],
      stats.runningPastSla.map((j) => [j.id, j.scanType, j.workerId, j.attempt, `${Math.round(j.runningSeconds)} s`, `${Math.round(j.slaSeconds / 60)} min`])));
  }
}

async function inspect(ops: QueueOps, id: string): Promise<number> {
  const job = await ops.job(id);
  if (!job) {
    console.error(`codeguard queue inspect: no job or scan ${id} (finished jobs are pruned after 7 days, dead ones after 30)`);
    return 1;
  }
  console.log(fields([
    ["job", job.id],
    ["company", `${job.company} (${job.company_id})`],
    ["repository", job.repository],
    ["type", job.scan_type],
    ["status", job.status + (job.cancel_requested_at && job.status === "running" ? " (cancel requested)" : "")],
    ["priority", job.priority],
    ["attempts", `${job.attempts - job.attempts_waived} of ${job.max_attempts} spent (${job.attempts} claims)`],
    ["run after", when(job.run_after)],
    ["worker", job.worker_id],
    ["lease expires", job.status === "running" ? when(job.lease_expires_at) : null],
    ["heartbeat", job.status === "running" ? when(job.heartbeat_at) : null],
    ["progress", `${job.progress} %${job.progress_message ? ` — ${job.progress_message}` : ""}`],
    ["created", when(job.created_at)],
    ["started", when(job.started_at)],
    ["finished", when(job.completed_at)],
    ["error", job.error],
  ]));
  const scan = await ops.scan(job.id);
  if (scan) {
    console.log("");
    console.log(fields([
      ["scan", scan.id],
      ["scan status", `${scan.status}, ${scan.progress} %`],
      ["GitHub requests", scan.requests],
      ["warnings", scan.warnings],
      ["scan error", scan.error_message],
    ]));
  }
  const events = await ops.events(job.id);
  console.log("");
  console.log(table(["at", "event", "attempt", "worker", "message"],
    events.map((e) => [e.created_at.toISOString().replace("T", " ").replace("Z", ""), e.kind, e.attempt, e.worker_id, e.message]), 90));
  return 0;
}

async function dead(ops: QueueOps, company: string | undefined, limit: number): Promise<void> {
  const companyId = company ? await ops.companyId(company) : null;
  const rows = await ops.dead({ companyId, limit });
  if (rows.length === 0) {
    console.log("no dead jobs");
    return;
  }
  console.log(table(["job", "company", "repository", "type", "attempts", "died", "why"],
    rows.map((r) => [r.id, r.company, r.repository, r.scan_type, r.attempts, when(r.completed_at), r.error]), 80));
  console.log(`\nretry one: codeguard queue retry <job>`);
}

export async function run(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (!verb) {
    console.error(USAGE);
    return 2;
  }
  let parsed;
  let url: string;
  try {
    if (!["status", "inspect", "retry", "cancel", "dead"].includes(verb)) throw new UsageError(`unknown action ${verb}`);
    parsed = parseArgs(rest, ["db-url", "company", "limit", "reason"]);
    url = databaseUrl(parsed);
    const needsId = ["inspect", "retry", "cancel"].includes(verb);
    if (needsId && parsed.positional.length !== 1) throw new UsageError(`${verb} takes one job id`);
    if (!needsId && parsed.positional.length) throw new UsageError(`${verb} takes no arguments, got ${parsed.positional.join(" ")}`);
    if (parsed.options.has("limit") && !/^[1-9]\d{0,4}$/.test(String(parsed.options.get("limit")))) throw new UsageError("--limit must be a number from 1 to 99999");
  } catch (e) {
    console.error(usageMessage("queue", e as Error, USAGE));
    return 2;
  }
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  const ops = new QueueOps(sql);
  const company = parsed.options.get("company") as string | undefined;
  const id = parsed.positional[0];
  try {
    await reachDatabase(sql, url);
    switch (verb) {
      case "status":
        await status(ops, company);
        return 0;
      case "inspect":
        return await inspect(ops, id);
      case "dead":
        await dead(ops, company, Number(parsed.options.get("limit") ?? 50));
        return 0;
      case "retry":
      case "cancel": {
        if (!(await ops.job(id))) {
          console.error(`codeguard queue ${verb}: no job ${id}`);
          return 1;
        }
        const w = verb === "retry" ? await ops.retry(id) : await ops.cancel(id, parsed.options.get("reason") as string | undefined);
        if (!w.accepted) {
          console.error(`codeguard queue ${verb}: ${w.message}`);
          return 1;
        }
        console.log(`${verb === "retry" ? "retried" : w.status === "cancelled" ? "cancelled" : "cancel requested"}: job ${id} is ${w.status}${w.message ? ` (${w.message})` : ""}`);
        return 0;
      }
    }
    return 2;
  } catch (e) {
    const err = e as { message: string; hint?: string; severity?: string };
    if (e instanceof NotAJobId) {
      console.error(`codeguard queue ${verb}: ${err.message}`);
      return 2;
    }
    if (err.severity) console.error(`codeguard queue ${verb}: ${err.message.replace(/^[a-z_]+: /, "")}${err.hint ? `\n→ ${err.hint}` : ""}`);
    else console.error(`codeguard queue ${verb}: cannot reach the database at ${redactUrl(url)}: ${err.message}`);
    return 1;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}
