// The local GitHub's GraphQL endpoint: queries run with graphql-js against GitHub's own published
// schema (@octokit/graphql-schema), so a query the local server accepts is one github.com accepts.
// Only the fields our client reads have resolvers; anything else resolves to null or fails the way
// a missing non-null field would, which a test would notice.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  buildSchema,
  execute,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
  validate,
  valueFromASTUntyped,
} from "graphql";
import type { Commit } from "../../../supabase/functions/_shared/detection/records.ts";
import type { LocalPullRequest, LocalRepository, LocalUser } from "./dataset.ts";
import { utc } from "./dataset.ts";
import { REPO_ROOT } from "../migrate.ts";

let schema: GraphQLSchema | null = null;

/** GitHub's public schema, built once per process (~1 s for its 1.2 MB of SDL). */
export function githubSchema(): GraphQLSchema {
  if (!schema) {
    // The package's exports map hides the SDL file, so it is read from node_modules directly.
    const file = join(REPO_ROOT, "node_modules", "@octokit", "graphql-schema", "schema.graphql");
    schema = buildSchema(readFileSync(file, "utf8"), { assumeValidSDL: true });
  }
  return schema;
}

/**
 * GitHub's documented cost: add up the requests each connection needs assuming every first/last is
 * reached (a nested connection once per parent node), divide by 100, round, minimum 1.
 * https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api
 */
export function queryCost(op: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>, variables: Record<string, unknown>): number {
  let requests = 0;
  const walk = (set: SelectionSetNode | undefined, multiplier: number) => {
    if (!set) return;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) walk(fragments.get(sel.name.value)?.selectionSet, multiplier);
      else if (sel.kind === Kind.INLINE_FRAGMENT) walk(sel.selectionSet, multiplier);
      else {
        if (!included(sel, variables)) continue;
        const limit = sel.arguments?.find((a) => a.name.value === "first" || a.name.value === "last");
        if (limit) {
          const n = Number(valueFromASTUntyped(limit.value, variables) ?? 0);
          requests += multiplier;
          walk(sel.selectionSet, multiplier * Math.max(1, n));
        } else walk(sel.selectionSet, multiplier);
      }
    }
  };
  walk(op.selectionSet, 1);
  return Math.max(1, Math.round(requests / 100));
}

function included(field: FieldNode, variables: Record<string, unknown>): boolean {
  for (const d of field.directives ?? []) {
    const arg = d.arguments?.find((a) => a.name.value === "if");
    const value = arg ? Boolean(valueFromASTUntyped(arg.value, variables)) : true;
    if (d.name.value === "include" && !value) return false;
    if (d.name.value === "skip" && value) return false;
  }
  return true;
}

