// Alerts: each rule fires with the product's wording, an open alert is updated and not repeated,
// resolves by itself when its condition clears, and reopens with its history when it recurs.
import type postgres from "postgres";
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { clockedQueue, createCompany, createRepository } from "../queue/fixtures.ts";
import { NOW, daysAgo, fixClock } from "./fixtures.ts";

const tdb = useTestDatabase();

interface AlertRow {
  category: string;
  subject: string;
  repository_id: string | null;
  severity: string;
  title: string;
  description: string;
  status: string;
  reopened: number;
  history: { event: string; title: string }[];
}

/** A repository (or, with repositoryId null, the company) scored at `at` with these figures. */
async function score(sql: postgres.Sql, companyId: string, repositoryId: string | null, score: number, figures: Record<string, number>, at: Date) {
  const breakdown = { ai_loc_ratio: 0, review_coverage: 1, ai_prs: 0, unreviewed_ai_merges: 0, ...figures };
  await sql`insert into public.ai_debt_scores (company_id, repository_id, score, risk_zone, breakdown, period_start, period_end, calculated_at)
            values (${companyId}, ${repositoryId}, ${score}, public.ai_debt_risk_zone(${score}), ${sql.json(breakdown)}, ${daysAgo(90, at)}, ${at}, ${at})`;
}

async function evaluate(sql: postgres.Sql, companyId: string, at: Date) {
  await fixClock(sql, at);
  const [{ r }] = await sql<{ r: Record<string, number> }[]>`select public.evaluate_company_alerts(${companyId}) as r`;
  const alerts = await sql<AlertRow[]>`
    select category, subject, repository_id, severity, title, description, status, reopened, history
    from public.alerts where company_id = ${companyId} order by category, subject`;
  return { counts: r, alerts };
}

describe("alert rules", () => {
  it("raise the product's three rules, the threshold and the jump, with their wording", async () => {
    const sql = tdb.current.sql;
    const companyId = await createCompany(sql, { risk_threshold: 60 });
    const repo = await createRepository(sql, companyId, "acme/app");
    await score(sql, companyId, repo, 40, {}, daysAgo(3));
    await score(sql, companyId, repo, 72.5, { ai_loc_ratio: 0.573, review_coverage: 0.25, ai_prs: 8, unreviewed_ai_merges: 5 }, NOW);
    await score(sql, companyId, null, 61, {}, NOW);
    const { counts, alerts } = await evaluate(sql, companyId, NOW);
    expect(counts).toMatchObject({ opened: 6, resolved: 0 });
    const by = (category: string, repositoryId: string | null = repo) => alerts.find((a) => a.category === category && a.repository_id === repositoryId);
    expect(by("ai_debt")).toMatchObject({ severity: "high", title: "High AI-generated code detected (57.3%)",
      description: "Repository has 57.3% AI-generated lines of code, which exceeds the recommended threshold." });
    expect(by("review_coverage")).toMatchObject({ severity: "high", title: "Low human review coverage (25%)",
      description: "Only 25% of AI-generated PRs received human review. 5 unreviewed AI merges detected." });
    expect(by("unreviewed_merge")).toMatchObject({ severity: "medium", title: "5 unreviewed AI merges",
      description: "Multiple AI-generated pull requests were merged without human review this period." });
    expect(by("risk_threshold")).toMatchObject({ severity: "high", title: "AI-debt score 72.5 at or above the risk threshold (60)" });
    expect(by("risk_threshold", null)).toMatchObject({ severity: "high", title: "AI-debt score 61 at or above the risk threshold (60)" });
    expect(by("score_jump")).toMatchObject({ severity: "medium", title: "AI-debt score jumped 32.5 points (40 → 72.5)" });
  });

  it("take their thresholds from the company's settings", async () => {
    const sql = tdb.current.sql;
    const companyId = await createCompany(sql, { risk_threshold: 80, alert_ai_loc_percentage: 70, alert_unreviewed_merges: 10, score_jump_points: 50 });
    const repo = await createRepository(sql, companyId);
    await score(sql, companyId, repo, 40, {}, daysAgo(3));
    await score(sql, companyId, repo, 72.5, { ai_loc_ratio: 0.573, review_coverage: 0.9, ai_prs: 8, unreviewed_ai_merges: 5 }, NOW);
    expect((await evaluate(sql, companyId, NOW)).alerts).toEqual([]);
  });

  it("gives no review-coverage alert without AI PRs (coverage counts as 100 %)", async () => {
    const sql = tdb.current.sql;
    const companyId = await createCompany(sql);
    const repo = await createRepository(sql, companyId);
    await score(sql, companyId, repo, 5, { review_coverage: 0, ai_prs: 0 }, NOW);
    expect((await evaluate(sql, companyId, NOW)).alerts).toEqual([]);
  });
});

