/**
 * Pull requests through GraphQL, one checkpointable page at a time: PRs with their author (bot or
 * not), body, labels, head branch, merge, reviews, commits and files in one request per page.
 */
import type { Actor, Commit, FileChange, PullRequest, Review } from "../detection/records.ts";
import { GitHubError, type GraphQLErrorEntry, GraphQLErrors } from "./errors.ts";
import type { GitHubHttp } from "./http.ts";
import { PULL_REQUEST_BY_NUMBER, PULL_REQUEST_CONNECTIONS, PULL_REQUEST_PAGE } from "./queries.ts";
import { ShapeReader } from "./shape.ts";

/**
 * Where a PR scan stands; plain JSON so the pipeline can store it in the job's checkpoint.
 * Pages run most recently updated first. That order is what makes a cursor safe across
 * invocations: an update only moves a PR towards the front, so while we page, unread PRs can only
 * shift back (read twice, upserted idempotently), never forward past the cursor (missed).
 */
export interface PullRequestCursor {
  /** GraphQL endCursor of the last page read; null to start at the newest. */
  after: string | null;
  /** Stop at PRs updated at or before this instant (the previous scan's watermark); null = all. */
  until: string | null;
}

export interface PullRequestPage {
  pullRequests: PullRequest[];
  /** The cursor of the next page, or null when the scan is done. */
  next: PullRequestCursor | null;
  /** The PRs GitHub could not serve, each left out with what GitHub said (the scan's warnings). */
  warnings: string[];
}

export interface PullRequestPageOptions {
  owner: string;
  name: string;
  cursor?: PullRequestCursor;
  /** PRs per page. 50 keeps a page at 2 points and well inside GitHub's 10 s GraphQL budget. */
  pageSize?: number;
  /** First page of each PR's commits/files (GitHub's cap per connection is 100). */
  nestedPageSize?: number;
  reviewsPageSize?: number;
}

const STATES = ["OPEN", "CLOSED", "MERGED"] as const;
const REVIEW_STATES = ["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"] as const;

/**
 * Reads one page of pull requests, completing any PR whose reviews, commits or files did not fit
 * with follow-up queries, so every returned PR is whole. The whole page is checked before anything
 * is returned: a malformed page throws MalformedResponse and yields no records. A PR GitHub
 * cannot serve (an error at its path beside the page's data, or in its follow-up query) is left
 * out with a warning, and the page goes on: one PR's timeout must not fail a repository's scan.
 * When every PR of the page fails, that is no single PR's trouble: GraphQLErrors.
 */
export async function fetchPullRequestPage(http: GitHubHttp, options: PullRequestPageOptions): Promise<PullRequestPage> {
  const cursor = options.cursor ?? { after: null, until: null };
  const nested = options.nestedPageSize ?? 100;
  const page = await http.graphql(
    PULL_REQUEST_PAGE,
    {
      owner: options.owner,
      name: options.name,
      first: options.pageSize ?? 50,
      after: cursor.after,
      reviews: options.reviewsPageSize ?? 50,
      commits: nested,
      files: nested,
    },
    (data, url, errors) => readPullRequestPage(new ShapeReader(url), data, errors),
    { partialAt: (path) => path[0] === "repository" && path[1] === "pullRequests" && path[2] === "nodes" && typeof path[3] === "number" },
  );
  const pullRequests: PullRequest[] = [];
  const warnings = [...page.warnings];
  let reachedWatermark = false;
  for (const node of page.nodes) {
    if (cursor.until !== null && Date.parse(node.pr.updated_at!) <= Date.parse(cursor.until)) {
      reachedWatermark = true;
      break;
    }
    try {
      await completeConnections(http, options, node, nested);
    } catch (error) {
      if (!(error instanceof GraphQLErrors)) throw error; // rate limits, outages, malformed answers: the page's
      warnings.push(`pull request #${node.pr.number} left out: GitHub could not serve the rest of its reviews, commits or files (${error.message})`);
      continue;
    }
    pullRequests.push(node.pr);
  }
  const next = !reachedWatermark && page.hasNextPage && page.endCursor
    ? { after: page.endCursor, until: cursor.until }
    : null;
  return { pullRequests, next, warnings };
}

/**
 * One pull request by number, whole (its reviews, commits and files completed as a page's are):
 * what a pr_analysis scan reads. A number the repository does not have is a permanent error that
 * names it.
 */
