import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { clockedQueue, createCompany, createRepository, seconds } from "./fixtures.ts";

const tdb = useTestDatabase();

async function counter(sql: import("postgres").Sql, companyId: string): Promise<{ counted: number; running: number }> {
  const [r] = await sql<{ counted: number; running: number }[]>`
    select (select running from public.scan_queue_company_running where company_id = ${companyId}) as counted,
           (select count(*)::int from public.scan_queue where company_id = ${companyId} and status = 'running') as running`;
  return r;
}

describe("scan_queue_company_running", () => {
  it("counts a company's running jobs exactly through complete, fail, snooze, cancel at a heartbeat, reap and delete", async () => {
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
    expect(await counter(sql, company)).toEqual({ counted: 8, running: 8 });

    const [a, b, d, e, f, g, h] = jobs;
    expect((await c.queue.complete({ jobId: a.id, attempt: a.attempts })).accepted).toBe(true);
    expect((await c.queue.completeMany([b, d].map((j) => ({ jobId: j.id, attempt: j.attempts })))).every((w) => w.accepted)).toBe(true);
    expect((await c.queue.fail({ jobId: e.id, attempt: e.attempts, error: "boom" })).accepted).toBe(true);
    expect((await c.queue.snooze({ jobId: f.id, attempt: f.attempts, until: seconds(t0, 3600) })).accepted).toBe(true);
    await c.queue.cancel({ jobId: g.id });
    expect((await c.queue.heartbeat({ jobId: g.id, attempt: g.attempts })).status).toBe("cancelled");
    expect(await counter(sql, company)).toEqual({ counted: 2, running: 2 });
    // A refused write changes nothing.
    expect((await c.queue.complete({ jobId: a.id, attempt: a.attempts })).accepted).toBe(false);
    expect(await counter(sql, company)).toEqual({ counted: 2, running: 2 });

    await c.setNow(seconds(t0, 61));
    expect(await c.queue.reapExpired()).toEqual({ requeued: 2, dead: 0, cancelled: 0 });
    expect(await counter(sql, company)).toEqual({ counted: 0, running: 0 });

    const again = (await c.queue.claimNext({ workerId: "w", scanTypes: ["count_repo"] }))!;
    expect(again.id).toBe(repoJob.id);
    expect(h.id).not.toBe(again.id);
    await sql`delete from public.repositories where id = ${repo}`; // cascades to its running job
    expect(await counter(sql, company)).toEqual({ counted: 0, running: 0 });
  });
});
