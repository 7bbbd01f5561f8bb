/**
 * git-ai's authorship notes (`refs/notes/ai`) from GitHub with the fewest requests:
 *  1. the ref, once per scan, through `git/matching-refs/notes/ai`: GitHub answers a repository
 *     without the ref with an empty list (200, with an ETag) where `git/ref/notes/ai` answers 404
 *     (no ETag), so a rescan of a repository without notes gets a 304 and pays nothing;
 *  2. the notes commit (`git/commits/{sha}`: its tree) and the tree (`git/trees/{sha}?recursive=1`),
 *     both immutable by sha: read once, then served from the cache without a request. A tree
 *     GitHub truncated (past 100,000 entries or 7 MB) is walked non-recursively instead: the root,
 *     then each fanout directory (`ab/` of `ab/cdef…`);
 *  3. only the notes of the commits the scan needs, NOTES_BATCH to a GraphQL request (aliases of
 *     `object(expression: "<notes commit>:<path>") { ... on Blob }`), each kept in the cache by its
 *     blob sha (a blob never changes), so a resumed run or a later scan never reads a note twice;
 *     REST `git/blobs/{sha}` only for a note whose text GraphQL truncated.
 * What goes wrong with the notes never fails the scan: the commits concerned keep their marks and
 * the scan's warnings say which commit and what was wrong (NotesProblem).
 */
import { GitHubRequestError, GraphQLErrors, MalformedResponse } from "./errors.ts";
import type { GitHubHttp } from "./http.ts";
import { ShapeReader } from "./shape.ts";
import type { NoteRead } from "../source/records.ts";

/** The notes ref git-ai writes (Git AI Standard v3.0.0). */
export const NOTES_REF = "refs/notes/ai";

/**
 * Notes a GraphQL request reads. GitHub's limits on such a request: no connection in it, so its
 * cost is 1 point and its node count 50 (far from the 500,000 allowed); what binds is the answer's
 * size within GitHub's 10-second execution timeout, past which it answers "Something went wrong
 * while executing your query". git-ai notes list every range of every file: ~70 KB on average in a
 * large repository, so 50 notes are ~3.5 MB of JSON a request. (Measured here on the local GitHub
 * only: github.com's time per MB of blob text is not published, so the batch stays well below the
 * size at which a timeout becomes plausible rather than at the largest that might pass.) At 50, a
 * first scan pays one request per 50 noted commits: git-ai-project/self-hosted's 82 notes, 2.
 */
export const NOTES_BATCH = 50;

/** The notes commit a scan reads, as its checkpoint and watermark keep it. */
export interface NotesRef {
  /** The notes commit's sha (what refs/notes/ai points at). */
  commit: string;
}

/** One noted commit in the notes tree: its blob's path in the tree and the blob's sha. */
export interface NoteEntry {
  path: string;
  blob: string;
}

/** A noted commit's note as read (the source contract's record: source/records.ts). */
export type { NoteRead } from "../source/records.ts";

/** A notes batch document: `n<i>` aliases of object(expression: $e<i>) as Blobs. */
export function notesBatchQuery(size: number): string {
  const vars = Array.from({ length: size }, (_, i) => `$e${i}: String!`).join(", ");
  const fields = Array.from({ length: size }, (_, i) => `n${i}: object(expression: $e${i}) { ... on Blob { oid byteSize isTruncated text } }`).join("\n    ");
  return `query NotesBatch($owner: String!, $name: String!, ${vars}) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    ${fields}
  }
}`;
}

/**
 * The notes ref: its commit, null when the repository has no notes, or a problem (the ref points at
 * something that is not a commit) — a warning of the scan, which then reads no notes.
 */
