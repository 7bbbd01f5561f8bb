import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { clockedQueue, createCompany } from "./fixtures.ts";

const tdb = useTestDatabase({ jobTypes: ["prune"] });
const DAY = 24 * 3600 * 1000;

describe("prune_scan_queue", () => {
  it("deletes completed jobs after 7 days and dead ones after 30, with their events, and keeps the rest", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql, { max_concurrent_scans: 10 });
    const now = new Date("2034-06-30T00:00:00Z");
    const c = await clockedQueue(tdb.current);
    const finish = async (key: string, daysAgo: number, outcome: "complete" | "dead" | "cancel" | "pending") => {
      await c.setNow(new Date(now.getTime() - daysAgo * DAY));
      const job = await c.queue.enqueue({ companyId: company, scanType: "prune", dedupeKey: key, maxAttempts: 1 });
      if (outcome === "cancel") await c.queue.cancel({ jobId: job.id });
      else if (outcome !== "pending") {
        const claimed = (await c.queue.claimNext({ workerId: "w", scanTypes: ["prune"] }))!;
        if (outcome === "complete") await c.queue.complete({ jobId: claimed.id, attempt: claimed.attempts });
        else await c.queue.fail({ jobId: claimed.id, attempt: claimed.attempts, error: "x" });
      }
      return job.id;
    };
    const ids = {
      completedOld: await finish("c8", 8, "complete"),
      completedNew: await finish("c6", 6, "complete"),
      deadOld: await finish("d31", 31, "dead"),
      deadNew: await finish("d29", 29, "dead"),
      cancelledOld: await finish("x8", 8, "cancel"),
      pendingOld: await finish("p40", 40, "pending"),
    };
    await c.setNow(now);
    const report = await c.queue.prune();
    expect(report.jobs).toBe(3);
    const left = await sql<{ id: string }[]>`select id from public.scan_queue where dedupe_key in ('c8','c6','d31','d29','x8','p40')`;
    expect(new Set(left.map((r) => r.id))).toEqual(new Set([ids.completedNew, ids.deadNew, ids.pendingOld]));
    const [{ orphans }] = await sql<{ orphans: number }[]>`
      select count(*)::int as orphans from public.scan_job_events e
      where not exists (select 1 from public.scan_queue q where q.id = e.job_id)`;
    expect(orphans).toBe(0);
  });

  it("removes the events of jobs deleted with their repository", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql);
    const [repo] = await sql<{ id: string }[]>`insert into public.repositories (company_id, full_name) values (${company}, 'org/gone') returning id`;
    const c = await clockedQueue(tdb.current, new Date("2034-01-01T00:00:00Z"));
    const job = await c.queue.enqueue({ companyId: company, repositoryId: repo.id });
    await sql`delete from public.repositories where id = ${repo.id}`;
    await c.setNow(new Date("2034-03-01T00:00:00Z"));
    await c.queue.prune();
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from public.scan_job_events where job_id = ${job.id}`;
    expect(n).toBe(0);
  });
});
