/**
 * Default-branch commits, one checkpointable page at a time: the history through GraphQL (100
 * commits a request, with totals, file counts, parents and the merged PR's files: commit-history.ts),
 * and per commit only what detection reads of its files, from the cheapest source that gives it
 * exactly (numstat.ts): nothing for a merge or a commit without lines that a mark decides; the
 * merged PR's files for a squash merge; the histories of the paths the scan knows (path-index.ts)
 * for a commit whose every path they prove — one file: its numstat is GitHub's totals; several:
 * their paths with the totals, when the AI-LOC filter does not split them; else GET
 * /repos/{o}/{r}/commits/{sha} — which never changes, so once cached it costs no request at all on
 * later scans. github-mcp-server's full scan (1,099 commits): one REST list page per 100 commits and
 * one REST request per commit before (1,110); now 11 history pages, 13 path-history requests and 177
 * REST requests, with every verdict, score and counted line the same as the full numstat gives.
 */
import { countedAddedLinesOf } from "../detection/loc.ts";
import type { Commit, FileChange } from "../detection/records.ts";
import { fetchHistoryPage, type HistoryCommit } from "./commit-history.ts";
import type { GitHubHttp } from "./http.ts";
import { needsNumstat, pullRequestNumstat, withTotals } from "./numstat.ts";
import { PathIndex } from "./path-index.ts";
import { ShapeReader } from "./shape.ts";

/**
 * Requests of path histories one commit page may read (PATH_HISTORY_BATCH paths each), while some
 * of its commits are not proven yet. github-mcp-server's full scan: 1 a page left 195 commits to
 * REST, 2 leave 177, 6 would leave 174.
 */
const PATH_BATCHES_PER_PAGE = 2;

/** Where a commit scan stands (plain JSON for the job's checkpoint). */
export interface CommitCursor {
  /**
   * The commit whose history is listed: the branch head the scan's probe saw, so that every page of
   * every run of the scan lists one history, however the branch moves meanwhile.
   */
  head: string;
  /** The GraphQL endCursor of the last history page read; null to start at `head`. */
  after: string | null;
  /** Stop at this sha (the head the previous scan ended at); null = the whole `since` window. */
  stopAt: string | null;
  /** Only commits after this instant (the scan's lookback window), or null for all history. */
  since: string | null;
}

export interface CommitPage {
  commits: Commit[];
  next: CommitCursor | null;
}

/**
 * Reads one scan's commit pages (one head, one window). It keeps, for one run, the paths the scan
 * has seen (PR files, numstat read) and the index of their histories; a run that resumes a
 * checkpoint starts them afresh, which costs requests (REST reads a numstat the index would have
 * spared) but changes nothing detection reads: a verdict, a score or a counted line.
 */
export class CommitReader {
  private readonly knownPaths = new Set<string>();
  private index: PathIndex | null = null;

  constructor(private readonly http: GitHubHttp, private readonly repo: { owner: string; name: string }, private readonly pageSize = 100) {}

  /** Paths the scan met elsewhere (its PR pages): their histories may prove commits' files. */
  learnPaths(files: readonly FileChange[]): void {
    for (const f of files) this.knownPaths.add(f.path);
  }

