// git-ai's notes through the scan pipeline on real parts — the queue's SQL API, the worker loop, the
// GitHub client against the local GitHub serving refs/notes/ai, detection, Postgres: every noted
// commit of git-ai-project/self-hosted counts its note's AI lines; a note pushed late updates the
// earlier row (and its week's team metrics) at the next incremental scan; pathmc's squash merges are
// recorded from their PRs' commits' notes.
import postgres from "postgres";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildNotes, loadCommits, repositoryFromDataSet, SHARED_DATA_DIR, type LocalRepository, type NoteLine, type PullLine } from "../../src/local/github/dataset.ts";
import { startLocalGitHub, type LocalGitHub } from "../../src/local/github/server.ts";
import { classifyCommit } from "../../supabase/functions/_shared/detection/classify.ts";
import { type NoteParse, parseNote } from "../../supabase/functions/_shared/detection/notes.ts";
import { attributeCommit, squashMergedPullRequest, withRecorded } from "../../supabase/functions/_shared/detection/recorded.ts";
import type { Commit } from "../../supabase/functions/_shared/detection/records.ts";
import { JobQueue, WorkerLoop } from "../../supabase/functions/_shared/queue/mod.ts";
import { githubSource } from "../../supabase/functions/_shared/github/source.ts";
import { repositoryScanProcessors } from "../../supabase/functions/_shared/scan/repository-scan.ts";
import { generateWeeklyReport } from "../../supabase/functions/_shared/reports/weekly-report.ts";
import { slackDigest } from "../../supabase/functions/_shared/slack/digest.ts";
import { useTestDatabase } from "../harness/db.ts";

