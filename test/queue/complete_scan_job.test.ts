import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { clockedQueue, createCompany, eventsOf, seconds } from "./fixtures.ts";

const tdb = useTestDatabase({ jobTypes: ["done", "many", "stale", "twice"] });

describe("complete_scan_job", () => {
  it("stores the result and logs the completion with the worker and attempt", async () => {
    const company = await createCompany(tdb.current.sql);
    const c = await clockedQueue(tdb.current);
    const job = await c.queue.enqueue({ companyId: company, scanType: "done", dedupeKey: "d" });
    const claimed = (await c.queue.claimNext({ workerId: "worker-7", scanTypes: ["done"] }))!;
    const w = await c.queue.complete({ jobId: job.id, attempt: claimed.attempts, result: { ai_loc_percentage: 12.5 } });
    expect(w).toMatchObject({ accepted: true, status: "completed" });
    const [row] = await tdb.current.sql`select status, result, progress, lease_expires_at from public.scan_queue where id = ${job.id}`;
    expect(row).toEqual({ status: "completed", result: { ai_loc_percentage: 12.5 }, progress: 100, lease_expires_at: null });
    const last = (await eventsOf(tdb.current.sql, job.id)).at(-1)!;
    expect(last).toMatchObject({ kind: "completed", attempt: 1, worker_id: "worker-7" });
  });

  it("refuses every write of a stale attempt, says so, and leaves the job untouched", async () => {
    const company = await createCompany(tdb.current.sql);
    const t0 = new Date("2035-01-01T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    const job = await c.queue.enqueue({ companyId: company, scanType: "stale", dedupeKey: "s" });
    const first = (await c.queue.claimNext({ workerId: "a", leaseSeconds: 10, scanTypes: ["stale"] }))!;
    await c.setNow(seconds(t0, 11));
    await c.queue.reapExpired();
    const second = (await c.queue.claimNext({ workerId: "b", leaseSeconds: 60, scanTypes: ["stale"] }))!;
    const [before] = await tdb.current.sql`select * from public.scan_queue where id = ${job.id}`;

    const stale = first.attempts;
    const answers = [
      await c.queue.heartbeat({ jobId: job.id, attempt: stale, progress: 90 }),
      await c.queue.complete({ jobId: job.id, attempt: stale, result: { stale: true } }),
      await c.queue.fail({ jobId: job.id, attempt: stale, error: "late" }),
      await c.queue.snooze({ jobId: job.id, attempt: stale, until: seconds(t0, 3600) }),
    ];
    for (const a of answers) {
      expect(a.accepted).toBe(false);
      expect(a.message).toMatch(/attempt 1 of job .* is stale \(the job is at attempt 2, running\)/);
    }
    const [after] = await tdb.current.sql`select * from public.scan_queue where id = ${job.id}`;
    expect(after).toEqual(before);
    expect((await c.queue.complete({ jobId: job.id, attempt: second.attempts })).accepted).toBe(true);
    const refused = (await eventsOf(tdb.current.sql, job.id)).filter((e) => e.kind === "refused");
    expect(refused).toHaveLength(4);
  });

  it("refuses a second completion of the same attempt", async () => {
    const company = await createCompany(tdb.current.sql);
    const c = await clockedQueue(tdb.current);
    const job = await c.queue.enqueue({ companyId: company, scanType: "twice", dedupeKey: "t" });
    const claimed = (await c.queue.claimNext({ workerId: "w", scanTypes: ["twice"] }))!;
    expect((await c.queue.complete({ jobId: job.id, attempt: claimed.attempts })).accepted).toBe(true);
    const again = await c.queue.complete({ jobId: job.id, attempt: claimed.attempts });
    expect(again).toMatchObject({ accepted: false, status: "completed" });
  });

  it("completes many jobs in one call, answering each one (complete_scan_jobs)", async () => {
    const company = await createCompany(tdb.current.sql, { max_concurrent_scans: 10 });
    const c = await clockedQueue(tdb.current);
    await c.queue.enqueueMany([1, 2, 3].map((i) => ({ companyId: company, scanType: "many", dedupeKey: `m${i}` })));
    const jobs = await c.queue.claim({ workerId: "w", scanTypes: ["many"], limit: 3 });
    const answers = await c.queue.completeMany([
      ...jobs.map((j) => ({ jobId: j.id, attempt: j.attempts, result: { n: 1 } })),
      { jobId: jobs[0].id, attempt: 99 },
    ]);
    expect(answers.filter((a) => a.accepted).map((a) => a.jobId).sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(answers.filter((a) => !a.accepted)).toHaveLength(1);
  });
});
