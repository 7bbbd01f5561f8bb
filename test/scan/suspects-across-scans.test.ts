// The suspected tier across scans: a scan's completion decides over the repository's rows in the
// scan window (earlier scans' and its own), so an incremental scan — a push, the daily auto-scan —
// that brings a handful of commits judges them with the repository's evidence, and re-decides the
// earlier rows with them. On the real parts: the queue, the worker loop, the local GitHub, Postgres.
import { beforeEach, describe, expect, it } from "vitest";
import { buildRepository, loadCommits } from "../../src/local/github/dataset.ts";
import { classifyCommit } from "../../supabase/functions/_shared/detection/classify.ts";
import { decideRepositorySuspects, fromSuspectInputs, MIN_MARKED, type SuspectInputs } from "../../supabase/functions/_shared/detection/repository-evidence.ts";
import { stripMarks } from "../../supabase/functions/_shared/detection/strip.ts";
import { JobQueue, WorkerLoop } from "../../supabase/functions/_shared/queue/mod.ts";
import { githubSource } from "../../supabase/functions/_shared/github/source.ts";
import { repositoryScanProcessors } from "../../supabase/functions/_shared/scan/repository-scan.ts";
import { useTestDatabase } from "../harness/db.ts";
import { useLocalGitHub } from "../github/local-github.ts";

// github-mcp-server with the marks of one commit stripped: fcdd6640, by an author whose commits
// around it are attested (the 4th newest; the newer 3 are a push after the first scan).
const history = loadCommits("github__github-mcp-server.jsonl");
const UNMARKED = history.findIndex((c) => c.sha.startsWith("fcdd6640"));
const commits = history.map((c, i) => (i === UNMARKED ? stripMarks(c) : c));
const PUSHED = UNMARKED + 1; // the push: the newest commits, the unmarked one among them
const before = () => buildRepository({ owner: "github", name: "github-mcp-server", commits: commits.slice(PUSHED), defaultBranch: "main" });
const after = () => buildRepository({ owner: "github", name: "github-mcp-server", commits, defaultBranch: "main" });

const gh = useLocalGitHub({ repositories: [before()] });
const t = useTestDatabase();
beforeEach(() => {
  gh.current.clearFaults();
  gh.current.resetStats();
  gh.current.setRemaining(5000);
});

const TYPES = ["full_scan", "incremental_scan", "pr_analysis"];
const SCAN_BUDGET_MS = 240_000;
let n = 0;
async function tenant() {
  const sql = t.current.sql;
  const [company] = await sql`insert into companies (name, settings) values (${`Suspects ${++n}`}, ${sql.json({ scan_window_days: 7300 })}) returning id`;
  const [r] = await sql`insert into repositories (company_id, full_name, default_branch) values (${company.id}, 'github/github-mcp-server', 'main') returning id`;
  await sql`select public.set_github_token(${company.id}, ${`ghp_suspectstest${String(n).padStart(24, "0")}`})`;
  return { companyId: company.id as string, repositoryId: r.id as string };
}

