/**
 * Which of the paths a scan knows each commit touched, from those paths' histories (`git log --
 * <path>`: GraphQL history(path:), PATH_HISTORY_BATCH paths a request, 100 commits a path). It
 * stands in for the REST numstat of a commit that changed one file: GitHub's totals are that file's
 * lines, so the numstat is exact once the file's path is known — and the one known path whose history
 * lists the commit is it. On github-mcp-server's full scan, 11 requests of histories (864 paths, 871
 * pages of 100, one request a commit page) stand in for 244 REST requests.
 *
 * What could make the one listing path the wrong one, and what rules it out:
 *  - a rename: its numstat names the new path, but the old path's history lists it too. When the
 *    old path's history has nothing newer (it ended there), the commit is not taken from the index.
 *    Left: an old path that a later commit creates again, while the new path is unknown to the scan.
 *  - a directory: history(path:) lists every commit under it. A known path that is also a directory
 *    above another known path is never the answer. Left: a path that was a file once and a
 *    directory later, none of whose files the scan knows.
 * Either leaves a wrong path only for a commit's one file; its counted lines change only when the
 * two paths differ in what loc.ts leaves out, and a one-file commit never has tests beside code.
 * Paths the scan does not know make no wrong answer: their commits are simply not listed, and go to REST.
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
   * The path of the one file a commit changed, when the histories read so far prove it (see above);
   * else null. A history not read yet cannot make a wrong answer: it only leaves commits unlisted.
   */
  onlyFile(sha: string): string | null {
    const paths = this.listed.get(sha);
    if (!paths || paths.length !== 1) return null;
    const [path] = paths;
    if (this.directories.has(path) || this.newest.get(path) === sha) return null;
    return path;
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
