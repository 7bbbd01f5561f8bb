// The governance stages as queued jobs: completed scans enqueue one calculate_scores per company
// (twenty at once make one), which scores and enqueues generate_alerts; the schedules enqueue one
// job per company (and one refresh for everyone); a report job that keeps failing is retried,
// then dead with its reason, while the other companies' reports complete.
import { describe, expect, it } from "vitest";
import { dbFromPostgresJs } from "../../supabase/functions/_shared/platform/db.ts";
import { sqlJobProcessor } from "../../supabase/functions/_shared/governance/sql-jobs.ts";
import { WorkerLoop } from "../../supabase/functions/_shared/queue/worker/worker-loop.ts";
import { weeklyReportProcessor } from "../../supabase/functions/_shared/reports/weekly-report.ts";
import { useTestDatabase } from "../harness/db.ts";
import { clockedQueue, createCompany, createRepository } from "../queue/fixtures.ts";
import { acmeWeek } from "../reports/acme-week.ts";
import { addCommit, NOW } from "./fixtures.ts";

const tdb = useTestDatabase();

describe("after scans", () => {
  it("twenty scans completing together make one calculate_scores per company, which scores and raises alerts", async () => {
    const sql = tdb.current.sql;
    const { queue, sql: clocked, setNow } = await clockedQueue(tdb.current, NOW);
    const companyId = await createCompany(sql, { max_concurrent_scans: 20 });
    const other = await createCompany(sql);
    const repos = await Promise.all(Array.from({ length: 20 }, (_, i) => createRepository(sql, companyId, `acme/r${i}`)));
    const otherRepo = await createRepository(sql, other, "else/r");
    // Each repository's full scan: claimed, begun, one attested commit, completed.
    const jobs = await queue.enqueueMany([...repos.map((r) => ({ companyId, repositoryId: r, scanType: "full_scan" })),
      { companyId: other, repositoryId: otherRepo, scanType: "full_scan" }]);
    const claimed = await queue.claim({ workerId: "w", limit: 30, scanTypes: ["full_scan"] });
    expect(claimed).toHaveLength(21);
    for (const job of claimed) {
      const [{ scan_id }] = await clocked`select scan_id from public.begin_scan(${job.id}, ${job.attempts})`;
      await addCommit(sql, { companyId: job.companyId, repositoryId: job.repositoryId!, scanId: scan_id }, { verdict: "attested", counted: 100, ai: 100, authoredAt: new Date(NOW.getTime() - 86_400_000) });
      const [w] = await clocked`select accepted from public.complete_scan(${job.id}, ${job.attempts}, ${clocked.json({ summary: {}, decisions: [], api_requests: {}, result: {} })})`;
      expect(w.accepted).toBe(true);
    }
    expect(jobs).toHaveLength(21);
    const scoreJobs = await sql`select company_id, run_after, priority from public.scan_queue where scan_type = 'calculate_scores' order by company_id`;
    expect(scoreJobs).toHaveLength(2);
    expect(scoreJobs.map((j) => j.company_id).sort()).toEqual([companyId, other].sort());
    // Due 5 s after the first completion (score_debounce_seconds), at high priority.
    expect(scoreJobs.every((j) => j.run_after.getTime() === NOW.getTime() + 5000 && j.priority === 2)).toBe(true);

    await setNow(new Date(NOW.getTime() + 6000));
    const loop = new WorkerLoop({
      queue, workerId: "g", scanTypes: ["calculate_scores", "generate_alerts"],
      // On the clocked connection: the jobs they enqueue are due by the test's clock.
      processors: { calculate_scores: sqlJobProcessor(dbFromPostgresJs(clocked), "calculate_scores"), generate_alerts: sqlJobProcessor(dbFromPostgresJs(clocked), "generate_alerts") },
    });
    const report = await loop.drain({ budgetMs: 10_000 });
    expect(report).toMatchObject({ completed: 4, failed: 0 }); // two score jobs, then the two alert jobs they enqueued
    const [done] = await sql`select result from public.scan_queue where scan_type = 'calculate_scores' and company_id = ${companyId}`;
    // Every line AI's, no PRs: 100 lines each read through the prior of 1000 lines, 35·100/1100 =
    // 3.18 points per repository; the company's 2000 pooled lines, 35·2000/3000 = 23.33.
    expect(done.result).toMatchObject({ repositories_scored: 20, company_score: 23.33, risk_zone: "low" });
    const scores = await sql`select backfilled, count(*)::int n from public.ai_debt_scores where company_id = ${companyId} group by 1 order by 1`;
    // 21 scores, and the trend's point of the week that ended on the commits' Monday (backfilled).
    expect(scores).toEqual([{ backfilled: false, n: 21 }, { backfilled: true, n: 21 }]);
    const alerts = await sql`select category, count(*)::int n from public.alerts where company_id = ${companyId} group by 1`;
    expect(alerts).toEqual([{ category: "ai_debt", n: 20 }]);
  });
});

