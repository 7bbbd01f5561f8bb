// A scan worker killed mid-scan: SIGKILL to the Deno process of the scan-repository function
// while its invocations are scanning, on the local stack (dispatch through pg_net, the functions
// host restarting the function, pg_cron's reaper every 10 s). Counted from the tables.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../harness/processes.ts";
import { useLocalStack } from "../harness/stack.ts";
import { chaosRepositories, chaosTenant, dbNow, enqueueFullScans, report, settled, WHOLE, wholeTally } from "./harness.ts";

const repos = chaosRepositories("kill", 6);
const stack = useLocalStack({ localGitHub: () => repos });
let sql: postgres.Sql;
beforeAll(async () => {
  sql = postgres(stack.current.dbUrl, { max: 4, onnotice: () => {} });
});
afterAll(async () => sql?.end());

describe("chaos: a worker killed", () => {
  it("SIGKILL to the scan-repository Deno process mid-scan: every job completes once, after the reaper hands it on", async () => {
    const gh = stack.current.github!;
    gh.inject({ kind: "slow", delayMs: 500, times: 400 }); // scans that take a while
    const tenant = await chaosTenant(sql, repos);
    const jobs = await enqueueFullScans(sql, tenant);
    await eventually(async () => {
      const [r] = await sql`select count(*)::int as n from public.scans where job_id = any(${jobs}::uuid[]) and (timings ->> 'pages')::int >= 1`;
      return r.n >= 2;
    }, "two scans with a page written", 60_000);
    const fn = stack.current.functions.status().find((f) => f.name === "scan-repository")!;
    const [{ running }] = await sql`select count(*)::int as running from public.scan_queue where id = any(${jobs}::uuid[]) and status = 'running'`;
    process.kill(fn.pid!, "SIGKILL");
    const killedAt = await dbNow(sql);
    gh.clearFaults();
    expect(await settled(sql, jobs, 150_000), "every job finished").not.toBeNull();
    const t = await report(sql, "sigkill_deno_worker", jobs, killedAt, { running_when_killed: running });
    expect(wholeTally(t)).toEqual(WHOLE);
    expect(t.completed).toBe(jobs.length);
    const [{ reaped }] = await sql`select count(distinct job_id)::int as reaped from public.scan_job_events where job_id = any(${jobs}::uuid[]) and kind = 'reaped'`;
    expect(reaped).toBe(running);
    expect(stack.current.functions.status().find((f) => f.name === "scan-repository")!.restarts).toBeGreaterThanOrEqual(1);
  }, 240_000);
});
