// The local GitHub: an HTTP server on 127.0.0.1 speaking the REST and GraphQL subset CodeGuard
// uses, with GitHub's response shapes, Link pagination, ETag/304 (free, like GitHub), x-ratelimit-*
// headers with a per-token budget, request counters, GitHub App installation tokens, and fault
// injection (500s, secondary limits, primary exhaustion, slow answers, malformed pages). It serves
// the `npm start` demo and every GitHub test.
import { createHash, createPublicKey, randomBytes, verify, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { LocalRepository } from "./dataset.ts";
import { prepare } from "./graphql.ts";
import { commitJson, diffEntry, gitBlobJson, gitCommitJson, gitRefJson, gitTreeJson, pullRequestSimple, repositoryJson, reviewJson } from "./rest-shapes.ts";

/** A fault the next matching request(s) meet. */
export interface Fault {
  kind: "server-error" | "secondary-limit" | "primary-limit" | "slow" | "malformed-json" | "malformed-shape";
  /** Which requests: "graphql", "rest", or a RegExp over the path (default: any). */
  match?: "graphql" | "rest" | RegExp;
  /** How many requests it hits (default 1). */
  times?: number;
  /** secondary-limit: the retry-after seconds (null: none, only the message); status 403 or 429. */
  retryAfterSeconds?: number | null;
  status?: 403 | 429;
  /** slow: how long to wait before answering. */
  delayMs?: number;
}

export interface LocalGitHubOptions {
  repositories: LocalRepository[];
  port?: number;
  /** Accepted personal access tokens; undefined accepts any non-empty token. */
  tokens?: string[];
  /** Primary limit per token and resource (GitHub: 5,000/h). */
  rateLimit?: number;
  /** The server's clock (ms), for rate-limit windows and token expiry. */
  now?: () => number;
  /** GitHub App: its id and public key (PEM) to verify app JWTs. */
  app?: { appId: string; publicKeyPem: string; installationId: string; tokenLifetimeMs?: number };
}

/** What the server answered, for tests and the bench. */
export interface LocalGitHubStats {
  requests: number;
  /** Answers charged against the primary limit (everything but 304s and /rate_limit). */
  counted: number;
  notModified: number;
  graphql: number;
  graphqlPoints: number;
  /** GraphQL requests per operation name (PullRequestPage, CommitHistoryPage, …). */
  graphqlByOperation: Record<string, number>;
  byRoute: Record<string, number>;
  installationTokens: number;
}

export interface LocalGitHub {
  url: string;
  graphqlUrl: string;
  stats: LocalGitHubStats;
  resetStats(): void;
  inject(fault: Fault): void;
  clearFaults(): void;
  /** From now until clearFaults(), GitHub cannot serve this PR: its files error, the rest of its page is served. */
  failPullRequest(fullName: string, number: number, message?: string): void;
  /**
   * From now until clearFaults(), every request about this repository (REST /repos/owner/name/…,
   * GraphQL with variables owner and name) hangs: the connection stays open, nothing is answered.
   * The other repositories are served as usual. clearFaults() cuts the held connections.
   */
  hangRepository(fullName: string): void;
  /** Sets the remaining primary budget of every token (0 exhausts it until the window resets). */
  setRemaining(remaining: number, resource?: "core" | "graphql"): void;
  /** The reset instant (ms) of the current rate-limit window. */
  resetAt(): number;
  /** The repositories served; tests may mutate them to simulate pushes and new PRs. */
  repositories: LocalRepository[];
  /** An outage: the port is closed (connections are refused) and open connections cut, until comeBack(). */
  goDown(): Promise<void>;
  /** Ends an outage: listens on the same port again. */
  comeBack(): Promise<void>;
  stop(): Promise<void>;
}

interface Bucket {
  used: number;
  resetAt: number;
}

/** What GitHub's GraphQL API says when a field fails inside it (a timeout, a bug); the id is GitHub's. */
const GITHUB_INTERNAL_ERROR =
  "Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug. Please include `C0D3:9UARD:1F00D:2BEEF:6751A2B0` when reporting this issue.";

const SECONDARY_MESSAGE =
  "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.";

function newStats(): LocalGitHubStats {
  return { requests: 0, counted: 0, notModified: 0, graphql: 0, graphqlPoints: 0, graphqlByOperation: {}, byRoute: {}, installationTokens: 0 };
}

export async function startLocalGitHub(options: LocalGitHubOptions): Promise<LocalGitHub> {
  const now = options.now ?? (() => Date.now());
  const limit = options.rateLimit ?? 5000;
  const accepted = options.tokens ? new Set(options.tokens) : null;
  const installationTokens = new Map<string, number>(); // token → expiry
  const buckets = new Map<string, Bucket>();
  const faults: Fault[] = [];
  const failingPullRequests = new Map<string, string>();
  const hangingRepositories = new Set<string>();
  const hanging = new Set<ServerResponse>();
  /** Whether the request is about a hanging repository ("owner/name", lower case). */
  const aboutHanging = (path: string, graphqlBody: string | null): boolean => {
    if (hangingRepositories.size === 0) return false;
    const rest = /^\/repos\/([^/]+)\/([^/]+)/.exec(path);
    if (rest) return hangingRepositories.has(`${rest[1]}/${rest[2]}`.toLowerCase());
    try {
      const v = (JSON.parse(graphqlBody ?? "{}") as { variables?: { owner?: unknown; name?: unknown } }).variables;
      return typeof v?.owner === "string" && typeof v?.name === "string" && hangingRepositories.has(`${v.owner}/${v.name}`.toLowerCase());
    } catch {
      return false;
    }
  };
  const appKey: KeyObject | null = options.app ? createPublicKey(options.app.publicKeyPem) : null;
  let stats = newStats();
  let api = "";

  const bucket = (token: string, resource: string): Bucket => {
    const key = `${resource}:${token}`;
    let b = buckets.get(key);
    if (!b || b.resetAt <= now()) {
      b = { used: 0, resetAt: Math.ceil((now() + 3_600_000) / 1000) * 1000 };
      buckets.set(key, b);
    }
    return b;
  };
  const rateHeaders = (b: Bucket, resource: string): Record<string, string> => ({
    "x-ratelimit-limit": String(limit),
    "x-ratelimit-remaining": String(Math.max(0, limit - b.used)),
    "x-ratelimit-reset": String(Math.floor(b.resetAt / 1000)),
    "x-ratelimit-used": String(b.used),
    "x-ratelimit-resource": resource,
  });

  const takeFault = (isGraphql: boolean, path: string): Fault | null => {
    const i = faults.findIndex((f) =>
      f.match === undefined ? true : f.match === "graphql" ? isGraphql : f.match === "rest" ? !isGraphql : f.match.test(path));
    if (i < 0) return null;
    const f = faults[i];
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) faults.splice(i, 1);
    return f;
  };

  const send = (res: ServerResponse, status: number, headers: Record<string, string>, body: string | null) => {
    const h: Record<string, string> = {
      "x-github-api-version-selected": "2022-11-28",
      "x-github-request-id": randomBytes(8).toString("hex").toUpperCase(),
      vary: "Accept, Authorization, Cookie, X-GitHub-OTP",
      ...headers,
    };
    if (body !== null) h["content-type"] = "application/json; charset=utf-8";
    res.writeHead(status, h);
    res.end(body ?? undefined);
  };
  const error = (res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) =>
    send(res, status, headers, JSON.stringify({ message, documentation_url: "https://docs.github.com/rest", status: String(status) }));

  const authenticate = (req: IncomingMessage): string | null => {
    const m = /^(?:Bearer|token)\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (!m) return null;
    const token = m[1];
    const expiry = installationTokens.get(token);
    if (expiry !== undefined) return expiry > now() ? token : null;
    if (accepted && !accepted.has(token)) return null;
    return token;
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", api);
    const path = url.pathname;
    const isGraphql = path === "/graphql";
    stats.requests++;
    const route = routeName(req.method ?? "GET", path);
    stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;

    if (req.method === "POST" && /^\/app\/installations\/[^/]+\/access_tokens$/.test(path)) return installationToken(req, res, path);

    const token = authenticate(req);
    if (!token) return error(res, 401, "Bad credentials");
    if (path === "/rate_limit") {
      const core = bucket(token, "core");
      const gql = bucket(token, "graphql");
      const r = (b: Bucket) => ({ limit, used: b.used, remaining: Math.max(0, limit - b.used), reset: Math.floor(b.resetAt / 1000) });
      return send(res, 200, rateHeaders(core, "core"), JSON.stringify({ resources: { core: r(core), graphql: r(gql), search: r(bucket(token, "search")) }, rate: r(core) }));
    }

    const graphqlBody = isGraphql && req.method === "POST" ? await readBody(req) : null;
    if (aboutHanging(path, graphqlBody)) {
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      return; // no answer, ever: the client's own timeout decides
    }
    const resource = isGraphql ? "graphql" : "core";
    const b = bucket(token, resource);
    const fault = takeFault(isGraphql, path);
    if (fault?.kind === "slow") await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 1_000));
    if (fault?.kind === "primary-limit") b.used = limit;
    if (fault?.kind === "server-error") {
      stats.counted++;
      return error(res, 502, "Server Error");
    }
    if (fault?.kind === "secondary-limit") {
      stats.counted++;
      const headers = rateHeaders(b, resource);
      if (fault.retryAfterSeconds !== null) headers["retry-after"] = String(fault.retryAfterSeconds ?? 60);
      return error(res, fault.status ?? 403, SECONDARY_MESSAGE, headers);
    }
    if (b.used >= limit) {
      stats.counted++;
      const message = `API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.`;
      if (isGraphql) return send(res, 200, rateHeaders(b, resource), JSON.stringify({ errors: [{ type: "RATE_LIMITED", message }] }));
      return error(res, 403, message, rateHeaders(b, resource));
    }

    let answer: { status: number; body: unknown; link?: string | null };
    if (isGraphql) {
      if (req.method !== "POST") return error(res, 404, "Not Found");
      const request = JSON.parse(graphqlBody || "{}");
      const prepared = prepare(request, options.repositories, api, failingPullRequests);
      stats.graphql++;
      stats.counted++;
      stats.graphqlByOperation[prepared.operation] = (stats.graphqlByOperation[prepared.operation] ?? 0) + 1;
      if (prepared.errors) {
        b.used += 1;
        return send(res, 200, rateHeaders(b, resource), JSON.stringify({ errors: prepared.errors.map((e) => ({ message: e.message, locations: e.locations })) }));
      }
      b.used += prepared.cost;
      stats.graphqlPoints += prepared.cost;
      const result = await prepared.run({ limit, remaining: Math.max(0, limit - b.used), used: b.used, resetAt: b.resetAt });
      answer = { status: 200, body: result };
    } else {
      if (req.method !== "GET") return error(res, 404, "Not Found");
      answer = restGet(url);
      const text = JSON.stringify(answer.body);
      const etag = `W/"${createHash("sha256").update(text).digest("hex").slice(0, 40)}"`;
      if (answer.status === 200 && req.headers["if-none-match"] === etag && !fault) {
        stats.notModified++;
        return send(res, 304, { ...rateHeaders(b, resource), etag, ...(answer.link ? { link: answer.link } : {}) }, null);
      }
      stats.counted++;
      b.used += 1;
      const headers = { ...rateHeaders(b, resource), etag, "cache-control": "private, max-age=60, s-maxage=60", ...(answer.link ? { link: answer.link } : {}) };
      return send(res, answer.status, headers, mangle(fault, text, answer.body));
    }
    const text = JSON.stringify(answer.body);
    return send(res, answer.status, rateHeaders(b, resource), mangle(fault, text, answer.body));
  }

  function restGet(url: URL): { status: number; body: unknown; link?: string | null } {
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (!m) return { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } };
    const repo = options.repositories.find((r) => r.owner.toLowerCase() === m[1].toLowerCase() && r.name.toLowerCase() === m[2].toLowerCase());
    const notFound = { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" } };
    if (!repo) return notFound;
    const rest = m[3] ?? "";
    const q = url.searchParams;
    let r: RegExpExecArray | null;
    if (rest === "") return { status: 200, body: repositoryJson(api, repo) };
    if (rest === "/pulls") {
      const state = q.get("state") ?? "open";
      let list = repo.pullRequests.filter((p) => state === "all" || p.state === state);
      const sort = q.get("sort") ?? "created";
      const dir = (q.get("direction") ?? (sort === "created" ? "desc" : "desc")) === "asc" ? 1 : -1;
      const key = sort === "updated" ? "updated_at" : "created_at";
      list = [...list].sort((a, b) => dir * (a[key].localeCompare(b[key]) || a.number - b.number));
      return paginate(url, list, (p) => pullRequestSimple(api, repo, p));
    }
    if ((r = /^\/pulls\/(\d+)\/(commits|reviews|files)$/.exec(rest))) {
      const pr = repo.pullRequests.find((p) => p.number === Number(r![1]));
      if (!pr) return notFound;
      if (r[2] === "commits") return paginate(url, pr.commits, (c) => commitJson(api, repo, c), 250);
      if (r[2] === "reviews") return paginate(url, pr.reviews, (rv) => reviewJson(api, repo, pr, rv));
      return paginate(url, pr.files, (f) => diffEntry(api, repo, pr.merge_commit_sha ?? "", f), 3000);
    }
    // refs/notes/ai: the ref (404 without notes, as GitHub), matching-refs (an empty list then: an
    // answer with an ETag, so a repository without notes pays nothing on a rescan), the notes
    // commit, its trees and their blobs.
    if (rest === "/git/ref/notes/ai") return repo.notes ? { status: 200, body: gitRefJson(api, repo, repo.notes) } : notFound;
    if ((r = /^\/git\/matching-refs\/(.+)$/.exec(rest))) {
      const prefix = `refs/${r[1]}`;
      return { status: 200, body: repo.notes && repo.notes.ref.startsWith(prefix) ? [gitRefJson(api, repo, repo.notes)] : [] };
    }
    if ((r = /^\/git\/commits\/([0-9a-f]{40})$/.exec(rest))) {
      return repo.notes?.commitSha === r[1] ? { status: 200, body: gitCommitJson(api, repo, repo.notes) } : notFound;
    }
    if ((r = /^\/git\/trees\/([0-9a-f]{40})$/.exec(rest))) {
      const recursive = (q.get("recursive") ?? "") !== "" && q.get("recursive") !== "0" && q.get("recursive") !== "false";
      return repo.notes?.trees.has(r[1]) ? { status: 200, body: gitTreeJson(api, repo, repo.notes, r[1], recursive) } : notFound;
    }
    if ((r = /^\/git\/blobs\/([0-9a-f]{40})$/.exec(rest))) {
      const text = repo.notes?.blobs.get(r[1]);
      return text === undefined ? notFound : { status: 200, body: gitBlobJson(api, repo, r[1], text) };
    }
    if (rest === "/commits") {
      const head = q.get("sha") ?? repo.default_branch;
      let list = repo.commits;
      if (head !== repo.default_branch) {
        const i = list.findIndex((c) => c.sha === head);
        if (i < 0) return notFound;
        list = list.slice(i);
      }
      const since = q.get("since");
      const until = q.get("until");
      if (since) list = list.filter((c) => Date.parse(c.committed_at) >= Date.parse(since));
      if (until) list = list.filter((c) => Date.parse(c.committed_at) <= Date.parse(until));
      return paginate(url, list, (c) => commitJson(api, repo, c));
    }
    if ((r = /^\/commits\/([^/]+)$/.exec(rest))) {
      const ref = r[1] === repo.default_branch ? repo.commits[0]?.sha : r[1];
      const c = repo.commitsBySha.get(ref ?? "");
      if (!c) return { status: 422, body: { message: `No commit found for SHA: ${r[1]}`, documentation_url: "https://docs.github.com/rest/commits/commits#get-a-commit", status: "422" } };
      // A commit's files come 300 to a page (GitHub's cap), the rest through Link.
      const perPage = 300;
      const page = Math.max(1, Number(q.get("page") ?? 1));
      const files = c.files.slice((page - 1) * perPage, page * perPage);
      return { status: 200, body: commitJson(api, repo, c, c.files, files), link: linkHeader(url, page, Math.max(1, Math.ceil(c.files.length / perPage))) };
    }
    return notFound;
  }

  async function installationToken(req: IncomingMessage, res: ServerResponse, path: string) {
    const jwt = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (!options.app || !appKey || !jwt) return error(res, 401, "A JSON web token could not be decoded");
    const [h, p, s] = jwt.split(".");
    const ok = h && p && s && verify("RSA-SHA256", Buffer.from(`${h}.${p}`), appKey, Buffer.from(s, "base64url"));
    if (!ok) return error(res, 401, "A JSON web token could not be decoded");
    const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as { iss?: string; exp?: number; iat?: number };
    const t = Math.floor(now() / 1000);
    if (String(claims.iss) !== options.app.appId) return error(res, 401, "'Issuer' claim ('iss') must be an Integer");
    if (!claims.exp || claims.exp <= t || (claims.iat ?? 0) > t + 60) return error(res, 401, "'Expiration time' claim ('exp') is too far in the future or expired");
    if (claims.exp - (claims.iat ?? t) > 600) return error(res, 401, "'Expiration time' claim ('exp') is too far in the future");
    if (path.split("/")[3] !== options.app.installationId) return error(res, 404, "Not Found");
    const token = `ghs_${randomBytes(18).toString("base64url")}`;
    const expires = now() + (options.app.tokenLifetimeMs ?? 3_600_000);
    installationTokens.set(token, expires);
    stats.installationTokens++;
    return send(res, 201, {}, JSON.stringify({ token, expires_at: new Date(expires).toISOString().replace(/\.\d{3}Z$/, "Z"), permissions: { contents: "read", pull_requests: "read", metadata: "read" }, repository_selection: "all" }));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) error(res, 500, `local GitHub failed: ${(e as Error).message}`);
      else res.destroy();
    });
  });
  // Idle connections stay open longer than clients keep them (undici's fetch: 4 s): the client
  // then closes an idle connection first. At Node's default of 5 s the server's close raced a
  // request sent on a reused connection, which came back as ECONNRESET (seen in CI runs).
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  api = `http://127.0.0.1:${port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.closeAllConnections();
      server.close(() => resolve());
    });

  return {
    url: api,
    graphqlUrl: `${api}/graphql`,
    get stats() {
      return stats;
    },
    resetStats: () => {
      stats = newStats();
    },
    inject: (f) => faults.push({ times: 1, ...f }),
    clearFaults: () => {
      faults.length = 0;
      failingPullRequests.clear();
      hangingRepositories.clear();
      for (const r of hanging) r.destroy();
      hanging.clear();
    },
    hangRepository: (fullName) => {
      hangingRepositories.add(fullName.toLowerCase());
    },
    failPullRequest: (fullName, number, message = GITHUB_INTERNAL_ERROR) => {
      failingPullRequests.set(`${fullName}#${number}`.toLowerCase(), message);
    },
    setRemaining: (remaining, resource = "core") => {
      for (const [key, b] of buckets) if (key.startsWith(`${resource}:`)) b.used = limit - remaining;
      // Tokens not seen yet start from the same remaining budget.
      if (accepted) for (const t of accepted) bucket(t, resource).used = limit - remaining;
    },
    resetAt: () => [...buckets.values()][0]?.resetAt ?? Math.ceil((now() + 3_600_000) / 1000) * 1000,
    repositories: options.repositories,
    goDown: close,
    comeBack: () => new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    }),
    stop: close,
  };
}

