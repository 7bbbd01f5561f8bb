// A repository's first full scan (all history) through the local GitHub over HTTP, commits listed
// through GraphQL with per-file numstat only where detection needs it, against what the full commit
// records of the data set — what REST gave for every commit before — make of the same repository.
import { beforeEach, describe, expect, test } from "vitest";
import { loadCommits } from "../../src/local/github/dataset.ts";
import { classifyCommits, createCommitScorer } from "../../supabase/functions/_shared/detection/classify.ts";
import type { Commit } from "../../supabase/functions/_shared/detection/records.ts";
import { MemoryEtagCache } from "../../supabase/functions/_shared/github/etag-cache.ts";
import { scanRepository } from "../../supabase/functions/_shared/github/history.ts";
import { commitRow } from "../../supabase/functions/_shared/scan/results.ts";
import { summarizeScan } from "../../supabase/functions/_shared/scan/summary.ts";
import { clientFor, LIZARD, MCP, useLocalGitHub } from "./local-github.ts";

const gh = useLocalGitHub();
beforeEach(() => {
  gh.current.clearFaults();
  gh.current.resetStats();
});

describe("a repository's first full scan", () => {
  test.each([
    ["github-mcp-server", MCP, "github__github-mcp-server.jsonl"],
    ["lizard", LIZARD, "terryyin__lizard.jsonl"],
  ] as const)("%s: every commit's verdict and lines, and the summary, are those of the data set's full records", async (_name, repo, file) => {
    const scan = await scanRepository(clientFor(gh.current, { etagCache: new MemoryEtagCache() }), { ...repo, commitsSince: null });
    const full = loadCommits(file);
    expect(scan.commits.map((c) => c.sha)).toEqual(full.map((c) => c.sha));

    const row = (r: ReturnType<typeof classifyCommits>["classifications"][number]) =>
      ({ verdict: r.verdict, agents: r.agents, confidence: r.confidence, ai: r.ai_added_lines, counted: r.counted_added_lines });
    expect(classifyCommits(scan.commits).classifications.map(row)).toEqual(classifyCommits(full).classifications.map(row));
    // The suspected tier's decisions from the evidence a scan's scorer keeps of every commit.
    const decisions = (commits: Commit[]) => {
      const score = createCommitScorer();
      for (const c of commits) score(c);
      return score.decide();
    };
    expect(decisions(scan.commits)).toEqual(decisions(full));
    // Some commits carry paths without their lines: their rows say so, with the commit's totals.
    const partial = scan.commits.filter((c) => c.files.some((f) => f.lines_unknown));
    expect(partial.length).toBeGreaterThan(0);
    for (const c of partial) {
      const e = full.find((x) => x.sha === c.sha)!;
      expect(c.files.map((f) => f.path)).toEqual(e.files.map((f) => f.path).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      const r = commitRow(c, createCommitScorer()(c));
      expect([r.lines_added, r.lines_deleted]).toEqual([e.files.reduce((n, f) => n + (f.added ?? 0), 0), e.files.reduce((n, f) => n + (f.deleted ?? 0), 0)]);
      expect(r.files.every((f) => f.added === null && f.deleted === null)).toBe(true);
    }

    const got = summarizeScan({ pullRequests: scan.pullRequests, commits: scan.commits });
    const want = summarizeScan({ pullRequests: scan.pullRequests, commits: full });
    expect(got).toEqual(want);
    // The figures the product shows, spelled out (all inside the equality above).
    expect(got.commits_scanned).toBe(full.length);
    expect(got.total_loc).toBeGreaterThan(0);
    expect(Object.keys(got.per_agent).length).toBeGreaterThan(0);
    expect([got.ai_loc_percentage, got.assisted_loc_percentage, got.suspected_loc_percentage]).toEqual([want.ai_loc_percentage, want.assisted_loc_percentage, want.suspected_loc_percentage]);
  }, 60_000);

  test("github-mcp-server costs 219 counted requests (1,127 with a REST request per commit): where each goes", async () => {
    const http = clientFor(gh.current, { etagCache: new MemoryEtagCache() });
    await scanRepository(http, { ...MCP, commitsSince: null });
    // 218 before git-ai notes were read, + 1: the notes ref (none here).
    expect(http.counter.counted).toBe(219);
    expect(gh.current.stats.byRoute).toEqual({
      "GET /repos/:owner/:repo/pulls": 1, // the probe's newest PR
      "GET /repos/:owner/:repo/commits": 1, // the probe's head
      "GET /repos/:owner/:repo/git/matching-refs/notes/ai": 1, // refs/notes/ai: none (an empty list)
      "POST /graphql": 39, // 11 PR pages, 4 PR follow-ups, 11 history pages, 13 path-history batches
      // Of 1,099 commits: 8 merges and 8 without added lines a mark decides need no files, 507
      // squash merges bring their PR's files, and the histories of the paths the scan knows prove
      // the files of 399 more: 249 of one file (their numstat is the totals) and 150 of several
      // (their paths, with the totals: the AI-LOC filter leaves out none or all of their files).
      // REST reads 177: 79 of several files that the filter splits (go.mod beside go.sum, licenses
      // beside third-party/), 66 of several files not all proven (a path unknown or not read yet, a
      // file deleted) and 32 one-file commits whose path no history read proves.
      "GET /repos/:owner/:repo/commits/:sha": 177,
    });
    expect(gh.current.stats.graphqlByOperation).toEqual({ PullRequestPage: 11, PullRequestConnections: 4, CommitHistoryPage: 11, PathHistories: 13 });
  }, 60_000);
});