export async function readNotesRef(http: GitHubHttp, repo: { owner: string; name: string }): Promise<NotesRef | { problem: string } | null> {
  const path = `${repoPath(repo)}/git/matching-refs/notes/ai`;
  const got = await http.get(path, {
    shape: "notes-ref@1",
    read: (body, url) => {
      const r = new ShapeReader(url);
      for (const [i, item] of r.arr(body, "").entries()) {
        const ref = r.obj(item, `[${i}]`);
        if (r.str(ref.ref, `[${i}].ref`) !== NOTES_REF) continue; // matching-refs is a prefix match (refs/notes/ai-old)
        const object = r.obj(ref.object, `[${i}].object`);
        return { type: r.str(object.type, `[${i}].object.type`), sha: r.str(object.sha, `[${i}].object.sha`) };
      }
      return null;
    },
  });
  if (got.data === null) return null;
  if (got.data.type !== "commit") return { problem: `${NOTES_REF} points at a ${got.data.type} (${got.data.sha.slice(0, 12)}), not a commit: no note was read, every commit is classified by its marks` };
  return { commit: got.data.sha };
}

/**
 * The notes tree of a notes commit: noted commit sha → its entry. Entries whose name is not a
 * commit sha (git notes only names blobs by the annotated object's sha) are left out.
 */
export async function readNotesTree(http: GitHubHttp, repo: { owner: string; name: string }, notes: NotesRef): Promise<Map<string, NoteEntry>> {
  const base = repoPath(repo);
  const commit = await http.get(`${base}/git/commits/${notes.commit}`, {
    shape: "notes-commit-tree@1",
    immutable: true,
    read: (body, url) => {
      const r = new ShapeReader(url);
      return r.str(r.obj(r.obj(body, "").tree, "tree").sha, "tree.sha");
    },
  });
  const tree = await readTree(http, `${base}/git/trees/${commit.data}?recursive=1`);
  const entries = new Map<string, NoteEntry>();
  const add = (path: string, blob: string) => {
    const sha = path.replace("/", "");
    if (/^[0-9a-f]{40}$/.test(sha)) entries.set(sha, { path, blob });
  };
  if (!tree.truncated) {
    for (const e of tree.entries) if (e.type === "blob") add(e.path, e.sha);
    return entries;
  }
  // Truncated: the root without recursion, then each fanout directory.
  const root = await readTree(http, `${base}/git/trees/${commit.data}`);
  for (const e of root.entries) {
    if (e.type === "blob") add(e.path, e.sha);
    else if (e.type === "tree" && /^[0-9a-f]{2}$/.test(e.path)) {
      const sub = await readTree(http, `${base}/git/trees/${e.sha}`);
      for (const s of sub.entries) if (s.type === "blob") add(`${e.path}/${s.path}`, s.sha);
    }
  }
  return entries;
}

interface TreeAnswer {
  truncated: boolean;
  entries: { path: string; type: string; sha: string }[];
}

async function readTree(http: GitHubHttp, path: string): Promise<TreeAnswer> {
  const got = await http.get(path, {
    shape: "notes-tree@1",
    immutable: true,
    read: (body, url): TreeAnswer => {
      const r = new ShapeReader(url);
      const o = r.obj(body, "");
      return {
        truncated: r.bool(o.truncated, "truncated"),
        entries: r.arr(o.tree, "tree").map((e, i) => {
          const entry = r.obj(e, `tree[${i}]`);
          return { path: r.str(entry.path, `tree[${i}].path`), type: r.str(entry.type, `tree[${i}].type`), sha: r.str(entry.sha, `tree[${i}].sha`) };
        }),
      };
    },
  });
  return got.data;
}

/**
 * The notes of `wanted` (noted commit sha → entry), read NOTES_BATCH to a GraphQL request, a note
 * kept in the cache by its blob sha served without one. A note that GraphQL truncated is read from
 * REST's git/blobs; a note GitHub could not serve (gone from the tree, a failed batch, a blob that
 * is not text) gets its problem instead of a text. Rate limits and GitHub outages are not caught:
 * the scan waits for GitHub as for any page.
 */
