// The AI-debt score: the formula on hand-computed inputs, one repository's window from its rows,
// and the company's score over its repositories' pooled counts, with the suspected share kept apart.
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { createCompany, createRepository } from "../queue/fixtures.ts";
import { addCommit, addPullRequest, completedScan, daysAgo, fixClock } from "./fixtures.ts";

const tdb = useTestDatabase();

async function formula(inputs: Record<string, number>) {
  const sql = tdb.current.sql;
  const [{ f }] = await sql<{ f: { score: number; components: Record<string, number>; samples: Record<string, string> } }[]>`
    select public.ai_debt_score_formula(${sql.json(inputs)}) as f`;
  return f;
}

describe("ai_debt_score_formula", () => {
  it("reads each rate through its prior strength: hits / (sample + m), weighted 0.35, 0.30, 0.10, 0.15, 0.10", async () => {
    // AI lines 1000 of 4000 (m 1000): 0.2 → 7; unreviewed 5 of 10 merged (m 10): 0.25 → 7.5;
    // review gap 8 of 15 AI PRs unreviewed (m 10): 0.32 → 3.2; 2 large unreviewed PRs, a count:
    // 2/(2 + 10) → 2.5; reworked 6 of 40 AI file changes (m 20): 0.1 → 1. Total 21.2.
    const f = await formula({ counted_lines: 4000, ai_lines: 1000, merged_ai_prs: 10, unreviewed_ai_merges: 5, ai_prs: 15, reviewed_ai_prs: 7,
      large_unreviewed_ai_prs: 2, ai_file_changes: 40, reworked_ai_file_changes: 6 });
    expect(Number(f.score)).toBe(21.2);
    expect(f.components).toEqual({ ai_loc_ratio: 7, unreviewed_ai_merge_ratio: 7.5, review_gap: 3.2, large_unreviewed_ai_prs: 2.5, ai_churn_ratio: 1 });
    expect(f.samples).toEqual({ ai_loc_ratio: "4000 counted lines", unreviewed_ai_merge_ratio: "10 merged AI PRs", review_gap: "15 AI PRs",
      large_unreviewed_ai_prs: "2 large unreviewed AI PRs", ai_churn_ratio: "40 AI file changes" });
  });

  it("gives one unreviewed AI merge of one 1/11 of the review weights, not all of them, and names the sample", async () => {
    // The case that ranked the demo backwards: 1 of 1 was 40 points; now 100·(0.30 + 0.10)/11 = 3.64.
    const f = await formula({ counted_lines: 10000, ai_lines: 0, merged_ai_prs: 1, unreviewed_ai_merges: 1, ai_prs: 1, reviewed_ai_prs: 0 });
    expect(Number(f.score)).toBe(3.64);
    expect(f.samples.unreviewed_ai_merge_ratio).toBe("1 merged AI PR");
    expect(f.samples.review_gap).toBe("1 AI PR");
  });

  it("is 0 for a repository without AI work, tends to 100 at the worst, and keeps hits within their sample", async () => {
    expect(Number((await formula({})).score)).toBe(0);
    const worst = await formula({ counted_lines: 1e9, ai_lines: 1e9, merged_ai_prs: 1e9, unreviewed_ai_merges: 1e9, ai_prs: 1e9, reviewed_ai_prs: 0,
      large_unreviewed_ai_prs: 1e9, ai_file_changes: 1e9, reworked_ai_file_changes: 1e9 });
    expect(Number(worst.score)).toBe(100);
    // More hits than sample (bad input) count as the whole sample, never more.
    expect(Number((await formula({ counted_lines: 1000, ai_lines: 5000 })).score)).toBe(17.5);
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
    // Shrunk: lines 100/(500 + 1000), unreviewed 1/(2 + 10), gap 2/(3 + 10), large 1/(1 + 10), churn 1/(2 + 20):
    // 100 × (0.35·0.0667 + 0.30·0.0833 + 0.10·0.1538 + 0.15·0.0909 + 0.10·0.0455) = 2.33 + 2.5 + 1.54 + 1.36 + 0.45 = 8.19
    expect(Number(r.score)).toBe(8.19);
    expect(r.breakdown).toMatchObject({ samples: { ai_loc_ratio: "500 counted lines", unreviewed_ai_merge_ratio: "2 merged AI PRs", review_gap: "3 AI PRs" } });
    expect(r.risk_zone).toBe("low");
    // The suspected lines as AI's too: lines 200/1500, + 2.33 = 10.52, beside the score, never in it.
    expect(Number(r.breakdown.score_with_suspected)).toBe(10.52);

    await sql`select public.calculate_ai_debt_score(${companyId}, ${human})`;
    const [c] = await sql<{ score: string; risk_zone: string; repository_id: string | null; breakdown: Record<string, number> }[]>`
      select score, risk_zone, repository_id, breakdown from public.calculate_ai_debt_score(${companyId})`;
    // The formula over the pooled counts: lines 100/(2000 + 1000) = 1.17 points, the PR and churn
    // terms as the one repository that has any (5.86): 7.02.
    expect(c.repository_id).toBeNull();
    expect(Number(c.score)).toBe(7.02);
    expect(c.risk_zone).toBe("low");
    expect(c.breakdown).toMatchObject({ repositories: 2, counted_lines: 2000, ai_lines: 100, ai_loc_ratio: 0.05, unreviewed_ai_merges: 1 });
    expect(Number(c.breakdown.score_with_suspected)).toBe(8.19); // lines 200/3000: 2.33 + 5.86
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