const t = useTestDatabase();
const TYPES = ["full_scan", "incremental_scan", "pr_analysis"];
const lines = <T>(file: string): T[] => readFileSync(resolve(SHARED_DATA_DIR, file), "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
const SELF_HOSTED_NOTES = lines<NoteLine>("git-ai-project__self-hosted.notes.jsonl");

let gh: LocalGitHub;
let selfHosted: LocalRepository;
let pathmc: LocalRepository;
beforeAll(async () => {
  selfHosted = repositoryFromDataSet("git-ai-project__self-hosted.jsonl");
  pathmc = repositoryFromDataSet("pymc-labs__pathmc.jsonl");
  gh = await startLocalGitHub({ repositories: [selfHosted, pathmc] });
});
afterAll(async () => {
  await gh?.stop();
});
beforeEach(() => {
  gh.resetStats();
});

let n = 0;
async function tenant(fullName: string) {
  const sql = t.current.sql;
  const [company] = await sql`insert into companies (name, settings) values (${`Notes ${++n}`}, ${sql.json({ scan_window_days: 7300, max_concurrent_scans: 4 } as postgres.JSONValue)}) returning id`;
  const [r] = await sql`insert into repositories (company_id, full_name, default_branch) values (${company.id}, ${fullName}, 'main') returning id`;
  await sql`select public.set_github_token(${company.id}, ${`ghp_notestest${String(n).padStart(27, "0")}`})`;
  return { companyId: company.id as string, repositoryId: r.id as string };
}

async function scan(companyId: string, repositoryId: string, scanType: "full_scan" | "incremental_scan") {
  const queue = new JobQueue(t.current.db);
  const job = await queue.enqueue({ companyId, repositoryId, scanType });
  const loop = new WorkerLoop({ queue, workerId: "notes", concurrency: 1, processors: repositoryScanProcessors({ db: t.current.db, sources: { github: githubSource({ db: t.current.db, baseUrl: gh.url }) } }, TYPES) });
  const drained = await loop.drain({ budgetMs: 120_000 });
  const [q] = await t.current.sql`select status, error from scan_queue where id = ${job.id}`;
  expect(drained, JSON.stringify(q)).toMatchObject({ completed: 1 });
  const [row] = await t.current.sql`select * from scans where job_id = ${job.id}`;
  expect(row.status).toBe("completed");
  return row;
}

/** What detection says of the data set's commits with their notes (what `codeguard detect --notes` gives). */
function recordedOf(commits: Commit[], notes: NoteLine[], pulls: PullLine[] = []) {
  const byCommit = new Map<string, NoteParse>(notes.map((x) => [x.sha, parseNote(x.note)]));
  const pullMap = new Map(pulls.map((p) => [p.number, p]));
  const out = new Map<string, ReturnType<typeof withRecorded> | null>();
  for (const c of commits) {
    const pr = pullMap.size > 0 ? squashMergedPullRequest(c, pullMap) : null;
    const squash = pr === null ? null : { number: pr, notes: pullMap.get(pr)!.commits.filter((x) => byCommit.has(x.sha)).map((x) => ({ sha: x.sha, note: byCommit.get(x.sha)! })) };
    const { recorded } = attributeCommit(c, byCommit.get(c.sha), squash);
    out.set(c.sha, recorded ? withRecorded(classifyCommit(c, { suspected: false }), recorded) : null);
  }
  return out;
}

describe("git-ai notes through the pipeline", () => {
  it("a full scan of git-ai-project/self-hosted: every noted commit counts its note's AI lines — 31.5 % of the noted commits' lines, split by agent, with the coverage", async () => {
    selfHosted.notes = buildNotes(SELF_HOSTED_NOTES);
    const { companyId, repositoryId } = await tenant("git-ai-project/self-hosted");
    const row = await scan(companyId, repositoryId, "full_scan");

    const want = recordedOf(loadCommits("git-ai-project__self-hosted.jsonl"), SELF_HOSTED_NOTES);
    const rows = await t.current.sql`
      select commit_sha, verdict, agents, ai_lines, counted_lines, recorded, recorded_ai_lines, recorded_human_lines, note_blobs
      from scan_results where repository_id = ${repositoryId} and path = ''`;
    expect(rows).toHaveLength(102);
    let withRecord = 0;
    for (const r of rows) {
      const w = want.get(r.commit_sha);
      if (!w) {
        expect(r.recorded, r.commit_sha).toBeNull();
        continue;
      }
      withRecord++;
      expect({ sha: r.commit_sha, verdict: r.verdict, ai: r.ai_lines, rec: r.recorded_ai_lines, human: r.recorded_human_lines, by_agent: r.recorded.by_agent })
        .toEqual({ sha: r.commit_sha, verdict: w.verdict, ai: w.ai_added_lines, rec: w.recorded!.ai_lines, human: w.recorded!.human_lines, by_agent: w.recorded!.by_agent });
      expect(r.note_blobs[0]).toBe(selfHosted.notes!.byCommit.get(r.commit_sha)?.blobSha ?? r.note_blobs[0]);
    }
    expect(withRecord).toBeGreaterThanOrEqual(19);
    expect(rows.filter((r) => r.verdict === "recorded")).toHaveLength(19);

    const summary = row.summary;
    // Over the noted commits the notes say 31.5 % (marks alone: 10.5 %).
    expect(Math.abs(summary.noted.recorded_ai_pct - 31.5)).toBeLessThanOrEqual(1);
    expect(Math.abs(summary.noted.marks_pct - 10.5)).toBeLessThanOrEqual(1);
    expect(summary.per_agent["claude-code"].recorded_lines).toBeGreaterThan(0);
    expect(summary.per_agent.codex.recorded_lines).toBeGreaterThan(0);
    expect(Object.keys(summary.per_agent["claude-code"].models).length).toBeGreaterThan(0);
    const c = summary.coverage;
    expect(c.recorded_pct + c.attested_pct + c.suspected_pct + c.unknown_pct).toBeCloseTo(100, 0);
    expect(c.recorded_pct).toBeGreaterThan(0);
    expect(summary.ai_loc_percentage).toBeCloseTo(summary.recorded_loc_percentage + summary.attested_loc_percentage, 1);
    expect(summary.ai_loc_with_suspected_percentage).toBeGreaterThanOrEqual(summary.ai_loc_percentage);
    // Team metrics count the recorded commits' AI lines.
    const [{ ai }] = await t.current.sql`select coalesce(sum(ai_lines), 0)::int as ai from team_metrics where company_id = ${companyId}`;
    const [{ rowsAi }] = await t.current.sql`select coalesce(sum(ai_lines), 0)::int as "rowsAi" from scan_results where repository_id = ${repositoryId} and path = '' and not is_merge`;
    expect(ai).toBe(rowsAi);
    // What the notes cost: ref, notes commit, tree, and the notes in batches of 50 — under 10.
    const notesRequests = ["GET /repos/:owner/:repo/git/matching-refs/notes/ai", "GET /repos/:owner/:repo/git/commits/:sha", "GET /repos/:owner/:repo/git/trees/:sha"]
      .reduce((k, route) => k + (gh.stats.byRoute[route] ?? 0), 0) + (gh.stats.graphqlByOperation.NotesBatch ?? 0);
    expect(notesRequests).toBeLessThan(10);
    expect(notesRequests).toBeLessThanOrEqual(3 + Math.ceil(79 / 50)); // the 79 notes the scan needs (73 of its own, 6 of a squash merge's PR)

    // The weekly report of the week with the most recorded AI lines: its band, coverage and models,
    // in the three formats and the Slack digest, from the same rows.
    const [wk] = await t.current.sql`
      select (date_trunc('week', authored_at at time zone 'UTC'))::date + 6 as period_end, sum(ai_lines)::int as ai
      from scan_results where repository_id = ${repositoryId} and path = '' and verdict = 'recorded'
      group by 1 order by 2 desc limit 1`;
    const periodEnd = new Date(wk.period_end).toISOString().slice(0, 10);
    const report = await generateWeeklyReport(t.current.db, { companyId, periodEnd });
    const o = report.content.ai_origins!;
    const [week] = await t.current.sql`
      select sum(counted_lines)::int as counted, (sum(ai_lines) filter (where verdict in ('recorded', 'attested')))::int as floor,
             (sum(recorded_ai_lines) filter (where recorded is not null))::int as recorded
      from scan_results where repository_id = ${repositoryId} and path = '' and not is_merge
        and authored_at >= ${periodEnd}::date - 6 and authored_at < ${periodEnd}::date + 1`;
    expect(o.total_loc).toBe(week.counted);
    expect(o.floor_loc).toBe(week.floor);
    expect(o.floor_percentage).toBeCloseTo((100 * week.floor) / week.counted, 1);
    expect(o.recorded_percentage).toBeCloseTo((100 * week.recorded) / week.counted, 1);
    expect(report.content.ai_usage_summary.ai_loc_percentage).toBe(o.floor_percentage);
    expect(o.coverage.recorded_pct + o.coverage.attested_pct + o.coverage.suspected_pct + o.coverage.unknown_pct).toBeCloseTo(100, 0);
    expect(o.by_agent.some((a) => a.model !== null)).toBe(true);
    expect(o.by_agent.reduce((k, a) => k + a.lines, 0)).toBeCloseTo(o.floor_loc, -1);
    expect(report.markdown).toContain(`AI-written lines: **${o.floor_percentage}%** to ${o.ceiling_percentage}% with suspected — recorded by git-ai notes ${o.recorded_percentage}%`);
    expect(report.markdown).toMatch(/\| Agent \| Model \| AI lines \| Share \|/);
    expect(report.html).toContain('id="coverage"');
    expect(o.repositories).toEqual([expect.objectContaining({ full_name: "git-ai-project/self-hosted", total_loc: week.counted, floor_percentage: o.floor_percentage, recorded_percentage: o.recorded_percentage })]);
    expect(o.repositories[0].known_percentage).toBeCloseTo(o.coverage.recorded_pct + o.coverage.attested_pct, 0);
    expect(report.markdown).toContain(`| git-ai-project/self-hosted | ${o.floor_percentage}% to ${o.ceiling_percentage}% | ${o.recorded_percentage}% |`);
    const digest = JSON.stringify(slackDigest(report.content));
    expect(digest).toContain(`Origin known`);
    expect(digest).toContain(`recorded ${o.coverage.recorded_pct}%`);

    // An unchanged rescan: nothing counted, notes included.
    const again = await scan(companyId, repositoryId, "incremental_scan");
    expect(again.api_requests.counted).toBe(0);
  }, 180_000);

  it("a note pushed late updates the earlier row, its week's team metrics, at the next incremental scan", async () => {
    // The commit with the most recorded AI lines gets its note only after the first scan.
    const want = recordedOf(loadCommits("git-ai-project__self-hosted.jsonl"), SELF_HOSTED_NOTES);
    const [lateSha] = [...want].filter(([, w]) => w && w.ai_added_lines > 0).sort((a, b) => b[1]!.ai_added_lines - a[1]!.ai_added_lines)[0];
    selfHosted.notes = buildNotes(SELF_HOSTED_NOTES.filter((x) => x.sha !== lateSha));
    const { companyId, repositoryId } = await tenant("git-ai-project/self-hosted");
    await scan(companyId, repositoryId, "full_scan");
    const [before] = await t.current.sql`select verdict, ai_lines, recorded, author_email, authored_at from scan_results where repository_id = ${repositoryId} and commit_sha = ${lateSha} and path = ''`;
    expect(before.recorded).toBeNull();
    const week = async () => (await t.current.sql`
      select ai_lines, ai_commits from team_metrics where company_id = ${companyId} and author_email = lower(${before.author_email})
        and period_start = (date_trunc('week', ${before.authored_at}::timestamptz at time zone 'UTC'))::date`)[0];
    const weekBefore = await week();

    selfHosted.notes = buildNotes(SELF_HOSTED_NOTES, { previous: selfHosted.notes });
    gh.resetStats();
    const late = await scan(companyId, repositoryId, "incremental_scan");
    const [after] = await t.current.sql`select verdict, ai_lines, recorded, note_blobs from scan_results where repository_id = ${repositoryId} and commit_sha = ${lateSha} and path = ''`;
    expect(after.verdict).toBe("recorded");
    expect(after.ai_lines).toBe(want.get(lateSha)!.ai_added_lines);
    expect(after.note_blobs).toEqual([selfHosted.notes.byCommit.get(lateSha)!.blobSha]);
    const weekAfter = await week();
    expect(weekAfter.ai_lines - weekBefore.ai_lines).toBe(after.ai_lines - before.ai_lines);
    // Only the late note was read: one batch, and the rows that already had their notes stayed.
    expect(gh.stats.graphqlByOperation).toEqual({ NotesBatch: 1 });
    // The moved ref, the new notes commit and its tree, one batch: 4 requests.
    expect(late.api_requests.counted).toBe(4);
    expect(late.summary.commits_scanned).toBe(1);
  }, 180_000);

  it("pathmc: the squash merges whose PRs' notes record AI lines are recorded from their PR, never beyond what they added", async () => {
    const notes = lines<NoteLine>("pymc-labs__pathmc.notes.jsonl");
    const pulls = lines<PullLine>("pymc-labs__pathmc.pulls.jsonl");
    pathmc.notes = buildNotes(notes);
    const { companyId, repositoryId } = await tenant("pymc-labs/pathmc");
    await scan(companyId, repositoryId, "full_scan");
    const want = recordedOf(loadCommits("pymc-labs__pathmc.jsonl"), notes, pulls);
    const rows = await t.current.sql`
      select commit_sha, verdict, ai_lines, counted_lines, recorded from scan_results
      where repository_id = ${repositoryId} and path = '' and recorded is not null`;
    const fromPrs = rows.filter((r) => typeof r.recorded.source === "object" && r.recorded.ai_lines > 0);
    expect(fromPrs).toHaveLength(14);
    for (const r of fromPrs) {
      expect(r.verdict).toBe("recorded");
      expect(r.ai_lines).toBe(want.get(r.commit_sha)!.ai_added_lines);
      expect(r.ai_lines).toBeLessThanOrEqual(r.counted_lines);
    }
    // No other squash merge gains AI lines: every recorded row is one detection records too.
    for (const r of rows) expect(want.get(r.commit_sha), r.commit_sha).toBeTruthy();
    // Their pull requests are AI pull requests by their commits' records.
    const numbers = fromPrs.map((r) => r.recorded.source.pull_request as number);
    const prs = await t.current.sql`select github_pr_id, verdict, ai_generated from pull_requests where repository_id = ${repositoryId} and github_pr_id = any(${numbers})`;
    expect(prs).toHaveLength(14);
    for (const pr of prs) expect({ n: pr.github_pr_id, verdict: pr.verdict, ai: pr.ai_generated }).toEqual({ n: pr.github_pr_id, verdict: "recorded", ai: true });
  }, 180_000);

  it("bad notes never fail the scan: an unparseable note and a notes ref that is not a commit leave the commits to their marks, and the warnings say so", async () => {
    const want = recordedOf(loadCommits("git-ai-project__self-hosted.jsonl"), SELF_HOSTED_NOTES);
    const [badSha] = [...want].find(([, w]) => w && w.ai_added_lines > 0)!;
    selfHosted.notes = buildNotes(SELF_HOSTED_NOTES.map((x) => (x.sha === badSha ? { sha: x.sha, note: "src/a.ts\n  not-a-key 1-x\n---\n{ broken json" } : x)));
    const { companyId, repositoryId } = await tenant("git-ai-project/self-hosted");
    const row = await scan(companyId, repositoryId, "full_scan");
    const [bad] = await t.current.sql`select verdict, recorded, note_blobs from scan_results where repository_id = ${repositoryId} and commit_sha = ${badSha} and path = ''`;
    expect(bad.recorded).toBeNull();
    expect(bad.verdict).not.toBe("recorded");
    expect(bad.note_blobs).toEqual([selfHosted.notes.byCommit.get(badSha)!.blobSha]);
    const warnings = row.warnings.map((w: { message: string }) => w.message);
    expect(warnings.filter((w: string) => w.includes(badSha.slice(0, 12)))).toHaveLength(1);
    expect(row.summary.recorded.commits).toBe(18);

    selfHosted.notes = { ...buildNotes(SELF_HOSTED_NOTES), refTarget: { type: "tree", sha: "b".repeat(40) } };
    const other = await tenant("git-ai-project/self-hosted");
    const refScan = await scan(other.companyId, other.repositoryId, "full_scan");
    expect(refScan.warnings.map((w: { message: string }) => w.message)).toEqual([expect.stringMatching(/^refs\/notes\/ai points at a tree .*not a commit/)]);
    expect(refScan.summary.recorded.commits_with_record).toBe(0);
    expect(refScan.summary.ai_loc_percentage).toBe(refScan.summary.attested_loc_percentage);
  }, 180_000);
});
