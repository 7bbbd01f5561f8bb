/**
 * The one place the GitHub client touches the network: auth, conditional requests against the
 * ETag cache, request counting, rate-limit bookkeeping, and retries of 5xx/timeouts.
 *
 * Why plain `fetch` and not octokit: this module runs unchanged in Deno edge functions and in Node
 * (tsx, vitest). `npm:@octokit/*` specifiers cannot be resolved by Node, and bare `@octokit/*`
 * imports cannot be resolved by the Supabase bundler without an import map per function; octokit's
 * throttling/retry plugins also sleep inside the request (an edge function must never sleep until a
 * rate-limit reset — the job is snoozed instead) and its conditional-request support would need an
 * adapter to our Postgres cache anyway. What we use of GitHub is two endpoints' worth of REST and one
 * GraphQL endpoint, so fetch plus ~300 lines of explicit policy is the smaller dependency.
 */
import type { EtagCache } from "./etag-cache.ts";
import {
  GitHubAuthError,
  GitHubRequestError,
  GitHubUnavailable,
  type GraphQLErrorEntry,
  GraphQLErrors,
  MalformedResponse,
  RateLimited,
} from "./errors.ts";
import type { TokenSource } from "./auth.ts";

/** What one scan spent on GitHub. `counted` is what GitHub charges against the primary limit. */
export interface RequestCounter {
  /** HTTP requests sent, retries included. */
  requests: number;
  /** Requests GitHub charges for: everything that did not answer 304. */
  counted: number;
  /** 304 Not Modified answers to conditional requests: free. */
  notModified: number;
  /** Answers served from the cache without any request (immutable resources: a commit by sha). */
  cacheHits: number;
  /** Retries after 5xx/timeouts/network errors (included in `requests`). */
  retries: number;
  /** GraphQL points spent, as GitHub reported them in `rateLimit { cost }`. */
  graphqlPoints: number;
}

export function newRequestCounter(): RequestCounter {
  return { requests: 0, counted: 0, notModified: 0, cacheHits: 0, retries: 0, graphqlPoints: 0 };
}

/** Retry policy for 5xx, timeouts and network errors: a small budget, then a retryable failure. */
export interface RetryPolicy {
  /** Total tries per request, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** GitHub's own advice is to back off at least a minute on a secondary limit without retry-after. */
const SECONDARY_LIMIT_DEFAULT_WAIT_MS = 60_000;

export interface GitHubHttpOptions {
  token: TokenSource;
  /** REST base, default https://api.github.com (GHES: https://host/api/v3). */
  baseUrl?: string;
  /** GraphQL endpoint, default `${baseUrl}/graphql` (GHES: https://host/api/graphql). */
  graphqlUrl?: string;
  etagCache?: EtagCache | null;
  counter?: RequestCounter;
  fetch?: typeof fetch;
  /** Injected so tests assert the backoff without sleeping. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected clock (ms since epoch). */
  now?: () => number;
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout; a timeout is retried like a 5xx. */
  timeoutMs?: number;
  userAgent?: string;
  /**
   * Stops the client (the job's signal: cancelled, time budget reached, shutdown): no request starts
   * once it fired, one in flight is abandoned, and the signal's reason is thrown.
   */
  signal?: AbortSignal;
  /**
   * Called whenever GitHub answered — anything but a network failure, a timeout or a 5xx: GitHub is
   * up (the scan processor tells the queue, which ends an outage of the source).
   */
  onAnswer?: () => void;
}

/** A decoded REST answer. `fromCache` is true for a 304 (or an immutable cache hit). */
export interface RestResponse<T> {
  data: T;
  status: number;
  fromCache: boolean;
  link: string | null;
}

export interface RestGetOptions<T> {
  /**
   * Checks and converts the decoded body; throws MalformedResponse. Runs before anything is cached,
   * and what it returns is what the cache keeps (so it must be plain JSON).
   */
  read: (body: unknown, url: string) => T;
  /**
   * Names the reader and the version of what it returns ("commit@1"): a cached value made by
   * another reader (or an older version of this one) is not used. Bump it when `read` changes.
   */
  shape: string;
  /** Send If-None-Match from the ETag cache and cache the answer (default true). */
  conditional?: boolean;
  /** The resource never changes (a commit by sha): a cached answer is used without a request. */
  immutable?: boolean;
}

type RateState = { remaining: number; resetAt: number };

/** The HTTP layer of the GitHub client. One instance per scan (it carries that scan's counter). */
export class GitHubHttp {
  readonly counter: RequestCounter;
  readonly baseUrl: string;
  readonly graphqlUrl: string;
  private readonly token: TokenSource;
  private readonly cache: EtagCache | null;
  private readonly fetchFn: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly signal: AbortSignal | null;
  private readonly onAnswer: () => void;
  /** Last seen primary-limit state per resource (core, graphql): never send a request known to fail. */
  private readonly rate = new Map<string, RateState>();

