import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { clockedQueue, createCompany, eventsOf, seconds } from "./fixtures.ts";

const tdb = useTestDatabase({ jobTypes: ["beat", "lastlease", "lease", "outage"] });

describe("reap_expired_scan_jobs", () => {
  it("gives the job of a worker that stopped heartbeating to another worker after the lease, and refuses the late worker's complete", async () => {
    const company = await createCompany(tdb.current.sql);
    const t0 = new Date("2031-01-01T00:00:00Z");
    const a = await clockedQueue(tdb.current, t0);
    const job = await a.queue.enqueue({ companyId: company, scanType: "lease", dedupeKey: "l" });
    const first = (await a.queue.claimNext({ workerId: "worker-a", leaseSeconds: 60, scanTypes: ["lease"] }))!;
    expect(first.attempts).toBe(1);

    // Within the lease nothing is reaped, and nobody else can claim it.
    await a.setNow(seconds(t0, 59));
    expect(await a.queue.reapExpired()).toEqual({ requeued: 0, dead: 0, cancelled: 0 });
    expect(await a.queue.claimNext({ workerId: "worker-b", scanTypes: ["lease"] })).toBeNull();

    await a.setNow(seconds(t0, 61));
    expect(await a.queue.reapExpired()).toEqual({ requeued: 1, dead: 0, cancelled: 0 });
    const second = (await a.queue.claimNext({ workerId: "worker-b", leaseSeconds: 60, scanTypes: ["lease"] }))!;
    expect(second.id).toBe(job.id);
    expect(second.attempts).toBe(2);

    const late = await a.queue.complete({ jobId: job.id, attempt: first.attempts, result: { from: "a" } });
    expect(late.accepted).toBe(false);
    expect(late.message).toMatch(/attempt 1 .* is stale/);
    const onTime = await a.queue.complete({ jobId: job.id, attempt: second.attempts, result: { from: "b" } });
    expect(onTime.accepted).toBe(true);

    const [row] = await tdb.current.sql`select status, result from public.scan_queue where id = ${job.id}`;
    expect(row).toEqual({ status: "completed", result: { from: "b" } });
    const kinds = (await eventsOf(tdb.current.sql, job.id)).map((e) => `${e.kind}:${e.attempt}`);
    expect(kinds).toEqual(["enqueued:0", "claimed:1", "reaped:1", "claimed:2", "refused:1", "completed:2"]);
  });

  it("frees the seat of the worker whose job it reaps, not the seats of the others", async () => {
    const sql = tdb.current.sql;
    const company = await createCompany(sql);
    const t0 = new Date("2031-01-01T00:00:00Z");
    const a = await clockedQueue(tdb.current, t0);
    for (const w of ["edge-killed", "edge-alive"]) await a.sql`select public.begin_scan_worker(${w}, 'scan-repository', 140)`;
    await a.queue.enqueue({ companyId: company, scanType: "lease", dedupeKey: "seat" });
    expect(await a.queue.claimNext({ workerId: "edge-killed", leaseSeconds: 30, scanTypes: ["lease"] })).not.toBeNull();
    // Killed: no heartbeat. After the lease its job is reaped, and its seat with it (not 170 s later).
    await a.setNow(seconds(t0, 31));
    expect(await a.queue.reapExpired()).toMatchObject({ requeued: 1 });
    const seats = await sql`select worker_id from public.scan_workers order by 1`;
    expect(seats.map((r) => r.worker_id)).toEqual(["edge-alive"]);
  });

  it("keeps a heartbeating job away from the reaper", async () => {
    const company = await createCompany(tdb.current.sql);
    const t0 = new Date("2031-01-02T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    const job = await c.queue.enqueue({ companyId: company, scanType: "beat", dedupeKey: "b" });
    const claimed = (await c.queue.claimNext({ workerId: "w", leaseSeconds: 60, scanTypes: ["beat"] }))!;
    await c.setNow(seconds(t0, 50));
    const beat = await c.queue.heartbeat({ jobId: job.id, attempt: claimed.attempts, progress: 40 });
    expect(beat.accepted).toBe(true);
    expect(beat.leaseExpiresAt).toEqual(seconds(t0, 110));
    await c.setNow(seconds(t0, 100));
    expect((await c.queue.reapExpired()).requeued).toBe(0);
    expect((await c.queue.complete({ jobId: job.id, attempt: claimed.attempts })).accepted).toBe(true);
  });

  it("sends a job whose attempts are spent to dead when its lease expires", async () => {
    const company = await createCompany(tdb.current.sql);
    const t0 = new Date("2031-01-03T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    const job = await c.queue.enqueue({ companyId: company, scanType: "lastlease", dedupeKey: "x", maxAttempts: 1 });
    await c.queue.claimNext({ workerId: "w", leaseSeconds: 30, scanTypes: ["lastlease"] });
    // The reaper at its rounds (every 10 s), so it sees the lease run out: the worker is gone, not the database.
    await c.setNow(seconds(t0, 20));
    expect(await c.queue.reapExpired()).toEqual({ requeued: 0, dead: 0, cancelled: 0 });
    await c.setNow(seconds(t0, 31));
    expect(await c.queue.reapExpired()).toEqual({ requeued: 0, dead: 1, cancelled: 0 });
    const [row] = await tdb.current.sql`select status, error from public.scan_queue where id = ${job.id}`;
    expect(row.status).toBe("dead");
    expect(row.error).toMatch(/lease expired .* worker w stopped heartbeating during attempt 1/);
  });

  it("spends no attempt on a lease that ran out while the reaper itself could not run (the database out of reach), and one on a lease it saw run out", async () => {
    const sql = tdb.current.sql;
    const company = await createCompany(sql);
    const t0 = new Date("2031-01-04T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    const unseen = await c.queue.enqueue({ companyId: company, scanType: "outage", dedupeKey: "unseen", maxAttempts: 1 });
    const seen = await c.queue.enqueue({ companyId: company, scanType: "outage", dedupeKey: "seen" });
    await c.setNow(seconds(t0, 1));
    expect(await c.queue.reapExpired()).toEqual({ requeued: 0, dead: 0, cancelled: 0 });
    expect((await c.queue.claimJob({ jobId: unseen.id, workerId: "w-unseen", leaseSeconds: 30 }))?.id).toBe(unseen.id);
    expect((await c.queue.claimJob({ jobId: seen.id, workerId: "w-seen", leaseSeconds: 30 }))?.id).toBe(seen.id);
    // Nothing runs for 40 s — no heartbeat, no reaper round — then the reaper comes back first: both
    // leases ran out unseen. Even the job on its last attempt goes back to pending, its attempt waived.
    await c.setNow(seconds(t0, 41));
    expect(await c.queue.reapExpired()).toEqual({ requeued: 2, dead: 0, cancelled: 0 });
    const rows = await sql`select dedupe_key, status, attempts, attempts_waived, error from public.scan_queue
      where id = any(${[unseen.id, seen.id]}::uuid[]) order by dedupe_key`;
    expect(rows.map((r) => [r.dedupe_key, r.status, r.attempts, r.attempts_waived])).toEqual([["seen", "pending", 1, 1], ["unseen", "pending", 1, 1]]);
    expect(rows[1].error).toMatch(/lease expired at .* unseen: the reaper did not run from .* until .* \(the database or its scheduler was out of reach\), so attempt 1 of worker w-unseen is not spent/);
    const [event] = await sql`select data from public.scan_job_events where job_id = ${unseen.id} and kind = 'reaped'`;
    expect(event.data).toEqual({ next_status: "pending", attempt_spent: false });

    // Claimed again, the reaper at its rounds this time: the lease it watches run out spends the attempt.
    const again = (await c.queue.claimJob({ jobId: seen.id, workerId: "w-seen-2", leaseSeconds: 30 }))!;
    expect(again.attempts).toBe(2);
    for (const s of [51, 61, 72]) {
      await c.setNow(seconds(t0, s));
      await c.queue.reapExpired();
    }
    const [after] = await sql`select status, attempts - attempts_waived as spent from public.scan_queue where id = ${seen.id}`;
    expect(after).toEqual({ status: "pending", spent: 1 });
    const [seenEvent] = await sql`select data from public.scan_job_events where job_id = ${seen.id} and kind = 'reaped' and attempt = 2`;
    expect(seenEvent.data).toEqual({ next_status: "pending", attempt_spent: true });

    // Its round is kept in one row; gone, the next round puts it back.
    expect((await sql`select last_run_at from public.scan_queue_reaper`).map((r) => r.last_run_at)).toEqual([seconds(t0, 72)]);
    await sql`delete from public.scan_queue_reaper`;
    await c.setNow(seconds(t0, 80));
    await c.queue.reapExpired();
    expect((await sql`select last_run_at from public.scan_queue_reaper`).map((r) => r.last_run_at)).toEqual([seconds(t0, 80)]);
  });
});
