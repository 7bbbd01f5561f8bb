// The scan pipeline end to end on real parts — the queue's SQL API, the worker loop, the GitHub
// client against the local GitHub, detection, Postgres: what a scan stores, how it spans runs,
// and what it does when it is cancelled, rate-limited or handed on.
import postgres from "postgres";
import { beforeEach, describe, expect, it } from "vitest";
import { repositoryFromDataSet } from "../../src/local/github/dataset.ts";
import { staticToken } from "../../supabase/functions/_shared/github/auth.ts";
import { GitHubHttp } from "../../supabase/functions/_shared/github/http.ts";
import { scanRepository } from "../../supabase/functions/_shared/github/history.ts";
import { classifyCommits, classifyPullRequest } from "../../supabase/functions/_shared/detection/index.ts";
import { JobQueue, WorkerLoop } from "../../supabase/functions/_shared/queue/mod.ts";
import { githubSource } from "../../supabase/functions/_shared/github/source.ts";
import { repositoryScanProcessors } from "../../supabase/functions/_shared/scan/repository-scan.ts";
import { ScanStore } from "../../supabase/functions/_shared/scan/store.ts";
import { summarizeScan } from "../../supabase/functions/_shared/scan/summary.ts";
import { dbFromPostgresJs } from "../../supabase/functions/_shared/platform/db.ts";
import { useTestDatabase } from "../harness/db.ts";
import { dataSetRepositories, LIZARD, MCP, useLocalGitHub } from "../github/local-github.ts";
import { clockedQueue, seconds } from "../queue/fixtures.ts";

const gh = useLocalGitHub();
const t = useTestDatabase();
beforeEach(() => {
  gh.current.clearFaults();
  gh.current.resetStats();
  gh.current.setRemaining(5000);
});

const TYPES = ["full_scan", "incremental_scan", "pr_analysis"];
let n = 0;
async function tenant(repo: { owner: string; name: string; branch: string } = LIZARD, settings: Record<string, unknown> = {}) {
  const sql = t.current.sql;
  const [company] = await sql`insert into companies (name, settings) values (${`Pipeline ${++n}`}, ${sql.json({ scan_window_days: 7300, max_concurrent_scans: 4, ...settings } as postgres.JSONValue)}) returning id`;
  const [r] = await sql`insert into repositories (company_id, full_name, default_branch) values (${company.id}, ${`${repo.owner}/${repo.name}`}, ${repo.branch}) returning id`;
  await sql`select public.set_github_token(${company.id}, ${`ghp_pipelinetest${String(n).padStart(24, "0")}`})`;
  return { companyId: company.id as string, repositoryId: r.id as string };
}

function loop(workerId = "pipeline") {
  return new WorkerLoop({ queue: new JobQueue(t.current.db), workerId, concurrency: 2, processors: repositoryScanProcessors({ db: t.current.db, sources: { github: githubSource({ db: t.current.db, baseUrl: gh.current.url }) } }, TYPES) });
}

async function job(id: string) {
  const [row] = await t.current.sql`select status, attempts, attempts_waived, run_after, error, result from scan_queue where id = ${id}`;
  return row;
}
async function scanOf(jobId: string) {
  const [row] = await t.current.sql`select * from scans where job_id = ${jobId}`;
  return row;
}

/**
 * The repository read straight from the local GitHub and detection run on it directly (one pass,
 * classifyCommits): the stored commit rows must be these, verdict, confidence and lines alike.
 */
async function expectRowsOfDetection(repositoryId: string, repo: { owner: string; name: string; branch: string }) {
  const direct = await scanRepository(new GitHubHttp({ token: staticToken("ghp_directreadtoken000000000000000000000"), baseUrl: gh.current.url }), {
    owner: repo.owner, name: repo.name, branch: repo.branch, commitsSince: new Date(Date.now() - 7300 * 86_400_000).toISOString(),
  });
  const { classifications } = classifyCommits(direct.commits);
  const rows = await t.current.sql`
    select commit_sha, verdict, confidence, agents, ai_lines, counted_lines, is_merge from scan_results
    where repository_id = ${repositoryId} and path = '' order by commit_sha`;
  const expected = direct.commits.map((c, i) => ({
    commit_sha: c.sha, verdict: classifications[i].verdict, confidence: classifications[i].confidence, agents: classifications[i].agents,
    ai_lines: classifications[i].ai_added_lines, counted_lines: classifications[i].counted_added_lines, is_merge: c.parents.length > 1,
  })).sort((a, b) => a.commit_sha.localeCompare(b.commit_sha));
  expect(rows.length).toBe(direct.commits.length);
  expect(rows.map((r) => ({ ...r, confidence: Number(r.confidence) }))).toEqual(expected);
  return direct;
}

