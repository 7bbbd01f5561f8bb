// The AI-debt score: the formula on hand-computed inputs, one repository's window from its rows,
// and the company's score weighted by lines of code, with the suspected share kept apart.
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { createCompany, createRepository } from "../queue/fixtures.ts";
import { addCommit, addPullRequest, completedScan, daysAgo, fixClock } from "./fixtures.ts";

const tdb = useTestDatabase();

async function formula(inputs: Record<string, number>) {
  const sql = tdb.current.sql;
  const [{ f }] = await sql<{ f: { score: number; components: Record<string, number> } }[]>`
    select public.ai_debt_score_formula(${sql.json(inputs)}) as f`;
  return f;
}

describe("ai_debt_score_formula", () => {
  it("weighs AI share 0.35, unreviewed merges 0.30, review gap 0.10, large unreviewed PRs 0.15, churn 0.10", async () => {
    // 100 × (0.35·0.5 + 0.30·0.25 + 0.10·(1 − 0.6) + 0.15·0.1 + 0.10·0.2) = 17.5 + 7.5 + 4 + 1.5 + 2 = 32.5
    const f = await formula({ ai_loc_ratio: 0.5, unreviewed_ai_merge_ratio: 0.25, review_coverage: 0.6, large_unreviewed_ai_pr_ratio: 0.1, ai_churn_ratio: 0.2 });
    expect(Number(f.score)).toBe(32.5);
    expect(f.components).toEqual({ ai_loc_ratio: 17.5, unreviewed_ai_merge_ratio: 7.5, review_gap: 4, large_unreviewed_ai_pr_ratio: 1.5, ai_churn_ratio: 2 });
  });

  it("is 0 for a repository without AI work, 100 at the worst, and clamps ratios to 0..1", async () => {
    expect(Number((await formula({})).score)).toBe(0);
    expect(Number((await formula({ ai_loc_ratio: 1, unreviewed_ai_merge_ratio: 1, review_coverage: 0, large_unreviewed_ai_pr_ratio: 1, ai_churn_ratio: 1 })).score)).toBe(100);
    expect(Number((await formula({ ai_loc_ratio: 3, review_coverage: 2 })).score)).toBe(35);
  });

  it("names the zone: low < 30 ≤ moderate < 60 ≤ high < 80 ≤ critical", async () => {
    const [z] = await tdb.current.sql`select public.ai_debt_risk_zone(29.99) a, public.ai_debt_risk_zone(30) b, public.ai_debt_risk_zone(60) c, public.ai_debt_risk_zone(80) d`;
    expect(z).toEqual({ a: "low", b: "moderate", c: "high", d: "critical" });
  });
});

