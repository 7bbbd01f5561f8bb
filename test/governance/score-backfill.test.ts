// backfill_ai_debt_trend: a new company's first scans give it a weekly trend at once — each past
// week's score recomputed from the stored rows as they stood at that week's end — and the
// score-jump alert does not read those points.
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { createCompany, createRepository } from "../queue/fixtures.ts";
import { addCommit, addPullRequest, completedScan, daysAgo, fixClock, NOW } from "./fixtures.ts";

const tdb = useTestDatabase();

describe("backfill_ai_debt_trend", () => {
  it("fills the 12-week trend from the stored rows, as of each week's end, and the score-jump alert skips it", async () => {
    const sql = tdb.current.sql;
    await fixClock(sql, NOW); // Monday 2026-11-30 02:00 UTC
    const companyId = await createCompany(sql, { scan_window_days: 90 });
    const repo = await createRepository(sql, companyId, "acme/app");
    const ids = { companyId, repositoryId: repo, scanId: await completedScan(sql, companyId, repo) };
    // 20 weeks of human work, 500 lines a week; then, in the last hour, 4000 AI lines merged in 8
    // unreviewed AI PRs: the score leaps, but only now.
    for (let w = 0; w < 20; w++) await addCommit(sql, ids, { verdict: "human", counted: 500, authoredAt: daysAgo(3 + 7 * w) });
    await addCommit(sql, ids, { verdict: "attested", counted: 4000, ai: 4000, authoredAt: new Date(NOW.getTime() - 3_600_000) });
    for (let k = 1; k <= 8; k++) {
      await addPullRequest(sql, ids, { number: k, ai: true, reviewed: false, additions: 500, createdAt: daysAgo(0.1), mergedAt: new Date(NOW.getTime() - 3_000_000) });
    }
    await sql`select public.calculate_ai_debt_score(${companyId}, ${repo})`;
    const [{ score: latest }] = await sql<{ score: string }[]>`select score from public.calculate_ai_debt_score(${companyId})`;

    const [{ points }] = await sql<{ points: number }[]>`select public.backfill_ai_debt_trend(${companyId}) as points`;
    // The week ends (Mondays 00:00) after the oldest commit (136 days ago) and within the last 52
    // weeks: 20 of them, each for the repository and for the company.
    expect(points).toBe(40);
    const trend = await sql<{ calculated_at: Date; score: string; period_start: Date; period_end: Date; counted: number }[]>`
      select calculated_at, score, period_start, period_end, (breakdown ->> 'counted_lines')::int as counted
      from public.ai_debt_scores where company_id = ${companyId} and repository_id = ${repo} and backfilled order by calculated_at`;
    expect(trend).toHaveLength(20);
    // Each point: the last instant of its week, over the 90 days before the week's end, from the
    // rows as they stood then — human lines only, so 0.
    const last = trend.at(-1)!;
    expect(last.calculated_at.toISOString()).toBe("2026-11-29T23:59:59.999Z");
    expect(last.period_end.toISOString()).toBe("2026-11-30T00:00:00.000Z");
    expect(last.period_end.getTime() - last.period_start.getTime()).toBe(90 * 86_400_000);
    expect(last.counted).toBe(13 * 500); // the commits 3, 10, … 87 days before NOW
    expect(trend.every((p) => Number(p.score) === 0)).toBe(true);
    expect(Number(latest)).toBeGreaterThan(15);

    // The week the report was made for and the 11 before it, each with a score; the latest real one leads nothing.
    const [{ d }] = await sql<{ d: { score_trend: { week_start: string; score: number | null }[] } }[]>`
      select public.weekly_report_data(${companyId}, '2026-11-29') as d`;
    expect(d.score_trend).toHaveLength(12);
    expect(d.score_trend.every((p) => p.score === 0)).toBe(true);

    // The leap from 0 to the latest within 7 days is not a jump: no one saw the 0, it was recomputed.
    const conditions = await sql`select category from public.company_alert_conditions(${companyId})`;
    expect(conditions.map((c) => c.category)).not.toContain("score_jump");
    // A real score of 0 a day before would have been one (the alert still works).
    await sql`insert into public.ai_debt_scores (company_id, repository_id, score, risk_zone, breakdown, period_start, period_end, calculated_at)
              values (${companyId}, null, 0, 'low', '{}', ${daysAgo(91)}, ${daysAgo(1)}, ${daysAgo(1)})`;
    const again = await sql`select category from public.company_alert_conditions(${companyId})`;
    expect(again.map((c) => c.category)).toContain("score_jump");
  });

  it("adds nothing when run again, and reaches back for a repository added later, recomputing the company's points", async () => {
    const sql = tdb.current.sql;
    await fixClock(sql, NOW);
    const companyId = await createCompany(sql, { scan_window_days: 90 });
    const a = await createRepository(sql, companyId, "acme/a");
    const idsA = { companyId, repositoryId: a, scanId: await completedScan(sql, companyId, a) };
    for (let w = 0; w < 4; w++) await addCommit(sql, idsA, { verdict: "attested", counted: 1000, ai: 1000, authoredAt: daysAgo(3 + 7 * w) });
    await sql`select public.calculate_ai_debt_score(${companyId}, ${a})`;
    await sql`select public.calculate_ai_debt_score(${companyId})`;
    const [{ first }] = await sql<{ first: number }[]>`select public.backfill_ai_debt_trend(${companyId}) as first`;
    expect(first).toBe(8); // 4 weeks, the repository's and the company's
    const [{ second }] = await sql<{ second: number }[]>`select public.backfill_ai_debt_trend(${companyId}) as second`;
    expect(second).toBe(0);
    const companyPoints = () => sql<{ score: string }[]>`
      select score from public.ai_debt_scores where company_id = ${companyId} and repository_id is null and backfilled order by calculated_at`;
    const before = (await companyPoints()).map((p) => Number(p.score));

    // A human repository joins a week later, with 6 weeks of history: its points reach back 6
    // weeks, and the company's points are the formula over both repositories' counts then.
    const later = new Date(NOW.getTime() + 7 * 86_400_000);
    await fixClock(sql, later);
    const b = await createRepository(sql, companyId, "acme/b");
    const idsB = { companyId, repositoryId: b, scanId: await completedScan(sql, companyId, b, later) };
    for (let w = 0; w < 6; w++) await addCommit(sql, idsB, { verdict: "human", counted: 3000, authoredAt: daysAgo(2 + 7 * w, later) });
    await sql`select public.calculate_ai_debt_score(${companyId}, ${b})`;
    await sql`select public.calculate_ai_debt_score(${companyId}, ${a})`;
    await sql`select public.calculate_ai_debt_score(${companyId})`;
    const [{ third }] = await sql<{ third: number }[]>`select public.backfill_ai_debt_trend(${companyId}) as third`;
    // b: 6 weeks (a has none to add: its first score, NOW, came before b's), and the company's again.
    const after = (await companyPoints()).map((p) => Number(p.score));
    expect(third).toBe(6 + after.length);
    // The company's backfilled points stop before its first real score (NOW): one more week back
    // (b's oldest, when only b's human lines were there: 0), and the 4 it had now count b's lines too.
    expect(after).toHaveLength(5);
    expect(after[0]).toBe(0);
    after.slice(1).forEach((s, i) => expect(s).toBeLessThan(before[i]));
  });
});