describe("a full scan", () => {
  it("stores what the detection engine says of the same records, row for row, and the same summary", async () => {
    const { companyId, repositoryId } = await tenant(MCP);
    const queue = new JobQueue(t.current.db);
    const enqueued = await queue.enqueue({ companyId, repositoryId, scanType: "full_scan" });
    expect(await loop().drain({ budgetMs: 120_000 })).toMatchObject({ completed: 1 });

    const direct = await expectRowsOfDetection(repositoryId, MCP);
    const [{ files }] = await t.current.sql`select count(*)::int as files from scan_results where repository_id = ${repositoryId} and path <> ''`;
    expect(files).toBe(direct.commits.reduce((k, c) => k + c.files.length, 0));

    const row = await job(enqueued.id);
    const scan = await scanOf(enqueued.id);
    expect(row.result.scan_id).toBe(scan.id);
    expect(scan.status).toBe("completed");
    const directSummary = summarizeScan({ pullRequests: direct.pullRequests, commits: direct.commits });
    expect({ ...scan.summary, api_requests: null }).toEqual({ ...directSummary, api_requests: null });
    expect(scan.summary.api_requests.counted).toBe(scan.api_requests.counted);
    const [{ prs, unreviewed }] = await t.current.sql`
      select count(*)::int as prs, count(*) filter (where unreviewed_ai_merge)::int as unreviewed from pull_requests where repository_id = ${repositoryId}`;
    expect(prs).toBe(direct.pullRequests.length);
    expect(unreviewed).toBe(directSummary.unreviewed_ai_merges);
    const [repo] = await t.current.sql`select scan_watermark from repositories where id = ${repositoryId}`;
    expect(repo.scan_watermark).toEqual(direct.watermark);
    const [{ weeks }] = await t.current.sql`select count(*)::int as weeks from team_metrics where company_id = ${companyId}`;
    expect(weeks).toBeGreaterThan(10);
  }, 120_000);

  it("spans runs when it is bigger than one run's budget, without spending attempts, and ends with the same rows", async () => {
    const { companyId, repositoryId } = await tenant(LIZARD);
    const queue = new JobQueue(t.current.db);
    const enqueued = await queue.enqueue({ companyId, repositoryId, scanType: "full_scan" });
    // Every GraphQL request takes 1 s (a page of pull requests and its follow-ups: ~3 s): a run with
    // a 6 s budget, which keeps 10 s in reserve, writes one page and checkpoints.
    gh.current.inject({ kind: "slow", delayMs: 1_000, match: "graphql", times: 1_000 });
    // Invocations until the scan has ended, however many a busy machine needs (each run writes at
    // least one page, or checkpoints at once where a run's reserve is all it had); the test's
    // timeout only stops one that never ends.
    let drains = 0;
    while (["pending", "running"].includes((await job(enqueued.id)).status)) {
      await t.current.sql`update scan_queue set run_after = now() where id = ${enqueued.id} and status = 'pending'`;
      await loop(`invocation-${drains++}`).drain({ budgetMs: 6_000, stopClaimingMs: 500 });
    }
    const row = await job(enqueued.id);
    const scan = await scanOf(enqueued.id);
    expect(row.status, `${row.error}\n${JSON.stringify(await t.current.sql`select kind, attempt, message, created_at from scan_job_events where job_id = ${enqueued.id} and kind <> 'progress' order by id`)}`).toBe("completed");
    // Several invocations, each of one or more runs (a run that checkpointed is claimed again at once
    // by the same invocation while its budget lasts).
    expect(drains).toBeGreaterThan(1);
    const [{ claims }] = await t.current.sql`select count(*)::int as claims from scan_job_events where job_id = ${enqueued.id} and kind = 'claimed'`;
    expect(claims).toBeGreaterThan(2);
    expect(scan.timings.runs).toBe(claims);
    expect(row.attempts - row.attempts_waived).toBe(1); // every run but the last snoozed itself
    const [{ commits, distinct }] = await t.current.sql`
      select count(*)::int as commits, count(distinct commit_sha)::int as distinct from scan_results where repository_id = ${repositoryId} and path = ''`;
    expect(commits).toBe(scan.summary.commits_scanned);
    expect(distinct).toBe(commits);
    // Scored across runs as in one pass: the scorer's cadence travels with the checkpoint, each
    // row keeps its commit's evidence, and the tier decides at completion over the rows: the same
    // suspected verdicts and confidences as one pass.
    gh.current.clearFaults();
    await expectRowsOfDetection(repositoryId, LIZARD);
    const [{ suspected }] = await t.current.sql`
      select count(*)::int as suspected from scan_results where repository_id = ${repositoryId} and path = '' and verdict = 'suspected'`;
    expect(suspected).toBeGreaterThan(0);
    expect(scan.summary.suspected.commits).toBe(suspected);
  }, 600_000);
});