  constructor(options: GitHubHttpOptions) {
    this.token = options.token;
    this.baseUrl = (options.baseUrl ?? "https://api.github.com").replace(/\/+$/, "");
    this.graphqlUrl = options.graphqlUrl ?? `${this.baseUrl}/graphql`;
    this.cache = options.etagCache ?? null;
    this.counter = options.counter ?? newRequestCounter();
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? (() => Date.now());
    this.retry = { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 8_000, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.userAgent = options.userAgent ?? "codeguard";
    this.signal = options.signal ?? null;
    this.onAnswer = options.onAnswer ?? (() => {});
  }

  /** GET a REST path (`/repos/o/r/commits?…`) or an absolute URL from a Link header. */
  async get<T>(pathOrUrl: string, options: RestGetOptions<T>): Promise<RestResponse<T>> {
    const url = pathOrUrl.startsWith("http") ? pathOrUrl : `${this.baseUrl}${pathOrUrl}`;
    const key = cacheKey(url, this.baseUrl);
    const conditional = options.conditional !== false && this.cache !== null;
    const cached = conditional ? await this.cache!.get(key, options.shape) : null;
    if (cached && options.immutable) {
      this.counter.cacheHits++;
      return { data: cached.value as T, status: 304, fromCache: true, link: cached.link };
    }
    const headers: Record<string, string> = { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" };
    if (cached) headers["if-none-match"] = cached.etag;
    const res = await this.send(url, { method: "GET", headers }, "core");
    if (res.status === 304) {
      if (!cached) throw new MalformedResponse(url, "304 Not Modified to a request that was not conditional");
      return { data: cached.value as T, status: 304, fromCache: true, link: cached.link };
    }
    const body = await readJson(res, url);
    const data = options.read(body, url); // throws before anything is cached
    const etag = res.headers.get("etag");
    const link = res.headers.get("link");
    if (conditional && etag) await this.cache!.put(key, options.shape, { etag, value: data, link });
    return { data, status: res.status, fromCache: false, link };
  }

  /**
   * A value kept in the ETag cache under `key` for a resource that never changes (a Git blob by its
   * sha, read through GraphQL, which has no conditional requests): null when not kept (or no cache).
   */
  async recall<T>(key: string, shape: string): Promise<T | null> {
    if (!this.cache) return null;
    const hit = await this.cache.get(key, shape);
    if (!hit) return null;
    this.counter.cacheHits++;
    return hit.value as T;
  }

  /** Keeps an immutable resource's value for `recall` (plain JSON). */
  async keep(key: string, shape: string, value: unknown): Promise<void> {
    if (this.cache) await this.cache.put(key, shape, { etag: "immutable", value, link: null });
  }

  /**
   * POST a GraphQL document. GraphQL has no conditional requests: every call is charged. GitHub
   * may answer data with errors beside it, each at the path of a field it could not serve; when
   * `partialAt` accepts every error's path, `read` gets the data and those errors (one PR of a
   * page that failed, say), else the answer is a GraphQLErrors.
   */
  async graphql<T>(
    query: string,
    variables: Record<string, unknown>,
    read: (data: unknown, url: string, errors: GraphQLErrorEntry[]) => T,
    options: { partialAt?: (path: readonly unknown[]) => boolean } = {},
  ): Promise<T> {
    const url = this.graphqlUrl;
    const res = await this.send(
      url,
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) },
      "graphql",
    );
    const body = await readJson(res, url);
    if (typeof body !== "object" || body === null) throw new MalformedResponse(url, "the body is not a JSON object");
    const { data, errors } = body as { data?: unknown; errors?: unknown };
    let list: GraphQLErrorEntry[] = [];
    if (Array.isArray(errors) && errors.length > 0) {
      list = errors.map((e) => ({
        message: String((e as { message?: unknown }).message ?? "unknown error"),
        type: (e as { type?: string }).type,
        path: (e as { path?: unknown[] }).path,
      }));
      // GitHub answers an exhausted GraphQL budget with 200 + errors[].type RATE_LIMITED.
      if (list.some((e) => e.type === "RATE_LIMITED")) {
        throw new RateLimited(new Date(resetFromHeaders(res.headers) ?? this.now() + SECONDARY_LIMIT_DEFAULT_WAIT_MS), "primary", "graphql");
      }
      const partial = options.partialAt;
      if (!partial || data === undefined || data === null || !list.every((e) => Array.isArray(e.path) && partial(e.path))) {
        throw new GraphQLErrors(list);
      }
    }
    if (data === undefined || data === null) throw new MalformedResponse(url, "no `data` in the GraphQL answer");
    const result = read(data, url, list);
    const cost = (data as { rateLimit?: { cost?: unknown } }).rateLimit?.cost;
    this.counter.graphqlPoints += typeof cost === "number" ? cost : 1;
    return result;
  }

