import { describe, expect, it } from "vitest";
import type postgres from "postgres";
import { useTestDatabase } from "../harness/db.ts";
import { clockedQueue, createCompany, createRepository, seconds } from "./fixtures.ts";

const tdb = useTestDatabase({ jobTypes: ["count", "count_repo", "held", "lower", "trunc"] });

/** The jobs holding the company's slots, and its running jobs: the two must always be the same set. */
async function slotsAndRunning(sql: postgres.Sql, companyId: string): Promise<{ held: string[]; running: string[] }> {
  const [r] = await sql<{ held: string[]; running: string[] }[]>`
    select coalesce((select array_agg(s.job_id::text order by s.job_id) from public.scan_queue_company_slots s
                     where s.company_id = ${companyId} and s.job_id is not null), '{}') as held,
           coalesce((select array_agg(q.id::text order by q.id) from public.scan_queue q
                     where q.company_id = ${companyId} and q.status = 'running'), '{}') as running`;
  return r;
}

async function slotRows(sql: postgres.Sql, companyId: string): Promise<{ slot: number; busy: boolean; retiring: boolean }[]> {
  return await sql<{ slot: number; busy: boolean; retiring: boolean }[]>`
    select slot, job_id is not null as busy, retiring from public.scan_queue_company_slots
    where company_id = ${companyId} order by slot`;
}

async function setCap(sql: postgres.Sql, companyId: string, cap: number): Promise<void> {
  await sql`update public.companies set settings = settings || ${sql.json({ max_concurrent_scans: cap })} where id = ${companyId}`;
}