/** GitHub's Link header: next/last and prev/first, keeping every other query parameter. */
function linkHeader(url: URL, page: number, last: number): string | null {
  const at = (p: number) => {
    const u = new URL(url);
    u.searchParams.set("page", String(p));
    return `<${u.toString()}>`;
  };
  const parts: string[] = [];
  if (page > 1) parts.push(`${at(page - 1)}; rel="prev"`);
  if (page < last) parts.push(`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`);
  if (page > 1) parts.push(`${at(1)}; rel="first"`);
  return parts.length ? parts.join(", ") : null;
}

/** Page-number pagination as GitHub does it: per_page default 30, max 100. */
function paginate<T>(url: URL, items: T[], toJson: (t: T) => unknown, cap = Infinity): { status: number; body: unknown; link: string | null } {
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page") ?? 30)));
  const page = Math.max(1, Number(url.searchParams.get("page") ?? 1));
  const capped = items.slice(0, cap);
  const last = Math.max(1, Math.ceil(capped.length / perPage));
  return { status: 200, body: capped.slice((page - 1) * perPage, page * perPage).map(toJson), link: linkHeader(url, page, last) };
}

/** A malformed page: cut JSON, or the first object of the deepest list replaced by junk. */
function mangle(fault: Fault | null, text: string, body: unknown): string {
  if (fault?.kind === "malformed-json") return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  if (fault?.kind === "malformed-shape") {
    const copy = JSON.parse(JSON.stringify(body));
    let target: unknown[] | null = null;
    const walk = (v: unknown) => {
      if (Array.isArray(v)) {
        if (v.length > 0 && typeof v[0] === "object") target = v;
        v.forEach(walk);
      } else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    walk(copy);
    if (target) (target as unknown[])[(target as unknown[]).length - 1] = { unexpected: "shape" };
    else return JSON.stringify({ unexpected: "shape" });
    return JSON.stringify(copy);
  }
  return text;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** A route's name for the counters: "GET /repos/:owner/:repo/pulls/:n/commits". */
function routeName(method: string, path: string): string {
  if (path === "/graphql") return `${method} /graphql`;
  return `${method} ${path
    .replace(/^\/repos\/[^/]+\/[^/]+/, "/repos/:owner/:repo")
    .replace(/\/pulls\/\d+/, "/pulls/:n")
    .replace(/\/git\/(blobs|trees)\/[0-9a-f]{40}$/, "/git/$1/:sha")
    .replace(/\/commits\/[0-9a-f]{7,40}$/, "/commits/:sha")
    .replace(/\/installations\/[^/]+/, "/installations/:id")}`;
}