export async function fetchPullRequest(
  http: GitHubHttp,
  options: { owner: string; name: string; number: number; nestedPageSize?: number; reviewsPageSize?: number },
): Promise<PullRequest> {
  const nested = options.nestedPageSize ?? 100;
  let node: PageNode;
  try {
    node = await http.graphql(
      PULL_REQUEST_BY_NUMBER,
      { owner: options.owner, name: options.name, number: options.number, reviews: options.reviewsPageSize ?? 50, commits: nested, files: nested },
      (data, url) => {
        const r = new ShapeReader(url);
        const repo = r.obj(r.obj(data, "data").repository, "data.repository");
        return readPullRequest(r, repo.pullRequest, "data.repository.pullRequest");
      },
    );
  } catch (error) {
    if (error instanceof GraphQLErrors && error.errors.some((e) => e.type === "NOT_FOUND" && e.path?.includes("pullRequest"))) {
      throw new GitHubError(`${options.owner}/${options.name} has no pull request #${options.number}: check the number (GitHub: ${error.errors[0].message})`, false);
    }
    throw error;
  }
  await completeConnections(http, options, node, nested);
  return node.pr;
}

type Open = { hasNextPage: boolean; endCursor: string | null };
interface PageNode {
  pr: PullRequest;
  reviews: Open;
  commits: Open;
  files: Open;
}

async function completeConnections(http: GitHubHttp, options: PullRequestPageOptions, node: PageNode, first: number): Promise<void> {
  while (node.reviews.hasNextPage || node.commits.hasNextPage || node.files.hasNextPage) {
    const more = await http.graphql(
      PULL_REQUEST_CONNECTIONS,
      {
        owner: options.owner,
        name: options.name,
        number: node.pr.number,
        first,
        withReviews: node.reviews.hasNextPage,
        reviewsAfter: node.reviews.endCursor,
        withCommits: node.commits.hasNextPage,
        commitsAfter: node.commits.endCursor,
        withFiles: node.files.hasNextPage,
        filesAfter: node.files.endCursor,
      },
      (data, url) => {
        const r = new ShapeReader(url);
        const repo = r.obj(r.obj(data, "data").repository, "data.repository");
        const pr = r.obj(repo.pullRequest, "data.repository.pullRequest");
        return {
          reviews: pr.reviews === undefined ? null : readConnection(r, pr.reviews, "pullRequest.reviews", readReview),
          commits: pr.commits === undefined ? null : readConnection(r, pr.commits, "pullRequest.commits", readPrCommit),
          files: pr.files === undefined ? null : readConnection(r, pr.files, "pullRequest.files", readFile),
        };
      },
    );
    for (const kind of ["reviews", "commits", "files"] as const) {
      if (!node[kind].hasNextPage) continue;
      const got = more[kind];
      if (!got) throw new ShapeReader(http.graphqlUrl).fail(`pullRequest.${kind}`, "the connection asked for", got);
      (node.pr[kind] as unknown[]).push(...got.nodes);
      node[kind] = got.page;
    }
  }
}