describe("a scan job", () => {
  it("waits out GitHub's rate limit without spending an attempt, then completes", async () => {
    const { companyId, repositoryId } = await tenant(LIZARD);
    const queue = new JobQueue(t.current.db);
    const enqueued = await queue.enqueue({ companyId, repositoryId, scanType: "full_scan" });
    gh.current.inject({ kind: "primary-limit", times: 1 });
    expect(await loop().drain({ budgetMs: 30_000 })).toMatchObject({ snoozed: 1 });
    expect(await job(enqueued.id)).toMatchObject({ status: "pending", attempts: 1, attempts_waived: 1 });
    gh.current.setRemaining(5000);
    await t.current.sql`update scan_queue set run_after = now() where id = ${enqueued.id}`; // the reset came
    expect(await loop().drain({ budgetMs: 60_000 })).toMatchObject({ completed: 1 });
    expect((await scanOf(enqueued.id)).status).toBe("completed");
  }, 90_000);

  it("stops at its next page when cancelled, and leaves its scan cancelled, not completed", async () => {
    const { companyId, repositoryId } = await tenant(LIZARD);
    const queue = new JobQueue(t.current.db);
    const enqueued = await queue.enqueue({ companyId, repositoryId, scanType: "full_scan" });
    gh.current.inject({ kind: "slow", delayMs: 500, match: "graphql", times: 1_000 });
    const drained = loop().drain({ budgetMs: 60_000 });
    for (let i = 0; i < 200 && !((await scanOf(enqueued.id))?.timings?.pages >= 1); i++) await new Promise((r) => setTimeout(r, 50));
    await queue.cancel({ jobId: enqueued.id });
    expect(await drained).toMatchObject({ cancelled: 1, completed: 0 });
    expect((await job(enqueued.id)).status).toBe("cancelled");
    const scan = await scanOf(enqueued.id);
    expect(scan.status).toBe("cancelled");
    expect(scan.summary).toBeNull();
  }, 90_000);

  it("lets only the current claim write: a late worker's page, rows and completion are refused", async () => {
    const { companyId, repositoryId } = await tenant(LIZARD);
    const t0 = new Date("2033-01-01T00:00:00Z");
    const c = await clockedQueue(t.current, t0);
    const enqueued = await c.queue.enqueue({ companyId, repositoryId, scanType: "full_scan" });
    const [first] = await c.queue.claim({ workerId: "late", leaseSeconds: 30, scanTypes: TYPES, limit: 1 });
    const late = new ScanStore(dbFromPostgresJs(c.sql));
    expect(await late.begin(enqueued.id, first.attempts)).not.toBeNull();
    await c.setNow(seconds(t0, 60));
    await c.queue.reapExpired();
    const [second] = await c.queue.claim({ workerId: "current", leaseSeconds: 30, scanTypes: TYPES, limit: 1 });
    expect(second.attempts).toBe(2);
    const page = { commits: [{ sha: "f".repeat(40), verdict: "human" as const, agents: [], confidence: 1, suspect_score: null, lines_added: 1, lines_deleted: 0, ai_lines: 0, counted_lines: 1, is_merge: false, author_name: "x", author_email: "x@example.com", authored_at: t0.toISOString(), committed_at: t0.toISOString(), files: [], suspect_inputs: null, recorded: null, marks_only: null, note_conflict: null, note_blobs: null }],
      pull_requests: [], checkpoint: null, progress: 50, message: "late", api_requests: { requests: 1, counted: 1, not_modified: 0, graphql_points: 0 }, timings: { github_ms: 1 }, warnings: [] };
    expect(await late.recordPage(enqueued.id, first.attempts, page)).toMatchObject({ accepted: false });
    expect(await late.soFar(enqueued.id, first.attempts)).toBeNull();
    expect(await late.complete(enqueued.id, first.attempts, { summary: {} as never, watermark: { pullRequestsUpdatedAt: null, headSha: "f".repeat(40) }, decisions: [], api_requests: page.api_requests, result: {} }))
      .toMatchObject({ accepted: false });
    const [{ rows }] = await t.current.sql`select count(*)::int as rows from scan_results where repository_id = ${repositoryId}`;
    expect(rows).toBe(0);
    const [repo] = await t.current.sql`select scan_watermark from repositories where id = ${repositoryId}`;
    expect(repo.scan_watermark).toBeNull();
    expect((await job(enqueued.id)).status).toBe("running");
  });
});