export interface GraphQLRequest {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

export interface PreparedQuery {
  /** Errors of parsing or validation against GitHub's schema: answered without running anything. */
  errors: readonly GraphQLError[] | null;
  /** The operation's name ("CommitHistoryPage"), or "anonymous". */
  operation: string;
  cost: number;
  run(rateLimit: { limit: number; remaining: number; used: number; resetAt: number }): Promise<unknown>;
}

/** Parses and validates a request against GitHub's schema and computes its cost. */
/**
 * Pull requests GitHub cannot serve, by "owner/name#number" (lower case) → its error message. GitHub
 * answers such a PR with its `files` null and an error at that path beside the page's other data
 * (a timeout on a huge diff, an internal error): the rest of the page is served.
 */
export type FailingPullRequests = ReadonlyMap<string, string>;

export function prepare(request: GraphQLRequest, repositories: LocalRepository[], api: string, failing: FailingPullRequests = new Map()): PreparedQuery {
  let document;
  try {
    document = parse(request.query);
  } catch (error) {
    return { errors: [error as GraphQLError], operation: "anonymous", cost: 0, run: async () => null };
  }
  const errors = validate(githubSchema(), document);
  if (errors.length > 0) return { errors, operation: "anonymous", cost: 0, run: async () => null };
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const op = ops.find((o) => !request.operationName || o.name?.value === request.operationName) ?? ops[0];
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const variables = request.variables ?? {};
  const cost = queryCost(op, fragments, variables);
  return {
    errors: null,
    operation: op.name?.value ?? "anonymous",
    cost,
    run: async (rate) => {
      const rootValue = {
        rateLimit: () => ({ cost, limit: rate.limit, remaining: rate.remaining, used: rate.used, resetAt: new Date(rate.resetAt).toISOString(), nodeCount: 0 }),
        repository: ({ owner, name }: { owner: string; name: string }) => {
          const repo = repositories.find((r) => r.owner.toLowerCase() === owner.toLowerCase() && r.name.toLowerCase() === name.toLowerCase());
          if (!repo) {
            throw new GraphQLError(`Could not resolve to a Repository with the name '${owner}/${name}'.`, { extensions: { type: "NOT_FOUND" } });
          }
          return repositoryNode(repo, api, failing);
        },
      };
      const result = await execute({ schema: githubSchema(), document, rootValue, variableValues: variables, operationName: request.operationName });
      // GitHub puts `type` at the top of each error; graphql-js keeps it in extensions.
      return {
        ...(result.data !== undefined ? { data: result.data } : {}),
        ...(result.errors ? { errors: result.errors.map((e) => ({ type: (e.extensions?.type as string) ?? undefined, path: e.path, locations: e.locations, message: e.message })) } : {}),
      };
    },
  };
}

interface ConnectionArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

const cursorOf = (i: number) => Buffer.from(`cursor:v2:${i}`).toString("base64");
const indexOf = (cursor: string) => {
  const m = /^cursor:v2:(\d+)$/.exec(Buffer.from(cursor, "base64").toString());
  if (!m) throw new GraphQLError(`\`${cursor}\` does not appear to be a valid cursor.`, { extensions: { type: "INVALID_CURSOR_ARGUMENTS" } });
  return Number(m[1]);
};

/** A Relay connection over a list, with GitHub's first/last bounds (1–100). */
function connection<T, N>(items: T[], args: ConnectionArgs, toNode: (t: T) => N) {
  const { first, last } = args;
  if (first == null && last == null) {
    throw new GraphQLError("You must provide a `first` or `last` value to properly paginate the connection.", { extensions: { type: "MISSING_PAGINATION_BOUNDARIES" } });
  }
  for (const [k, v] of [["first", first], ["last", last]] as const) {
    if (v != null && (v < 0 || v > 100)) {
      throw new GraphQLError(`Requesting ${v} records on the connection exceeds the \`${k}\` limit of 100 records.`, { extensions: { type: "EXCESSIVE_PAGINATION" } });
    }
  }
  let start = args.after ? indexOf(args.after) + 1 : 0;
  let end = args.before ? indexOf(args.before) : items.length;
  if (first != null) end = Math.min(end, start + first);
  if (last != null) start = Math.max(start, end - last);
  const slice = items.slice(start, end).map((item, i) => ({ cursor: cursorOf(start + i), node: toNode(item) }));
  return {
    totalCount: items.length,
    edges: slice,
    nodes: slice.map((e) => e.node),
    pageInfo: {
      hasNextPage: end < items.length,
      hasPreviousPage: start > 0,
      startCursor: slice[0]?.cursor ?? null,
      endCursor: slice[slice.length - 1]?.cursor ?? null,
    },
  };
}

/** An Actor as GraphQL shows it: bots without REST's "[bot]" suffix. */
function actor(u: LocalUser | null) {
  if (!u) return null;
  return { __typename: u.type, login: u.login.replace(/\[bot\]$/, ""), databaseId: u.id, url: `https://github.com/${u.login}`, resourcePath: `/${u.login}` };
}

/** What history and associatedPullRequests need of a repository, built once per repository served. */
interface CommitGraph {
  /** A commit's position in the data set's order (newest first, as `git log` lists the branch). */
  position: Map<string, number>;
  /** The PRs a commit belongs to: those whose commits hold it, and the one it is the merge commit of. */
  pullRequests: Map<string, LocalPullRequest[]>;
  /** Each commit's committer date (ms), by position: history's since/until without parsing per request. */
  committedMs: Float64Array;
  /** The positions (ascending) of the commits that touch a path, as `git log -- <path>` means it (touches). */
  byFile: Map<string, number[]>;
  byDirectory: Map<string, number[]>;
}

const graphs = new WeakMap<LocalRepository, CommitGraph>();

function commitGraph(repo: LocalRepository): CommitGraph {
  let graph = graphs.get(repo);
  if (!graph) {
    const pullRequests = new Map<string, LocalPullRequest[]>();
    const link = (sha: string, pr: LocalPullRequest) => {
      const list = pullRequests.get(sha) ?? [];
      if (!list.includes(pr)) list.push(pr);
      pullRequests.set(sha, list);
    };
    for (const pr of repo.pullRequests) {
      for (const c of pr.commits) link(c.sha, pr);
      if (pr.merge_commit_sha) link(pr.merge_commit_sha, pr);
    }
    for (const list of pullRequests.values()) list.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.number - b.number);
    const committedMs = Float64Array.from(repo.commits, (c) => Date.parse(c.committed_at));
    const byFile = new Map<string, number[]>();
    const byDirectory = new Map<string, number[]>();
    const add = (index: Map<string, number[]>, key: string, i: number) => {
      const list = index.get(key) ?? [];
      if (list[list.length - 1] !== i) list.push(i);
      index.set(key, list);
    };
    repo.commits.forEach((c, i) => {
      if (c.parents.length > 1) return; // merges are simplified away (touches)
      for (const f of c.files) {
        for (const p of [f.path, f.old_path]) {
          if (p === undefined) continue;
          add(byFile, p, i);
          for (let cut = p.lastIndexOf("/"); cut > 0; cut = p.lastIndexOf("/", cut - 1)) add(byDirectory, p.slice(0, cut), i);
        }
      }
    });
    graph = { position: new Map(repo.commits.map((c, i) => [c.sha, i])), pullRequests, committedMs, byFile, byDirectory };
    graphs.set(repo, graph);
  }
  return graph;
}

