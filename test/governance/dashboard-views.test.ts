// The dashboards' materialized views: refreshed concurrently, so a reader is never blocked by a
// refresh in progress; members read their company's rows through the two views; the refresh_views
// job runs as the platform's and refreshes them.
import { describe, expect, it } from "vitest";
import { sqlJobProcessor } from "../../supabase/functions/_shared/governance/sql-jobs.ts";
import { JobQueue } from "../../supabase/functions/_shared/queue/client.ts";
import { WorkerLoop } from "../../supabase/functions/_shared/queue/worker/worker-loop.ts";
import { useTestDatabase } from "../harness/db.ts";
import { createCompany, createRepository } from "../queue/fixtures.ts";

const tdb = useTestDatabase();

describe("dashboard views", () => {
  it("show the latest scores after a refresh, and a refresh in progress blocks no reader", async () => {
    const sql = tdb.current.sql;
    const a = await createCompany(sql);
    const repo = await createRepository(sql, a, "acme/app");
    await sql`insert into ai_debt_scores (company_id, repository_id, score, risk_zone, breakdown, period_start, period_end)
              values (${a}, ${repo}, 64.5, 'high', '{"ai_loc_ratio": 0.5, "review_coverage": 0.25, "unreviewed_ai_merges": 4}', now(), now())`;
    await sql`insert into alerts (company_id, repository_id, severity, category, title, description) values (${a}, ${repo}, 'high', 'ai_debt', 't', 'd')`;
    const writer = await sql.reserve();
    const reader = await sql.reserve();
    try {
      await writer`begin`;
      await writer`select public.refresh_dashboard_views()`;
      // The refresh holds its lock until it commits: a concurrent refresh lets readers read the old rows.
      await reader`set statement_timeout = 2000`;
      const [before] = await reader`select count(*)::int as n from dashboard_repository_risk where repository_id = ${repo}`;
      expect(before.n).toBe(0);
      await writer`commit`;
      const [row] = await reader`select score, risk_zone, ai_loc_percentage, review_coverage_percentage, unreviewed_ai_merges, open_alerts
                                 from dashboard_repository_risk where repository_id = ${repo}`;
      expect(row).toEqual({ score: "64.50", risk_zone: "high", ai_loc_percentage: "50.0", review_coverage_percentage: "25.0", unreviewed_ai_merges: 4, open_alerts: 1 });
    } finally {
      writer.release();
      reader.release();
    }
  });

  it("are refreshed by the refresh_views job, which runs as the platform's", async () => {
    const sql = tdb.current.sql;
    const a = await createCompany(sql);
    const repo = await createRepository(sql, a);
    await sql`insert into ai_debt_scores (company_id, repository_id, score, risk_zone, breakdown, period_start, period_end)
              values (${a}, ${repo}, 12, 'low', '{}', now(), now())`;
    const [{ id }] = await sql`select public.enqueue_refresh_views() as id`;
    const queue = new JobQueue(tdb.current.db);
    const loop = new WorkerLoop({ queue, workerId: "v", scanTypes: ["refresh_views"], processors: { refresh_views: sqlJobProcessor(tdb.current.db, "refresh_views") } });
    expect(await loop.drain({ budgetMs: 10_000 })).toMatchObject({ completed: 1 });
    const [job] = await sql`select status, result, company_id = public.platform_company_id() as platform from scan_queue where id = ${id}`;
    expect(job).toMatchObject({ status: "completed", platform: true });
    expect(Object.keys(job.result).sort()).toEqual(["company_weekly_trend_ms", "repository_risk_ms"]);
    const [r] = await sql`select score from dashboard_repository_risk where repository_id = ${repo}`;
    expect(Number(r.score)).toBe(12);
  });
});