describe("scan_queue_company_slots", () => {
  it("gives a company one slot per unit of its cap, following max_concurrent_scans", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql, { max_concurrent_scans: 3 });
    expect(await slotRows(sql, company)).toEqual([1, 2, 3].map((slot) => ({ slot, busy: false, retiring: false })));
    await setCap(sql, company, 1);
    expect(await slotRows(sql, company)).toEqual([{ slot: 1, busy: false, retiring: false }]);
    await setCap(sql, company, 2);
    expect((await slotRows(sql, company)).map((s) => s.slot)).toEqual([1, 2]);
    const defaulted = (await sql<{ id: string }[]>`insert into public.companies (name) values ('no settings') returning id`)[0].id;
    expect((await slotRows(sql, defaulted)).map((s) => s.slot)).toEqual([1, 2]);
    await setCap(sql, company, 5000); // each unit of the cap is a row: at most 1,000
    expect(await slotRows(sql, company)).toHaveLength(1000);
  });

  it("holds a slot for exactly the running jobs through complete, fail, snooze, cancel at a heartbeat, a refused write, reap and delete", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql, { max_concurrent_scans: 10 });
    const repo = await createRepository(sql, company);
    const t0 = new Date("2032-01-01T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    await c.queue.enqueueMany(Array.from({ length: 7 }, (_, i) => ({ companyId: company, scanType: "count", dedupeKey: `k-${i}` })));
    const inRepo = await c.queue.enqueue({ companyId: company, repositoryId: repo, scanType: "count_repo" });
    const jobs = await c.queue.claim({ workerId: "w", leaseSeconds: 60, scanTypes: ["count"], limit: 7 });
    const repoJob = (await c.queue.claimNext({ workerId: "w", leaseSeconds: 60, scanTypes: ["count_repo"] }))!;
    expect(repoJob.id).toBe(inRepo.id);
    let s = await slotsAndRunning(sql, company);
    expect(s.running).toHaveLength(8);
    expect(s.held).toEqual(s.running);

    const [a, b, d, e, f, g] = jobs;
    expect((await c.queue.complete({ jobId: a.id, attempt: a.attempts })).accepted).toBe(true);
    expect((await c.queue.completeMany([b, d].map((j) => ({ jobId: j.id, attempt: j.attempts })))).every((w) => w.accepted)).toBe(true);
    expect((await c.queue.fail({ jobId: e.id, attempt: e.attempts, error: "boom" })).accepted).toBe(true);
    expect((await c.queue.snooze({ jobId: f.id, attempt: f.attempts, until: seconds(t0, 3600) })).accepted).toBe(true);
    await c.queue.cancel({ jobId: g.id });
    expect((await c.queue.heartbeat({ jobId: g.id, attempt: g.attempts })).status).toBe("cancelled");
    s = await slotsAndRunning(sql, company);
    expect(s.running).toHaveLength(2);
    expect(s.held).toEqual(s.running);
    // A refused write frees nothing.
    expect((await c.queue.complete({ jobId: a.id, attempt: a.attempts })).accepted).toBe(false);
    expect(await slotsAndRunning(sql, company)).toEqual(s);

    await c.setNow(seconds(t0, 61));
    expect(await c.queue.reapExpired()).toEqual({ requeued: 2, dead: 0, cancelled: 0 });
    expect(await slotsAndRunning(sql, company)).toEqual({ held: [], running: [] });

    const again = (await c.queue.claimNext({ workerId: "w", scanTypes: ["count_repo"] }))!;
    expect(again.id).toBe(repoJob.id);
    expect((await slotsAndRunning(sql, company)).held).toEqual([again.id]);
    await sql`delete from public.repositories where id = ${repo}`; // cascades to its running job
    expect(await slotsAndRunning(sql, company)).toEqual({ held: [], running: [] });
    expect(await slotRows(sql, company)).toHaveLength(10);
  });

  it("after the cap is lowered below the running jobs, claims nothing more until they are under the new cap", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql, { max_concurrent_scans: 3 });
    const c = await clockedQueue(tdb.current, new Date("2032-02-01T00:00:00Z"));
    await c.queue.enqueueMany(Array.from({ length: 10 }, (_, i) => ({ companyId: company, scanType: "lower", dedupeKey: `l-${i}` })));
    const [x, y, z] = await c.queue.claim({ workerId: "w", scanTypes: ["lower"], limit: 10 });
    expect([x, y, z].every(Boolean)).toBe(true);

    await setCap(sql, company, 1); // three running, cap 1: the two slots above it retire
    expect(await slotRows(sql, company)).toEqual([
      { slot: 1, busy: true, retiring: false },
      { slot: 2, busy: true, retiring: true },
      { slot: 3, busy: true, retiring: true },
    ]);
    // Each finished job leaves one fewer running; nothing is claimed while two or more still run.
    for (const job of [x, y]) {
      expect((await c.queue.complete({ jobId: job.id, attempt: job.attempts })).accepted).toBe(true);
      expect(await c.queue.claim({ workerId: "w", scanTypes: ["lower"], limit: 10 })).toEqual([]);
    }
    expect((await c.queue.complete({ jobId: z.id, attempt: z.attempts })).accepted).toBe(true);
    expect(await slotRows(sql, company)).toEqual([{ slot: 1, busy: false, retiring: false }]);
    expect(await c.queue.claim({ workerId: "w", scanTypes: ["lower"], limit: 10 })).toHaveLength(1);
    expect(await c.queue.claim({ workerId: "w", scanTypes: ["lower"], limit: 10 })).toEqual([]);

    await setCap(sql, company, 3); // raised again: two more slots, two more claims
    expect(await c.queue.claim({ workerId: "w", scanTypes: ["lower"], limit: 10 })).toHaveLength(2);
    const s = await slotsAndRunning(sql, company);
    expect(s.running).toHaveLength(3);
    expect(s.held).toEqual(s.running);
  });

  it("does not let a company held back by a lowered cap hold back another company's job", async () => {
    const { sql } = tdb.current;
    const held = await createCompany(sql, { max_concurrent_scans: 3 });
    const other = await createCompany(sql);
    const c = await clockedQueue(tdb.current, new Date("2032-02-02T00:00:00Z"));
    await c.queue.enqueueMany(Array.from({ length: 10 }, (_, i) => ({ companyId: held, scanType: "held", dedupeKey: `h-${i}`, priority: 1 })));
    const [x] = await c.queue.claim({ workerId: "w", scanTypes: ["held"], limit: 3 });
    await setCap(sql, held, 1); // slots 2 and 3 retire while busy
    expect((await c.queue.complete({ jobId: x.id, attempt: x.attempts })).accepted).toBe(true);
    // The held company has a free slot (slot 1) and seven ready jobs ahead of everyone, but may not
    // claim while its retired slots are busy: the claim goes past them to the other company's job.
    const [mine] = await c.queue.enqueueMany([{ companyId: other, scanType: "held", dedupeKey: "o-1", priority: 9 }]);
    const claimed = await c.queue.claim({ workerId: "w", scanTypes: ["held"], limit: 4 });
    expect(claimed.map((j) => j.id)).toEqual([mine.id]);
  });

  it("frees every slot when the queue is truncated", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql);
    const c = await clockedQueue(tdb.current);
    await c.queue.enqueueMany([0, 1].map((i) => ({ companyId: company, scanType: "trunc", dedupeKey: `t-${i}` })));
    expect(await c.queue.claim({ workerId: "w", scanTypes: ["trunc"], limit: 2 })).toHaveLength(2);
    await sql`truncate public.scan_queue`;
    expect(await slotRows(sql, company)).toEqual([1, 2].map((slot) => ({ slot, busy: false, retiring: false })));
  });
});
