import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { clockedQueue, createCompany, eventsOf, seconds } from "./fixtures.ts";

const tdb = useTestDatabase({ jobTypes: ["again", "backoff", "dies", "fatal", "jitter"] });

describe("fail_scan_job", () => {
  it("retries after attempt⁴ seconds ± 10 % (1 s, 16 s, 81 s), and not before", async () => {
    const company = await createCompany(tdb.current.sql);
    let now = new Date("2032-01-01T00:00:00Z");
    const c = await clockedQueue(tdb.current, now);
    const job = await c.queue.enqueue({ companyId: company, scanType: "backoff", dedupeKey: "b", maxAttempts: 5 });
    for (const attempt of [1, 2, 3]) {
      const claimed = (await c.queue.claimNext({ workerId: "w", scanTypes: ["backoff"] }))!;
      expect(claimed.attempts).toBe(attempt);
      const failed = await c.queue.fail({ jobId: job.id, attempt, error: `GitHub 502 #${attempt}` });
      expect(failed.status).toBe("pending");
      const delay = (failed.runAfter!.getTime() - now.getTime()) / 1000;
      expect(delay).toBeGreaterThanOrEqual(0.9 * attempt ** 4);
      expect(delay).toBeLessThanOrEqual(1.1 * attempt ** 4);

      now = new Date(failed.runAfter!.getTime() - 1); // just before: not yet
      await c.setNow(now);
      expect(await c.queue.claimNext({ workerId: "w", scanTypes: ["backoff"] })).toBeNull();
      now = new Date(failed.runAfter!.getTime() + 1); // Dates keep milliseconds, Postgres microseconds
      await c.setNow(now);
    }
  });

  it("spreads the retries of jobs that failed together (jitter)", async () => {
    const company = await createCompany(tdb.current.sql, { max_concurrent_scans: 50 });
    const t0 = new Date("2032-01-02T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    await c.queue.enqueueMany(Array.from({ length: 20 }, (_, i) => ({ companyId: company, scanType: "jitter", dedupeKey: `j${i}` })));
    const jobs = await c.queue.claim({ workerId: "w", scanTypes: ["jitter"], limit: 20 });
    expect(jobs).toHaveLength(20);
    const retries = new Set<number>();
    for (const j of jobs) {
      retries.add((await c.queue.fail({ jobId: j.id, attempt: j.attempts, error: "outage" })).runAfter!.getTime());
    }
    expect(retries.size).toBeGreaterThan(10);
  });

  it("sends a job to dead once max_attempts attempts have failed, keeping the error", async () => {
    const company = await createCompany(tdb.current.sql);
    const t0 = new Date("2032-01-03T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    const job = await c.queue.enqueue({ companyId: company, scanType: "dies", dedupeKey: "d", maxAttempts: 2 });
    const a1 = (await c.queue.claimNext({ workerId: "w", scanTypes: ["dies"] }))!;
    expect((await c.queue.fail({ jobId: job.id, attempt: a1.attempts, error: "boom 1" })).status).toBe("pending");
    await c.setNow(seconds(t0, 60));
    const a2 = (await c.queue.claimNext({ workerId: "w", scanTypes: ["dies"] }))!;
    const last = await c.queue.fail({ jobId: job.id, attempt: a2.attempts, error: "boom 2" });
    expect(last.status).toBe("dead");
    const [row] = await tdb.current.sql`select status, error, attempts, completed_at from public.scan_queue where id = ${job.id}`;
    expect(row).toMatchObject({ status: "dead", error: "boom 2", attempts: 2 });
    expect(row.completed_at).toEqual(seconds(t0, 60));
    await c.setNow(seconds(t0, 100_000));
    expect(await c.queue.claimNext({ workerId: "w", scanTypes: ["dies"] })).toBeNull();
    const failed = (await eventsOf(tdb.current.sql, job.id)).filter((e) => e.kind === "failed");
    expect(failed.map((e) => [e.message, e.data?.next_status])).toEqual([["boom 1", "pending"], ["boom 2", "dead"]]);
  });

  it("sends a job to dead at once when the failure is not retryable", async () => {
    const company = await createCompany(tdb.current.sql);
    const c = await clockedQueue(tdb.current);
    const job = await c.queue.enqueue({ companyId: company, scanType: "fatal", dedupeKey: "f" });
    const a = (await c.queue.claimNext({ workerId: "w", scanTypes: ["fatal"] }))!;
    const w = await c.queue.fail({ jobId: job.id, attempt: a.attempts, error: "repository not found", retryable: false });
    expect(w.status).toBe("dead");
  });

  it("lets an operator retry a dead job with a fresh budget of attempts", async () => {
    const company = await createCompany(tdb.current.sql);
    const c = await clockedQueue(tdb.current);
    const job = await c.queue.enqueue({ companyId: company, scanType: "again", dedupeKey: "a", maxAttempts: 1 });
    const a = (await c.queue.claimNext({ workerId: "w", scanTypes: ["again"] }))!;
    await c.queue.fail({ jobId: job.id, attempt: a.attempts, error: "x" });
    const retried = await c.queue.retry({ jobId: job.id });
    expect(retried).toMatchObject({ accepted: true, status: "pending" });
    const b = (await c.queue.claimNext({ workerId: "w", scanTypes: ["again"] }))!;
    expect(b.attempts).toBe(2);
    expect((await c.queue.fail({ jobId: job.id, attempt: b.attempts, error: "y" })).status).toBe("dead");
  });
});
