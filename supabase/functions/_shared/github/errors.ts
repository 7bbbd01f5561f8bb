/**
 * Typed errors of the GitHub client. Each carries the data the pipeline needs to decide what to
 * do (snooze, retry, fail) and a message that says how to fix it. Tokens never appear in them.
 */

/** Base class: every error the GitHub client throws on purpose is a GitHubError. */
export class GitHubError extends Error {
  /** Whether running the same job again later may succeed (a spent attempt, then retry). */
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.name = new.target.name;
    this.retryable = retryable;
  }
}

/**
 * GitHub said "not before resetAt": a primary limit (x-ratelimit-remaining: 0 → x-ratelimit-reset)
 * or a secondary limit (retry-after, or a 403/429 naming the secondary rate limit). The pipeline
 * turns it into snooze_scan_job(until = resetAt): no attempt spent, no sleep in an edge function.
 */
export class RateLimited extends GitHubError {
  readonly resetAt: Date;
  readonly kind: "primary" | "secondary";
  /** The rate-limit resource GitHub named (core, graphql, search …) when it said. */
  readonly resource: string | null;
  constructor(resetAt: Date, kind: "primary" | "secondary", resource: string | null = null) {
    super(
      `GitHub ${kind} rate limit${resource ? ` (${resource})` : ""} reached: come back after ${resetAt.toISOString()}`,
      true,
    );
    this.resetAt = resetAt;
    this.kind = kind;
    this.resource = resource;
  }
}

/** 5xx answers, timeouts or network failures that outlasted the retry budget. */
export class GitHubUnavailable extends GitHubError {
  readonly attempts: number;
  readonly lastStatus: number | null;
  /**
   * Every try ended without any answer (the timeout): GitHub hanging for everyone, or only for this
   * repository's requests — which the queue tells apart by other jobs' answers.
   */
  readonly timedOut: boolean;
  constructor(message: string, attempts: number, lastStatus: number | null, timedOut = false) {
    super(`${message} (after ${attempts} attempt${attempts === 1 ? "" : "s"})`, true);
    this.attempts = attempts;
    this.lastStatus = lastStatus;
    this.timedOut = timedOut;
  }
}

/** A 200 answer whose body is not what the API promises: not JSON, or the wrong shape. */
export class MalformedResponse extends GitHubError {
  readonly url: string;
  readonly detail: string;
  constructor(url: string, detail: string) {
    super(`malformed GitHub response from ${url}: ${detail}`, true);
    this.url = url;
    this.detail = detail;
  }
}

/**
 * 401, or a 403 that is not a rate limit: the credentials are wrong or lack access (status 0: they
 * could not even be sent).
 */
export class GitHubAuthError extends GitHubError {
  readonly status: number;
  constructor(status: number, detail: string) {
    super(
      `${status === 0 ? `the GitHub credentials cannot be used (${detail})` : `GitHub refused the credentials (${status}: ${detail})`}; ` +
        "store a valid token with public.set_github_token(company_id, token) or check the GitHub App installation",
      false,
    );
    this.status = status;
  }
}

/** Any other 4xx (404 repository not found, 422 …): retrying will not help. */
export class GitHubRequestError extends GitHubError {
  readonly status: number;
  constructor(status: number, url: string, detail: string) {
    super(`GitHub answered ${status} to ${url}: ${detail}`, false);
    this.status = status;
  }
}

/**
 * 404 for the repository itself: GitHub does not have it, or the token cannot see it (GitHub
 * answers 404, not 403, for a private repository out of the token's reach). Said for a person,
 * the request it answered last.
 */
export class RepositoryNotFound extends GitHubRequestError {
  constructor(fullName: string, url: string) {
    super(404, url, "Not Found");
    this.message = `GitHub has no repository ${fullName} that the company's token can see: check its owner and name ` +
      `(codeguard repo add owner/name), or give the token read access to it (GitHub answered 404 to ${url})`;
  }
}

/** GraphQL answered 200 with `errors` (other than RATE_LIMITED). */
/** One entry of a GraphQL answer's `errors`: what failed, GitHub's type for it, the field's path. */
export interface GraphQLErrorEntry {
  message: string;
  type?: string;
  path?: unknown[];
}

/**
 * GitHub refused the query: NOT_FOUND, FORBIDDEN, an invalid query — running it again cannot help.
 * Except when every error is GitHub failing inside ("Something went wrong while executing your
 * query. This may be the result of a timeout, or it could be a GitHub bug."): worth another attempt.
 */
export class GraphQLErrors extends GitHubError {
  readonly errors: GraphQLErrorEntry[];
  constructor(errors: GraphQLErrorEntry[]) {
    super(`GitHub GraphQL errors: ${errors.map((e) => (e.type ? `${e.type}: ` : "") + e.message).join("; ")}`, errors.every((e) => !e.type && e.message.startsWith("Something went wrong")));
    this.errors = errors;
  }
}
