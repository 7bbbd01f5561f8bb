import { describe, expect, test } from "vitest";
import { classifyCommit } from "../../supabase/functions/_shared/detection/classify.ts";
import type { Commit } from "../../supabase/functions/_shared/detection/records.ts";
import { suspectFeatures } from "../../supabase/functions/_shared/detection/suspected.ts";
import { type CommitCursor, CommitReader } from "../../supabase/functions/_shared/github/commits.ts";
import { MemoryEtagCache } from "../../supabase/functions/_shared/github/etag-cache.ts";
import { clientFor, dataSetRepositories, LIZARD, MCP, useLocalGitHub } from "./local-github.ts";

const gh = useLocalGitHub();

/** Every page from `cursor` on; `resume` reads each page with a new reader from the cursor's JSON, as a resumed run does. */
async function readCommits(repo: typeof MCP | typeof LIZARD, cursor: CommitCursor, options: { pageSize?: number; resume?: boolean; cache?: MemoryEtagCache } = {}) {
  const http = clientFor(gh.current, { etagCache: options.cache ?? null });
  let reader = new CommitReader(http, repo, options.pageSize);
  const all: Commit[] = [];
  for (let c: CommitCursor | null = cursor; c; ) {
    if (options.resume) reader = new CommitReader(http, repo, options.pageSize);
    const page = await reader.page(options.resume ? JSON.parse(JSON.stringify(c)) : c);
    all.push(...page.commits);
    c = page.next;
  }
  return { all, http };
}

const fullListing = (i: 0 | 1, since: string | null = null): CommitCursor => ({ head: dataSetRepositories()[i].commits[0].sha, after: null, stopAt: null, since });
const totals = (c: Commit) => ({ additions: c.files.reduce((n, f) => n + (f.added ?? 0), 0), deletions: c.files.reduce((n, f) => n + (f.deleted ?? 0), 0) });

describe("CommitReader", () => {
  test.each([["github-mcp-server", 0, MCP], ["lizard", 1, LIZARD]] as const)(
    "%s: every commit with the data set's parents, identities, dates and message, and the numstat or the totals detection needs",
    async (_name, i, repo) => {
      const expected = dataSetRepositories()[i].commits;
      const { all } = await readCommits(repo, fullListing(i));
      expect(all.map((c) => c.sha)).toEqual(expected.map((c) => c.sha));
      for (const [k, c] of all.entries()) {
        const e = expected[k];
        const { files, additions, deletions, ...meta } = c;
        const { files: eFiles, ...eMeta } = e;
        expect(meta).toEqual(eMeta);
        if (files.some((f) => f.lines_unknown)) {
          // Paths proven by their histories, lines only in the commit's totals: every path and no line made up.
          expect(files.every((f) => f.lines_unknown && f.added === null && f.deleted === null)).toBe(true);
          expect(files.map((f) => f.path)).toEqual(eFiles.map((f) => f.path).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
          expect({ additions, deletions }).toEqual(totals(e));
          const [got, want] = [classifyCommit(c, { suspected: false }), classifyCommit(e, { suspected: false })];
          expect({ verdict: got.verdict, counted: got.counted_added_lines }).toEqual({ verdict: want.verdict, counted: want.counted_added_lines });
          expect(suspectFeatures(c, null)).toEqual(suspectFeatures(e, null));
        } else if (additions !== undefined) {
          // Totals only: no numstat was read, and detection cannot tell the difference.
          expect(files).toEqual([]);
          expect({ additions, deletions }).toEqual(totals(e));
          const [got, want] = [classifyCommit(c, { suspected: false }), classifyCommit(e, { suspected: false })];
          expect({ verdict: got.verdict, counted: got.counted_added_lines }).toEqual({ verdict: want.verdict, counted: want.counted_added_lines });
        } else {
          // GitHub counts a binary file's lines as 0; it has no null. A PR lists its files by path.
          const byPath = (fs: typeof files) => fs.map((f) => ({ path: f.path, added: f.added ?? 0, deleted: f.deleted ?? 0 })).sort((a, b) => a.path.localeCompare(b.path));
          expect(byPath(files)).toEqual(byPath(eFiles));
          for (const f of files) if (f.old_path) expect(f.old_path).toBe(eFiles.find((x) => x.path === f.path)?.old_path);
        }
      }
    },
    60_000,
  );

  test("REST is asked only for commits whose numstat detection needs, and neither their PR's files nor the path histories gave", async () => {
    const repo = dataSetRepositories()[0];
    const cache = new MemoryEtagCache();
    const { all } = await readCommits(MCP, fullListing(0), { cache });
    const fromRest = new Set([...cache.entries.keys()].map((k) => /\/commits\/([0-9a-f]{40})$/.exec(k)?.[1]).filter((s): s is string => !!s));
    // A squash merge's PR files come with its history page, when they fit its one page of 100.
    const squashes = new Map(repo.pullRequests.filter((p) => p.commits.length === 1 && p.files.length <= 100).map((p) => [p.merge_commit_sha, p]));
    expect(fromRest.size).toBeGreaterThan(0);
    for (const sha of fromRest) {
      const e = repo.commitsBySha.get(sha)!;
      expect(e.parents.length).toBeLessThanOrEqual(1); // the root commit has none
      expect(squashes.has(sha)).toBe(false);
      const marked = classifyCommit(e, { suspected: false }).verdict !== "human";
      expect(totals(e).additions > 0 || !marked).toBe(true);
    }
    // Merges and the commits without lines that a mark decides were never read file by file.
    const merges = all.filter((c) => c.parents.length > 1);
    expect(merges.length).toBe(8);
    for (const m of merges) expect(fromRest.has(m.sha)).toBe(false);
  });

  test("a run that resumes from the checkpoint's JSON lists the same commits, and detection reads the same of them, as one run", async () => {
    const since = "2023-06-01T00:00:00Z";
    const one = await readCommits(LIZARD, fullListing(1, since), { pageSize: 20 });
    const resumed = await readCommits(LIZARD, fullListing(1, since), { pageSize: 20, resume: true });
    // A resumed run knows fewer paths, so REST may give a numstat where one run had paths and totals.
    const read = (c: Commit) => {
      const { files, additions: _a, deletions: _d, ...meta } = c;
      const r = classifyCommit(c, { suspected: false });
      return { meta, paths: files.map((f) => f.path).sort(), verdict: r.verdict, counted: r.counted_added_lines, features: [...suspectFeatures(c, null)] };
    };
    expect(resumed.all.map(read)).toEqual(one.all.map(read));
    expect(one.all.length).toBe(dataSetRepositories()[1].commits.filter((c) => Date.parse(c.committed_at) >= Date.parse(since)).length);
  });

  test("paging stops at the sha the previous scan ended at, and an incremental listing reads no path history", async () => {
    const commits = dataSetRepositories()[1].commits;
    gh.current.resetStats();
    const { all } = await readCommits(LIZARD, { head: commits[0].sha, after: null, stopAt: commits[30].sha, since: null }, { pageSize: 20 });
    expect(all.map((c) => c.sha)).toEqual(commits.slice(0, 30).map((c) => c.sha));
    expect(gh.current.stats.graphqlByOperation).toEqual({ CommitHistoryPage: 2 });
  });
});
