// The source contract is real: a second source — a test-only one over an in-memory history
// (fake-source/history.ts) — runs a full and an incremental scan through the real pipeline (the
// queue, the worker loop, the scan stage, Postgres) with nothing changed but the registrations a
// source needs: a row in repository_sources and an entry in the worker's sources. The GitHub
// source is registered beside it and never asked.
import { describe, expect, it } from "vitest";
import { loadCommits } from "../../src/local/github/dataset.ts";
import type { PullRequest } from "../../supabase/functions/_shared/detection/records.ts";
import { JobQueue, WorkerLoop } from "../../supabase/functions/_shared/queue/mod.ts";
import { repositoryScanProcessors } from "../../supabase/functions/_shared/scan/repository-scan.ts";
import type { OpenHistory } from "../../supabase/functions/_shared/source/history.ts";
import { useTestDatabase } from "../harness/db.ts";
import { type FakeLog, type FakeRepository, fakeSource, PAGE_SIZE } from "./fake-source/history.ts";

const t = useTestDatabase();
const TYPES = ["full_scan", "incremental_scan", "pr_analysis"];

// pymc-labs/pathmc's 30 newest commits; the newest 4 are a push after the first scan.
const commits = loadCommits("pymc-labs__pathmc.jsonl").slice(0, 30);
// A git-ai note (Git AI Standard v3.0.0) on 6e49f237 (in the first scan): 100 of the 161 lines it
// added to pathmc/adjustment.py by a Claude Code session.
const NOTED = commits[7];
const notes: Record<string, string> = {
  [NOTED.sha]: `pathmc/adjustment.py\n  s_30eefd89c502ac::t_300d7fec25e7fb 1-100\n---\n${JSON.stringify({
    schema_version: "authorship/3.0.0", git_ai_version: "1.6.22", base_commit_sha: NOTED.sha, prompts: {},
    sessions: { s_30eefd89c502ac: { agent_id: { tool: "claude", id: "00000000-0000-4000-8000-000000000001", model: "claude-opus-4" }, human_author: "A Dev <dev@example.com>" } },
  }, null, 2)}\n`,
};
const PUSHED = 4;

function pullRequest(number: number, updatedAt: string, body: string): PullRequest {
  return {
    number, title: `change ${number}`, body, author: { login: "dev", is_bot: false }, head_ref: `topic-${number}`, base_ref: "main",
    labels: [], state: "MERGED", created_at: updatedAt, updated_at: updatedAt, merged_at: updatedAt, merged_by: { login: "dev", is_bot: false },
    additions: 10, deletions: 1, reviews: [], commits: [], files: [],
  };
}
const AGENT_FOOTER = "🤖 Generated with [Claude Code](https://claude.com/claude-code)";

async function scan(sources: Record<string, OpenHistory>, companyId: string, repositoryId: string, scanType: string, budgetMs = 30_000) {
  const queue = new JobQueue(t.current.db);
  const job = await queue.enqueue({ companyId, repositoryId, scanType, ...(scanType === "pr_analysis" ? { payload: { pr_number: 2 } } : {}) });
  const loop = new WorkerLoop({ queue, workerId: `fake-${scanType}`, processors: repositoryScanProcessors({ db: t.current.db, sources }, TYPES) });
  const until = Date.now() + 60_000;
  for (;;) {
    await t.current.sql`update scan_queue set run_after = now() where id = ${job.id} and status = 'pending'`;
    await loop.drain({ budgetMs });
    const [j] = await t.current.sql`select status from scan_queue where id = ${job.id}`;
    if ((j.status !== "pending" && j.status !== "running") || Date.now() > until) break;
  }
  const [s] = await t.current.sql`select s.id, s.summary, (s.timings ->> 'pages')::int as pages, q.status, q.error, q.result from scans s join scan_queue q on q.id = s.job_id where s.job_id = ${job.id}`;
  return s;
}

