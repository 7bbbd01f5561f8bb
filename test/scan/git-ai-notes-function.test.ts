// git-ai's notes read by the scan-repository edge function under real Deno, woken as in production
// (enqueue → pg_net → the function), from the local GitHub serving refs/notes/ai: the scan of
// git-ai-project/self-hosted records the notes' AI lines as the Node worker does.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryFromDataSet } from "../../src/local/github/dataset.ts";
import { useLocalStack } from "../harness/stack.ts";
import { finishedJob } from "./finished-job.ts";
import type { ScanSummary } from "../../supabase/functions/_shared/scan/summary.ts";

const stack = useLocalStack({ localGitHub: () => [repositoryFromDataSet("git-ai-project__self-hosted.jsonl")] });
let sql: postgres.Sql;
beforeAll(() => {
  sql = postgres(stack.current.dbUrl, { max: 2, onnotice: () => {} });
});
afterAll(async () => sql?.end());

describe("the scan-repository function with git-ai notes", () => {
  it("records every noted commit's AI lines: 31.5 % of the noted commits' lines, by agent and model, with the coverage", async () => {
    const [company] = await sql`insert into companies (name, settings) values ('git-ai users', '{"scan_window_days": 7300}') returning id`;
    const [repo] = await sql`insert into repositories (company_id, full_name, default_branch) values (${company.id}, 'git-ai-project/self-hosted', 'main') returning id`;
    await sql`select public.set_github_token(${company.id}, 'ghp_test00000000000000000000000000000000')`;
    const [job] = await sql`select id from public.enqueue_scan(p_company_id => ${company.id}, p_repository_id => ${repo.id}, p_scan_type => 'full_scan')`;
    const row = await finishedJob(sql, job.id);
    expect(row.status, row.error ?? "").toBe("completed");
    expect(row.worker_id).toMatch(/^edge-/);
    const s = row.result.summary as unknown as ScanSummary;
    expect(Math.abs(s.noted.recorded_ai_pct - 31.5)).toBeLessThanOrEqual(1);
    expect(s.recorded.commits).toBe(19);
    expect(Object.keys(s.per_agent["claude-code"].models).length).toBeGreaterThan(0);
    expect(s.per_agent.codex.recorded_lines).toBeGreaterThan(0);
    expect(s.coverage.recorded_pct).toBeGreaterThan(0);
    const [{ recorded }] = await sql`select count(*)::int as recorded from scan_results where repository_id = ${repo.id} and path = '' and verdict = 'recorded'`;
    expect(recorded).toBe(19);
  }, 120_000);
});