describe("a scan that meets a pull request GitHub cannot serve", () => {
  it("completes without it and says so on the scan: one warning naming the PR", async () => {
    const { companyId, repositoryId } = await tenant(LIZARD);
    const local = dataSetRepositories()[1];
    const broken = local.pullRequests[Math.floor(local.pullRequests.length / 2)];
    gh.current.failPullRequest("terryyin/lizard", broken.number);
    const queue = new JobQueue(t.current.db);
    const enqueued = await queue.enqueue({ companyId, repositoryId, scanType: "full_scan" });
    expect(await loop().drain({ budgetMs: 60_000 })).toMatchObject({ completed: 1 });
    const scan = await scanOf(enqueued.id);
    expect(scan.status).toBe("completed");
    expect(scan.warnings).toHaveLength(1);
    expect(scan.warnings[0].message).toMatch(new RegExp(`^pull request #${broken.number} left out: GitHub could not serve it`));
    const [{ prs }] = await t.current.sql`select count(*)::int as prs from pull_requests where repository_id = ${repositoryId}`;
    expect(prs).toBe(local.pullRequests.length - 1);
    expect((await job(enqueued.id)).attempts).toBe(1);
  }, 90_000);
});

describe("a pr_analysis scan", () => {
  it("reads one pull request by number: its row alone, as detection classifies it, and the repository's watermark stays", async () => {
    const { companyId, repositoryId } = await tenant(MCP);
    const queue = new JobQueue(t.current.db);
    await t.current.sql`update repositories set scan_watermark = ${t.current.sql.json({ pullRequestsUpdatedAt: "2026-01-01T00:00:00Z", headSha: "a".repeat(40) })} where id = ${repositoryId}`;
    const local = dataSetRepositories()[0];
    // Two merged PRs with reviews, commits and files; the larger ones exercise the follow-up pages.
    const [a, b] = [...local.pullRequests].filter((p) => p.merged_at && p.files.length > 0).sort((x, y) => y.files.length - x.files.length);
    const first = await queue.enqueue({ companyId, repositoryId, scanType: "pr_analysis", payload: { pr_number: a.number } });
    const second = await queue.enqueue({ companyId, repositoryId, scanType: "pr_analysis", payload: { pr_number: b.number } });
    expect(second.id).not.toBe(first.id); // two PRs are two jobs
    const again = await queue.enqueue({ companyId, repositoryId, scanType: "pr_analysis", payload: { pr_number: a.number } });
    expect(again.id).toBe(first.id); // the same PR again is the same job
    expect(await loop().drain({ budgetMs: 60_000 })).toMatchObject({ completed: 2 });

    const rows = await t.current.sql`select github_pr_id, ai_generated, agents, human_reviewed, pr_merged_at from pull_requests where repository_id = ${repositoryId} order by github_pr_id`;
    expect(rows.map((r) => Number(r.github_pr_id))).toEqual([a.number, b.number].sort((x, y) => x - y));
    const direct = await scanRepository(new GitHubHttp({ token: staticToken("ghp_directreadtoken000000000000000000000"), baseUrl: gh.current.url }), {
      owner: MCP.owner, name: MCP.name, branch: MCP.branch, pullRequest: a.number,
    });
    const c = classifyPullRequest(direct.pullRequests[0]);
    expect(rows.find((r) => Number(r.github_pr_id) === a.number)).toMatchObject({ ai_generated: c.verdict !== "human", agents: c.agents });
    expect(direct.pullRequests[0].files.length).toBe(a.files.length);
    const [{ commits }] = await t.current.sql`select count(*)::int as commits from scan_results where repository_id = ${repositoryId}`;
    expect(commits).toBe(0);
    const [repo] = await t.current.sql`select scan_watermark from repositories where id = ${repositoryId}`;
    expect(repo.scan_watermark).toEqual({ pullRequestsUpdatedAt: "2026-01-01T00:00:00Z", headSha: "a".repeat(40) });
    const scan = await scanOf(first.id);
    expect(scan).toMatchObject({ scan_type: "pr_analysis", status: "completed" });
    expect((await job(first.id)).result).toMatchObject({ pr_number: a.number, scan_id: scan.id });
    expect(scan.api_requests.counted).toBeLessThanOrEqual(3);
  }, 90_000);

  it("names a number the repository does not have, as a dead job; an enqueue without a number is refused", async () => {
    const { companyId, repositoryId } = await tenant(LIZARD);
    const queue = new JobQueue(t.current.db);
    const missing = await queue.enqueue({ companyId, repositoryId, scanType: "pr_analysis", payload: { pr_number: 999_999 } });
    await loop().drain({ budgetMs: 30_000 });
    const row = await job(missing.id);
    expect(row.status).toBe("dead");
    expect(row.error).toContain("terryyin/lizard has no pull request #999999");
    expect((await scanOf(missing.id)).status).toBe("failed");
    for (const payload of [{}, { pr_number: "12" }, { pr_number: 0 }, { pr_number: 1.5 }] as { [key: string]: string | number }[]) {
      const error = await queue.enqueue({ companyId, repositoryId, scanType: "pr_analysis", payload }).catch((e) => e);
      expect(String(error.message)).toContain("pr_analysis needs payload.pr_number (a positive integer)");
    }
  }, 60_000);
});