describe("a second source through the scan stage", () => {
  it("runs a full scan, then an incremental one, of a repository whose source is not GitHub", { timeout: 120_000 }, async () => {
    const sql = t.current.sql;
    await sql`insert into repository_sources (name, full_name_pattern, full_name_form, description)
              values ('fake', '^fake:[a-z0-9-]+$', 'fake:<name>', 'a test''s in-memory history')`;
    const [company] = await sql`insert into companies (name, settings) values ('Fake', ${sql.json({ scan_window_days: 7300 })}) returning id`;
    const [repo] = await sql`insert into repositories (company_id, full_name, source) values (${company.id}, 'fake:pathmc', 'fake') returning id`;
    const history: FakeRepository = {
      commits: commits.slice(PUSHED),
      pullRequests: [pullRequest(1, "2026-08-01T10:00:00Z", "fixes"), pullRequest(2, "2026-08-02T10:00:00Z", `adds it\n\n${AGENT_FOOTER}`)],
      notes,
    };
    const log: FakeLog = { reads: [], pages: 0 };
    const github: OpenHistory = () => {
      throw new Error("the GitHub source was asked for a fake repository");
    };
    const sources = { github, fake: fakeSource(new Map([["fake:pathmc", history]]), log) };

    // A run's budget that is all reserve (scan/repository-scan.ts CHECKPOINT_RESERVE_MS): every run
    // writes one page and stops, and the next resumes from the fake's own checkpoint.
    const full = await scan(sources, company.id, repo.id, "full_scan", 10_000);
    expect(full.status, full.error).toBe("completed");
    // Several pages: 26 commits and 2 PRs at PAGE_SIZE a page.
    expect(full.pages).toBe(Math.ceil(26 / PAGE_SIZE) + 1);
    const firstRows = await sql`select commit_sha, verdict, ai_lines, note_blobs from scan_results where scan_id = ${full.id} and path = ''`;
    expect(firstRows.map((r) => r.commit_sha).sort()).toEqual(commits.slice(PUSHED).map((c) => c.sha).sort());
    // The note came through the contract's records: the noted commit is recorded, with the fake's note id.
    expect(NOTED.files.find((f) => f.path === "pathmc/adjustment.py")?.added).toBe(161);
    const noted = firstRows.find((r) => r.commit_sha === NOTED.sha)!;
    expect(noted.verdict).toBe("recorded");
    expect(noted.ai_lines).toBe(100);
    expect(noted.note_blobs).toEqual([`fake-note-${NOTED.sha.slice(0, 12)}`]);
    expect(firstRows.filter((r) => r.verdict === "recorded").map((r) => r.commit_sha)).toEqual([NOTED.sha]);
    const prs = await sql`select github_pr_id as number, verdict from pull_requests where repository_id = ${repo.id} order by github_pr_id`;
    expect(prs.map((p) => [p.number, p.verdict])).toEqual([[1, "human"], [2, "attested"]]);
    // The watermark is the fake's own JSON, stored as it gave it.
    const [{ scan_watermark: afterFull }] = await sql`select scan_watermark from repositories where id = ${repo.id}`;
    expect(afterFull).toEqual({ fake: 1, head: commits[PUSHED].sha, prsUpdatedAt: "2026-08-02T10:00:00Z" });

    // A push of 4 commits and a new PR: the incremental scan reads those only.
    history.commits = commits;
    history.pullRequests = [...history.pullRequests, pullRequest(3, "2026-08-20T10:00:00Z", "more")];
    const incremental = await scan(sources, company.id, repo.id, "incremental_scan");
    expect(incremental.status, incremental.error).toBe("completed");
    const newRows = await sql`select commit_sha from scan_results where scan_id = ${incremental.id} and path = ''`;
    expect(newRows.map((r) => r.commit_sha).sort()).toEqual(commits.slice(0, PUSHED).map((c) => c.sha).sort());
    expect((await sql`select github_pr_id as number from pull_requests where repository_id = ${repo.id} order by github_pr_id`).map((p) => p.number)).toEqual([1, 2, 3]);
    const [{ scan_watermark: afterIncremental }] = await sql`select scan_watermark from repositories where id = ${repo.id}`;
    expect(afterIncremental).toEqual({ fake: 1, head: commits[0].sha, prsUpdatedAt: "2026-08-20T10:00:00Z" });
    const fullReads = log.reads.filter((r) => r.scope === "full");
    expect(fullReads.length).toBe(full.pages);
    expect(fullReads.filter((r) => r.resumed).length).toBe(full.pages - 1);
    expect(log.reads.filter((r) => r.scope !== "full").map((r) => r.scope)).toEqual(["incremental"]);

    // Nothing new: the next incremental scan reads no page.
    const again = await scan(sources, company.id, repo.id, "incremental_scan");
    expect(again.status, again.error).toBe("completed");
    expect(again.result.unchanged).toBe(true);
    expect(again.pages ?? 0).toBe(0);
    expect(log.reads.filter((r) => r.scope !== "full").map((r) => r.scope)).toEqual(["incremental", "incremental"]);
  });
});