function readPullRequestPage(
  r: ShapeReader,
  data: unknown,
  errors: GraphQLErrorEntry[],
): { nodes: PageNode[]; warnings: string[]; hasNextPage: boolean; endCursor: string | null } {
  const root = r.obj(data, "data");
  if (root.repository === null) r.fail("data.repository", "a repository (is the name right and the token allowed?)", null);
  const repo = r.obj(root.repository, "data.repository");
  const conn = r.obj(repo.pullRequests, "data.repository.pullRequests");
  const info = r.obj(conn.pageInfo, "pullRequests.pageInfo");
  // errors' paths are ["repository", "pullRequests", "nodes", i, …] (partialAt): node i failed.
  const failed = new Map<number, string[]>();
  for (const e of errors) failed.set(e.path![3] as number, [...(failed.get(e.path![3] as number) ?? []), e.message]);
  const raw = r.arr(conn.nodes, "pullRequests.nodes");
  if (raw.length > 0 && failed.size >= raw.length) throw new GraphQLErrors(errors);
  const nodes: PageNode[] = [];
  const warnings: string[] = [];
  raw.forEach((n, i) => {
    const messages = failed.get(i);
    if (!messages) return void nodes.push(readPullRequest(r, n, `pullRequests.nodes[${i}]`));
    const number = (n as { number?: unknown } | null)?.number;
    warnings.push(`pull request ${typeof number === "number" ? `#${number}` : `${i + 1} of its page`} left out: GitHub could not serve it (${messages.join("; ")})`);
  });
  return { nodes, warnings, hasNextPage: r.bool(info.hasNextPage, "pageInfo.hasNextPage"), endCursor: r.strOrNull(info.endCursor, "pageInfo.endCursor") };
}

function readPullRequest(r: ShapeReader, v: unknown, path: string): PageNode {
  const o = r.obj(v, path);
  const reviews = readConnection(r, o.reviews, `${path}.reviews`, readReview);
  const commits = readConnection(r, o.commits, `${path}.commits`, readPrCommit);
  const files = readConnection(r, o.files, `${path}.files`, readFile);
  const labels = r.arr(r.obj(o.labels, `${path}.labels`).nodes, `${path}.labels.nodes`)
    .map((l, i) => r.str(r.obj(l, `${path}.labels.nodes[${i}]`).name, `${path}.labels.nodes[${i}].name`));
  const pr: PullRequest = {
    number: r.int(o.number, `${path}.number`),
    title: r.str(o.title, `${path}.title`),
    body: r.str(o.body, `${path}.body`),
    author: readActor(r, o.author, `${path}.author`),
    head_ref: r.str(o.headRefName, `${path}.headRefName`),
    base_ref: r.str(o.baseRefName, `${path}.baseRefName`),
    labels,
    state: r.oneOf(o.state, `${path}.state`, STATES),
    created_at: r.str(o.createdAt, `${path}.createdAt`),
    updated_at: r.str(o.updatedAt, `${path}.updatedAt`),
    merged_at: r.strOrNull(o.mergedAt, `${path}.mergedAt`),
    merged_by: readActor(r, o.mergedBy, `${path}.mergedBy`),
    additions: r.int(o.additions, `${path}.additions`),
    deletions: r.int(o.deletions, `${path}.deletions`),
    reviews: reviews.nodes,
    commits: commits.nodes,
    files: files.nodes,
  };
  return { pr, reviews: reviews.page, commits: commits.page, files: files.page };
}

function readConnection<T>(r: ShapeReader, v: unknown, path: string, read: (r: ShapeReader, v: unknown, path: string) => T): { nodes: T[]; page: Open } {
  const o = r.obj(v, path);
  const info = r.obj(o.pageInfo, `${path}.pageInfo`);
  return {
    nodes: r.arr(o.nodes, `${path}.nodes`).map((n, i) => read(r, n, `${path}.nodes[${i}]`)),
    page: { hasNextPage: r.bool(info.hasNextPage, `${path}.pageInfo.hasNextPage`), endCursor: r.strOrNull(info.endCursor, `${path}.pageInfo.endCursor`) },
  };
}

/**
 * GraphQL names bots without REST's "[bot]" suffix (dependabot, not dependabot[bot]); the login is
 * kept as GitHub's GraphQL gives it, and `is_bot` plus the stable numeric `id` say what it is.
 */
function readActor(r: ShapeReader, v: unknown, path: string): Actor | null {
  if (v === null || v === undefined) return null; // a deleted account ("ghost")
  const o = r.obj(v, path);
  return {
    login: r.str(o.login, `${path}.login`),
    is_bot: r.str(o.__typename, `${path}.__typename`) === "Bot",
    id: r.intOrNull(o.databaseId, `${path}.databaseId`),
  };
}

function readReview(r: ShapeReader, v: unknown, path: string): Review {
  const o = r.obj(v, path);
  return {
    author: readActor(r, o.author, `${path}.author`),
    state: r.oneOf(o.state, `${path}.state`, REVIEW_STATES),
    submitted_at: r.strOrNull(o.submittedAt, `${path}.submittedAt`),
  };
}

function readPrCommit(r: ShapeReader, v: unknown, path: string): Commit {
  const c = r.obj(r.obj(v, path).commit, `${path}.commit`);
  const author = c.author === null ? {} : r.obj(c.author, `${path}.commit.author`);
  const committer = c.committer === null ? {} : r.obj(c.committer, `${path}.commit.committer`);
  return {
    sha: r.str(c.oid, `${path}.commit.oid`),
    parents: [],
    author_name: r.strOrNull(author.name, `${path}.commit.author.name`) ?? "",
    author_email: r.strOrNull(author.email, `${path}.commit.author.email`) ?? "",
    committer_name: r.strOrNull(committer.name, `${path}.commit.committer.name`) ?? "",
    committer_email: r.strOrNull(committer.email, `${path}.commit.committer.email`) ?? "",
    // GitActor.date is a GitTimestamp: it keeps the committer's UTC offset, as git log and the data sets do.
    authored_at: r.strOrNull(author.date, `${path}.commit.author.date`) ?? r.str(c.authoredDate, `${path}.commit.authoredDate`),
    committed_at: r.strOrNull(committer.date, `${path}.commit.committer.date`) ?? r.str(c.committedDate, `${path}.commit.committedDate`),
    message: r.str(c.message, `${path}.commit.message`),
    files: [],
    additions: r.int(c.additions, `${path}.commit.additions`),
    deletions: r.int(c.deletions, `${path}.commit.deletions`),
  };
}

function readFile(r: ShapeReader, v: unknown, path: string): FileChange {
  const o = r.obj(v, path);
  return { path: r.str(o.path, `${path}.path`), added: r.int(o.additions, `${path}.additions`), deleted: r.int(o.deletions, `${path}.deletions`) };
}
