import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { clockedQueue, createCompany, eventsOf } from "./fixtures.ts";

const tdb = useTestDatabase({ jobTypes: ["cancelfail", "cancelled_late", "cancelme", "cancelrun"] });

describe("cancel_scan_job", () => {
  it("cancels a pending job at once, so no worker claims it", async () => {
    const company = await createCompany(tdb.current.sql);
    const c = await clockedQueue(tdb.current);
    const job = await c.queue.enqueue({ companyId: company, scanType: "cancelme", dedupeKey: "p" });
    const w = await c.queue.cancel({ jobId: job.id, reason: "repository removed" });
    expect(w).toMatchObject({ accepted: true, status: "cancelled" });
    expect(await c.queue.claimNext({ workerId: "w", scanTypes: ["cancelme"] })).toBeNull();
    expect((await eventsOf(tdb.current.sql, job.id)).map((e) => e.kind)).toEqual(["enqueued", "cancelled"]);
  });

  it("asks a running job to stop, and the worker's next heartbeat finishes it as cancelled", async () => {
    const company = await createCompany(tdb.current.sql);
    const c = await clockedQueue(tdb.current);
    const job = await c.queue.enqueue({ companyId: company, scanType: "cancelrun", dedupeKey: "r" });
    const claimed = (await c.queue.claimNext({ workerId: "w", scanTypes: ["cancelrun"] }))!;

    const requested = await c.queue.cancel({ jobId: job.id });
    expect(requested).toMatchObject({ accepted: true, status: "running", cancelRequested: true });

    const beat = await c.queue.heartbeat({ jobId: job.id, attempt: claimed.attempts, progress: 30 });
    expect(beat).toMatchObject({ accepted: true, status: "cancelled", cancelRequested: true });
    const late = await c.queue.complete({ jobId: job.id, attempt: claimed.attempts });
    expect(late.accepted).toBe(false);
    expect(late.message).toMatch(/is cancelled/);
    expect((await eventsOf(tdb.current.sql, job.id)).map((e) => e.kind))
      .toEqual(["enqueued", "claimed", "cancel_requested", "progress", "cancelled", "refused"]);
  });

  it("does not retry a failing job whose cancel was requested", async () => {
    const company = await createCompany(tdb.current.sql);
    const c = await clockedQueue(tdb.current);
    const job = await c.queue.enqueue({ companyId: company, scanType: "cancelfail", dedupeKey: "f" });
    const claimed = (await c.queue.claimNext({ workerId: "w", scanTypes: ["cancelfail"] }))!;
    await c.queue.cancel({ jobId: job.id });
    expect((await c.queue.fail({ jobId: job.id, attempt: claimed.attempts, error: "aborted" })).status).toBe("cancelled");
  });

  it("refuses to cancel a finished job", async () => {
    const company = await createCompany(tdb.current.sql);
    const c = await clockedQueue(tdb.current);
    const job = await c.queue.enqueue({ companyId: company, scanType: "cancelled_late", dedupeKey: "d" });
    const claimed = (await c.queue.claimNext({ workerId: "w", scanTypes: ["cancelled_late"] }))!;
    await c.queue.complete({ jobId: job.id, attempt: claimed.attempts });
    const w = await c.queue.cancel({ jobId: job.id });
    expect(w).toMatchObject({ accepted: false, status: "completed" });
  });
});
