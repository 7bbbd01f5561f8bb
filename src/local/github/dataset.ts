// The local GitHub's repositories, built deterministically from ../shared/data: the commits as they
// are, plus pull requests and reviews derived from them. Real PRs are recovered from merge commits
// ("Merge pull request #N from o/branch": the commits the second parent brought in) and squash
// merges ("subject (#N)"); runs of aider-authored commits pushed straight to main become synthetic
// aider/… PRs. Agent marks decide the head branch (copilot/…, claude/…, codex/…, cursor/…), and a
// hash of the merge sha decides reviews: a share of agent PRs merge with no human review, or with
// only a bot's — exactly what review coverage must catch.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Commit, FileChange } from "../../../supabase/functions/_shared/detection/records.ts";
import { REPO_ROOT } from "../migrate.ts";

/**
 * Where the real commit data lives: ../shared/data beside the repository (CI clones it there), or
 * CODEGUARD_SHARED_DATA_DIR (a test points it at an empty folder to see the stack without it).
 */
export const SHARED_DATA_DIR = resolve(process.env.CODEGUARD_SHARED_DATA_DIR || resolve(REPO_ROOT, "../shared/data"));

export interface LocalUser {
  login: string; // REST spelling: bots end with [bot]
  id: number;
  type: "User" | "Bot";
}

export interface LocalReview {
  id: number;
  user: LocalUser;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED";
  body: string;
  submitted_at: string;
  commit_id: string;
}

export interface LocalPullRequest {
  id: number;
  number: number;
  title: string;
  body: string;
  user: LocalUser;
  head_ref: string;
  base_ref: string;
  labels: string[];
  state: "open" | "closed";
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  merged_at: string | null;
  merged_by: LocalUser | null;
  merge_commit_sha: string | null;
  /** Oldest first, as GitHub lists a PR's commits. */
  commits: Commit[];
  files: FileChange[];
  reviews: LocalReview[];
}

export interface LocalRepository {
  id: number;
  owner: string;
  name: string;
  default_branch: string;
  created_at: string;
  /** The default branch, newest first (the data sets' order). */
  commits: Commit[];
  commitsBySha: Map<string, Commit>;
  /** Sorted by number. */
  pullRequests: LocalPullRequest[];
  /** `refs/notes/ai` (git-ai's authorship notes), or null when the repository has none (GitHub: 404). */
  notes: LocalNotes | null;
}

/** One Git tree entry as GitHub's trees API lists it. */
export interface LocalTreeEntry {
  path: string;
  mode: "100644" | "040000";
  type: "blob" | "tree";
  sha: string;
  size?: number;
}

/**
 * A notes ref as Git stores it: a commit whose tree holds one blob per noted commit, named by that
 * commit's sha — flat (`<40 hex>`), or split in fanout directories (`ab/<38 hex>`) as git does in
 * large notes trees. Object ids are Git's own (sha1 of "blob <n>\0…", of the binary tree, of the
 * commit text), so a blob's sha is the same as on GitHub for the same note.
 */
export interface LocalNotes {
  ref: "refs/notes/ai";
  commitSha: string;
  /** The notes commit before this one (a late note makes a new commit), or null. */
  parentSha: string | null;
  treeSha: string;
  committedAt: string;
  layout: "flat" | "fanout";
  /** Trees by sha: the root's entries, and each fanout directory's. */
  trees: Map<string, LocalTreeEntry[]>;
  /** Blob sha → its text. */
  blobs: Map<string, string>;
  /** Noted commit sha → its blob's path in the tree and sha. */
  byCommit: Map<string, { path: string; blobSha: string }>;
  /**
   * Answer `git/trees/{root}?recursive=1` with `truncated: true` and only part of the entries, as
   * GitHub does past 100,000 entries or 7 MB (tests of the reader's non-recursive walk).
   */
  truncateRecursive: boolean;
  /** Bytes of a blob's text GraphQL returns before isTruncated (default: graphql.ts's DEFAULT_BLOB_TEXT_LIMIT). */
  blobTextLimit?: number;
  /** What the ref points at when not the notes commit (a test of a ref GitHub has as a tree or a blob). */
  refTarget?: { type: "commit" | "tree" | "blob"; sha: string };
}

/** What a notes ref holds, one note per commit (the data sets' `*.notes.jsonl` lines). */
export interface NoteLine {
  sha: string;
  note: string;
}

function gitHash(type: string, body: Buffer): string {
  return createHash("sha1").update(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body])).digest("hex");
}

