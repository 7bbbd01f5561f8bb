// The platform under the pipeline broken while it scans, on the local stack: Postgres restarted,
// the pg_net dispatcher stopped for a minute, Postgres out of connections. The workers are the
// scan-repository function under Deno, woken through pg_net as on Supabase. Counted from the tables.
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LocalNetDispatcher } from "../../src/local/dispatcher.ts";
import { eventually } from "../harness/processes.ts";
import { useLocalStack } from "../harness/stack.ts";
import { chaosRepositories, chaosTenant, dbNow, enqueueFullScans, report, settled, WHOLE, wholeTally } from "./harness.ts";

const repos = chaosRepositories("platform", 6);
// 80 connection slots instead of 300, so that running Postgres out of them holds a few dozen backends.
const stack = useLocalStack({ localGitHub: () => repos, pgMaxConnections: 80 });
const DISPATCHER_DOWN_MS = Number(process.env.CHAOS_DISPATCHER_DOWN_MS ?? 60_000);
const EXHAUSTED_MS = Number(process.env.CHAOS_EXHAUSTED_MS ?? 20_000);
let sql: postgres.Sql;
/** The dispatcher started again after the stack's own was stopped. */
let restarted: LocalNetDispatcher | null = null;
beforeAll(async () => {
  sql = postgres(stack.current.dbUrl, { max: 4, onnotice: () => {} });
});
afterAll(async () => {
  await restarted?.stop();
  await sql?.end();
});
beforeEach(() => stack.current.github!.clearFaults());

/** Scans under way: at least two with a page written. */
async function scanning(jobs: string[]): Promise<number> {
  await eventually(async () => {
    const [r] = await sql`select count(*)::int as n from public.scans where job_id = any(${jobs}::uuid[]) and (timings ->> 'pages')::int >= 1`;
    return r.n >= 2;
  }, "two scans with a page written", 60_000);
  const [{ n }] = await sql`select count(*)::int as n from public.scan_queue where id = any(${jobs}::uuid[]) and status = 'running'`;
  return n;
}

describe("chaos: the platform", () => {
  it("Postgres restarted mid-run: the functions reconnect on their own, every job completes once", async () => {
    const gh = stack.current.github!;
    gh.inject({ kind: "slow", delayMs: 1_500, times: 400 });
    const jobs = await enqueueFullScans(sql, await chaosTenant(sql, repos));
    const running = await scanning(jobs);
    await stack.current.postgres.restart();
    const restartedAt = await dbNow(sql);
    gh.clearFaults();
    expect(await settled(sql, jobs, 150_000), "every job finished").not.toBeNull();
    const t = await report(sql, "postgres_restart", jobs, restartedAt, { running_when_restarted: running });
    expect(wholeTally(t)).toEqual(WHOLE);
    expect(t.completed).toBe(jobs.length);
  }, 240_000);

  it("the pg_net dispatcher stopped for a minute: nothing is claimed meanwhile, and every job completes once it is back", async () => {
    await stack.current.dispatcher.stop();
    const stoppedAt = await dbNow(sql);
    const jobs = await enqueueFullScans(sql, await chaosTenant(sql, repos));
    await new Promise((r) => setTimeout(r, DISPATCHER_DOWN_MS));
    const [during] = await sql`select count(*)::int as claimed, (select count(*)::int from net.http_request_queue) as queued_requests
                               from public.scan_job_events where job_id = any(${jobs}::uuid[]) and kind = 'claimed'`;
    expect(during.claimed).toBe(0);
    expect(during.queued_requests).toBeGreaterThan(0); // the wake-ups wait in pg_net's queue, as on Supabase
    restarted = new LocalNetDispatcher({ url: stack.current.dbUrl });
    await restarted.start();
    const backAt = await dbNow(sql);
    expect(await settled(sql, jobs, 120_000), "every job finished").not.toBeNull();
    const t = await report(sql, "pg_net_dispatcher_stopped", jobs, backAt,
      { down_s: (backAt.getTime() - stoppedAt.getTime()) / 1000, wake_ups_queued: during.queued_requests });
    expect(wholeTally(t)).toEqual(WHOLE);
    expect(t.completed).toBe(jobs.length);
  }, 240_000);

  it("Postgres out of connections while jobs arrive: workers, pg_cron and pg_net wait it out, and every job completes once", async () => {
    // Let the functions' idle connections close (idle_timeout 20 s), so that working needs new ones.
    await new Promise((r) => setTimeout(r, 21_000));
    // This test's own connection, taken before: the tables are read and the jobs enqueued through it.
    const own = await sql.reserve();
    // Take every connection slot left (the superuser's reserved ones too: the functions connect as postgres).
    const held: postgres.Sql[] = [];
    let refusal = "";
    while (held.length < 80) {
      const c = postgres(stack.current.dbUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
      try {
        await c`select 1`;
        held.push(c);
      } catch (e) {
        refusal = (e as Error).message;
        await c.end({ timeout: 1 }).catch(() => {});
        break;
      }
    }
    expect(refusal).toMatch(/too many clients|remaining connection slots/);
    const exhaustedAt = await dbNow(own as unknown as postgres.Sql);
    // Jobs arrive meanwhile.
    const jobs = await enqueueFullScans(own as unknown as postgres.Sql, await chaosTenant(own as unknown as postgres.Sql, repos));
    await new Promise((r) => setTimeout(r, EXHAUSTED_MS));
    const [{ during }] = await own`select count(*)::int as during from public.scan_queue where id = any(${jobs}::uuid[]) and status = 'completed'`;
    await Promise.all(held.map((c) => c.end({ timeout: 1 })));
    own.release();
    const freedAt = await dbNow(sql);
    expect(await settled(sql, jobs, 150_000), "every job finished").not.toBeNull();
    const t = await report(sql, "postgres_out_of_connections", jobs, freedAt,
      { held_connections: held.length, exhausted_s: (freedAt.getTime() - exhaustedAt.getTime()) / 1000, completed_while_exhausted: during });
    expect(wholeTally(t)).toEqual(WHOLE);
    expect(t.completed).toBe(jobs.length);
  }, 300_000);
});
