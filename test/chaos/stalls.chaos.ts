// Work that stops moving while its worker lives: a 60 s SHARE lock on `repositories` (an operator's
// open transaction, a slow ALTER TABLE) while scans finish, on the local stack with the
// scan-repository function under Deno; and a job whose processor waits on a query that never
// answers while its heartbeats keep its lease (as one did after a Postgres restart), under the
// `codeguard worker` loop. Neither may spend an attempt, and the stuck job must be handed back
// within its bound. Counted from the tables.
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startWorker, type RunningWorker } from "../../src/worker/worker.ts";
import type { JobContext } from "../../supabase/functions/_shared/queue/mod.ts";
import { useLocalStack } from "../harness/stack.ts";
import { chaosRepositories, chaosTenant, dbNow, enqueueFullScans, report, settled, WHOLE, wholeTally } from "./harness.ts";

const repos = chaosRepositories("locked", 10);
const stack = useLocalStack({ localGitHub: () => repos });
const LOCK_MS = Number(process.env.CHAOS_LOCK_MS ?? 60_000);
let sql: postgres.Sql;
const workers: RunningWorker[] = [];
beforeAll(async () => {
  sql = postgres(stack.current.dbUrl, { max: 4, onnotice: () => {} });
  await sql`insert into public.scan_job_types (name, description) values ('chaos_stall', 'a job type of the tests') on conflict (name) do nothing`;
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop({ graceMs: 1000 }).catch(() => {})));
  await sql?.end();
});
beforeEach(() => stack.current.github!.clearFaults());

describe("chaos: work that stops moving", () => {
  it("a 60 s SHARE lock on repositories while scans finish: heartbeats go on, no attempt spent, every job completes once", async () => {
    const gh = stack.current.github!;
    gh.inject({ kind: "slow", delayMs: 300, times: 2_000 });
    const jobs = await enqueueFullScans(sql, await chaosTenant(sql, repos));
    // Held by a transaction of its own until LOCK_MS has passed: every scan's completion
    // (which sets the repository's watermark) waits on it.
    const holder = await sql.reserve();
    await holder`begin`;
    await holder`lock table public.repositories in share mode`;
    const lockedAt = await dbNow(sql);
    await new Promise((r) => setTimeout(r, LOCK_MS));
    const [{ waiting }] = await sql`select count(*)::int as waiting from pg_stat_activity where wait_event_type = 'Lock'`;
    await holder`commit`;
    holder.release();
    const freedAt = await dbNow(sql);
    gh.clearFaults();
    expect(await settled(sql, jobs, 150_000), "every job finished").not.toBeNull();
    const [{ lost_leases }] = await sql`select count(*)::int as lost_leases from public.scan_job_events
      where job_id = any(${jobs}::uuid[]) and kind = 'reaped'`;
    const t = await report(sql, "share_lock_on_repositories_60s", jobs, freedAt, {
      lock_s: (freedAt.getTime() - lockedAt.getTime()) / 1000, waiting_on_lock_at_end: waiting, lost_leases,
    });
    expect(wholeTally(t)).toEqual(WHOLE);
    expect(t.completed).toBe(jobs.length);
    expect(lost_leases).toBe(0);
    expect(t.attemptsSpent).toBe(jobs.length); // one charged attempt each: the lock cost none
  }, 300_000);

  it("a job whose processor waits on a query that never answers, heartbeats and all: handed back within its bound, completed once", async () => {
    const [company] = await sql`insert into companies (name) values (${`Stalled ${Date.now()}`}) returning id`;
    const [job] = await sql`select id from public.enqueue_scans(${sql.json([{ company_id: company.id, scan_type: "chaos_stall", dedupe_key: "stall-1" }])}::jsonb)`;
    // The query that never answers: it waits on an advisory lock this test holds.
    const holder = await sql.reserve();
    await holder`select pg_advisory_lock(424242)`;
    const STALL_MS = 15_000;
    const processor = async (ctx: JobContext) => {
      await ctx.progress(5, "started");
      if (await firstClaim(ctx.job.id)) {
        const w = postgres(stack.current.dbUrl, { max: 1, onnotice: () => {} });
        await w`select pg_advisory_lock(424242)`; // never answers while the test holds it
      }
      return { done: true };
    };
    const firstClaim = async (id: string) => (await sql`select attempts_waived from public.scan_queue where id = ${id}`)[0].attempts_waived === 0;
    const claimedAt = await dbNow(sql);
    let finished: Date | null;
    try {
      workers.push(await startWorker({ dbUrl: stack.current.dbUrl, concurrency: 1, pollIntervalMs: 500, stallMs: STALL_MS, processors: { chaos_stall: processor } }));
      finished = await settled(sql, [job.id], 90_000);
    } finally {
      await holder`select pg_advisory_unlock(424242)`;
      holder.release();
    }
    expect(finished, "the job finished").not.toBeNull();
    const [released] = await sql`select min(created_at) as at from public.scan_job_events where job_id = ${job.id} and kind = 'snoozed'`;
    const t = await report(sql, "job_without_progress", [job.id], claimedAt, {
      stall_bound_s: STALL_MS / 1000, released_after_s: released.at ? (released.at.getTime() - claimedAt.getTime()) / 1000 : null,
    });
    expect(wholeTally(t)).toEqual(WHOLE);
    expect(t.completed).toBe(1);
    expect(t.attemptsSpent).toBe(1);
    expect(released.at).not.toBeNull();
  }, 180_000);
});
