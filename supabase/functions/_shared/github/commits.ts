/**
 * Default-branch commits through REST: GraphQL's commit history has no per-file numstat, so the
 * list comes from GET /repos/{o}/{r}/commits (conditional, 100 a page) and each commit's files from
 * GET /repos/{o}/{r}/commits/{sha}. A commit by sha never changes, so once cached its files cost
 * no request at all on later scans.
 */
import type { Commit, FileChange } from "../detection/records.ts";
import type { GitHubHttp } from "./http.ts";
import { ShapeReader } from "./shape.ts";

/** Where a commit scan stands (plain JSON for the job's checkpoint). */
export interface CommitCursor {
  /** The next list page's URL from the Link header, or null to start at the branch head. */
  next: string | null;
  /** Stop at this sha (the head the previous scan ended at); null = the whole `since` window. */
  stopAt: string | null;
  /** Only commits after this instant (the scan's lookback window), or null for all history. */
  since: string | null;
}

export interface CommitPage {
  commits: Commit[];
  next: CommitCursor | null;
}

export interface CommitPageOptions {
  owner: string;
  name: string;
  branch: string;
  cursor?: CommitCursor;
  pageSize?: number;
}

interface ListedCommit {
  sha: string;
}

/** Reads one page of the branch's commits (newest first) with every commit's numstat. */
export async function fetchCommitPage(http: GitHubHttp, options: CommitPageOptions): Promise<CommitPage> {
  const cursor = options.cursor ?? { next: null, stopAt: null, since: null };
  const repo = `/repos/${encodeURIComponent(options.owner)}/${encodeURIComponent(options.name)}`;
  const first = `${repo}/commits?sha=${encodeURIComponent(options.branch)}&per_page=${options.pageSize ?? 100}` +
    (cursor.since ? `&since=${encodeURIComponent(cursor.since)}` : "");
  const list = await http.get(cursor.next ?? first, {
    shape: "commit-shas@1",
    read: (body, url) => {
      const r = new ShapeReader(url);
      return r.arr(body, "").map((c, i): ListedCommit => ({ sha: r.str(r.obj(c, `[${i}]`).sha, `[${i}].sha`) }));
    },
  });
  const commits: Commit[] = [];
  let stopped = false;
  for (const listed of list.data) {
    if (listed.sha === cursor.stopAt) {
      stopped = true;
      break;
    }
    commits.push(await fetchCommit(http, repo, listed.sha));
  }
  const nextUrl = stopped ? null : nextLink(list.link);
  return { commits, next: nextUrl ? { ...cursor, next: nextUrl } : null };
}

/** One commit with all its files (GitHub pages a commit's files 300 at a time). */
export async function fetchCommit(http: GitHubHttp, repoPath: string, sha: string): Promise<Commit> {
  let url: string | null = `${repoPath}/commits/${sha}`;
  let commit: Commit | null = null;
  while (url) {
    const page: { data: Commit; link: string | null } = await http.get(url, { shape: "commit@1", immutable: true, read: (body, u) => readCommit(new ShapeReader(u), body) });
    if (commit) commit.files.push(...page.data.files);
    else commit = page.data;
    url = nextLink(page.link);
  }
  return commit!;
}

function readCommit(r: ShapeReader, body: unknown): Commit {
  const o = r.obj(body, "");
  const c = r.obj(o.commit, "commit");
  const author = r.obj(c.author, "commit.author");
  const committer = r.obj(c.committer, "commit.committer");
  return {
    sha: r.str(o.sha, "sha"),
    parents: r.arr(o.parents, "parents").map((p, i) => r.str(r.obj(p, `parents[${i}]`).sha, `parents[${i}].sha`)),
    author_name: r.str(author.name, "commit.author.name"),
    author_email: r.str(author.email, "commit.author.email"),
    committer_name: r.str(committer.name, "commit.committer.name"),
    committer_email: r.str(committer.email, "commit.committer.email"),
    authored_at: r.str(author.date, "commit.author.date"),
    committed_at: r.str(committer.date, "commit.committer.date"),
    message: r.str(c.message, "commit.message"),
    files: r.arr(o.files ?? [], "files").map((f, i): FileChange => {
      const file = r.obj(f, `files[${i}]`);
      const change: FileChange = {
        path: r.str(file.filename, `files[${i}].filename`),
        added: r.int(file.additions, `files[${i}].additions`),
        deleted: r.int(file.deletions, `files[${i}].deletions`),
      };
      if (file.status === "renamed" && typeof file.previous_filename === "string") change.old_path = file.previous_filename;
      return change;
    }),
  };
}

/** The rel="next" URL of a Link header. */
export function nextLink(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(",")) {
    const m = /<([^>]+)>\s*;\s*rel="([^"]+)"/.exec(part.trim());
    if (m && m[2].split(/\s+/).includes("next")) return m[1];
  }
  return null;
}
