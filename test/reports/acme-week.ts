// A known week of one company for the report's tests: Acme's 2026-11-23 – 2026-11-29, and what came
// before it. The figures the report must give are counted by hand in weekly-report.test.ts.
import type postgres from "postgres";
import { addCommit, addPullRequest, completedScan } from "../governance/fixtures.ts";

const at = (iso: string) => new Date(iso);

/** Acme's week of 2026-11-23 – 2026-11-29, and what came before it. */
export async function acmeWeek(sql: postgres.Sql): Promise<{ companyId: string; repositoryId: string }> {
  const [{ id: companyId }] = await sql`insert into public.companies (name) values ('Acme') returning id`;
  const [{ id: repositoryId }] = await sql`insert into public.repositories (company_id, full_name) values (${companyId}, 'acme/app') returning id`;
  await sql`insert into public.repositories (company_id, full_name, is_active) values (${companyId}, 'acme/retired', false)`;
  const ids = { companyId, repositoryId, scanId: await completedScan(sql, companyId, repositoryId, at("2026-11-29T20:00:00Z")) };
  // The week: 120 attested lines, 280 human, 100 suspected (500 counted: 24 % AI, 20 % suspected);
  // a commit of the week before does not count.
  await addCommit(sql, ids, { verdict: "attested", counted: 120, ai: 120, authoredAt: at("2026-11-24T10:00:00Z") });
  await addCommit(sql, ids, { verdict: "human", counted: 280, authoredAt: at("2026-11-25T10:00:00Z") });
  await addCommit(sql, ids, { verdict: "suspected", counted: 100, authoredAt: at("2026-11-26T10:00:00Z") });
  await addCommit(sql, ids, { verdict: "attested", counted: 1000, ai: 1000, authoredAt: at("2026-11-20T10:00:00Z") });
  // AI PRs of the week: #10 merged after a review, #11 (450 lines) merged without one, #12 opened.
  // #13 is a human's, #9 merged weeks before.
  await addPullRequest(sql, ids, { number: 10, ai: true, reviewed: true, additions: 50, createdAt: at("2026-11-24T09:00:00Z"), mergedAt: at("2026-11-25T09:00:00Z") });
  await addPullRequest(sql, ids, { number: 11, ai: true, reviewed: false, additions: 450, title: "Rewrite the parser", createdAt: at("2026-11-26T09:00:00Z"), mergedAt: at("2026-11-27T09:00:00Z") });
  await addPullRequest(sql, ids, { number: 12, ai: true, reviewed: false, createdAt: at("2026-11-28T09:00:00Z") });
  await addPullRequest(sql, ids, { number: 13, ai: false, reviewed: false, createdAt: at("2026-11-24T09:00:00Z"), mergedAt: at("2026-11-24T10:00:00Z") });
  await addPullRequest(sql, ids, { number: 9, ai: true, reviewed: false, createdAt: at("2026-11-09T09:00:00Z"), mergedAt: at("2026-11-10T09:00:00Z") });
  // Scores: the company 40 on 2026-11-16, 55.5 on 2026-11-29 (and 70 after the week, not counted).
  for (const [score, when] of [[40, "2026-11-16T12:00:00Z"], [55.5, "2026-11-29T12:00:00Z"], [70, "2026-11-30T01:00:00Z"]] as const) {
    await sql`insert into public.ai_debt_scores (company_id, repository_id, score, risk_zone, breakdown, period_start, period_end, calculated_at)
              values (${companyId}, null, ${score}, public.ai_debt_risk_zone(${score}), ${sql.json({ ai_churn_ratio: 0.25 })}, ${when}, ${when}, ${when})`;
  }
  await sql`insert into public.ai_debt_scores (company_id, repository_id, score, risk_zone, breakdown, period_start, period_end, calculated_at)
            values (${companyId}, ${repositoryId}, 58.25, 'moderate', '{}', ${"2026-11-29T12:00:00Z"}, ${"2026-11-29T12:00:00Z"}, ${"2026-11-29T12:00:00Z"})`;
  // Alerts: a high one raised in the week, a medium one raised before and still open.
  const history = (iso: string) => sql.json([{ at: iso, event: "opened" }]);
  await sql`insert into public.alerts (company_id, repository_id, severity, category, title, description, history, created_at)
            values (${companyId}, ${repositoryId}, 'high', 'ai_debt', 'High AI-generated code detected (57%)', '…', ${history("2026-11-27T10:00:00Z")}, ${"2026-11-27T10:00:00Z"}),
                   (${companyId}, ${repositoryId}, 'medium', 'unreviewed_merge', '4 unreviewed AI merges', '…', ${history("2026-11-10T10:00:00Z")}, ${"2026-11-10T10:00:00Z"})`;
  return { companyId, repositoryId };
}
