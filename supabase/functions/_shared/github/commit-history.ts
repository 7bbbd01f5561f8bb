/**
 * The branch's history through GraphQL, 100 commits a request: each commit's identities, dates,
 * message, parents and line totals — everything detection reads of a commit but its per-file
 * numstat, which GraphQL does not have — and, where the commit is a PR's merge commit, that PR's files.
 */
import type { Commit, FileChange } from "../detection/records.ts";
import type { GitHubHttp } from "./http.ts";
import { COMMIT_HISTORY_PAGE } from "./queries.ts";
import { ShapeReader } from "./shape.ts";

/** One commit of a history page: the record without its files, and what says whether they are needed. */
export interface HistoryCommit {
  /** The record, `files: []`; `parents` as far as `parentsComplete` says. */
  commit: Commit;
  additions: number;
  deletions: number;
  /** How many files it changed; null when GitHub could not count them (it times out on huge commits). */
  changedFiles: number | null;
  /** false for an octopus merge: parents(first: 2) held only two of its parents. */
  parentsComplete: boolean;
  /**
   * All the files of the PR whose merge commit this is (null otherwise, or when they did not fit in
   * one page): the commit's own numstat when the PR was squash-merged, which numstat.ts checks.
   */
  pullRequestFiles: FileChange[] | null;
  /** The number of the PR whose merge commit this is (a squash merge's PR: its commits' notes), or null. */
  pullRequestNumber: number | null;
}

