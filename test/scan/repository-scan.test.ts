// A repository scan end to end on real parts: the queue's SQL API, the worker loop, the GitHub
// client against the local GitHub (real HTTP, GitHub's schema), detection, and Vault for the token.
import { beforeEach, describe, expect, it } from "vitest";
import { JobQueue, WorkerLoop } from "../../supabase/functions/_shared/queue/mod.ts";
import { githubSource } from "../../supabase/functions/_shared/github/source.ts";
import { repositoryScanProcessors } from "../../supabase/functions/_shared/scan/repository-scan.ts";
import type { ScanSummary } from "../../supabase/functions/_shared/scan/summary.ts";
import { useTestDatabase } from "../harness/db.ts";
import { useLocalGitHub } from "../github/local-github.ts";

const gh = useLocalGitHub();
const t = useTestDatabase();
beforeEach(() => {
  gh.current.clearFaults();
  gh.current.resetStats();
});

async function tenant(name: string) {
  const sql = t.current.sql;
  const [company] = await sql`insert into companies (name) values (${name}) returning id`;
  const [repo] = await sql`insert into repositories (company_id, full_name, default_branch) values (${company.id}, 'github/github-mcp-server', 'main') returning id`;
  await sql`select public.set_github_token(${company.id}, 'ghp_localtesttoken0000000000000000000000')`;
  return { companyId: company.id as string, repositoryId: repo.id as string };
}

function worker() {
  const queue = new JobQueue(t.current.db);
  const loop = new WorkerLoop({
    queue,
    workerId: "test-worker",
    processors: repositoryScanProcessors({ db: t.current.db, sources: { github: githubSource({ db: t.current.db, baseUrl: gh.current.url }) } }, ["full_scan", "incremental_scan", "pr_analysis"]),
  });
  return { queue, loop };
}

async function job(id: string) {
  const [row] = await t.current.sql`select status, attempts, attempts_waived, run_after, error, result from scan_queue where id = ${id}`;
  return row;
}

describe("a repository scan job", () => {
  it("scans the repository, completes with the summary, and records the watermark", async () => {
    const { companyId, repositoryId } = await tenant("Acme");
    const { queue, loop } = worker();
    const enqueued = await queue.enqueue({ companyId, repositoryId, scanType: "full_scan" });
    const report = await loop.drain({ budgetMs: 60_000 });
    expect(report.completed).toBe(1);
    const row = await job(enqueued.id);
    expect(row.status).toBe("completed");
    const summary = row.result.summary as ScanSummary;
    expect(summary.prs_scanned).toBeGreaterThan(0);
    expect(summary.ai_prs_detected).toBeGreaterThan(0);
    expect(summary.reviewed_ai_prs + summary.unreviewed_ai_merges).toBeLessThanOrEqual(summary.ai_prs_detected);
    expect(summary.api_requests.counted).toBe(gh.current.stats.counted);
    const [repo] = await t.current.sql`select scan_watermark, last_scanned_at from repositories where id = ${repositoryId}`;
    expect(repo.scan_watermark).toEqual(row.result.watermark);
    expect(repo.last_scanned_at).not.toBeNull();
  });

  it("spends no counted GitHub request on an incremental scan of an unchanged repository", async () => {
    const { companyId, repositoryId } = await tenant("Beta");
    const { queue, loop } = worker();
    await queue.enqueue({ companyId, repositoryId, scanType: "full_scan" });
    await loop.drain({ budgetMs: 60_000 });
    gh.current.resetStats();
    const again = await queue.enqueue({ companyId, repositoryId, scanType: "incremental_scan" });
    await loop.drain({ budgetMs: 60_000 });
    const row = await job(again.id);
    expect(row.status).toBe("completed");
    expect(row.result.unchanged).toBe(true);
    expect(row.result.summary.api_requests.counted).toBe(0);
    expect(gh.current.stats.counted).toBe(0);
  });

  it("snoozes to GitHub's reset time when the rate limit is spent, without spending an attempt", async () => {
    const { companyId, repositoryId } = await tenant("Gamma");
    const { queue, loop } = worker();
    gh.current.setRemaining(0);
    try {
      const enqueued = await queue.enqueue({ companyId, repositoryId, scanType: "full_scan" });
      const report = await loop.drain({ budgetMs: 60_000 });
      expect(report.snoozed).toBe(1);
      const row = await job(enqueued.id);
      expect(row.status).toBe("pending");
      expect(row.attempts - row.attempts_waived).toBe(0);
      expect(Math.abs(new Date(row.run_after).getTime() - gh.current.resetAt())).toBeLessThan(1000);
    } finally {
      gh.current.setRemaining(5000);
    }
  });

  it("goes dead at once, saying why, for a repository the company does not track", async () => {
    const { companyId } = await tenant("Delta");
    const { repositoryId: othersRepo } = await tenant("Epsilon");
    const { queue, loop } = worker();
    // enqueue_scan refuses a repository of another company; a row written around it must still not be scanned.
    await expect(queue.enqueue({ companyId, repositoryId: othersRepo, scanType: "full_scan" })).rejects.toThrow();
    const [row] = await t.current.sql`
      insert into scan_queue (company_id, repository_id, scan_type, dedupe_key)
      values (${companyId}, ${othersRepo}, 'full_scan', 'forged') returning id`;
    await loop.drain({ budgetMs: 60_000 });
    const after = await job(row.id);
    expect(after.status).toBe("dead");
    expect(after.error).toMatch(/not tracked by company/);
    expect(gh.current.stats.requests).toBe(0);
  });
  it("stops talking to GitHub when the time budget runs out; a run that had time for a page and wrote none spends its attempt", async () => {
    const { companyId, repositoryId } = await tenant("Eta");
    const { queue, loop } = worker();
    const enqueued = await queue.enqueue({ companyId, repositoryId, scanType: "full_scan" });
    // The first answer takes longer than the budget (which holds the 10 s a page is given) and the
    // 2 s the loop then waits for a job to stop.
    gh.current.inject({ kind: "slow", delayMs: 13_000, times: 1 });
    const report = await loop.drain({ budgetMs: 10_500 });
    expect(report).toMatchObject({ failed: 1, completed: 0 });
    const row = await job(enqueued.id);
    expect(row.status).toBe("pending");
    expect(row.attempts - row.attempts_waived).toBe(1);
    // The scan itself gave up (the request was abandoned), rather than the loop giving up on a scan
    // still waiting for GitHub ("did not finish within the time budget").
    expect(row.error).toBe("stopped at the time budget: the time budget ran out");
    expect(gh.current.stats.requests).toBe(1);
  }, 30_000);

  it("hands back, without spending an attempt, a run claimed with too little time left for any page", async () => {
    const { companyId, repositoryId } = await tenant("Theta");
    const { queue, loop } = worker();
    const enqueued = await queue.enqueue({ companyId, repositoryId, scanType: "full_scan" });
    gh.current.inject({ kind: "slow", delayMs: 5_000, times: 1 });
    expect(await loop.drain({ budgetMs: 1_000 })).toMatchObject({ snoozed: 1, failed: 0 });
    const row = await job(enqueued.id);
    expect(row).toMatchObject({ status: "pending", attempts: 1, attempts_waived: 1 });
    expect((await t.current.sql`select message from scan_job_events where job_id = ${enqueued.id} and kind = 'snoozed'`)[0].message)
      .toMatch(/^claimed with \d+ ms of the time budget left, too little for a page: the next run continues at page 1$/);
    expect(gh.current.stats.requests).toBe(1);
  });
});