  /**
   * One page of the branch's commits, newest first, each with the numstat detection needs of it.
   * `exact` names the commits whose every file's added lines must be known (a commit with a git-ai
   * note, a squash merge whose PR's commits have notes: the note's lines are capped at what the
   * commit added to each file): they get REST's numstat where nothing cheaper gives it exactly.
   */
  async page(cursor: CommitCursor, exact: (c: HistoryCommit) => boolean = () => false): Promise<CommitPage> {
    const history = await fetchHistoryPage(this.http, { ...this.repo, head: cursor.head, after: cursor.after, since: cursor.since, pageSize: this.pageSize });
    const stop = history.commits.findIndex((c) => c.commit.sha === cursor.stopAt);
    const listed = stop < 0 ? history.commits : history.commits.slice(0, stop);
    const records: Commit[] = new Array(listed.length);
    const wanted: number[] = [];
    const exacts = listed.map(exact);
    listed.forEach((c, i) => {
      if (c.pullRequestFiles) this.learnPaths(c.pullRequestFiles);
      const files = pullRequestNumstat(c);
      if (files) records[i] = { ...c.commit, files };
      else if (!needsNumstat(c) && !(exacts[i] && (c.changedFiles ?? 1) > 0 && c.commit.parents.length < 2)) records[i] = withTotals(c);
      else wanted.push(i);
    });
    const proven = await this.fromPathHistories(listed, wanted, cursor);
    // REST last: the paths it reads join the known paths, whose histories the next pages read.
    for (const i of wanted) {
      const p = proven.get(i);
      records[i] = p && !(exacts[i] && p.files.some((f) => f.lines_unknown)) ? p : await this.fromRest(listed[i]);
    }
    for (const [i, c] of listed.entries()) {
      // An octopus merge: parents(first: 2) held two of its parents; REST lists them all.
      if (!c.parentsComplete) records[i] = { ...records[i], parents: (await fetchCommit(this.http, this.repoPath, c.commit.sha)).parents };
    }
    const done = stop >= 0 || !history.hasNextPage || !history.endCursor;
    return { commits: records, next: done ? null : { ...cursor, after: history.endCursor } };
  }

  /**
   * The records of the commits whose files the path index proves (path-index.ts), after reading
   * more requests of path histories: at most PATH_BATCHES_PER_PAGE, so that a page stays one history
   * request, a few index requests and its REST reads — a run's time budget is kept at page
   * boundaries, and the index's 9 requests for github-mcp-server's 864 paths in one page would
   * outlast a short budget. A commit of one file gets that file's numstat: GitHub's totals of a
   * one-file commit are that file's lines. A commit of several files gets its paths with their lines
   * unknown (FileChange.lines_unknown) and its totals, which is all detection reads of it — the file
   * count, the totals, the paths (tests beside code) and the counted lines — as long as the AI-LOC
   * filter leaves out none of its files, or all of them (countedAddedLinesOf); otherwise REST reads it.
   * The index serves a full listing only: an incremental scan's window has no start (it stops at a
   * sha), so each path's history would be read back to the repository's first commit, for a few
   * commits that cost one REST request each.
   */
  private async fromPathHistories(listed: HistoryCommit[], wanted: number[], cursor: CommitCursor): Promise<Map<number, Commit>> {
    const found = new Map<number, Commit>();
    const candidates = wanted.filter((i) => (listed[i].changedFiles ?? 0) > 0);
    if (candidates.length === 0 || cursor.stopAt !== null) return found;
    this.index ??= new PathIndex(this.http, { ...this.repo, head: cursor.head, since: cursor.since });
    this.index.want(this.knownPaths);
    const proven = (i: number) => this.index!.filesOf(listed[i].commit.sha, listed[i].changedFiles!) !== null;
    for (let n = 0; n < PATH_BATCHES_PER_PAGE && this.index.pending && !candidates.every(proven); n++) await this.index.readBatch();
    for (const i of candidates) {
      const c = listed[i];
      const paths = this.index.filesOf(c.commit.sha, c.changedFiles!);
      if (paths === null) continue;
      if (paths.length === 1) {
        found.set(i, { ...c.commit, files: [{ path: paths[0], added: c.additions, deleted: c.deletions }] });
        continue;
      }
      const files: FileChange[] = paths.map((path) => ({ path, added: null, deleted: null, lines_unknown: true }));
      const record: Commit = { ...c.commit, files, additions: c.additions, deletions: c.deletions };
      if (countedAddedLinesOf(record) !== null) found.set(i, record);
    }
    return found;
  }

  /** The record with REST's numstat (the dates, identities and parents stay GraphQL's). */
  private async fromRest(c: HistoryCommit): Promise<Commit> {
    const { files } = await fetchCommit(this.http, this.repoPath, c.commit.sha);
    this.learnPaths(files);
    return { ...c.commit, files };
  }

  private get repoPath(): string {
    return `/repos/${encodeURIComponent(this.repo.owner)}/${encodeURIComponent(this.repo.name)}`;
  }
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