export async function readNotes(
  http: GitHubHttp,
  repo: { owner: string; name: string },
  notes: NotesRef,
  wanted: ReadonlyMap<string, NoteEntry>,
  spare: Iterable<[string, NoteEntry]> = [],
): Promise<Map<string, NoteRead>> {
  const out = new Map<string, NoteRead>();
  const missing: [string, NoteEntry][] = [];
  for (const [sha, entry] of wanted) {
    const text = await http.recall<string>(blobKey(entry.blob), "note-text@1");
    if (text !== null) out.set(sha, { blob: entry.blob, text });
    else missing.push([sha, entry]);
  }
  // The last batch's free slots carry notes the scan may need on a later page (`spare`: a squash
  // merge's PR notes first, then the tree's other notes not read yet), kept in the cache: a scan whose noted
  // commits span pages pays one request per 50 notes overall, not per page. A slot costs bytes,
  // never a request.
  if (missing.length % NOTES_BATCH !== 0) {
    const room = NOTES_BATCH - (missing.length % NOTES_BATCH);
    const taken = new Set(missing.map(([sha]) => sha));
    let added = 0;
    for (const [sha, entry] of spare) {
      if (added >= room) break;
      if (taken.has(sha) || wanted.has(sha)) continue;
      taken.add(sha);
      missing.push([sha, entry]);
      added++;
    }
  }
  for (let i = 0; i < missing.length; i += NOTES_BATCH) {
    const batch = missing.slice(i, i + NOTES_BATCH);
    const variables: Record<string, unknown> = { owner: repo.owner, name: repo.name };
    batch.forEach(([, e], j) => (variables[`e${j}`] = `${notes.commit}:${e.path}`));
    let blobs: ({ oid: string; text: string | null; truncated: boolean } | null)[];
    try {
      blobs = await http.graphql(notesBatchQuery(batch.length), variables, (data, url) => {
        const r = new ShapeReader(url);
        const repository = r.obj(r.obj(data, "data").repository, "data.repository");
        return batch.map((_, j) => {
          const v = repository[`n${j}`];
          if (v === null || v === undefined) return null;
          const b = r.obj(v, `repository.n${j}`);
          return { oid: r.str(b.oid, `repository.n${j}.oid`), text: r.strOrNull(b.text, `repository.n${j}.text`), truncated: r.bool(b.isTruncated, `repository.n${j}.isTruncated`) };
        });
      });
    } catch (error) {
      if (!(error instanceof GraphQLErrors || error instanceof MalformedResponse || error instanceof GitHubRequestError)) throw error;
      for (const [sha, e] of batch) out.set(sha, { blob: e.blob, problem: `could not be read (${error.message.slice(0, 200)})` });
      continue;
    }
    for (const [j, [sha, e]] of batch.entries()) {
      const b = blobs[j];
      if (b === null) out.set(sha, { blob: e.blob, problem: `is not in the notes tree at ${e.path}` });
      else if (b.text === null) out.set(sha, { blob: e.blob, problem: "is not text (GitHub reads its blob as binary)" });
      else if (b.truncated) {
        // A spare slot's oversized note is left for the page that needs it: no request on a guess.
        if (wanted.has(sha)) out.set(sha, await readBlob(http, repo, e.blob));
      }
      else {
        out.set(sha, { blob: e.blob, text: b.text });
        await http.keep(blobKey(e.blob), "note-text@1", b.text);
      }
    }
  }
  return out;
}

/** A note too large for a batch: REST's git/blobs, base64 (immutable: cached by its sha). */
async function readBlob(http: GitHubHttp, repo: { owner: string; name: string }, blob: string): Promise<NoteRead> {
  try {
    const got = await http.get(`${repoPath(repo)}/git/blobs/${blob}`, {
      shape: "note-blob@1",
      immutable: true,
      read: (body, url) => {
        const r = new ShapeReader(url);
        const o = r.obj(body, "");
        const encoding = r.str(o.encoding, "encoding");
        const content = r.str(o.content, "content");
        if (encoding === "utf-8") return content;
        if (encoding !== "base64") r.fail("encoding", "base64 or utf-8", encoding);
        return new TextDecoder("utf-8", { fatal: true }).decode(fromBase64(content.replace(/\s+/g, "")));
      },
    });
    return { blob, text: got.data };
  } catch (error) {
    if (!(error instanceof MalformedResponse || error instanceof GitHubRequestError || error instanceof TypeError)) throw error;
    return { blob, problem: `could not be read from git/blobs (${(error as Error).message.slice(0, 200)})` };
  }
}

function fromBase64(text: string): Uint8Array {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function blobKey(blob: string): string {
  return `git-blob:${blob}`;
}

function repoPath(repo: { owner: string; name: string }): string {
  return `/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.name)}`;
}
