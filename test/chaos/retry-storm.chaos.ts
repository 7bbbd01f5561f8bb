// A retry storm: 1,000 jobs whose first attempt fails at once, taken by four long-lived workers
// (the `codeguard worker` loop, LISTEN and all) — every job must come back after its backoff and
// complete exactly once, none lost to the storm of fail/claim writes. Counted from the tables.
import { afterAll, describe, expect, it } from "vitest";
import { startWorker, type RunningWorker } from "../../src/worker/worker.ts";
import type { JobContext } from "../../supabase/functions/_shared/queue/mod.ts";
import { useTestDatabase } from "../harness/db.ts";
import { dbNow, report, settled, WHOLE, wholeTally } from "./harness.ts";

const t = useTestDatabase({ jobTypes: ["chaos_storm"] });
const JOBS = Number(process.env.CHAOS_STORM_JOBS ?? 1000);
const workers: RunningWorker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop({ graceMs: 1000 }).catch(() => {})));
});

describe("chaos: a retry storm", () => {
  it("1,000 jobs failing at once: each retried after its backoff and completed once", async () => {
    const sql = t.current.sql;
    const [company] = await sql`insert into companies (name, settings) values ('Storm', '{"max_concurrent_scans": 200}') returning id`;
    const jobs = (await sql`select id from public.enqueue_scans(${sql.json(Array.from({ length: JOBS }, (_, i) => ({
      company_id: company.id, scan_type: "chaos_storm", dedupe_key: `storm-${i}`,
    })))}::jsonb)`).map((r) => r.id as string);
    expect(jobs).toHaveLength(JOBS);
    const processor = async (ctx: JobContext) => {
      if (ctx.attempt === 1) throw new Error("storm: every job's first attempt fails");
      return { done: ctx.job.id };
    };
    const startedAt = await dbNow(sql);
    for (let i = 0; i < 4; i++) {
      workers.push(await startWorker({ dbUrl: t.current.url, concurrency: 25, pollIntervalMs: 500, processors: { chaos_storm: processor } }));
    }
    expect(await settled(sql, jobs, 180_000), "every job finished").not.toBeNull();
    const [storm] = await sql`select min(created_at) as first_failure, max(created_at) as last_failure, count(*)::int as failures
                              from public.scan_job_events where job_id = any(${jobs}::uuid[]) and kind = 'failed'`;
    const tally = await report(sql, "retry_storm_1000", jobs, storm.first_failure, {
      failures: storm.failures, storm_s: (storm.last_failure.getTime() - storm.first_failure.getTime()) / 1000,
      from_start_s: (Date.now() - startedAt.getTime()) / 1000,
    });
    expect(wholeTally(tally)).toEqual(WHOLE);
    expect(tally.completed).toBe(JOBS);
    expect(storm.failures).toBe(JOBS);
    expect(tally.attemptsSpent).toBe(2 * JOBS);
  }, 240_000);
});
