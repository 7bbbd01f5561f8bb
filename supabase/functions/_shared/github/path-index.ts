/**
 * Which of the paths a scan knows each commit touched, from those paths' histories (`git log --
 * <path>`: GraphQL history(path:), PATH_HISTORY_BATCH paths a request, 100 commits a path). It
 * stands in for the REST numstat of a commit whose every file it proves: a commit of k files
 * (GitHub's changedFilesIfAvailable, which counts a rename once, as the numstat lists it) whose
 * history is listed by exactly k known paths changed exactly those — each listing path is one of
 * its files (but for what is ruled out below), and k distinct files of k are all of them. For one
 * file, GitHub's totals are that file's lines, so the numstat is exact; for several, the paths and
 * the totals are what detection reads (commits.ts). On github-mcp-server's full scan, 13 requests
 * of histories (one or two a commit page) stand in for 399 REST requests: 249 commits of one file,
 * 150 of several.
 *
 * A path's history lists a non-merge commit when the commit changed what is at the path, so a
 * listing path that is not one of the commit's files is one of:
 *  - a rename's old path: the numstat names the new path, but the old path's history lists the
 *    commit too. When the old path's history has nothing newer (it ended there), the commit is not
 *    taken from the index (which sends a commit that deleted a known file to REST as well).
 *    Left: an old path that a later commit creates again, while the new path is unknown to the scan.
 *  - a directory: history(path:) lists every commit under it. A known path that is also a directory
 *    above another known path proves nothing. Left: a path that was a file once and a directory
 *    another time, none of whose files under it the scan knows.
 * Either leaves a wrong path in place of a right one, the file count and totals still right: the
 * counted lines change only when the two paths differ in what loc.ts leaves out, and the suspected
 * tier's tests-beside-code only when they differ in naming a test. Paths the scan does not know, and
 * histories not read yet or simplified away (git leaves out a side branch's commits whose change to
 * a path the merge did not take), make no wrong answer: they only leave a commit with fewer listing
 * paths than files, and it goes to REST.
 */
import { historyOf } from "./commit-history.ts";
import type { GitHubHttp } from "./http.ts";
import { PATH_HISTORY_BATCH, pathHistoriesQuery } from "./queries.ts";
import { ShapeReader } from "./shape.ts";

/** The histories read: from this head, within this window (the scan's). */
export interface PathIndexWindow {
  owner: string;
  name: string;
  head: string;
  since: string | null;
}

interface PathPage {
  oids: string[];
  hasNextPage: boolean;
  endCursor: string | null;
}

export class PathIndex {
  /** Commit → the read paths whose history lists it. */
  private readonly listed = new Map<string, string[]>();
  /** Path → the newest commit of its history (within the window). */
  private readonly newest = new Map<string, string>();
  /** Every path ever queued. */
  private readonly queued = new Set<string>();
  /** Every directory above a queued path. */
  private readonly directories = new Set<string>();
  /** History pages to read: a path's first (after: null) or its next. */
  private readonly queue: { path: string; after: string | null }[] = [];

  constructor(private readonly http: GitHubHttp, private readonly window: PathIndexWindow) {}

  /** Queues the histories of the paths not queued yet, behind those queued before. */
  want(paths: Iterable<string>): void {
    for (const path of paths) {
      if (this.queued.has(path)) continue;
      this.queued.add(path);
      for (let i = path.indexOf("/"); i > 0; i = path.indexOf("/", i + 1)) this.directories.add(path.slice(0, i));
      this.queue.push({ path, after: null });
    }
  }

  get pending(): boolean {
    return this.queue.length > 0;
  }

  /**
   * Reads one request of history pages, PATH_HISTORY_BATCH of them from the front of the queue. A
   * path's next page goes back to the front: the scan lists older commits page by page, and that
   * page holds the path's older commits.
   */
  async readBatch(): Promise<void> {
    const batch = this.queue.splice(0, PATH_HISTORY_BATCH);
    if (batch.length === 0) return;
    const variables: Record<string, unknown> = { owner: this.window.owner, name: this.window.name, head: this.window.head, since: this.window.since };
    batch.forEach((b, i) => {
      variables[`path${i}`] = b.path;
      variables[`after${i}`] = b.after;
    });
    const pages = await this.http.graphql(pathHistoriesQuery(batch.length), variables, (data, url) => {
      const r = new ShapeReader(url);
      const commit = historyOf(r, data, this.window.head);
      return batch.map((_, i) => readPathPage(r, commit[`p${i}`], `object.p${i}`));
    });
    const next: { path: string; after: string }[] = [];
    pages.forEach((page, i) => {
      const { path, after } = batch[i];
      if (after === null && page.oids.length > 0) this.newest.set(path, page.oids[0]);
      for (const oid of page.oids) {
        const paths = this.listed.get(oid);
        if (paths) paths.push(path);
        else this.listed.set(oid, [path]);
      }
      if (page.hasNextPage && page.endCursor) next.push({ path, after: page.endCursor });
    });
    this.queue.unshift(...next);
  }

  /**
   * The paths of the `count` files a commit changed (GitHub's changedFilesIfAvailable), sorted, when
   * the histories read so far prove them (see above); else null. A history not read yet cannot make
   * a wrong answer: it only leaves the commit with fewer listing paths than files.
   */
  filesOf(sha: string, count: number): string[] | null {
    const paths = this.listed.get(sha);
    if (!paths || paths.length !== count) return null;
    for (const path of paths) if (this.directories.has(path) || this.newest.get(path) === sha) return null;
    return [...paths].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

function readPathPage(r: ShapeReader, v: unknown, path: string): PathPage {
  const o = r.obj(v, path);
  const info = r.obj(o.pageInfo, `${path}.pageInfo`);
  return {
    oids: r.arr(o.nodes, `${path}.nodes`).map((n, i) => r.str(r.obj(n, `${path}.nodes[${i}]`).oid, `${path}.nodes[${i}].oid`)),
    hasNextPage: r.bool(info.hasNextPage, `${path}.pageInfo.hasNextPage`),
    endCursor: r.strOrNull(info.endCursor, `${path}.pageInfo.endCursor`),
  };
}