/**
 * The commits that touch `path` as `git log -- <path>` means it: a file at the path or under it
 * (a directory), before or after a rename. Merges are left out, as git's default history
 * simplification leaves out a merge that takes the path from one of its parents; the data sets'
 * numstat of a merge is against its first parent only, so nothing better can be said of them.
 */
function touching(graph: CommitGraph, path: string): number[] {
  // A file at the path, or anything under it: the path as a directory ("dir/" names only that).
  const dir = path.endsWith("/") ? path.slice(0, -1) : path;
  const files = path.endsWith("/") ? [] : graph.byFile.get(path) ?? [];
  const under = graph.byDirectory.get(dir) ?? [];
  if (files.length === 0 || under.length === 0) return files.length ? files : under;
  return [...new Set([...files, ...under])].sort((a, b) => a - b);
}

interface HistoryArgs extends ConnectionArgs {
  path?: string | null;
  since?: string | null;
  until?: string | null;
}

function commitNode(c: Commit, repo: LocalRepository) {
  const noreply = (email: string) => /^(?:\d+\+)?([^@]+)@users\.noreply\.github\.com$/i.exec(email)?.[1] ?? null;
  const gitActor = (name: string, email: string, date: string) => {
    const login = noreply(email);
    return { name, email, date, user: login && !login.endsWith("[bot]") ? { __typename: "User", login } : null };
  };
  return {
    __typename: "Commit",
    oid: c.sha,
    abbreviatedOid: c.sha.slice(0, 7),
    message: c.message,
    messageHeadline: c.message.split("\n")[0],
    // The same totals REST's `stats` gives: binary files count 0 lines.
    additions: c.files.reduce((n, f) => n + (f.added ?? 0), 0),
    deletions: c.files.reduce((n, f) => n + (f.deleted ?? 0), 0),
    changedFilesIfAvailable: c.files.length,
    authoredDate: utc(c.authored_at),
    committedDate: utc(c.committed_at),
    // GitTimestamp keeps the original offset.
    author: gitActor(c.author_name, c.author_email, c.authored_at),
    committer: gitActor(c.committer_name, c.committer_email, c.committed_at),
    parents: (args: ConnectionArgs) => connection(c.parents, args, (oid) => ({ oid })),
    // The commits reachable from this one in `git log` order: the data set's order from here on,
    // as REST's GET /commits?sha= lists them; since/until compare the committer date, as REST does.
    history: (args: HistoryArgs) => {
      const graph = commitGraph(repo);
      const start = graph.position.get(c.sha) ?? repo.commits.length;
      let positions: number[];
      if (args.path) {
        const all = touching(graph, args.path);
        let lo = 0;
        for (let hi = all.length; lo < hi;) {
          const mid = (lo + hi) >> 1;
          if (all[mid] < start) lo = mid + 1;
          else hi = mid;
        }
        positions = all.slice(lo);
      } else {
        positions = Array.from({ length: repo.commits.length - start }, (_, k) => start + k);
      }
      const since = args.since ? Date.parse(args.since) : null;
      const until = args.until ? Date.parse(args.until) : null;
      if (since !== null) positions = positions.filter((i) => graph.committedMs[i] >= since);
      if (until !== null) positions = positions.filter((i) => graph.committedMs[i] <= until);
      return connection(positions.map((i) => repo.commits[i]), args, (x) => commitNode(x, repo));
    },
    associatedPullRequests: (args: ConnectionArgs) => connection(commitGraph(repo).pullRequests.get(c.sha) ?? [], args, (pr) => pullRequestNode(pr, repo)),
  };
}

