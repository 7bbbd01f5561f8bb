import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { dbFromPostgresJs } from "../../supabase/functions/_shared/platform/db.ts";
import { JobQueue } from "../../supabase/functions/_shared/queue/client.ts";
import { clockedQueue, createCompany, seconds } from "./fixtures.ts";

const tdb = useTestDatabase({ jobTypes: ["capped", "fair", "fair1", "noop", "paused", "taken", "weekly_report"] });

describe("claim_scan_jobs", () => {
  it("lets 8 concurrent claimers on separate connections drain 5,000 jobs, each completed exactly once", async () => {
    const { sql } = tdb.current;
    const companies: string[] = [];
    for (let i = 0; i < 16; i++) companies.push(await createCompany(sql));
    const queue = new JobQueue(tdb.current.db);
    const total = 5000;
    for (let i = 0; i < total; i += 1000) {
      await queue.enqueueMany(Array.from({ length: 1000 }, (_, k) => ({
        companyId: companies[(i + k) % companies.length], scanType: "noop", dedupeKey: `drain-${i + k}`,
      })));
    }

    const processed: string[] = [];
    await Promise.all(Array.from({ length: 8 }, async (_, w) => {
      const conn = tdb.current.connect({ max: 1 });
      const q = new JobQueue(dbFromPostgresJs(conn));
      for (;;) {
        const jobs = await q.claim({ workerId: `claimer-${w}`, leaseSeconds: 300, limit: 1 + (w % 4) });
        if (jobs.length === 0) {
          // Empty can mean "the rest is locked by the others right now": stop only when nothing is pending.
          const [{ n }] = await conn<{ n: number }[]>`select count(*)::int as n from public.scan_queue where status = 'pending'`;
          if (n === 0) return;
          continue;
        }
        for (const job of jobs) {
          processed.push(job.id);
          const w2 = await q.complete({ jobId: job.id, attempt: job.attempts });
          expect(w2.accepted).toBe(true);
        }
      }
    }));

    expect(processed).toHaveLength(total);
    expect(new Set(processed).size).toBe(total);
    const [byEvents] = await sql<{ jobs: number; completed: number; claimed: number; once: number }[]>`
      select count(distinct job_id)::int as jobs,
             count(*) filter (where kind = 'completed')::int as completed,
             count(*) filter (where kind = 'claimed')::int as claimed,
             (select count(*)::int from (select job_id from public.scan_job_events where kind = 'completed'
                                         group by job_id having count(*) = 1) x) as once
      from public.scan_job_events`;
    expect(byEvents).toEqual({ jobs: total, completed: total, claimed: total, once: total });
    const [{ notDone }] = await sql<{ notDone: number }[]>`
      select count(*)::int as "notDone" from public.scan_queue where status <> 'completed'`;
    expect(notDone).toBe(0);
  }, 180_000);

  it("claims the highest priority first, then the oldest", async () => {
    const company = await createCompany(tdb.current.sql, { max_concurrent_scans: 100 });
    const t0 = new Date("2030-01-01T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    const ids: Record<string, string> = {};
    for (const [name, priority, at] of [["p5", 5, 0], ["p1-old", 1, 1], ["p10", 10, 2], ["p1-new", 1, 3]] as const) {
      await c.setNow(seconds(t0, at));
      ids[name] = (await c.queue.enqueue({ companyId: company, scanType: "noop", priority, dedupeKey: name })).id;
    }
    await c.setNow(seconds(t0, 10));
    const order: string[] = [];
    for (let i = 0; i < 4; i++) order.push((await c.queue.claimNext({ workerId: "w" }))!.id);
    expect(order).toEqual([ids["p1-old"], ids["p1-new"], ids.p5, ids.p10]);
  });

  it("does not claim a job before its run_after", async () => {
    const company = await createCompany(tdb.current.sql);
    const t0 = new Date("2030-02-01T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    const job = await c.queue.enqueue({ companyId: company, scanType: "weekly_report", runAfter: seconds(t0, 600), dedupeKey: "later" });
    expect(await c.queue.claimNext({ workerId: "w", scanTypes: ["weekly_report"] })).toBeNull();
    await c.setNow(seconds(t0, 599));
    expect(await c.queue.claimNext({ workerId: "w", scanTypes: ["weekly_report"] })).toBeNull();
    await c.setNow(seconds(t0, 600));
    expect((await c.queue.claimNext({ workerId: "w", scanTypes: ["weekly_report"] }))?.id).toBe(job.id);
  });

  it("does not let a company with 1,000 ready jobs delay another company's single job by more than one claim round", async () => {
    const { sql } = tdb.current;
    const big = await createCompany(sql); // max_concurrent_scans 2
    const small = await createCompany(sql);
    const t0 = new Date("2030-03-01T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    await c.queue.enqueueMany(Array.from({ length: 1000 }, (_, i) => ({ companyId: big, scanType: "fair", dedupeKey: `big-${i}` })));
    await c.setNow(seconds(t0, 1)); // the small company's job is younger than every one of the big company's
    const lone = await c.queue.enqueue({ companyId: small, scanType: "fair", dedupeKey: "small" });
    await c.setNow(seconds(t0, 2));

    // One claim round of a worker with 8 free slots: the big company gets its cap, the small one its job.
    const round = await c.queue.claim({ workerId: "w", scanTypes: ["fair"], limit: 8 });
    expect(round.filter((j) => j.companyId === big)).toHaveLength(2);
    expect(round.filter((j) => j.companyId === small).map((j) => j.id)).toEqual([lone.id]);
  });

  it("passes over a company whose free slots another claimer is taking, to the next company's job", async () => {
    const { sql } = tdb.current;
    const busy = await createCompany(sql);
    const other = await createCompany(sql);
    const t0 = new Date("2030-03-03T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    await c.queue.enqueueMany(Array.from({ length: 5 }, (_, i) => ({ companyId: busy, scanType: "taken", dedupeKey: `b-${i}` })));
    await c.setNow(seconds(t0, 1));
    const next = await c.queue.enqueue({ companyId: other, scanType: "taken", dedupeKey: "o" });
    await c.setNow(seconds(t0, 2));
    // Another claimer holds the busy company's free slots (its claim has not committed yet).
    const holder = tdb.current.connect({ max: 1 });
    await holder.begin(async (tx) => {
      await tx`select slot from public.scan_queue_company_slots where company_id = ${busy} for update`;
      const got = await c.queue.claim({ workerId: "w", scanTypes: ["taken"], limit: 2 });
      expect(got.map((j) => j.id)).toEqual([next.id]);
    });
  });

  it("hands out one job at a time to the next company once a company is at its cap", async () => {
    const { sql } = tdb.current;
    const big = await createCompany(sql);
    const small = await createCompany(sql);
    const t0 = new Date("2030-03-02T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    await c.queue.enqueueMany(Array.from({ length: 1000 }, (_, i) => ({ companyId: big, scanType: "fair1", dedupeKey: `big-${i}` })));
    await c.setNow(seconds(t0, 1));
    const lone = await c.queue.enqueue({ companyId: small, scanType: "fair1", dedupeKey: "small" });
    const claims = [];
    for (let i = 0; i < 3; i++) claims.push(await c.queue.claimNext({ workerId: "w", scanTypes: ["fair1"] }));
    expect(claims.map((j) => j?.companyId)).toEqual([big, big, small]);
    expect(claims[2]?.id).toBe(lone.id);
  });

  it("never runs more jobs of a company than its max_concurrent_scans, even with concurrent claimers", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql, { max_concurrent_scans: 3 });
    const queue = new JobQueue(tdb.current.db);
    await queue.enqueueMany(Array.from({ length: 200 }, (_, i) => ({ companyId: company, scanType: "capped", dedupeKey: `c-${i}` })));
    const claimed = await Promise.all(Array.from({ length: 8 }, (_, w) => {
      const q = new JobQueue(dbFromPostgresJs(tdb.current.connect({ max: 1 })));
      return q.claim({ workerId: `w${w}`, scanTypes: ["capped"], limit: 5 });
    }));
    expect(claimed.flat()).toHaveLength(3);
    const [{ running }] = await sql<{ running: number }[]>`
      select count(*)::int as running from public.scan_queue where company_id = ${company} and status = 'running'`;
    expect(running).toBe(3);
  });

  it("pauses a company whose max_concurrent_scans is 0", async () => {
    const company = await createCompany(tdb.current.sql, { max_concurrent_scans: 0 });
    const queue = new JobQueue(tdb.current.db);
    await queue.enqueue({ companyId: company, scanType: "paused", dedupeKey: "p" });
    expect(await queue.claimNext({ workerId: "w", scanTypes: ["paused"] })).toBeNull();
  });
});