describe("a score job's lineage", () => {
  it("names the scan and the job whose completion made it, and its scores lead back to that scan", async () => {
    const sql = tdb.current.sql;
    const { queue, sql: clocked, setNow } = await clockedQueue(tdb.current, NOW);
    const companyId = await createCompany(sql);
    const [first, second] = await Promise.all([createRepository(sql, companyId, "acme/one"), createRepository(sql, companyId, "acme/two")]);
    await queue.enqueueMany([{ companyId, repositoryId: first, scanType: "full_scan" }, { companyId, repositoryId: second, scanType: "full_scan" }]);
    const claimed = await queue.claim({ workerId: "w", limit: 2, scanTypes: ["full_scan"] });
    const scanOf = new Map<string, string>();
    for (const job of [...claimed].sort((a, b) => (a.repositoryId === first ? -1 : b.repositoryId === first ? 1 : 0))) {
      const [{ scan_id }] = await clocked`select scan_id from public.begin_scan(${job.id}, ${job.attempts})`;
      scanOf.set(job.id, scan_id);
      await addCommit(sql, { companyId, repositoryId: job.repositoryId!, scanId: scan_id }, { verdict: "attested", counted: 100, ai: 100, authoredAt: new Date(NOW.getTime() - 86_400_000) });
      await clocked`select accepted from public.complete_scan(${job.id}, ${job.attempts}, ${clocked.json({ summary: {}, decisions: [], api_requests: {}, result: {} })})`;
    }
    const firstJob = claimed.find((j) => j.repositoryId === first)!;
    const [scoreJob] = await sql`select id, payload from public.scan_queue where scan_type = 'calculate_scores' and company_id = ${companyId}`;
    // The second scan joined the pending job (one per company): the payload names the one that made it.
    expect(scoreJob.payload).toEqual({ trigger: "scan_completed", scan_id: scanOf.get(firstJob.id), job_id: firstJob.id, repository_id: first });

    await setNow(new Date(NOW.getTime() + 6000));
    const loop = new WorkerLoop({ queue, workerId: "g", scanTypes: ["calculate_scores"], processors: { calculate_scores: sqlJobProcessor(dbFromPostgresJs(clocked), "calculate_scores") } });
    expect(await loop.drain({ budgetMs: 10_000 })).toMatchObject({ completed: 1 });
    // A company score → the job that wrote it → the scan that asked for it.
    const [traced] = await sql`
      select s.id as scan_id, s.repository_id from public.ai_debt_scores d
      join public.scan_queue q on q.id = d.job_id
      join public.scans s on s.id = (q.payload ->> 'scan_id')::uuid and s.job_id = (q.payload ->> 'job_id')::uuid
      where d.company_id = ${companyId} and d.repository_id is null and not d.backfilled`;
    expect(traced).toEqual({ scan_id: scanOf.get(firstJob.id), repository_id: first });
  });
});

describe("the schedules", () => {
  it("enqueue a report per company for last week, once however often they fire, and one refresh for all", async () => {
    const sql = tdb.current.sql;
    const companies = await Promise.all([1, 2, 3].map(() => createCompany(sql)));
    const [{ n }] = await sql`select public.enqueue_weekly_reports('2026-11-30') n`;
    expect(n).toBeGreaterThanOrEqual(3);
    await sql`select public.enqueue_weekly_reports('2026-11-30')`;
    const jobs = await sql`select company_id, payload from public.scan_queue where scan_type = 'weekly_report' and company_id = any(${companies})`;
    expect(jobs).toHaveLength(3);
    expect(jobs[0].payload).toEqual({ period_start: "2026-11-23", period_end: "2026-11-29" });
    const [a] = await sql`select public.enqueue_refresh_views() id`;
    const [b] = await sql`select public.enqueue_refresh_views() id`;
    expect(b.id).toBe(a.id);
    const [platform] = await sql`select company_id = public.platform_company_id() ok from public.scan_queue where id = ${a.id}`;
    expect(platform.ok).toBe(true);
    // The platform's company gets no report.
    await sql`select public.enqueue_weekly_reports('2026-12-07')`;
    const none = await sql`select 1 from public.scan_queue where scan_type = 'weekly_report' and company_id = public.platform_company_id()`;
    expect(none).toHaveLength(0);
  });
});

describe("a failing report job", () => {
  it("is retried, then dead with its reason, and the other companies' reports complete", async () => {
    const sql = tdb.current.sql;
    const { queue, setNow } = await clockedQueue(tdb.current, NOW);
    const { companyId: acme } = await acmeWeek(sql);
    const quiet = await createCompany(sql);
    // A week that does not exist: the database refuses it on every attempt.
    const broken = await queue.enqueue({ companyId: quiet, scanType: "weekly_report", payload: { period_start: "2026-02-24", period_end: "2026-02-30" }, dedupeKey: "weekly_report:broken" });
    const good = await queue.enqueue({ companyId: acme, scanType: "weekly_report", payload: { period_start: "2026-11-23", period_end: "2026-11-29" } });
    const loop = () => new WorkerLoop({ queue, workerId: "r", scanTypes: ["weekly_report"], processors: { weekly_report: weeklyReportProcessor(tdb.current.db) } });
    for (let round = 0; round < 3; round++) {
      await loop().drain({ budgetMs: 10_000 });
      await setNow(new Date(NOW.getTime() + (round + 1) * 3_600_000)); // past any backoff
    }
    const [b] = await sql`select status, attempts, error from public.scan_queue where id = ${broken.id}`;
    expect(b).toMatchObject({ status: "dead", attempts: 3 });
    expect(b.error).toMatch(/date\/time field value out of range: "2026-02-30"/);
    const failures = await sql`select count(*)::int n from public.scan_job_events where job_id = ${broken.id} and kind = 'failed'`;
    expect(failures[0].n).toBe(3);
    const [g] = await sql`select status, result from public.scan_queue where id = ${good.id}`;
    // The report's score is the latest at its generation (Acme's 70, calculated after the week).
    expect(g).toMatchObject({ status: "completed", result: { period_start: "2026-11-23", debt_score: 70 } });
    const [{ n }] = await sql`select count(*)::int n from public.governance_reports where company_id = ${acme}`;
    expect(n).toBe(1);
  });
});
