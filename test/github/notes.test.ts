// git-ai's notes (refs/notes/ai) from the local GitHub, in GitHub's shapes, and the notes reader's
// requests: the ref once, the notes commit and its tree once (fanout and truncated trees), the notes
// the scan needs in GraphQL batches, REST blobs only for a note GraphQL truncated; bad refs and
// unreadable notes leave warnings, never a failed scan.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { buildNotes, loadCommits, repositoryFromDataSet, type LocalRepository, type NoteLine } from "../../src/local/github/dataset.ts";
import { startLocalGitHub, type LocalGitHub } from "../../src/local/github/server.ts";
import { MemoryEtagCache } from "../../supabase/functions/_shared/github/etag-cache.ts";
import { NOTES_BATCH, readNotes, readNotesRef, readNotesTree } from "../../supabase/functions/_shared/github/notes.ts";
import { scanRepository } from "../../supabase/functions/_shared/github/history.ts";
import type { CommitNotes } from "../../supabase/functions/_shared/source/records.ts";
import { clientFor } from "./local-github.ts";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { SHARED_DATA_DIR } from "../../src/local/github/dataset.ts";

const SELF_HOSTED = { owner: "git-ai-project", name: "self-hosted", branch: "main" } as const;
const PATHMC = { owner: "pymc-labs", name: "pathmc", branch: "main" } as const;
const notesOf = (file: string): NoteLine[] =>
  readFileSync(resolve(SHARED_DATA_DIR, file), "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as NoteLine);

let gh: LocalGitHub;
let selfHosted: LocalRepository;
let pathmc: LocalRepository;
let plain: LocalRepository;
const auth = { authorization: "Bearer ghp_localtesttoken0000000000000000000000" };

beforeAll(async () => {
  selfHosted = repositoryFromDataSet("git-ai-project__self-hosted.jsonl");
  pathmc = repositoryFromDataSet("pymc-labs__pathmc.jsonl");
  plain = repositoryFromDataSet("terryyin__lizard.jsonl", { defaultBranch: "master" });
  gh = await startLocalGitHub({ repositories: [selfHosted, pathmc, plain] });
});
afterAll(async () => {
  await gh?.stop();
});
beforeEach(() => {
  gh.clearFaults();
  gh.resetStats();
  selfHosted.notes = buildNotes(notesOf("git-ai-project__self-hosted.notes.jsonl"));
});

const get = async (path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${gh.url}${path}`, { headers: { ...auth, ...headers } });
  return { status: res.status, etag: res.headers.get("etag"), body: res.status === 304 ? null : await res.json() };
};

describe("the local GitHub serves refs/notes/ai as GitHub does", () => {
  test("ref, notes commit, tree and blobs: Git's object ids and the note's exact text", async () => {
    const ref = await get("/repos/git-ai-project/self-hosted/git/ref/notes/ai");
    expect(ref.status).toBe(200);
    expect(ref.body.object.type).toBe("commit");
    const commit = await get(`/repos/git-ai-project/self-hosted/git/commits/${ref.body.object.sha}`);
    expect(commit.body.sha).toBe(ref.body.object.sha);
    const tree = await get(`/repos/git-ai-project/self-hosted/git/trees/${commit.body.tree.sha}?recursive=1`);
    expect(tree.body.truncated).toBe(false);
    expect(tree.body.tree).toHaveLength(82);
    const first = notesOf("git-ai-project__self-hosted.notes.jsonl").at(-1)!;
    const entry = tree.body.tree.find((e: { path: string }) => e.path === first.sha);
    const blob = await get(`/repos/git-ai-project/self-hosted/git/blobs/${entry.sha}`);
    expect(blob.body.encoding).toBe("base64");
    expect(Buffer.from(blob.body.content, "base64").toString("utf8")).toBe(first.note);
    // Git's blob id: sha1("blob <bytes>\0<text>").
    const { createHash } = await import("node:crypto");
    const bytes = Buffer.from(first.note, "utf8");
    expect(entry.sha).toBe(createHash("sha1").update(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes])).digest("hex"));
  });

  test("a repository without notes: 404 for the ref, an empty matching-refs list that a rescan gets as a 304", async () => {
    expect((await get("/repos/terryyin/lizard/git/ref/notes/ai")).status).toBe(404);
    const first = await get("/repos/terryyin/lizard/git/matching-refs/notes/ai");
    expect(first).toMatchObject({ status: 200, body: [] });
    expect((await get("/repos/terryyin/lizard/git/matching-refs/notes/ai", { "if-none-match": first.etag! })).status).toBe(304);
  });

  test("a fanout tree (ab/cdef…) and a truncated recursive answer", async () => {
    selfHosted.notes = buildNotes(notesOf("git-ai-project__self-hosted.notes.jsonl"), { layout: "fanout", truncateRecursive: true });
    const tree = await get(`/repos/git-ai-project/self-hosted/git/trees/${selfHosted.notes.treeSha}?recursive=1`);
    expect(tree.body.truncated).toBe(true);
    expect(tree.body.tree.filter((e: { type: string }) => e.type === "blob").length).toBeLessThan(82);
    const root = await get(`/repos/git-ai-project/self-hosted/git/trees/${selfHosted.notes.treeSha}`);
    expect(root.body.tree.every((e: { type: string; path: string }) => e.type === "tree" && /^[0-9a-f]{2}$/.test(e.path))).toBe(true);
  });

  test("GraphQL reads notes by `<notes commit>:<path>` under aliases", async () => {
    const [a, b] = [...selfHosted.notes!.byCommit.values()];
    const query = `query { repository(owner: "git-ai-project", name: "self-hosted") {
      a: object(expression: "${selfHosted.notes!.commitSha}:${a.path}") { ... on Blob { oid text isTruncated byteSize } }
      b: object(expression: "${selfHosted.notes!.commitSha}:${b.path}") { ... on Blob { oid text isTruncated byteSize } }
      gone: object(expression: "${selfHosted.notes!.commitSha}:${"0".repeat(40)}") { ... on Blob { oid } } } }`;
    const res = await (await fetch(gh.graphqlUrl, { method: "POST", headers: auth, body: JSON.stringify({ query }) })).json();
    expect(res.errors).toBeUndefined();
    expect(res.data.repository.a).toMatchObject({ oid: a.blobSha, isTruncated: false, text: selfHosted.notes!.blobs.get(a.blobSha) });
    expect(res.data.repository.b.oid).toBe(b.blobSha);
    expect(res.data.repository.gone).toBeNull();
  });
});

describe("the notes reader", () => {
  test("all of self-hosted's 82 notes: ref, commit, tree and 2 batches — 5 requests; again from the cache: the ref's 304 only", async () => {
    const cache = new MemoryEtagCache();
    const http = clientFor(gh, { etagCache: cache });
    const ref = await readNotesRef(http, SELF_HOSTED);
    expect(ref).toEqual({ commit: selfHosted.notes!.commitSha });
    const tree = await readNotesTree(http, SELF_HOSTED, ref as { commit: string });
    expect(tree.size).toBe(82);
    const notes = await readNotes(http, SELF_HOSTED, ref as { commit: string }, tree);
    expect(NOTES_BATCH).toBe(50);
    expect(http.counter.counted).toBe(5);
    for (const n of notesOf("git-ai-project__self-hosted.notes.jsonl")) expect(notes.get(n.sha)).toMatchObject({ text: expect.any(String) });
    const last = new Map(notesOf("git-ai-project__self-hosted.notes.jsonl").map((n) => [n.sha, n.note]));
    for (const [sha, read] of notes) expect((read as { text: string }).text).toBe(last.get(sha));

    const again = clientFor(gh, { etagCache: cache });
    const ref2 = await readNotesRef(again, SELF_HOSTED);
    await readNotes(again, SELF_HOSTED, ref2 as { commit: string }, await readNotesTree(again, SELF_HOSTED, ref2 as { commit: string }));
    expect(again.counter.counted).toBe(0);
    expect(again.counter.notModified).toBe(1);
  });

  test("a fanout tree GitHub truncated is walked without recursion, and every note is found", async () => {
    selfHosted.notes = buildNotes(notesOf("git-ai-project__self-hosted.notes.jsonl"), { layout: "fanout", truncateRecursive: true });
    const http = clientFor(gh, { etagCache: new MemoryEtagCache() });
    const tree = await readNotesTree(http, SELF_HOSTED, { commit: selfHosted.notes.commitSha });
    expect(tree.size).toBe(82);
    const dirs = new Set([...tree.values()].map((e) => e.path.slice(0, 2))).size;
    // commit + recursive tree (truncated) + root + one request per fanout directory.
    expect(http.counter.counted).toBe(3 + dirs);
    const notes = await readNotes(http, SELF_HOSTED, { commit: selfHosted.notes.commitSha }, tree);
    expect([...notes.values()].every((n) => "text" in n)).toBe(true);
  });

  test("a note too large for a batch comes from REST's git/blobs", async () => {
    const lines = notesOf("pymc-labs__pathmc.notes.jsonl");
    pathmc.notes = { ...buildNotes(lines), blobTextLimit: 10_000 };
    const large = lines.filter((n) => Buffer.byteLength(n.note) > 10_000).length;
    expect(large).toBeGreaterThan(0);
    const http = clientFor(gh, { etagCache: new MemoryEtagCache() });
    const tree = await readNotesTree(http, PATHMC, { commit: pathmc.notes.commitSha });
    const notes = await readNotes(http, PATHMC, { commit: pathmc.notes.commitSha }, tree);
    expect(gh.stats.byRoute["GET /repos/:owner/:repo/git/blobs/:sha"]).toBe(large);
    const byText = new Map(lines.map((n) => [n.sha, n.note]));
    for (const [sha, read] of notes) expect((read as { text: string }).text).toBe(byText.get(sha));
  });

  test("a notes ref that is not a commit: a problem to warn of, no notes read", async () => {
    selfHosted.notes = { ...buildNotes(notesOf("git-ai-project__self-hosted.notes.jsonl")), refTarget: { type: "blob", sha: "a".repeat(40) } };
    const ref = await readNotesRef(clientFor(gh, { etagCache: new MemoryEtagCache() }), SELF_HOSTED);
    expect(ref).toEqual({ problem: expect.stringMatching(/refs\/notes\/ai points at a blob .* not a commit/) });
  });

  test("a scan reads each noted commit's note; a repository without notes pays one request for it", async () => {
    const http = clientFor(gh, { etagCache: new MemoryEtagCache() });
    const pages: Record<string, unknown>[] = [];
    const scan = await scanRepository(http, { ...SELF_HOSTED, commitsSince: null, onPage: (p) => void pages.push(p.notes) });
    const noted = new Set(notesOf("git-ai-project__self-hosted.notes.jsonl").map((n) => n.sha));
    const own = scan.commits.filter((c) => noted.has(c.sha) && c.parents.length === 1);
    const got = Object.assign({}, ...pages) as Record<string, { own: { text?: string } | null }>;
    for (const c of own) expect(got[c.sha]).toMatchObject({ own: { text: expect.any(String) } });
    // Noted commits get their per-file numstat: no file with unknown lines.
    for (const c of own) expect(c.files.some((f) => f.lines_unknown)).toBe(false);
    const full = new Map(loadCommits("git-ai-project__self-hosted.jsonl").map((c) => [c.sha, c]));
    // (a binary file: null lines in the data set, 0 on GitHub)
    for (const c of own) expect(c.files.map((f) => [f.path, f.added ?? 0])).toEqual(full.get(c.sha)!.files.map((f) => [f.path, f.added ?? 0]));
    expect(gh.stats.graphqlByOperation.NotesBatch).toBeLessThanOrEqual(4);

    gh.resetStats();
    const lizard = clientFor(gh, { etagCache: new MemoryEtagCache() });
    const withNotes = await scanRepository(lizard, { owner: "terryyin", name: "lizard", branch: "master", commitsSince: "2025-06-01T00:00:00Z" });
    expect(withNotes.notes).toBeNull();
    expect(gh.stats.byRoute["GET /repos/:owner/:repo/git/matching-refs/notes/ai"]).toBe(1);
    expect(Object.keys(gh.stats.byRoute).filter((r) => r.includes("/git/"))).toEqual(["GET /repos/:owner/:repo/git/matching-refs/notes/ai"]);
  });

  test("a squash merge's page carries its PR's commits' notes (pathmc)", async () => {
    pathmc.notes = buildNotes(notesOf("pymc-labs__pathmc.notes.jsonl"));
    const http = clientFor(gh, { etagCache: new MemoryEtagCache() });
    const got: Record<string, CommitNotes> = {};
    await scanRepository(http, { ...PATHMC, commitsSince: null, onPage: (p) => void Object.assign(got, p.notes) });
    // The 15 squash merges of PRs whose own commits carry notes all get their PR's notes, and #444's
    // squash commit (dabde8f) its own note besides (git-ai's CI rewrote one onto it).
    const fromPrs = Object.values(got).filter((n) => n.pullRequest !== null);
    expect(fromPrs).toHaveLength(15);
    expect(fromPrs.every((n) => n.pullRequest!.notes.every((x) => "text" in x.read))).toBe(true);
    const own = Object.entries(got).filter(([, n]) => n.own !== null).map(([sha]) => sha.slice(0, 7));
    expect(own).toEqual(["dabde8f"]);
  });
});
