import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { clockedQueue, createCompany, eventsOf, seconds } from "./fixtures.ts";

const tdb = useTestDatabase({ jobTypes: ["ratelimited", "snoozefail"] });

describe("snooze_scan_job", () => {
  it("puts the job back until the given time without spending an attempt", async () => {
    const company = await createCompany(tdb.current.sql);
    const t0 = new Date("2033-01-01T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    const job = await c.queue.enqueue({ companyId: company, scanType: "ratelimited", dedupeKey: "r", maxAttempts: 1 });
    let now = t0;
    // Three rate limits in a row: each snoozes to the reset time, none spends the single attempt.
    for (let i = 1; i <= 3; i++) {
      const claimed = (await c.queue.claimNext({ workerId: "w", scanTypes: ["ratelimited"] }))!;
      const reset = seconds(now, 3600);
      const w = await c.queue.snooze({ jobId: job.id, attempt: claimed.attempts, until: reset, reason: "GitHub rate limit: reset at X-RateLimit-Reset" });
      expect(w).toMatchObject({ accepted: true, status: "pending", runAfter: reset });
      await c.setNow(seconds(reset, -1));
      expect(await c.queue.claimNext({ workerId: "w", scanTypes: ["ratelimited"] })).toBeNull();
      now = reset;
      await c.setNow(now);
    }
    // The one real attempt is still there: a failure now is its first, and with max_attempts 1 it is dead.
    const claimed = (await c.queue.claimNext({ workerId: "w", scanTypes: ["ratelimited"] }))!;
    expect(claimed).toMatchObject({ attempts: 4, attemptsWaived: 3 });
    expect((await c.queue.fail({ jobId: job.id, attempt: claimed.attempts, error: "500" })).status).toBe("dead");
    const snoozes = (await eventsOf(tdb.current.sql, job.id)).filter((e) => e.kind === "snoozed");
    expect(snoozes).toHaveLength(3);
    expect(snoozes[0].message).toMatch(/rate limit/);
  });

  it("counts a retry's backoff from the attempts spent, not from the snoozes", async () => {
    const company = await createCompany(tdb.current.sql);
    const t0 = new Date("2033-01-02T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    const job = await c.queue.enqueue({ companyId: company, scanType: "snoozefail", dedupeKey: "s" });
    const a = (await c.queue.claimNext({ workerId: "w", scanTypes: ["snoozefail"] }))!;
    await c.queue.snooze({ jobId: job.id, attempt: a.attempts, until: t0 });
    const b = (await c.queue.claimNext({ workerId: "w", scanTypes: ["snoozefail"] }))!;
    const failed = await c.queue.fail({ jobId: job.id, attempt: b.attempts, error: "x" });
    const delay = (failed.runAfter!.getTime() - t0.getTime()) / 1000;
    expect(delay).toBeGreaterThanOrEqual(0.9); // first spent attempt: 1 s ± 10 %, not 2⁴ = 16 s
    expect(delay).toBeLessThanOrEqual(1.1);
  });
});