  /**
   * Sends one request with auth, the timeout and the retry budget. Returns a 2xx or 304 response;
   * every other outcome becomes a typed error.
   */
  private async send(url: string, init: RequestInit & { headers: Record<string, string> }, resource: string): Promise<Response> {
    const known = this.rate.get(resource);
    if (known && known.remaining <= 0 && known.resetAt > this.now()) {
      throw new RateLimited(new Date(known.resetAt), "primary", resource);
    }
    let lastProblem = "no answer";
    let lastStatus: number | null = null;
    let authRetried = false;
    let everyTryTimedOut = true;
    for (let attempt = 1; ; attempt++) {
      this.signal?.throwIfAborted();
      const token = await this.token.token();
      // A token with a space or a control character (pasted with its newline) cannot be sent: the
      // HTTP layer would fail before any network, with an error that quotes the header — the token.
      // It is the company's credentials that are wrong, not GitHub that is down.
      if (!/^[\x21-\x7e]+$/.test(token)) {
        throw new GitHubAuthError(0, `the stored GitHub token has ${token.length} characters, among them a space, a line break or another character a token cannot hold`);
      }
      const headers = { ...init.headers, authorization: `Bearer ${token}`, "user-agent": this.userAgent };
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.timeoutMs);
      const stop = () => controller.abort();
      this.signal?.addEventListener("abort", stop, { once: true });
      let res: Response | null = null;
      this.counter.requests++;
      if (attempt > 1) this.counter.retries++;
      try {
        res = await this.fetchFn(url, { ...init, headers, signal: controller.signal });
        if (res.status >= 500) {
          await res.body?.cancel();
        }
      } catch (error) {
        if (this.signal?.aborted) {
          this.counter.counted++; // it may have reached GitHub before we let go
          throw this.signal.reason;
        }
        lastProblem = controller.signal.aborted
          ? `no answer within ${this.timeoutMs} ms`
          : `network error: ${redact((error as Error).message, token)}`;
        if (!controller.signal.aborted) everyTryTimedOut = false;
        lastStatus = null;
        this.counter.counted++; // a request that reached nobody may still have been charged
      } finally {
        clearTimeout(timer);
        this.signal?.removeEventListener("abort", stop);
      }
      if (res) {
        if (res.status === 304) this.counter.notModified++;
        else this.counter.counted++;
        this.noteRate(res.headers, resource);
        if (res.status < 500) this.onAnswer();
        if (res.status < 300 || res.status === 304) return res;
        if (res.status === 401 && this.token.invalidate && !authRetried) {
          // An installation token can be revoked before its expiry: get a fresh one, once.
          authRetried = true;
          this.token.invalidate();
          await res.body?.cancel();
          attempt--;
          continue;
        }
        if (res.status < 500) throw await this.clientError(res, url, resource);
        lastProblem = `${res.status} ${res.statusText}`.trim();
        lastStatus = res.status;
        everyTryTimedOut = false;
      }
      if (attempt >= this.retry.maxAttempts) {
        throw new GitHubUnavailable(`GitHub did not answer ${url}: ${lastProblem}`, attempt, lastStatus, everyTryTimedOut);
      }
      await this.sleep(Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1)));
    }
  }

  private noteRate(headers: Headers, fallbackResource: string): void {
    const remaining = headers.get("x-ratelimit-remaining");
    const reset = resetFromHeaders(headers);
    if (remaining === null || reset === null) return;
    const resource = headers.get("x-ratelimit-resource") ?? fallbackResource;
    this.rate.set(resource, { remaining: Number(remaining), resetAt: reset });
  }

  /** 4xx → RateLimited (primary or secondary), GitHubAuthError or GitHubRequestError. */
  private async clientError(res: Response, url: string, resource: string): Promise<Error> {
    const text = await res.text().catch(() => "");
    let message = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === "string") message = parsed.message;
    } catch {
      // not JSON: keep the text
    }
    if (res.status === 403 || res.status === 429) {
      const retryAfter = res.headers.get("retry-after");
      const named = res.headers.get("x-ratelimit-resource") ?? resource;
      if (retryAfter !== null && /^\d+$/.test(retryAfter.trim())) {
        return new RateLimited(new Date(this.now() + Number(retryAfter) * 1000), "secondary", named);
      }
      if (res.headers.get("x-ratelimit-remaining") === "0") {
        const reset = resetFromHeaders(res.headers);
        return new RateLimited(new Date(reset ?? this.now() + SECONDARY_LIMIT_DEFAULT_WAIT_MS), "primary", named);
      }
      if (/secondary rate limit|abuse detection/i.test(message) || res.status === 429) {
        return new RateLimited(new Date(this.now() + SECONDARY_LIMIT_DEFAULT_WAIT_MS), "secondary", named);
      }
    }
    if (res.status === 401 || res.status === 403) return new GitHubAuthError(res.status, message);
    return new GitHubRequestError(res.status, url, message);
  }
}