const ORDER_FIELDS: Record<string, keyof LocalPullRequest> = { CREATED_AT: "created_at", UPDATED_AT: "updated_at" };

function pullRequestNode(pr: LocalPullRequest, repo: LocalRepository) {
  const additions = pr.files.reduce((n, f) => n + (f.added ?? 0), 0);
  const deletions = pr.files.reduce((n, f) => n + (f.deleted ?? 0), 0);
  return {
    __typename: "PullRequest",
    id: `PR_${pr.id}`,
    databaseId: pr.id,
    number: pr.number,
    title: pr.title,
    body: pr.body,
    state: pr.merged_at ? "MERGED" : pr.state === "open" ? "OPEN" : "CLOSED",
    merged: pr.merged_at !== null,
    createdAt: pr.created_at,
    updatedAt: pr.updated_at,
    closedAt: pr.closed_at,
    mergedAt: pr.merged_at,
    headRefName: pr.head_ref,
    baseRefName: pr.base_ref,
    additions,
    deletions,
    changedFiles: pr.files.length,
    author: actor(pr.user),
    mergedBy: actor(pr.merged_by),
    mergeCommit: pr.merge_commit_sha && repo.commitsBySha.has(pr.merge_commit_sha) ? commitNode(repo.commitsBySha.get(pr.merge_commit_sha)!, repo) : null,
    labels: (args: ConnectionArgs) => connection(pr.labels, args, (name) => ({ name, color: "ededed" })),
    reviews: (args: ConnectionArgs) =>
      connection(pr.reviews, args, (r) => ({ state: r.state, submittedAt: r.submitted_at, createdAt: r.submitted_at, body: r.body, author: actor(r.user) })),
    commits: (args: ConnectionArgs) => connection(pr.commits, args, (c) => ({ commit: commitNode(c, repo) })),
    files: (args: ConnectionArgs) =>
      connection(pr.files, args, (f) => ({ path: f.path, additions: f.added ?? 0, deletions: f.deleted ?? 0, changeType: f.old_path ? "RENAMED" : "MODIFIED" })),
  };
}

