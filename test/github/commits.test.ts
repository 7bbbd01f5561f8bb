import { describe, expect, test } from "vitest";
import { fetchCommitPage, type CommitCursor } from "../../supabase/functions/_shared/github/commits.ts";
import type { Commit } from "../../supabase/functions/_shared/detection/records.ts";
import { clientFor, dataSetRepositories, LIZARD, useLocalGitHub } from "./local-github.ts";

const gh = useLocalGitHub();

async function readCommits(cursor: CommitCursor) {
  const http = clientFor(gh.current);
  const all: Commit[] = [];
  for (let c: CommitCursor | null = cursor; c; ) {
    const page = await fetchCommitPage(http, { ...LIZARD, cursor: c, pageSize: 20 });
    all.push(...page.commits);
    c = page.next;
  }
  return all;
}

describe("fetchCommitPage", () => {
  test("default-branch commits arrive with the data set's parents, identities, message and numstat", async () => {
    const since = "2023-06-01T00:00:00Z";
    const expected = dataSetRepositories()[1].commits.filter((c) => Date.parse(c.committed_at) >= Date.parse(since));
    const got = await readCommits({ next: null, stopAt: null, since });
    expect(got.map((c) => c.sha)).toEqual(expected.map((c) => c.sha));
    for (const [i, c] of got.entries()) {
      const e = expected[i];
      expect({ ...c, authored_at: Date.parse(c.authored_at), committed_at: Date.parse(c.committed_at) }).toEqual({
        ...e,
        authored_at: Date.parse(e.authored_at),
        committed_at: Date.parse(e.committed_at),
        // REST counts binary files as 0 lines; it has no null.
        files: e.files.map((f) => ({ path: f.path, added: f.added ?? 0, deleted: f.deleted ?? 0, ...(f.old_path ? { old_path: f.old_path } : {}) })),
      });
    }
  });

  test("paging stops at the sha the previous scan ended at", async () => {
    const commits = dataSetRepositories()[1].commits;
    const got = await readCommits({ next: null, stopAt: commits[30].sha, since: null });
    expect(got.map((c) => c.sha)).toEqual(commits.slice(0, 30).map((c) => c.sha));
  });
});