/** x-ratelimit-reset (epoch seconds) in ms, or null. */
function resetFromHeaders(headers: Headers): number | null {
  const reset = headers.get("x-ratelimit-reset");
  return reset !== null && /^\d+$/.test(reset.trim()) ? Number(reset) * 1000 : null;
}

async function readJson(res: Response, url: string): Promise<unknown> {
  const text = await res.text().catch((error: Error) => {
    throw new MalformedResponse(url, `the body could not be read: ${error.message}`);
  });
  try {
    return JSON.parse(text);
  } catch {
    throw new MalformedResponse(url, `the body is not JSON (${text.length} bytes, starts ${JSON.stringify(text.slice(0, 40))})`);
  }
}

/** The cache key: the URL without the host, so a key survives a change of base URL spelling. */
function cacheKey(url: string, baseUrl: string): string {
  return url.startsWith(baseUrl) ? url.slice(baseUrl.length) : url;
}

/**
 * An error message as it may be stored and shown: without the token, and without what follows
 * a bearer scheme or a header's quoted value (runtimes quote a header they refuse).
 */
export function redact(message: string, token: string): string {
  let out = token ? message.split(token).join("[token]") : message;
  out = out.replace(/(bearer|token)\s+[^\s'"]+/gi, "$1 [redacted]").replace(/(invalid (?:header )?value:?\s*)(['"]).*?\2/gi, "$1[redacted]");
  return out;
}