describe("calculate_ai_debt_score", () => {
  it("scores a repository's window from its rows and the company by lines of code", async () => {
    const sql = tdb.current.sql;
    await fixClock(sql);
    const companyId = await createCompany(sql);
    const repo = await createRepository(sql, companyId, "acme/app");
    const human = await createRepository(sql, companyId, "acme/docs");
    const ids = { companyId, repositoryId: repo, scanId: await completedScan(sql, companyId, repo) };
    // Lines: 100 attested (two files, one reworked 5 days later), 300 human, 100 suspected; a merge
    // and a commit older than the 90-day window do not count. AI share 100/500 = 0.2, suspected 0.2.
    await addCommit(sql, ids, { verdict: "attested", counted: 100, ai: 100, authoredAt: daysAgo(10),
      files: [{ path: "a.ts", added: 60, deleted: 0 }, { path: "b.ts", added: 40, deleted: 0 }] });
    await addCommit(sql, ids, { verdict: "human", counted: 300, authoredAt: daysAgo(5), files: [{ path: "a.ts", added: 20, deleted: 5 }] });
    await addCommit(sql, ids, { verdict: "suspected", counted: 100, authoredAt: daysAgo(3) });
    await addCommit(sql, ids, { verdict: "attested", counted: 0, ai: 0, isMerge: true, authoredAt: daysAgo(2) });
    await addCommit(sql, ids, { verdict: "attested", counted: 1000, ai: 1000, authoredAt: daysAgo(200) });
    // AI PRs: one merged with a review, one of 500 lines merged without, one open without; a human
    // PR merged without review is not AI's. Coverage 1/3, unreviewed 1/2 merged, large 1/2.
    await addPullRequest(sql, ids, { number: 1, ai: true, reviewed: true, createdAt: daysAgo(12), mergedAt: daysAgo(11) });
    await addPullRequest(sql, ids, { number: 2, ai: true, reviewed: false, additions: 500, createdAt: daysAgo(9), mergedAt: daysAgo(8) });
    await addPullRequest(sql, ids, { number: 3, ai: true, reviewed: false, createdAt: daysAgo(1) });
    await addPullRequest(sql, ids, { number: 4, ai: false, reviewed: false, createdAt: daysAgo(6), mergedAt: daysAgo(6) });
    const humanIds = { companyId, repositoryId: human, scanId: await completedScan(sql, companyId, human) };
    await addCommit(sql, humanIds, { verdict: "human", counted: 1500, authoredAt: daysAgo(4) });

    const [r] = await sql<{ score: string; risk_zone: string; breakdown: Record<string, number> }[]>`
      select score, risk_zone, breakdown from public.calculate_ai_debt_score(${companyId}, ${repo})`;
    expect(r.breakdown).toMatchObject({
      counted_lines: 500, ai_lines: 100, suspected_lines: 100, commits: 3, ai_prs: 3, reviewed_ai_prs: 1, merged_ai_prs: 2,
      unreviewed_ai_merges: 1, large_unreviewed_ai_prs: 1, ai_file_changes: 2, reworked_ai_file_changes: 1,
      ai_loc_ratio: 0.2, suspected_loc_ratio: 0.2, review_coverage: 0.3333, unreviewed_ai_merge_ratio: 0.5,
      large_unreviewed_ai_pr_ratio: 0.5, ai_churn_ratio: 0.5,
    });
    // 100 × (0.35·0.2 + 0.30·0.5 + 0.10·0.6667 + 0.15·0.5 + 0.10·0.5) = 7 + 15 + 6.667 + 7.5 + 5 = 41.17
    expect(Number(r.score)).toBe(41.17);
    expect(r.risk_zone).toBe("moderate");
    // The suspected lines as AI's too: + 0.35·0.2 = 48.17, beside the score, never in it.
    expect(Number(r.breakdown.score_with_suspected)).toBe(48.17);

    await sql`select public.calculate_ai_debt_score(${companyId}, ${human})`;
    const [c] = await sql<{ score: string; risk_zone: string; repository_id: string | null; breakdown: Record<string, number> }[]>`
      select score, risk_zone, repository_id, breakdown from public.calculate_ai_debt_score(${companyId})`;
    // (41.17 × 500 + 0 × 1500) / 2000 = 10.29
    expect(c.repository_id).toBeNull();
    expect(Number(c.score)).toBe(10.29);
    expect(c.risk_zone).toBe("low");
    expect(c.breakdown).toMatchObject({ repositories: 2, counted_lines: 2000, ai_lines: 100, ai_loc_ratio: 0.05, unreviewed_ai_merges: 1 });
    expect(Number(c.breakdown.score_with_suspected)).toBe(12.04); // (48.17 × 500) / 2000
  });

  it("answers nothing for a company none of whose repositories was scored, and refuses another company's repository", async () => {
    const sql = tdb.current.sql;
    const a = await createCompany(sql);
    const b = await createCompany(sql);
    const repoOfB = await createRepository(sql, b);
    const [none] = await sql`select (public.calculate_ai_debt_score(${a})).id`;
    expect(none.id).toBeNull();
    await expect(sql`select public.calculate_ai_debt_score(${a}, ${repoOfB})`).rejects.toThrow(/does not belong to company/);
  });
});