/**
 * How much of a blob's text GraphQL returns before it says isTruncated. GitHub does not document
 * the cap; the local GitHub cuts at 512 KiB by default, and tests lower it (LocalNotes.blobTextLimit)
 * to see the reader fall back to REST's git/blobs for a note too large for a batch.
 */
export const DEFAULT_BLOB_TEXT_LIMIT = 512 * 1024;

function notesBlobNode(repo: LocalRepository, expression: string) {
  const notes = repo.notes;
  const m = /^([^:]+):(.+)$/.exec(expression);
  if (!notes || !m) return null;
  if (m[1] !== notes.commitSha && m[1] !== notes.ref && m[1] !== "refs/notes/ai") return null;
  const path = m[2];
  let blobSha: string | undefined;
  for (const { path: p, blobSha: b } of notes.byCommit.values()) if (p === path) blobSha = b;
  const text = blobSha === undefined ? undefined : notes.blobs.get(blobSha);
  if (blobSha === undefined || text === undefined) return null;
  const bytes = Buffer.from(text, "utf8");
  const limit = notes.blobTextLimit ?? DEFAULT_BLOB_TEXT_LIMIT;
  const truncated = bytes.length > limit;
  return {
    __typename: "Blob",
    oid: blobSha,
    abbreviatedOid: blobSha.slice(0, 7),
    byteSize: bytes.length,
    isBinary: false,
    isTruncated: truncated,
    text: truncated ? bytes.subarray(0, limit).toString("utf8") : text,
  };
}

function repositoryNode(repo: LocalRepository, _api: string, failing: FailingPullRequests) {
  const servedNode = (pr: LocalPullRequest) => {
    const node = pullRequestNode(pr, repo);
    const message = failing.get(`${repo.owner}/${repo.name}#${pr.number}`.toLowerCase());
    return message === undefined ? node : { ...node, files: () => { throw new GraphQLError(message); } };
  };
  return {
    __typename: "Repository",
    name: repo.name,
    nameWithOwner: `${repo.owner}/${repo.name}`,
    // A commit by oid, or a notes blob by `<notes commit or ref>:<path>` (what the notes reader
    // batches under aliases); other objects and rev-parse expressions are not served (null).
    object: ({ oid, expression }: { oid?: string | null; expression?: string | null }) => {
      if (expression) return notesBlobNode(repo, expression);
      const c = oid ? repo.commitsBySha.get(oid) : undefined;
      return c ? commitNode(c, repo) : null;
    },
    ref: ({ qualifiedName }: { qualifiedName: string }) => {
      const name = qualifiedName.replace(/^refs\/heads\//, "");
      const head = repo.commits[0];
      if (name !== repo.default_branch || !head) return null;
      return { __typename: "Ref", name, prefix: "refs/heads/", target: commitNode(head, repo) };
    },
    pullRequest: ({ number }: { number: number }) => {
      const pr = repo.pullRequests.find((p) => p.number === number);
      // GitHub answers a missing number with a null pullRequest and a NOT_FOUND error beside it.
      if (!pr) throw new GraphQLError(`Could not resolve to a PullRequest with the number of ${number}.`, { extensions: { type: "NOT_FOUND" } });
      return servedNode(pr);
    },
    pullRequests: (args: ConnectionArgs & { orderBy?: { field: string; direction: "ASC" | "DESC" }; states?: string[] }) => {
      let list = repo.pullRequests;
      if (args.states?.length) list = list.filter((p) => args.states!.includes(p.merged_at ? "MERGED" : p.state.toUpperCase()));
      const field = ORDER_FIELDS[args.orderBy?.field ?? "CREATED_AT"] ?? "created_at";
      const dir = args.orderBy?.direction === "DESC" ? -1 : 1;
      list = [...list].sort((a, b) => dir * (String(a[field]).localeCompare(String(b[field])) || a.number - b.number));
      return connection(list, args, servedNode);
    },
  };
}
