// The circuit breaker of a job's source (supabase/schemas/22_scan_source_outages.sql), on the SQL
// API with a moved clock: an outage snoozes without spending an attempt, pauses the source's
// claims but for one probe at a time, grows the wait only on failed probes, ends when the source
// answers, and gives up after six hours with a reason that says what to do.
import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { clockedQueue, createCompany, createRepository, eventsOf, seconds } from "./fixtures.ts";

const tdb = useTestDatabase({ jobTypes: ["local_only"] });

// Each test claims from the whole queue: start from an empty one.
beforeEach(async () => {
  await tdb.current.sql`delete from public.scan_queue`;
  await tdb.current.sql`delete from public.scan_source_outages`;
  await tdb.current.sql`delete from public.scan_source_answers`;
});

async function outage() {
  const [row] = await tdb.current.sql`select source, failures, blocked_until, probe_job_id from public.scan_source_outages`;
  return row;
}

async function job(id: string) {
  const [row] = await tdb.current.sql`select status, attempts, attempts_waived, run_after, error, source_outage_since from public.scan_queue where id = ${id}`;
  return row;
}

describe("report_scan_source_outage", () => {
  it("snoozes the job without spending an attempt, and claims nothing of the source until its probe is due, then one job", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql, { max_concurrent_scans: 10 });
    const t0 = new Date("2032-01-01T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    const jobs = await c.queue.enqueueMany(await Promise.all([1, 2, 3].map(async () => ({ companyId: company, repositoryId: await createRepository(sql, company), scanType: "full_scan" }))));
    const local = await c.queue.enqueue({ companyId: company, scanType: "local_only", dedupeKey: "l" });
    const [first] = await c.queue.claim({ workerId: "w", scanTypes: ["full_scan"], limit: 1 });

    const w = await c.queue.reportSourceOutage({ jobId: first.id, attempt: first.attempts, error: "GitHub did not answer: connection refused" });
    expect(w).toMatchObject({ accepted: true, status: "pending" });
    const down = await outage();
    expect(down).toMatchObject({ source: "github", failures: 1, probe_job_id: null });
    const wait = new Date(down.blocked_until).getTime() - t0.getTime();
    expect(wait).toBeGreaterThanOrEqual(4_500);
    expect(wait).toBeLessThanOrEqual(5_500);
    expect(await job(first.id)).toMatchObject({ status: "pending", attempts: 1, attempts_waived: 1, error: "GitHub did not answer: connection refused" });

    // While the source is down its jobs are not claimed; other types are.
    expect((await c.queue.claim({ workerId: "w", limit: 10 })).map((j) => j.id)).toEqual([local.id]);
    // Once the wait is over: one probe, and only one, for as long as its lease holds.
    await c.setNow(seconds(t0, 6));
    const probe = await c.queue.claim({ workerId: "w", leaseSeconds: 30, limit: 10 });
    expect(probe).toHaveLength(1);
    expect(jobs.map((j) => j.id)).toContain(probe[0].id);
    expect((await outage()).probe_job_id).toBe(probe[0].id);
    expect(await c.queue.claim({ workerId: "w2", limit: 10 })).toEqual([]);
    expect((await eventsOf(sql, probe[0].id)).find((e) => e.kind === "claimed")?.data).toEqual({ probe: "github" });
  });

  it("waits longer after each failed probe (5, 10, 20, then 30 s), but not for reports of jobs that were already running", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql, { max_concurrent_scans: 10 });
    let now = new Date("2032-02-01T00:00:00Z");
    const c = await clockedQueue(tdb.current, now);
    await c.queue.enqueueMany(await Promise.all([1, 2, 3, 4].map(async () => ({ companyId: company, repositoryId: await createRepository(sql, company) }))));
    const running = await c.queue.claim({ workerId: "w", limit: 4 });
    // Four jobs running when GitHub goes down: one outage, one step of the backoff.
    for (const j of running) await c.queue.reportSourceOutage({ jobId: j.id, attempt: j.attempts, error: "refused" });
    expect((await outage()).failures).toBe(1);
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const o = await outage();
      now = new Date(new Date(o.blocked_until).getTime() + 1);
      await c.setNow(now);
      const [probe] = await c.queue.claim({ workerId: "w", limit: 4 });
      expect(probe).toBeDefined();
      await c.queue.reportSourceOutage({ jobId: probe.id, attempt: probe.attempts, error: "still refused" });
      waits.push(Math.round((new Date((await outage()).blocked_until).getTime() - now.getTime()) / 1000));
    }
    expect(waits.map((s) => [9, 10, 11, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33].includes(s))).toEqual([true, true, true, true, true]);
    expect(waits[0]).toBeLessThanOrEqual(11); // after the 1st failed probe: 10 s ± 10 %
    expect(waits[1]).toBeGreaterThanOrEqual(18); // 20 s
    expect(waits[4]).toBeLessThanOrEqual(33); // capped at 30 s
    const spent = await sql`select attempts - attempts_waived as spent from public.scan_queue where company_id = ${company}`;
    expect(spent.map((r) => r.spent)).toEqual([0, 0, 0, 0]);
  });

  it("closes the circuit when the probe's source answers, and wakes the workers", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql, { max_concurrent_scans: 10 });
    const t0 = new Date("2032-03-01T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    await c.queue.enqueueMany(await Promise.all([1, 2, 3].map(async () => ({ companyId: company, repositoryId: await createRepository(sql, company) }))));
    const [first] = await c.queue.claim({ workerId: "w", limit: 1 });
    await c.queue.reportSourceOutage({ jobId: first.id, attempt: first.attempts, error: "refused" });
    await c.setNow(seconds(t0, 10));
    const [probe] = await c.queue.claim({ workerId: "w", limit: 3 });
    const notified: string[] = [];
    const listener = await tdb.current.sql.listen("scan_queue_jobs", (p) => notified.push(p));
    expect(await c.queue.sourceAnswered({ jobId: probe.id, attempt: probe.attempts })).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    await listener.unlisten();
    expect(notified.length).toBeGreaterThan(0);
    expect(await outage()).toBeUndefined();
    expect(await c.queue.sourceAnswered({ jobId: probe.id, attempt: probe.attempts })).toBe(false);
    // Every waiting job is claimable again, the first one's snooze time come.
    expect(await c.queue.claim({ workerId: "w", limit: 3 })).toHaveLength(2);
  });

  it("lets a probe whose worker died be replaced once its lease has run out", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql, { max_concurrent_scans: 10 });
    const t0 = new Date("2032-04-01T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    await c.queue.enqueueMany(await Promise.all([1, 2, 3].map(async () => ({ companyId: company, repositoryId: await createRepository(sql, company) }))));
    const [first] = await c.queue.claim({ workerId: "w", limit: 1 });
    await c.queue.reportSourceOutage({ jobId: first.id, attempt: first.attempts, error: "refused" });
    await c.setNow(seconds(t0, 10));
    expect(await c.queue.claim({ workerId: "dies", leaseSeconds: 30, limit: 3 })).toHaveLength(1);
    await c.setNow(seconds(t0, 39));
    expect(await c.queue.claim({ workerId: "w", limit: 3 })).toEqual([]);
    await c.setNow(seconds(t0, 41));
    expect(await c.queue.claim({ workerId: "w", limit: 3 })).toHaveLength(1);
  });

  it("gives up after six hours of outages, saying how to retry, and a retry starts afresh", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql);
    const t0 = new Date("2032-05-01T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    const j = await c.queue.enqueue({ companyId: company, repositoryId: await createRepository(sql, company) });
    const claim = async (at: Date) => {
      await c.setNow(at);
      const [got] = await c.queue.claim({ workerId: "w", limit: 1 });
      return got;
    };
    let got = await claim(t0);
    await c.queue.reportSourceOutage({ jobId: j.id, attempt: got.attempts, error: "refused" });
    expect((await job(j.id)).source_outage_since).toEqual(t0);
    got = await claim(seconds(t0, 5 * 3600));
    expect(got.id).toBe(j.id);
    await c.queue.reportSourceOutage({ jobId: j.id, attempt: got.attempts, error: "refused" });
    expect((await job(j.id)).status).toBe("pending");
    got = await claim(seconds(t0, 6 * 3600 + 60));
    const w = await c.queue.reportSourceOutage({ jobId: j.id, attempt: got.attempts, error: "connection refused" });
    expect(w.status).toBe("dead");
    const dead = await job(j.id);
    expect(dead.error).toMatch(/^github has been unreachable for this job since .* \(connection refused\); it gave up after 06:00:00\. Check github's status \(for GitHub: https:\/\/www\.githubstatus\.com\) and that the worker reaches it \(GITHUB_API_URL, network\), then retry the job: select public\.retry_scan_job\('/);
    expect(dead.attempts - dead.attempts_waived).toBe(0);
    await c.queue.retry({ jobId: j.id });
    expect(await job(j.id)).toMatchObject({ status: "pending", source_outage_since: null });
  });

  it("refuses a late worker's report, and a report for a job type that reads no source", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql);
    const c = await clockedQueue(tdb.current);
    const j = await c.queue.enqueue({ companyId: company, scanType: "local_only", dedupeKey: "x" });
    const [got] = await c.queue.claim({ workerId: "w", scanTypes: ["local_only"], limit: 1 });
    await expect(c.queue.reportSourceOutage({ jobId: j.id, attempt: got.attempts, error: "x" })).rejects.toThrow(/job type local_only reads no source/);
    expect(await c.queue.reportSourceOutage({ jobId: j.id, attempt: got.attempts + 1, error: "x" })).toMatchObject({ accepted: false });
  });
});

