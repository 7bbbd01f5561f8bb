// A query that works against the local GitHub is valid on github.com: every GraphQL document the
// client sends validates against GitHub's published schema, and every REST answer the local server
// gives (and the client reads) matches GitHub's OpenAPI description.
import { parse, validate } from "graphql";
import { describe, expect, test } from "vitest";
import { githubSchema } from "../../src/local/github/graphql.ts";
import { ALL_QUERIES, PATH_HISTORY_BATCH } from "../../supabase/functions/_shared/github/queries.ts";
import { dataSetRepositories, MCP, useLocalGitHub } from "./local-github.ts";
import { repositoryFromDataSet } from "../../src/local/github/dataset.ts";
import { queryParameters, responseSchema, validateAgainst } from "./openapi.ts";

const gh = useLocalGitHub();
// git-ai's notes: a repository that has refs/notes/ai.
const noted = repositoryFromDataSet("git-ai-project__self-hosted.jsonl");
const notesGh = useLocalGitHub({ repositories: [noted] });
const auth = { authorization: "Bearer ghp_localtesttoken0000000000000000000000" };

describe("GraphQL documents against GitHub's schema", () => {
  test.each(Object.entries(ALL_QUERIES))("%s validates against @octokit/graphql-schema", (_name, query) => {
    expect(validate(githubSchema(), parse(query)).map((e) => e.message)).toEqual([]);
  });

  test("the local server answers every document without errors", async () => {
    const pr = dataSetRepositories()[0].pullRequests.at(-1)!;
    const run = async (query: string, variables: Record<string, unknown>) =>
      (await fetch(gh.current.graphqlUrl, { method: "POST", headers: auth, body: JSON.stringify({ query, variables }) })).json();
    const page = await run(ALL_QUERIES.PULL_REQUEST_PAGE, { ...MCP, first: 5, reviews: 5, commits: 5, files: 5 });
    expect(page.errors).toBeUndefined();
    expect(page.data.repository.pullRequests.nodes).toHaveLength(5);
    const more = await run(ALL_QUERIES.PULL_REQUEST_CONNECTIONS, {
      ...MCP, number: pr.number, first: 1, withReviews: true, reviewsAfter: null, withCommits: true, commitsAfter: null, withFiles: false, filesAfter: null,
    });
    expect(more.errors).toBeUndefined();
    expect(more.data.repository.pullRequest.files).toBeUndefined();
    const head = dataSetRepositories()[0].commits[0].sha;
    const history = await run(ALL_QUERIES.COMMIT_HISTORY_PAGE, { ...MCP, head, first: 5, after: null, since: null, files: 5 });
    expect(history.errors).toBeUndefined();
    expect(history.data.repository.object.history.nodes).toHaveLength(5);
    const paths = await run(ALL_QUERIES.PATH_HISTORIES, {
      ...MCP, head, since: null, ...Object.fromEntries(Array.from({ length: PATH_HISTORY_BATCH }, (_, i) => [[`path${i}`, "README.md"], [`after${i}`, null]]).flat()),
    });
    expect(paths.errors).toBeUndefined();
    expect(paths.data.repository.object[`p${PATH_HISTORY_BATCH - 1}`].nodes.length).toBeGreaterThan(0);
  });

  test("a query GitHub would reject is rejected locally too", async () => {
    const res = await fetch(gh.current.graphqlUrl, { method: "POST", headers: auth, body: JSON.stringify({ query: "{ repository(owner: \"a\", name: \"b\") { pullRequests(first: 1) { nodes { notAField } } } }" }) });
    const body = await res.json();
    expect(body.errors[0].message).toMatch(/Cannot query field "notAField"/);
  });
});

describe("REST answers against GitHub's OpenAPI description", () => {
  const repo = dataSetRepositories()[0];
  const pr = repo.pullRequests.find((p) => p.reviews.length > 0)!;
  const sha = repo.commits.find((c) => c.files.length > 0)!.sha;
  const cases: [string, string][] = [
    ["/repos/{owner}/{repo}", `/repos/${MCP.owner}/${MCP.name}`],
    ["/repos/{owner}/{repo}/pulls", `/repos/${MCP.owner}/${MCP.name}/pulls?state=all&sort=updated&direction=desc&per_page=3`],
    ["/repos/{owner}/{repo}/pulls/{pull_number}/commits", `/repos/${MCP.owner}/${MCP.name}/pulls/${pr.number}/commits?per_page=3`],
    ["/repos/{owner}/{repo}/pulls/{pull_number}/reviews", `/repos/${MCP.owner}/${MCP.name}/pulls/${pr.number}/reviews`],
    ["/repos/{owner}/{repo}/pulls/{pull_number}/files", `/repos/${MCP.owner}/${MCP.name}/pulls/${pr.number}/files`],
    ["/repos/{owner}/{repo}/commits", `/repos/${MCP.owner}/${MCP.name}/commits?sha=main&per_page=3&since=2025-01-01T00:00:00Z`],
    ["/repos/{owner}/{repo}/commits/{ref}", `/repos/${MCP.owner}/${MCP.name}/commits/${sha}`],
    ["/rate_limit", "/rate_limit"],
  ];

  test.each(cases)("GET %s matches its 200 response schema", async (template, path) => {
    const res = await fetch(`${gh.current.url}${path}`, { headers: auth });
    expect(res.status).toBe(200);
    const body = await res.json();
    if (Array.isArray(body)) expect(body.length).toBeGreaterThan(0);
    expect(validateAgainst(responseSchema(template, "get", "200"), body)).toEqual([]);
    const url = new URL(path, "http://x");
    expect([...url.searchParams.keys()].filter((k) => !queryParameters(template, "get").includes(k))).toEqual([]);
  });

  test("the installation token answer matches its 201 response schema", async () => {
    const schema = responseSchema("/app/installations/{installation_id}/access_tokens", "post", "201");
    expect(validateAgainst(schema, { token: "ghs_x", expires_at: "2026-11-24T11:00:00Z", permissions: { contents: "read", pull_requests: "read", metadata: "read" }, repository_selection: "all" })).toEqual([]);
  });

  test("the validator catches a wrong shape (it can fail)", () => {
    expect(validateAgainst(responseSchema("/repos/{owner}/{repo}/commits/{ref}", "get", "200"), { sha: 1 })).not.toEqual([]);
  });
});

describe("refs/notes/ai's REST answers against GitHub's OpenAPI description", () => {
  const base = "/repos/git-ai-project/self-hosted";
  const notes = noted.notes!;
  const blob = [...notes.byCommit.values()][0].blobSha;
  const cases: [string, string][] = [
    ["/repos/{owner}/{repo}/git/ref/{ref}", `${base}/git/ref/notes/ai`],
    ["/repos/{owner}/{repo}/git/matching-refs/{ref}", `${base}/git/matching-refs/notes/ai`],
    ["/repos/{owner}/{repo}/git/commits/{commit_sha}", `${base}/git/commits/${notes.commitSha}`],
    ["/repos/{owner}/{repo}/git/trees/{tree_sha}", `${base}/git/trees/${notes.treeSha}?recursive=1`],
    ["/repos/{owner}/{repo}/git/blobs/{file_sha}", `${base}/git/blobs/${blob}`],
  ];
  test.each(cases)("GET %s matches its 200 response schema", async (template, path) => {
    const res = await fetch(`${notesGh.current.url}${path}`, { headers: auth });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(validateAgainst(responseSchema(template, "get", "200"), body)).toEqual([]);
    const url = new URL(path, "http://x");
    expect([...url.searchParams.keys()].filter((k) => !queryParameters(template, "get").includes(k))).toEqual([]);
  });
});
