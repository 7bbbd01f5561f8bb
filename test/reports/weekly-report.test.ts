// The weekly report over a known week: every figure of its content equals the hand count below,
// the change since the previous report, the recommendations they call for, and one report per
// company and week (a re-run replaces it).
import { beforeAll, describe, expect, it } from "vitest";
import { reportContent } from "../../supabase/functions/_shared/reports/content.ts";
import { generateWeeklyReport, weekBefore } from "../../supabase/functions/_shared/reports/weekly-report.ts";
import { useTestDatabase } from "../harness/db.ts";
import { acmeWeek } from "./acme-week.ts";

const tdb = useTestDatabase();
const at = (iso: string) => new Date(iso);

describe("the weekly report", () => {
  let acme: { companyId: string; repositoryId: string };
  beforeAll(async () => {
    acme = await acmeWeek(tdb.current.sql);
  });

  it("reports the week before a Monday", () => {
    expect(weekBefore(at("2026-11-30T02:00:00Z"))).toEqual({ periodStart: "2026-11-23", periodEnd: "2026-11-29" });
    expect(weekBefore(at("2026-12-02T09:00:00Z"))).toEqual({ periodStart: "2026-11-23", periodEnd: "2026-11-29" });
  });

  it("counts the week as done by hand", async () => {
    await generateWeeklyReport(tdb.current.db, { companyId: acme.companyId, periodEnd: "2026-11-22" });
    const r = await generateWeeklyReport(tdb.current.db, { companyId: acme.companyId, periodEnd: "2026-11-29" });
    const c = r.content;
    expect(c.period).toEqual({ start: "2026-11-23", end: "2026-11-29" });
    expect(c.ai_usage_summary).toEqual({
      ai_loc_percentage: 24, ai_prs_total: 3, reviewed_percentage: 50, suspected_loc_percentage: 20, assisted_loc_percentage: 0,
      total_loc: 500, ai_loc: 120, commits: 3, ai_commits: 1, merged_ai_prs: 2, reviewed_ai_prs: 1,
    });
    // One snapshot at generation (after every score): the latest score (70, calculated after the
    // week) beside the score as the week ended (55.5); the two alerts open now, one raised in the week.
    expect(c.risk_summary).toMatchObject({ debt_score: 70, risk_zone: "high", score_calculated_at: expect.stringMatching(/^2026-11-30T01:00:00/),
      period_score: 55.5, period_risk_zone: "moderate", new_alerts: 1, open_alert_count: 2, high_severity_alerts: 1 });
    expect(c.risk_summary.open_alerts.map((a) => [a.severity, a.since.slice(0, 10)])).toEqual([["high", "2026-11-27"], ["medium", "2026-11-10"]]);
    expect(Date.parse(c.generated_at)).toBeGreaterThan(Date.parse("2026-11-30T01:00:00Z"));
    expect(c.technical_debt_signals).toEqual({
      unreviewed_ai_merges: 1, large_unreviewed_ai_prs: 1, ai_churn_percentage: 25, repositories_at_or_above_threshold: 0,
      suspected_loc_percentage: 20, dead_jobs: 0,
    });
    expect(c.unreviewed_ai_prs).toEqual([expect.objectContaining({ repository: "acme/app", number: 11, title: "Rewrite the parser", additions: 450,
      url: "https://github.com/acme/app/pull/11" })]);
    // The riskiest AI PRs of the week: merged unreviewed, then open unreviewed, then reviewed.
    expect(c.riskiest_prs.map((p) => [p.number, p.unreviewed_ai_merge, p.large, p.url])).toEqual([
      [11, true, true, "https://github.com/acme/app/pull/11"], [12, false, false, "https://github.com/acme/app/pull/12"],
      [10, false, false, "https://github.com/acme/app/pull/10"]]);
    // Who merged the week's AI PRs: "lead", one of two reviewed.
    expect(c.people.mergers).toEqual([{ merged_by: "lead", merged_ai_prs: 2, reviewed_ai_prs: 1, reviewed_percentage: 50, unreviewed_ai_merges: 1 }]);
    expect(c.repositories).toEqual([expect.objectContaining({ full_name: "acme/app", score: 58.25, ai_loc_percentage: 24, total_loc: 500, ai_prs: 3, unreviewed_ai_merges: 1 })]);
    // Twelve weeks, oldest first: 40 from the week of 11-16 on, 55.5 in the reported week.
    expect(c.score_trend).toHaveLength(12);
    expect(c.score_trend.slice(-3)).toEqual([{ week_start: "2026-11-09", score: null }, { week_start: "2026-11-16", score: 40 }, { week_start: "2026-11-23", score: 55.5 }]);
    // Against the report of the week before (score 40 then; 1,000 attested lines of 1,000).
    expect(c.change_since_previous).toMatchObject({
      previous_period_start: "2026-11-16",
      debt_score: { before: 40, after: 55.5, change: 15.5 },
      ai_loc_percentage: { before: 100, after: 24, change: -76 },
      unreviewed_ai_merges: { before: 0, after: 1, change: 1 },
    });
    expect(c.recommendations).toEqual([
      expect.stringMatching(/^The AI-debt score is 70 \(high\), at or above the threshold of 60: start with the repositories of highest score/),
      expect.stringMatching(/^Require a human review before AI-written pull requests merge: 1 AI PR merged this week without one/),
      expect.stringMatching(/^Split large AI pull requests: 1 unreviewed AI PR of 400\+ added lines/),
      expect.stringMatching(/^20% of the lines carry no AI mark but look AI-written/),
      expect.stringMatching(/^The score rose 15.5 points over the week/),
    ]);
    expect(r.markdown).toContain("- AI-debt score now: **70** (high), calculated 2026-11-30 01:00 UTC; risk threshold 60");
    expect(r.markdown).toContain("- Score at the week's end: 55.5 (moderate)");
    expect(r.markdown).toContain("- Alerts open at generation: 2 (1 high or critical); raised during the week: 1");
    expect(r.markdown).toContain("- [medium] 4 unreviewed AI merges — acme/app, open since 2026-11-10 10:00 UTC");
    expect(r.markdown).toContain("| acme/app | [#11](https://github.com/acme/app/pull/11) | Rewrite the parser | claude-code | +450 | 2026-11-27 09:00 |");
    expect(r.markdown).toContain("- AI-debt score: 55.5 (+15.5 from 40)");
  });

  it("is one report per company and week: a re-run replaces it", async () => {
    const sql = tdb.current.sql;
    const first = await generateWeeklyReport(tdb.current.db, { companyId: acme.companyId, periodEnd: "2026-11-29" });
    const again = await generateWeeklyReport(tdb.current.db, { companyId: acme.companyId, periodEnd: "2026-11-29" });
    expect(again.id).toBe(first.id);
    const rows = await sql`select period_start::text from public.governance_reports where company_id = ${acme.companyId} order by 1`;
    expect(rows.map((r) => r.period_start)).toEqual(["2026-11-16", "2026-11-23"]);
  });

  it("gives a week reported after the fact the latest score, and none at its end when none was calculated by then", async () => {
    const r = await generateWeeklyReport(tdb.current.db, { companyId: acme.companyId, periodEnd: "2026-11-08" });
    expect(r.content.risk_summary).toMatchObject({ debt_score: 70, risk_zone: "high", period_score: null, period_risk_zone: "unknown" });
    expect(r.markdown).toContain("- AI-debt score now: **70** (high), calculated 2026-11-30 01:00 UTC; risk threshold 60");
    expect(r.markdown).toContain("- Score at the week's end: — (unknown)");
  });

  it("says 'unknown' for a company never scored, and recommends nothing to do for a quiet week", async () => {
    const sql = tdb.current.sql;
    const [{ id }] = await sql`insert into public.companies (name) values ('Quiet') returning id`;
    const r = await generateWeeklyReport(tdb.current.db, { companyId: id, periodEnd: "2026-11-29" });
    expect(r.content.risk_summary).toMatchObject({ debt_score: null, risk_zone: "unknown" });
    expect(r.content.ai_usage_summary.reviewed_percentage).toBe(100);
    expect(r.content.recommendations).toEqual(["No action needed: this week's AI-written code was reviewed before it merged."]);
    expect(r.content.change_since_previous).toBeNull();
    expect(reportContent({ ...r.content, previous: null }).recommendations).toEqual(r.content.recommendations);
  });
});