async function scan(companyId: string, repositoryId: string, scanType: "full_scan" | "incremental_scan") {
  const queue = new JobQueue(t.current.db);
  const enqueued = await queue.enqueue({ companyId, repositoryId, scanType });
  const loop = new WorkerLoop({ queue, workerId: `suspects-${scanType}`, processors: repositoryScanProcessors({ db: t.current.db, sources: { github: githubSource({ db: t.current.db, baseUrl: gh.current.url }) } }, TYPES) });
  // A scan of github-mcp-server (1,100 commits) takes seconds on an idle machine and minutes on a
  // busy one: the budget is what a busy one needs (a scan past it checkpoints and completes
  // nothing); drain() returns as soon as the job is done. The tests' timeouts allow each scan its budget.
  // A job handed back on the way (a source outage's wait, a lock timeout's release, a snooze) is
  // not this test's subject: drain again until the job has ended, within the budget, and count.
  const until = Date.now() + SCAN_BUDGET_MS;
  const drained: unknown[] = [];
  let completed = 0;
  for (;;) {
    const r = await loop.drain({ budgetMs: Math.max(1_000, until - Date.now()) });
    drained.push(r);
    completed += r.completed;
    const [job] = await t.current.sql`select status from scan_queue where id = ${enqueued.id}`;
    if (job.status !== "pending" && job.status !== "running") break;
    if (Date.now() > until) break;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  expect(completed, JSON.stringify(drained)).toBe(1);
  const [s] = await t.current.sql`select id, summary from scans where job_id = ${enqueued.id}`;
  return s;
}

async function rows(repositoryId: string) {
  const list = await t.current.sql`
    select commit_sha, verdict, confidence, suspect_score, is_merge, scan_id, suspect_inputs from scan_results
    where repository_id = ${repositoryId} and path = '' order by commit_sha`;
  return new Map(list.map((r) => [r.commit_sha as string, r]));
}

async function teamMetrics(companyId: string) {
  return t.current.sql`
    select author_email, period_start, commits, ai_commits, suspected_commits, lines_added, ai_lines from team_metrics
    where company_id = ${companyId} order by author_email, period_start`;
}

describe("an incremental scan after a full scan", () => {
  it("flags an unmarked commit of an author whose neighbours are attested, as a full scan of the same history does", async () => {
    const sha = commits[UNMARKED].sha;
    expect(classifyCommit(commits[UNMARKED], { suspected: false }).verdict).toBe("human"); // no mark left

    const first = await tenant();
    gh.current.repositories[0] = before();
    const full = await scan(first.companyId, first.repositoryId, "full_scan");
    const earlier = await rows(first.repositoryId);
    expect(earlier.has(sha)).toBe(false);

    // The push: the newest commits arrive, and the incremental scan reads only them.
    gh.current.repositories[0] = after();
    const incremental = await scan(first.companyId, first.repositoryId, "incremental_scan");
    const stored = await rows(first.repositoryId);
    const own = [...stored.values()].filter((r) => r.scan_id === incremental.id);
    expect(own.map((r) => r.commit_sha).sort()).toEqual(commits.slice(0, PUSHED).map((c) => c.sha).sort());
    // On its own commits alone the rule would abstain: too few attested commits to learn from.
    const alone = decideRepositorySuspects(own.map((r) => fromSuspectInputs(r.commit_sha, r.suspect_inputs as SuspectInputs)));
    expect(alone.report.abstained).toContain(`fewer than ${MIN_MARKED}`);
    // With the repository's rows it does not: the unmarked commit is suspected, with its probability.
    expect(stored.get(sha)).toMatchObject({ verdict: "suspected" });
    expect(Number(stored.get(sha)!.confidence)).toBeGreaterThanOrEqual(0.6);
    expect(Number(stored.get(sha)!.suspect_score)).toBe(Number(stored.get(sha)!.confidence));
    expect(incremental.summary.suspected).toMatchObject({ abstained: null });
    expect(incremental.summary.suspected.commits).toBe(own.filter((r) => r.verdict === "suspected").length);
    expect(incremental.summary.suspected.top.map((s: { sha: string }) => s.sha)).toContain(sha);
    expect(incremental.summary.ai_loc_with_suspected_percentage).toBeGreaterThan(incremental.summary.ai_loc_percentage);
    expect(full.summary.commits_scanned + incremental.summary.commits_scanned).toBe(stored.size);
    // Earlier rows re-decided with the new evidence: some verdicts of the full scan's rows changed.
    const changed = [...earlier].filter(([k, r]) => stored.get(k)!.verdict !== r.verdict);
    expect(changed.length).toBeGreaterThan(0);
    for (const [k] of changed) expect(stored.get(k)!.scan_id).toBe(full.id);

    // The same history by one full scan (another company tracking the repository): the same
    // verdict for the commit, and for every earlier row, which the incremental scan re-decided.
    const second = await tenant();
    await scan(second.companyId, second.repositoryId, "full_scan");
    const once = await rows(second.repositoryId);
    expect(once.get(sha)).toMatchObject({ verdict: "suspected" });
    expect([...once.keys()]).toEqual([...stored.keys()]);
    const verdicts = (m: Map<string, { [column: string]: unknown }>) => [...m].map(([k, r]) => [k, r.verdict]);
    expect(verdicts(stored)).toEqual(verdicts(once));
    // and the team metrics of the weeks whose verdicts changed follow them
    expect(await teamMetrics(first.companyId)).toEqual(await teamMetrics(second.companyId));
  }, 3 * SCAN_BUDGET_MS);
});

describe("suspect_score", () => {
  it("is the rule's probability for the unmarked non-merge commits it scored, and null where marks decided", async () => {
    gh.current.repositories[0] = after();
    const { companyId, repositoryId } = await tenant();
    await scan(companyId, repositoryId, "full_scan");
    const stored = [...(await rows(repositoryId)).values()];
    const scored = stored.filter((r) => r.suspect_score !== null);
    expect(scored.length).toBeGreaterThan(100);
    for (const r of stored) {
      const inputs = r.suspect_inputs as SuspectInputs;
      if (r.verdict === "attested" || r.verdict === "assisted" || r.is_merge || inputs.flag !== 2) expect(r.suspect_score).toBeNull();
      else expect(r.suspect_score).not.toBeNull();
      if (r.verdict === "suspected") expect(Number(r.suspect_score)).toBe(Number(r.confidence));
      if (r.verdict === "human" && r.suspect_score !== null) expect(Number(r.confidence)).toBeCloseTo(1 - Number(r.suspect_score), 3);
    }
    expect(scored.some((r) => r.verdict === "suspected")).toBe(true);
  }, SCAN_BUDGET_MS + 60_000);
});
