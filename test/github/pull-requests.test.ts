import { beforeEach, describe, expect, test } from "vitest";
import { GraphQLErrors } from "../../supabase/functions/_shared/github/errors.ts";
import { fetchPullRequestPage, type PullRequestCursor } from "../../supabase/functions/_shared/github/pull-requests.ts";
import type { PullRequest } from "../../supabase/functions/_shared/detection/records.ts";
import { clientFor, dataSetRepositories, LIZARD, MCP, useLocalGitHub } from "./local-github.ts";

const gh = useLocalGitHub();
beforeEach(() => {
  gh.current.clearFaults();
  gh.current.resetStats();
});

async function readAll(cursor: PullRequestCursor | null, options: { pageSize: number; nestedPageSize?: number; repo?: typeof MCP | typeof LIZARD }) {
  const http = clientFor(gh.current);
  const repo = options.repo ?? MCP;
  const all: PullRequest[] = [];
  let pages = 0;
  for (let c: PullRequestCursor | null = cursor ?? { after: null, until: null }; c; ) {
    // The cursor survives a JSON round trip: it is what the pipeline checkpoints.
    const page = await fetchPullRequestPage(http, { owner: repo.owner, name: repo.name, cursor: JSON.parse(JSON.stringify(c)), pageSize: options.pageSize, nestedPageSize: options.nestedPageSize });
    all.push(...page.pullRequests);
    c = page.next;
    pages++;
  }
  return { all, pages, http };
}

describe("fetchPullRequestPage", () => {
  test("paging with the returned cursor reads every pull request exactly once", async () => {
    const expected = dataSetRepositories()[0].pullRequests.map((p) => p.number).sort((a, b) => a - b);
    const { all, pages } = await readAll(null, { pageSize: 100 });
    expect(all.map((p) => p.number).sort((a, b) => a - b)).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 100));
  });

  test("one GraphQL request per page carries each PR's reviews, commits and files", async () => {
    const { all, http } = await readAll(null, { pageSize: 50 });
    // Only PRs with more than 100 files or commits need a follow-up, one per further 100.
    const followUps = dataSetRepositories()[0].pullRequests
      .map((p) => Math.max(0, Math.ceil((p.files.length - 100) / 100), Math.ceil((p.commits.length - 100) / 100)))
      .reduce((a, b) => a + b, 0);
    expect(http.counter.requests).toBe(Math.ceil(all.length / 50) + followUps);
    const copilot = all.find((p) => p.author?.login === "Copilot" && p.reviews.length > 0)!;
    expect(copilot.author).toEqual({ login: "Copilot", is_bot: true, id: 198982749 });
    expect(copilot.head_ref).toMatch(/^copilot\//);
    expect(copilot.commits.length).toBeGreaterThan(0);
    expect(copilot.files.length).toBeGreaterThan(0);
    expect(copilot.merged_by?.is_bot).toBe(false);
  });

  test("a PR GitHub cannot serve is left out with a warning naming it; the rest of the page is read", async () => {
    const prs = [...dataSetRepositories()[1].pullRequests].sort((a, b) => b.updated_at.localeCompare(a.updated_at));
    const broken = prs[3];
    gh.current.failPullRequest("terryyin/lizard", broken.number);
    const page = await fetchPullRequestPage(clientFor(gh.current), { owner: LIZARD.owner, name: LIZARD.name, pageSize: 10 });
    expect(page.pullRequests.map((p) => p.number)).toEqual(prs.slice(0, 10).filter((p) => p !== broken).map((p) => p.number));
    expect(page.warnings).toEqual([expect.stringMatching(new RegExp(`^pull request #${broken.number} left out: GitHub could not serve it \\(Something went wrong while executing your query`))]);
    expect(page.next).not.toBeNull();
  });

  test("a page whose every PR fails is GitHub's trouble, not one PR's: GraphQLErrors, worth another attempt", async () => {
    const prs = [...dataSetRepositories()[1].pullRequests].sort((a, b) => b.updated_at.localeCompare(a.updated_at));
    for (const p of prs.slice(0, 3)) gh.current.failPullRequest("terryyin/lizard", p.number);
    const error = await fetchPullRequestPage(clientFor(gh.current), { owner: LIZARD.owner, name: LIZARD.name, pageSize: 3 }).catch((e) => e);
    expect(error).toBeInstanceOf(GraphQLErrors);
    expect(error.retryable).toBe(true);
  });

  test("a PR with more commits than a page holds is completed by follow-up queries", async () => {
    const big = dataSetRepositories()[1].pullRequests.reduce((a, b) => (b.commits.length > a.commits.length ? b : a));
    expect(big.commits.length).toBeGreaterThan(3);
    const { all } = await readAll(null, { pageSize: 100, nestedPageSize: 2, repo: LIZARD });
    const got = all.find((p) => p.number === big.number)!;
    expect(got.commits.map((c) => c.sha)).toEqual(big.commits.map((c) => c.sha));
    expect(got.files.map((f) => f.path)).toEqual(big.files.map((f) => f.path));
  });

  test("an incremental scan stops at the previous scan's watermark", async () => {
    const prs = [...dataSetRepositories()[0].pullRequests].sort((a, b) => b.updated_at.localeCompare(a.updated_at));
    const watermark = prs[7].updated_at;
    const newer = prs.filter((p) => p.updated_at > watermark).map((p) => p.number);
    const { all } = await readAll({ after: null, until: watermark }, { pageSize: 5 });
    expect(all.map((p) => p.number).sort()).toEqual(newer.sort());
  });

  test("bot reviewers are told apart from human reviewers", async () => {
    const { all } = await readAll(null, { pageSize: 100 });
    const botOnly = all.filter((p) => p.reviews.length > 0 && p.reviews.every((r) => r.author?.is_bot));
    expect(botOnly.length).toBeGreaterThan(0);
    expect(botOnly[0].reviews[0].author?.login).toBe("copilot-pull-request-reviewer");
  });
});