describe("report_scan_source_timeout", () => {
  it("fails the attempt, circuit untouched, when another job heard from the source since the attempt began; else is an outage", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql, { max_concurrent_scans: 10 });
    const t0 = new Date("2032-02-01T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    const jobs = await c.queue.enqueueMany(await Promise.all([1, 2, 3].map(async () => ({ companyId: company, repositoryId: await createRepository(sql, company), scanType: "full_scan" }))));
    const [h, b] = await c.queue.claim({ workerId: "w", scanTypes: ["full_scan"], limit: 2 });
    const lone = jobs.find((j) => j.id !== h.id && j.id !== b.id)!;
    await c.setNow(seconds(t0, 20));
    await c.queue.sourceAnswered({ jobId: b.id, attempt: b.attempts });
    await c.setNow(seconds(t0, 48));
    const w = await c.queue.reportSourceTimeout({ jobId: h.id, attempt: h.attempts, error: "no answer within 15000 ms" });
    expect(w).toMatchObject({ accepted: true, status: "pending" });
    expect(await outage()).toBeUndefined();
    const failed = await job(h.id);
    expect(failed).toMatchObject({ attempts: 1, attempts_waived: 0, source_outage_since: null });
    expect(failed.error).toBe("github did not answer this job's requests in time (no answer within 15000 ms) while it answered 1 other job(s) meanwhile: this repository's requests hang, not github; counted as a failed attempt");

    // Alone, with no other job's answer since its attempt began: an outage, no attempt spent.
    const [l] = await c.queue.claim({ workerId: "w", scanTypes: ["full_scan"], limit: 1 });
    expect(l.id).toBe(lone.id);
    await c.setNow(seconds(t0, 100));
    expect(await c.queue.reportSourceTimeout({ jobId: l.id, attempt: l.attempts, error: "no answer within 15000 ms" })).toMatchObject({ accepted: true, status: "pending" });
    expect(await outage()).toMatchObject({ source: "github", failures: 1 });
    expect(await job(l.id)).toMatchObject({ attempts: 1, attempts_waived: 1 });
  });
});