describe("the daily auto-scan", () => {
  it("enqueues one incremental scan at priority 7 per active repository of companies that want it, once however often it runs", async () => {
    const sql = t.current.sql;
    await sql`delete from scan_queue`;
    const wanted = await tenant(LIZARD, { auto_scan_enabled: true });
    const [extra] = await sql`insert into repositories (company_id, full_name) values (${wanted.companyId}, 'pipeline/second') returning id`;
    await sql`insert into repositories (company_id, full_name, is_active) values (${wanted.companyId}, 'pipeline/archived', false)`;
    await tenant(MCP, { auto_scan_enabled: false });
    const before = (await sql`select count(*)::int as n from scan_queue`)[0].n;
    const [{ first }] = await sql`select public.enqueue_daily_auto_scans() as first`;
    const [{ again }] = await sql`select public.enqueue_daily_auto_scans() as again`;
    const jobs = await sql`select repository_id, scan_type, priority, payload from scan_queue order by repository_id`;
    expect(before).toBe(0);
    expect([first, again]).toEqual([2, 0]);
    expect(jobs.map((j) => j.repository_id).sort()).toEqual([wanted.repositoryId, extra.id].sort());
    for (const j of jobs) expect(j).toMatchObject({ scan_type: "incremental_scan", priority: 7, payload: { trigger: "daily_auto_scan" } });
    // Even once they ran: the same day's auto-scan does not come again.
    await sql`update scan_queue set status = 'completed', completed_at = now()`;
    expect((await sql`select public.enqueue_daily_auto_scans() as n`)[0].n).toBe(0);
  });
});
