// An enqueue that arrives while its job runs is not swallowed: it becomes the running job's
// follow-up, and a pending job of its own when that job finishes (supabase/schemas/23_*).
import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { clockedQueue, createCompany, createRepository, eventsOf } from "./fixtures.ts";

const tdb = useTestDatabase();

// Each test claims from the whole queue: start from an empty one.
beforeEach(async () => {
  await tdb.current.sql`delete from public.scan_queue`;
});

async function jobsOf(companyId: string) {
  return await tdb.current.sql`select id, status, priority, payload, follow_up from public.scan_queue where company_id = ${companyId} order by created_at, id`;
}

describe("an enqueue during a running scan", () => {
  it("queues exactly one follow-up however many arrive, which becomes a pending job when the scan completes", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql);
    const repo = await createRepository(sql, company);
    const c = await clockedQueue(tdb.current);
    const first = await c.queue.enqueue({ companyId: company, repositoryId: repo, scanType: "incremental_scan", priority: 5 });
    const [running] = await c.queue.claim({ workerId: "w", limit: 1 });
    // A push lands mid-scan, then two more (one asking for a higher priority), and one through the bulk path.
    const answer = await c.queue.enqueue({ companyId: company, repositoryId: repo, scanType: "incremental_scan", payload: { after: "a1" } });
    expect(answer.id).toBe(first.id);
    expect(answer.followUp).toMatchObject({ requests: 1, priority: 5, payload: { after: "a1" } });
    await c.queue.enqueue({ companyId: company, repositoryId: repo, scanType: "incremental_scan", priority: 2, payload: { after: "a2" } });
    const [bulk] = await c.queue.enqueueMany([{ companyId: company, repositoryId: repo, scanType: "incremental_scan", payload: { after: "a3" } }]);
    expect(bulk.followUp).toMatchObject({ requests: 3, priority: 2, payload: { after: "a3" } });
    expect(await jobsOf(company)).toHaveLength(1);

    await c.queue.complete({ jobId: running.id, attempt: running.attempts });
    const jobs = await jobsOf(company);
    expect(jobs.map((j) => j.status)).toEqual(["completed", "pending"]);
    expect(jobs[1]).toMatchObject({ priority: 2, payload: { after: "a3" }, follow_up: null });
    const [enqueued] = await eventsOf(sql, jobs[1].id);
    expect(enqueued).toMatchObject({ kind: "enqueued", data: { follows: first.id } });
    expect((await eventsOf(sql, first.id)).filter((e) => e.kind === "follow_up_requested")).toHaveLength(3);
  });

  it("leaves a pending job as it is (it has read nothing yet)", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql);
    const repo = await createRepository(sql, company);
    const c = await clockedQueue(tdb.current);
    const first = await c.queue.enqueue({ companyId: company, repositoryId: repo, scanType: "incremental_scan" });
    const again = await c.queue.enqueue({ companyId: company, repositoryId: repo, scanType: "incremental_scan" });
    expect(again).toMatchObject({ id: first.id, followUp: null });
  });

  it("queues the follow-up also when the scan goes dead, is cancelled, or is completed in a batch, and not when it is retried", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql, { max_concurrent_scans: 10 });
    const c = await clockedQueue(tdb.current);
    const repos = await Promise.all([1, 2, 3, 4].map(() => createRepository(sql, company)));
    await c.queue.enqueueMany(repos.map((r) => ({ companyId: company, repositoryId: r, scanType: "full_scan", maxAttempts: 1 })));
    const running = await c.queue.claim({ workerId: "w", limit: 4 });
    const byRepo = new Map(running.map((j) => [j.repositoryId, j]));
    for (const r of repos) await c.queue.enqueue({ companyId: company, repositoryId: r, scanType: "full_scan" });
    const [a, b, d, e] = repos.map((r) => byRepo.get(r)!);
    await c.queue.fail({ jobId: a.id, attempt: a.attempts, error: "boom" }); // dead: attempts spent
    await c.queue.cancel({ jobId: b.id });
    await c.queue.heartbeat({ jobId: b.id, attempt: b.attempts }); // cancelled at its heartbeat
    await c.queue.completeMany([{ jobId: d.id, attempt: d.attempts }, { jobId: e.id, attempt: e.attempts }]);
    const pending = await sql`select repository_id from public.scan_queue where company_id = ${company} and status = 'pending'`;
    expect(pending.map((p) => p.repository_id).sort()).toEqual([...repos].sort());

    // The dead job's follow-up exists already: retrying the dead job does not make another.
    await sql`update public.scan_queue set status = 'cancelled', completed_at = now() where company_id = ${company} and status = 'pending' and repository_id = ${repos[0]}`;
    expect(await c.queue.retry({ jobId: a.id })).toMatchObject({ accepted: true });
    const [{ n }] = await sql`select count(*)::int as n from public.scan_queue where repository_id = ${repos[0]}`;
    expect(n).toBe(2);
    const [retried] = await sql`select follow_up from public.scan_queue where id = ${a.id}`;
    expect(retried.follow_up).toBeNull();
  });

  it("keeps the follow-up waiting while the scan goes back to pending (a retry, a snooze)", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql);
    const repo = await createRepository(sql, company);
    const c = await clockedQueue(tdb.current);
    await c.queue.enqueue({ companyId: company, repositoryId: repo, scanType: "incremental_scan" });
    const [running] = await c.queue.claim({ workerId: "w", limit: 1 });
    await c.queue.enqueue({ companyId: company, repositoryId: repo, scanType: "incremental_scan", payload: { pr: 7 } });
    await c.queue.snooze({ jobId: running.id, attempt: running.attempts, until: new Date(), reason: "released" });
    const jobs = await jobsOf(company);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ status: "pending", follow_up: { payload: { pr: 7 } } });
  });
});