describe("an alert's life", () => {
  it("is updated, not repeated; resolves when its condition clears; reopens with its history", async () => {
    const sql = tdb.current.sql;
    const companyId = await createCompany(sql);
    const repo = await createRepository(sql, companyId);
    const t = (h: number) => new Date(NOW.getTime() + h * 3_600_000);

    await score(sql, companyId, repo, 20, { ai_loc_ratio: 0.6 }, t(0));
    let run = await evaluate(sql, companyId, t(0));
    expect(run.counts).toMatchObject({ opened: 1 });
    // Same condition again: the one alert, unchanged.
    run = await evaluate(sql, companyId, t(1));
    expect(run.counts).toMatchObject({ opened: 0, unchanged: 1 });
    // A new figure: the same row, its title updated and its history grown.
    await score(sql, companyId, repo, 22, { ai_loc_ratio: 0.65 }, t(2));
    run = await evaluate(sql, companyId, t(2));
    expect(run.counts).toMatchObject({ opened: 0, updated: 1 });
    expect(run.alerts).toHaveLength(1);
    expect(run.alerts[0].title).toBe("High AI-generated code detected (65%)");
    // The share falls under 50 %: resolved by itself.
    await score(sql, companyId, repo, 10, { ai_loc_ratio: 0.4 }, t(3));
    run = await evaluate(sql, companyId, t(3));
    expect(run.counts).toMatchObject({ resolved: 1 });
    expect(run.alerts[0].status).toBe("resolved");
    // It comes back: the same row reopens, with its whole history.
    await score(sql, companyId, repo, 12, { ai_loc_ratio: 0.7 }, t(4));
    run = await evaluate(sql, companyId, t(4));
    expect(run.counts).toMatchObject({ opened: 0, reopened: 1 });
    expect(run.alerts).toHaveLength(1);
    expect(run.alerts[0]).toMatchObject({ status: "open", reopened: 1, title: "High AI-generated code detected (70%)" });
    expect(run.alerts[0].history.map((h) => h.event)).toEqual(["opened", "updated", "resolved", "reopened"]);
  });
});

describe("job alerts", () => {
  it("name dead-lettered jobs and jobs past their SLA, and resolve when they clear", async () => {
    const sql = tdb.current.sql;
    const companyId = await createCompany(sql);
    const repo = await createRepository(sql, companyId, "acme/app");
    const { queue, setNow } = await clockedQueue(tdb.current, NOW);
    // A full scan that fails for good, and a pr_analysis left pending.
    const dead = await queue.enqueue({ companyId, repositoryId: repo, scanType: "full_scan" });
    const [claimed] = await queue.claim({ workerId: "w", limit: 1, scanTypes: ["full_scan"] });
    await queue.fail({ jobId: claimed.id, attempt: claimed.attempts, error: "GitHub refused the token (401 Bad credentials)", retryable: false });
    await queue.enqueue({ companyId, repositoryId: repo, scanType: "pr_analysis", payload: { pr_number: 7 } });

    // 11 minutes later the PR job is past its 10-minute SLA.
    let run = await evaluate(sql, companyId, new Date(NOW.getTime() + 11 * 60_000));
    const deadAlert = run.alerts.find((a) => a.category === "dead_letter");
    expect(deadAlert).toMatchObject({ subject: "full_scan", severity: "high", title: "1 full_scan job dead in the last 24 hours" });
    expect(deadAlert!.description).toContain("GitHub refused the token (401 Bad credentials)");
    expect(run.alerts.find((a) => a.category === "job_sla")).toMatchObject({ subject: "pr_analysis", severity: "medium", title: "1 pr_analysis job past the SLA of 10 min" });

    // The schedule's pass finds the company.
    await setNow(new Date(NOW.getTime() + 11 * 60_000));
    const [{ companies }] = await sql<{ companies: number }[]>`select public.enqueue_job_alerts() as companies`;
    expect(companies).toBe(1);
    const jobs = await sql`select 1 from public.scan_queue where company_id = ${companyId} and scan_type = 'generate_alerts'`;
    expect(jobs).toHaveLength(1);

    // The dead job is retried and the PR job cancelled: both clear.
    await queue.retry({ jobId: dead.id });
    await sql`update public.scan_queue set status = 'cancelled', completed_at = ${NOW} where scan_type = 'pr_analysis'`;
    run = await evaluate(sql, companyId, new Date(NOW.getTime() + 12 * 60_000));
    expect(run.alerts.filter((a) => a.category !== "dead_letter" || a.status !== "open").map((a) => [a.category, a.status]))
      .toEqual(expect.arrayContaining([["job_sla", "resolved"]]));
    expect(run.alerts.find((a) => a.category === "dead_letter")!.status).toBe("resolved");
  });
});