export interface HistoryPage {
  commits: HistoryCommit[];
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface HistoryPageOptions {
  owner: string;
  name: string;
  /** The commit whose history is listed (the scan's head). */
  head: string;
  after: string | null;
  since: string | null;
  pageSize?: number;
}

/** Reads one history page; a malformed page throws MalformedResponse and yields nothing. */
export async function fetchHistoryPage(http: GitHubHttp, options: HistoryPageOptions): Promise<HistoryPage> {
  return await http.graphql(
    COMMIT_HISTORY_PAGE,
    { owner: options.owner, name: options.name, head: options.head, first: options.pageSize ?? 100, after: options.after, since: options.since, files: 100 },
    (data, url) => readHistoryPage(new ShapeReader(url), data, options.head),
  );
}

/** The `history` connection under `repository.object(oid: head)`, with clear failures when either is gone. */
export function historyOf(r: ShapeReader, data: unknown, head: string): Record<string, unknown> {
  const root = r.obj(data, "data");
  if (root.repository === null) r.fail("data.repository", "a repository (is the name right and the token allowed?)", null);
  const repo = r.obj(root.repository, "data.repository");
  if (repo.object === null) {
    r.fail("data.repository.object", `the commit ${head} the scan started from (gone after a force-push? a new full scan starts from the branch's head)`, null);
  }
  return r.obj(repo.object, "data.repository.object");
}

function readHistoryPage(r: ShapeReader, data: unknown, head: string): HistoryPage {
  const conn = r.obj(historyOf(r, data, head).history, "object.history");
  const info = r.obj(conn.pageInfo, "history.pageInfo");
  return {
    commits: r.arr(conn.nodes, "history.nodes").map((n, i) => readHistoryCommit(r, n, `history.nodes[${i}]`)),
    hasNextPage: r.bool(info.hasNextPage, "history.pageInfo.hasNextPage"),
    endCursor: r.strOrNull(info.endCursor, "history.pageInfo.endCursor"),
  };
}

function readHistoryCommit(r: ShapeReader, v: unknown, path: string): HistoryCommit {
  const c = r.obj(v, path);
  const author = c.author === null ? {} : r.obj(c.author, `${path}.author`);
  const committer = c.committer === null ? {} : r.obj(c.committer, `${path}.committer`);
  const parents = r.obj(c.parents, `${path}.parents`);
  const parentOids = r.arr(parents.nodes, `${path}.parents.nodes`).map((p, i) => r.str(r.obj(p, `${path}.parents.nodes[${i}]`).oid, `${path}.parents.nodes[${i}].oid`));
  const sha = r.str(c.oid, `${path}.oid`);
  return {
    commit: {
      sha,
      parents: parentOids,
      author_name: r.strOrNull(author.name, `${path}.author.name`) ?? "",
      author_email: r.strOrNull(author.email, `${path}.author.email`) ?? "",
      committer_name: r.strOrNull(committer.name, `${path}.committer.name`) ?? "",
      committer_email: r.strOrNull(committer.email, `${path}.committer.email`) ?? "",
      // GitActor.date is a GitTimestamp: it keeps the committer's UTC offset, as git log and the data sets do.
      authored_at: r.strOrNull(author.date, `${path}.author.date`) ?? r.str(c.authoredDate, `${path}.authoredDate`),
      committed_at: r.strOrNull(committer.date, `${path}.committer.date`) ?? r.str(c.committedDate, `${path}.committedDate`),
      message: r.str(c.message, `${path}.message`),
      files: [],
    },
    additions: r.int(c.additions, `${path}.additions`),
    deletions: r.int(c.deletions, `${path}.deletions`),
    changedFiles: r.intOrNull(c.changedFilesIfAvailable, `${path}.changedFilesIfAvailable`),
    parentsComplete: r.int(parents.totalCount, `${path}.parents.totalCount`) <= parentOids.length,
    pullRequestFiles: mergedPullRequestFiles(r, c.associatedPullRequests, sha, `${path}.associatedPullRequests`),
    pullRequestNumber: mergedPullRequestNumber(r, c.associatedPullRequests, sha, `${path}.associatedPullRequests`),
  };
}

/** The number of the associated PR when this commit is its merge commit. */
function mergedPullRequestNumber(r: ShapeReader, v: unknown, sha: string, path: string): number | null {
  if (v === null || v === undefined) return null;
  for (const [i, n] of r.arr(r.obj(v, path).nodes, `${path}.nodes`).entries()) {
    const pr = r.obj(n, `${path}.nodes[${i}]`);
    const merge = pr.mergeCommit === null ? null : r.obj(pr.mergeCommit, `${path}.nodes[${i}].mergeCommit`);
    if (merge && r.str(merge.oid, `${path}.nodes[${i}].mergeCommit.oid`) === sha) return r.int(pr.number, `${path}.nodes[${i}].number`);
  }
  return null;
}

/** The files of the associated PR when this commit is its merge commit and they came whole. */
function mergedPullRequestFiles(r: ShapeReader, v: unknown, sha: string, path: string): FileChange[] | null {
  if (v === null || v === undefined) return null;
  for (const [i, n] of r.arr(r.obj(v, path).nodes, `${path}.nodes`).entries()) {
    const pr = r.obj(n, `${path}.nodes[${i}]`);
    const merge = pr.mergeCommit === null ? null : r.obj(pr.mergeCommit, `${path}.nodes[${i}].mergeCommit`);
    if (!merge || r.str(merge.oid, `${path}.nodes[${i}].mergeCommit.oid`) !== sha) continue;
    if (pr.files === null) return null; // GitHub could not list them
    const files = r.obj(pr.files, `${path}.nodes[${i}].files`);
    if (r.bool(r.obj(files.pageInfo, `${path}.nodes[${i}].files.pageInfo`).hasNextPage, `${path}.nodes[${i}].files.pageInfo.hasNextPage`)) return null;
    return r.arr(files.nodes, `${path}.nodes[${i}].files.nodes`).map((f, j) => {
      const file = r.obj(f, `${path}.nodes[${i}].files.nodes[${j}]`);
      return {
        path: r.str(file.path, `${path}.nodes[${i}].files.nodes[${j}].path`),
        added: r.int(file.additions, `${path}.nodes[${i}].files.nodes[${j}].additions`),
        deleted: r.int(file.deletions, `${path}.nodes[${i}].files.nodes[${j}].deletions`),
      };
    });
  }
  return null;
}
