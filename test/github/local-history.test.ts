// The local GitHub's commit history through GraphQL tells what its REST tells of the same commits,
// lists a path's history as `git log -- <path>` does on the data set's numstat, and charges
// GitHub's documented points for the client's documents.
import { describe, expect, test } from "vitest";
import { COMMIT_HISTORY_PAGE, PATH_HISTORY_BATCH, pathHistoriesQuery } from "../../supabase/functions/_shared/github/queries.ts";
import { dataSetRepositories, MCP, useLocalGitHub } from "./local-github.ts";

const gh = useLocalGitHub();
const auth = { authorization: "Bearer ghp_localtesttoken0000000000000000000000" };

async function graphql(query: string, variables: Record<string, unknown>) {
  const body = await (await fetch(gh.current.graphqlUrl, { method: "POST", headers: auth, body: JSON.stringify({ query, variables }) })).json();
  expect(body.errors).toBeUndefined();
  return body.data;
}

interface HistoryNode {
  oid: string;
  message: string;
  additions: number;
  deletions: number;
  changedFilesIfAvailable: number;
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
  parents: { totalCount: number; nodes: { oid: string }[] };
}

describe("the local GitHub's commit history", () => {
  test("every history node says what GET /commits/{sha} says of the commit", async () => {
    const repo = dataSetRepositories()[0];
    const nodes: HistoryNode[] = [];
    for (let after: string | null = null, more = true; more; ) {
      const data = await graphql(COMMIT_HISTORY_PAGE, { ...MCP, head: repo.commits[0].sha, first: 100, after, since: null, files: 100 });
      const history = data.repository.object.history;
      nodes.push(...history.nodes);
      ({ hasNextPage: more, endCursor: after } = history.pageInfo);
    }
    expect(nodes.map((n) => n.oid)).toEqual(repo.commits.map((c) => c.sha));
    for (const n of nodes) {
      const rest = await (await fetch(`${gh.current.url}/repos/${MCP.owner}/${MCP.name}/commits/${n.oid}`, { headers: auth })).json();
      expect({
        additions: n.additions,
        deletions: n.deletions,
        files: n.changedFilesIfAvailable,
        parents: n.parents.nodes.map((p) => p.oid),
        parentCount: n.parents.totalCount,
        author: [n.author.name, n.author.email, Date.parse(n.author.date)],
        committer: [n.committer.name, n.committer.email, Date.parse(n.committer.date)],
        message: n.message,
      }).toEqual({
        additions: rest.stats.additions,
        deletions: rest.stats.deletions,
        files: rest.files.length,
        parents: rest.parents.map((p: { sha: string }) => p.sha),
        parentCount: rest.parents.length,
        author: [rest.commit.author.name, rest.commit.author.email, Date.parse(rest.commit.author.date)],
        committer: [rest.commit.committer.name, rest.commit.committer.email, Date.parse(rest.commit.committer.date)],
        message: rest.commit.message,
      });
    }
  }, 60_000);

  test("a path's history lists the commits whose numstat names the path, or a file under it, before or after a rename", async () => {
    const repo = dataSetRepositories()[1];
    const renamed = repo.commits.find((c) => c.parents.length === 1 && c.files.some((f) => f.old_path))!;
    const oldPath = renamed.files.find((f) => f.old_path)!.old_path!;
    const paths = [oldPath, "lizard.py", "lizard_languages", "no/such/path"];
    const data = await graphql(pathHistoriesQuery(paths.length), {
      owner: "terryyin", name: "lizard", head: repo.commits[0].sha, since: null,
      ...Object.fromEntries(paths.flatMap((p, i) => [[`path${i}`, p], [`after${i}`, null]])),
    });
    for (const [i, path] of paths.entries()) {
      const expected = repo.commits
        .filter((c) => c.parents.length === 1 && c.files.some((f) => [f.path, f.old_path].some((p) => p === path || p?.startsWith(`${path}/`))))
        .map((c) => c.sha);
      const history = data.repository.object[`p${i}`];
      expect(history.nodes.map((n: { oid: string }) => n.oid)).toEqual(expected.slice(0, 100));
      expect(history.pageInfo.hasNextPage).toBe(expected.length > 100);
    }
    expect(data.repository.object.p0.nodes.map((n: { oid: string }) => n.oid)).toContain(renamed.sha);
  });

  test("a history page costs 3 points and a batch of path histories 1, as GitHub's formula says, and the answer says so", async () => {
    const repo = dataSetRepositories()[0];
    gh.current.resetStats();
    const page = await graphql(COMMIT_HISTORY_PAGE, { ...MCP, head: repo.commits[0].sha, first: 100, after: null, since: null, files: 100 });
    expect(page.rateLimit.cost).toBe(3); // 1 + 100 parents + 100 associated PRs + 100 × 1 PR files = 301 → 3
    const paths = [...new Set(repo.commits.flatMap((c) => c.files.map((f) => f.path)))].slice(0, PATH_HISTORY_BATCH);
    const batch = await graphql(pathHistoriesQuery(PATH_HISTORY_BATCH), {
      ...MCP, head: repo.commits[0].sha, since: null, ...Object.fromEntries(paths.flatMap((p, i) => [[`path${i}`, p], [`after${i}`, null]])),
    });
    expect(batch.rateLimit.cost).toBe(1); // 100 connections → 1
    expect(gh.current.stats.graphqlPoints).toBe(4);
    expect(gh.current.stats.graphqlByOperation).toEqual({ CommitHistoryPage: 1, PathHistories: 1 });
  });
});