/** Git's tree object: entries sorted by name (a directory as if its name ended with "/"). */
function gitTree(entries: { name: string; mode: string; sha: string }[]): string {
  const key = (e: { name: string; mode: string }) => (e.mode === "040000" ? `${e.name}/` : e.name);
  const sorted = [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return gitHash("tree", Buffer.concat(sorted.map((e) => Buffer.concat([Buffer.from(`${e.mode === "040000" ? "40000" : e.mode} ${e.name}\0`), Buffer.from(e.sha, "hex")]))));
}

/**
 * The notes ref holding `notes` (the last line for a sha wins, as a rewritten note replaces the
 * old one). `previous` makes this commit its child: a late note is a new notes commit.
 */
export function buildNotes(notes: readonly NoteLine[], options: { layout?: "flat" | "fanout"; previous?: LocalNotes | null; committedAt?: string; truncateRecursive?: boolean } = {}): LocalNotes {
  const layout = options.layout ?? options.previous?.layout ?? "flat";
  const blobs = new Map<string, string>();
  const byCommit = new Map<string, { path: string; blobSha: string }>();
  const latest = new Map<string, string>();
  for (const n of notes) latest.set(n.sha, n.note);
  const root: { name: string; mode: string; sha: string; size: number }[] = [];
  const dirs = new Map<string, { name: string; mode: string; sha: string; size: number }[]>();
  for (const [sha, text] of [...latest].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const blobSha = gitHash("blob", Buffer.from(text, "utf8"));
    blobs.set(blobSha, text);
    const size = Buffer.byteLength(text, "utf8");
    if (layout === "flat") {
      root.push({ name: sha, mode: "100644", sha: blobSha, size });
      byCommit.set(sha, { path: sha, blobSha });
    } else {
      const dir = sha.slice(0, 2);
      const list = dirs.get(dir) ?? [];
      list.push({ name: sha.slice(2), mode: "100644", sha: blobSha, size });
      dirs.set(dir, list);
      byCommit.set(sha, { path: `${dir}/${sha.slice(2)}`, blobSha });
    }
  }
  const trees = new Map<string, LocalTreeEntry[]>();
  for (const [dir, entries] of dirs) {
    const sha = gitTree(entries);
    trees.set(sha, entries.map((e) => ({ path: e.name, mode: "100644", type: "blob", sha: e.sha, size: e.size })));
    root.push({ name: dir, mode: "040000", sha, size: 0 });
  }
  const treeSha = gitTree(root);
  trees.set(treeSha, root.map((e) => e.mode === "040000" ? { path: e.name, mode: "040000", type: "tree", sha: e.sha } : { path: e.name, mode: "100644", type: "blob", sha: e.sha, size: e.size }));
  const committedAt = options.committedAt ?? new Date(Date.UTC(2026, 7, 31)).toISOString();
  const parentSha = options.previous?.commitSha ?? null;
  const seconds = Math.floor(Date.parse(committedAt) / 1000);
  const text = `tree ${treeSha}\n${parentSha ? `parent ${parentSha}\n` : ""}author git-ai <git-ai@localhost> ${seconds} +0000\ncommitter git-ai <git-ai@localhost> ${seconds} +0000\n\nNotes added by 'git notes add'\n`;
  return {
    ref: "refs/notes/ai",
    commitSha: gitHash("commit", Buffer.from(text)),
    parentSha,
    treeSha,
    committedAt,
    layout,
    trees,
    blobs,
    byCommit,
    truncateRecursive: options.truncateRecursive ?? false,
  };
}

/** The lines of a `*.notes.jsonl` or `*.pulls.jsonl` file, or null when there is none. */
function readJsonLines<T>(path: string): T[] | null {
  if (!existsSync(path)) return null;
  return readFileSync(path, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}

/** A PR's own commits, as `<data set>.pulls.jsonl` keeps them (refs/pull/N/head, oldest first). */
export interface PullLine {
  number: number;
  head_sha: string;
  commits: Commit[];
}

/** Reads one data set (`Aider-AI__aider.jsonl` → owner Aider-AI, name aider). */
export function loadCommits(file: string): Commit[] {
  const path = file.includes("/") ? file : resolve(SHARED_DATA_DIR, file);
  return readFileSync(path, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as Commit);
}

export interface BuildOptions {
  owner: string;
  name: string;
  commits: Commit[];
  defaultBranch?: string;
  /** Keep only the N most recently merged PRs (the bench's 500-PR repository). */
  maxPullRequests?: number;
  /** refs/notes/ai's notes (the data set's `.notes.jsonl`); none: the repository has no notes ref. */
  notes?: readonly NoteLine[] | null;
  notesLayout?: "flat" | "fanout";
  /**
   * Each PR's own commits (the data set's `.pulls.jsonl`): a squash-merged PR lists them as GitHub
   * does (its branch's commits), instead of the squash commit the default branch shows.
   */
  pulls?: readonly PullLine[] | null;
}

/** A data set as a local repository, e.g. `repositoryFromDataSet("github__github-mcp-server.jsonl")`. */
export function repositoryFromDataSet(file: string, options: Partial<BuildOptions> = {}): LocalRepository {
  const base = file.replace(/^.*\//, "").replace(/\.jsonl$/, "");
  const [owner, name] = base.split("__");
  // The notes and the PRs' own commits beside the data set, when it has them.
  const stem = (file.includes("/") ? file : resolve(SHARED_DATA_DIR, file)).replace(/\.jsonl$/, "");
  const notes = readJsonLines<NoteLine>(`${stem}.notes.jsonl`);
  const pulls = readJsonLines<PullLine>(`${stem}.pulls.jsonl`);
  return buildRepository({ owner, name, commits: loadCommits(file), notes, pulls, ...options });
}

/** A stable pseudo-random integer from a string: every derived fact is a function of the data. */
export function stableInt(text: string, modulo = 2 ** 31 - 1): number {
  return createHash("sha256").update(text).digest().readUInt32BE(0) % modulo;
}

/** REST timestamps are UTC without milliseconds. */
export function utc(date: string | number): string {
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const NOREPLY = /^(?:(\d+)\+)?([^@]+)@users\.noreply\.github\.com$/i;

/** The GitHub account behind a commit e-mail: noreply addresses carry id and login. */
export function userFromIdentity(name: string, email: string): LocalUser {
  const m = NOREPLY.exec(email);
  if (m) {
    const login = m[2];
    const id = m[1] ? Number(m[1]) : 10_000_000 + stableInt(login, 89_000_000);
    const type = login.endsWith("[bot]") || login === "Copilot" ? "Bot" : "User";
    return { login, id, type };
  }
  const local = (email.split("@")[0] || name).replace(/[^A-Za-z0-9-]/g, "-").replace(/^-+|-+$/g, "").slice(0, 39) || "ghost";
  return { login: local, id: 10_000_000 + stableInt(email.toLowerCase(), 89_000_000), type: "User" };
}

const COPILOT_REVIEWER: LocalUser = { login: "copilot-pull-request-reviewer[bot]", id: 175728472, type: "Bot" };

type Agent = "copilot" | "claude" | "codex" | "cursor" | "devin" | "aider" | null;

/** Which agent (if any) marked a commit — enough to name the head branch like the agent would. */
function agentOf(c: Commit): Agent {
  const ident = `${c.author_email} ${c.committer_email}`.toLowerCase();
  const msg = c.message.toLowerCase();
  if (ident.includes("198982749+copilot@") || ident.includes("copilot-swe-agent") || msg.includes("co-authored-by: copilot-swe-agent[bot]") || msg.includes("agent-logs-url:")) return "copilot";
  if (ident.includes("cursoragent@cursor.com")) return "cursor";
  if (ident.includes("devin-ai-integration")) return "devin";
  if (ident.includes("codex@openai.com") || msg.includes("chatgpt.com/codex")) return "codex";
  if (msg.includes("generated with [claude code]") || msg.includes("claude.ai/code/session") || msg.includes("<noreply@anthropic.com>")) return "claude";
  if (c.author_name.endsWith("(aider)")) return "aider";
  return null;
}

function slug(subject: string): string {
  return subject.toLowerCase().replace(/\(#\d+\)/g, "").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "change";
}

function subjectOf(message: string): string {
  return message.split("\n")[0];
}

function sumFiles(commits: Commit[]): FileChange[] {
  const byPath = new Map<string, FileChange>();
  for (const c of commits) {
    for (const f of c.files) {
      const seen = byPath.get(f.path);
      if (!seen) byPath.set(f.path, { path: f.path, added: f.added ?? 0, deleted: f.deleted ?? 0 });
      else {
        seen.added = (seen.added ?? 0) + (f.added ?? 0);
        seen.deleted = (seen.deleted ?? 0) + (f.deleted ?? 0);
      }
    }
  }
  return [...byPath.values()].sort((a, b) => a.path.localeCompare(b.path));
}

interface Draft {
  number: number;
  title: string;
  body: string;
  head_ref: string;
  commits: Commit[]; // oldest first
  mergeSha: string;
  mergedAt: string;
  mergeAuthor: LocalUser | null;
  /** The PR's files when they are not its commits' sum (a squash merge listing its branch's commits). */
  files?: FileChange[];
}

export function buildRepository(options: BuildOptions): LocalRepository {
  const { owner, name, commits } = options;
  const bySha = new Map(commits.map((c) => [c.sha, c]));
  // The first-parent chain from the head: what was on the default branch itself.
  const mainline = new Set<string>();
  for (let c = commits[0]; c; c = bySha.get(c.parents[0] ?? "")!) {
    if (mainline.has(c.sha)) break;
    mainline.add(c.sha);
  }
  const inPr = new Set<string>();
  const drafts: Draft[] = [];
  const numbers = new Set<number>();
  const chronological = [...commits].reverse();
  for (const c of chronological) {
    if (!mainline.has(c.sha)) continue;
    const subject = subjectOf(c.message);
    const merge = /^Merge pull request #(\d+) from ([^/\s]+)\/(\S+)/.exec(subject);
    const squash = /\(#(\d+)\)\s*$/.exec(subject);
    if (merge && c.parents.length > 1) {
      const number = Number(merge[1]);
      if (numbers.has(number)) continue;
      // Commits the second parent brought in, up to where they meet the mainline.
      const brought: Commit[] = [];
      const stack = [c.parents[1]];
      const seen = new Set<string>();
      while (stack.length) {
        const sha = stack.pop()!;
        if (seen.has(sha) || mainline.has(sha) || inPr.has(sha)) continue;
        seen.add(sha);
        const pc = bySha.get(sha);
        if (!pc) continue;
        brought.push(pc);
        stack.push(...pc.parents);
      }
      if (brought.length === 0) continue;
      brought.sort((a, b) => Date.parse(a.committed_at) - Date.parse(b.committed_at) || a.sha.localeCompare(b.sha));
      brought.forEach((b) => inPr.add(b.sha));
      numbers.add(number);
      const body = c.message.split("\n").slice(2).join("\n").trim();
      drafts.push({
        number,
        title: body.split("\n")[0] || subjectOf(brought[brought.length - 1].message),
        body,
        head_ref: merge[3],
        commits: brought,
        mergeSha: c.sha,
        mergedAt: c.committed_at,
        mergeAuthor: userFromIdentity(c.author_name, c.author_email),
      });
    } else if (squash && c.parents.length === 1) {
      const number = Number(squash[1]);
      if (numbers.has(number)) continue;
      numbers.add(number);
      inPr.add(c.sha);
      const agent = agentOf(c);
      const author = userFromIdentity(c.author_name, c.author_email);
      const prefix = agent && agent !== "aider" ? agent : author.login.replace(/\[bot\]$/, "");
      drafts.push({
        number,
        title: subject.replace(/\s*\(#\d+\)\s*$/, ""),
        body: c.message.split("\n").slice(1).join("\n").trim(),
        head_ref: `${prefix}/${slug(subject)}`,
        commits: [c],
        mergeSha: c.sha,
        mergedAt: c.committed_at,
        mergeAuthor: null,
      });
    }
  }
  // Runs of aider-written commits pushed straight to the mainline become synthetic agent PRs.
  let nextNumber = Math.max(0, ...numbers) + 1;
  let run: Commit[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const last = run[run.length - 1];
    drafts.push({
      number: nextNumber++,
      title: subjectOf(run[0].message).replace(/^aider:\s*/, ""),
      body: run.map((r) => `- ${subjectOf(r.message)}`).join("\n"),
      head_ref: `aider/${last.committed_at.slice(0, 10)}-${last.sha.slice(0, 7)}`,
      commits: run,
      mergeSha: last.sha,
      mergedAt: last.committed_at,
      mergeAuthor: null,
    });
    run = [];
  };
  for (const c of chronological) {
    if (!mainline.has(c.sha) || inPr.has(c.sha) || c.parents.length > 1) continue;
    if (agentOf(c) === "aider" && (run.length === 0 || run[0].author_email === c.author_email) && run.length < 8) run.push(c);
    else {
      flush();
      if (agentOf(c) === "aider") run.push(c);
    }
  }
  flush();

  // Maintainers: the most frequent human committers, who review and merge.
  const counts = new Map<string, { user: LocalUser; n: number }>();
  for (const c of commits) {
    const u = userFromIdentity(c.author_name, c.author_email);
    if (u.type === "Bot" || agentOf(c)) continue;
    const e = counts.get(u.login) ?? { user: u, n: 0 };
    e.n++;
    counts.set(u.login, e);
  }
  const maintainers = [...counts.values()].sort((a, b) => b.n - a.n || a.user.login.localeCompare(b.user.login)).slice(0, 4).map((e) => e.user);

  drafts.sort((a, b) => Date.parse(a.mergedAt) - Date.parse(b.mergedAt) || a.number - b.number);
  // A squash merge's PR lists its branch's commits on GitHub, not the squash commit: those the
  // data set's pulls file keeps (its files stay the squash commit's, the PR's diff).
  const pullCommits = new Map((options.pulls ?? []).filter((p) => p.commits.length > 0).map((p) => [p.number, p.commits]));
  for (const d of drafts) {
    const own = pullCommits.get(d.number);
    if (own && d.commits.length === 1 && d.commits[0].sha === d.mergeSha && d.commits[0].parents.length === 1) {
      d.files = d.commits[0].files;
      d.commits = own;
    }
  }
  const kept = options.maxPullRequests ? drafts.slice(-options.maxPullRequests) : drafts;
  const pullRequests = kept.map((d) => toPullRequest(d, maintainers)).sort((a, b) => a.number - b.number);
  const oldest = commits[commits.length - 1];
  return {
    id: 100_000_000 + stableInt(`${owner}/${name}`, 800_000_000),
    owner,
    name,
    default_branch: options.defaultBranch ?? "main",
    created_at: utc(oldest ? oldest.authored_at : 0),
    commits,
    commitsBySha: bySha,
    pullRequests,
    notes: options.notes && options.notes.length > 0 ? buildNotes(options.notes, { layout: options.notesLayout }) : null,
  };
}

function toPullRequest(d: Draft, maintainers: LocalUser[]): LocalPullRequest {
  const first = d.commits[0];
  const agent = d.commits.map(agentOf).find((a) => a !== null) ?? null;
  const h = stableInt(d.mergeSha);
  let user = userFromIdentity(first.author_name, first.author_email);
  if (agent === "copilot") user = { login: "Copilot", id: 198982749, type: "Bot" };
  if (agent === "aider") user = { login: user.login.replace(/-aider-?$/, ""), id: user.id, type: "User" };
  const created = Math.min(...d.commits.map((c) => Date.parse(c.authored_at)));
  const merged = Date.parse(d.mergedAt);
  const createdAt = Math.min(created, merged - 60_000);
  const others = maintainers.filter((m) => m.login !== user.login);
  const reviewer = others[h % Math.max(1, others.length)] ?? null;
  const at = (share: number) => utc(createdAt + Math.max(30_000, (merged - createdAt) * share));
  const reviews: LocalReview[] = [];
  const review = (u: LocalUser, state: LocalReview["state"], share: number, body = "") =>
    reviews.push({ id: 1_000_000_000 + stableInt(`${d.mergeSha}:${reviews.length}`, 900_000_000), user: u, state, body, submitted_at: at(share), commit_id: d.commits[d.commits.length - 1].sha });
  const roll = h % 10;
  if (agent || user.type === "Bot") {
    // Agent (and bot) PRs: 4 in 10 merge with no review, 2 in 10 with only Copilot's bot review.
    if (roll >= 4 && roll < 6) review(COPILOT_REVIEWER, "COMMENTED", 0.3, "Copilot reviewed the changes.");
    if (roll >= 6 && reviewer) {
      if (roll === 9) review(reviewer, "CHANGES_REQUESTED", 0.4, "Please add a test.");
      review(reviewer, "APPROVED", 0.8);
    }
  } else if (reviewer && roll < 8) {
    if (roll === 7) review(reviewer, "COMMENTED", 0.5, "Looks reasonable.");
    review(reviewer, "APPROVED", 0.9);
  }
  const labels: string[] = [];
  if (agent === "codex") labels.push("codex");
  if (user.login === "dependabot[bot]") labels.push("dependencies");
  const mergedBy = d.mergeAuthor && d.mergeAuthor.type === "User" ? d.mergeAuthor : reviews.find((r) => r.state === "APPROVED")?.user ?? maintainers[0] ?? user;
  const mergedAt = utc(merged);
  return {
    id: 2_000_000_000 + stableInt(`pr:${d.mergeSha}`, 1_000_000_000),
    number: d.number,
    title: d.title,
    body: d.body,
    user,
    head_ref: d.head_ref,
    base_ref: "main",
    labels,
    state: "closed",
    created_at: utc(createdAt),
    updated_at: mergedAt,
    closed_at: mergedAt,
    merged_at: mergedAt,
    merged_by: mergedBy,
    merge_commit_sha: d.mergeSha,
    commits: d.commits,
    files: d.files ?? sumFiles(d.commits),
    reviews,
  };
}
