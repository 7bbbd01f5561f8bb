/**
 * The errors that cross the seam between a source and the scan stage. They say what the source
 * answered in words every source shares — "come back at", "down", "refused, because" — so that the
 * scan stage maps them onto the job's outcome (jobErrorFor, scan/repository-scan.ts) without
 * knowing whose they are. A source converts its own errors into these once, at its boundary
 * (github/source.ts); any other error it throws is a failed attempt, retried with backoff (a
 * malformed page, a bug).
 */

/** The source asks to be left alone until `until` (a rate limit): the job waits, no attempt spent. */
export class SourceRateLimited extends Error {
  constructor(readonly until: Date, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SourceRateLimited";
  }
}

/**
 * The source is down: refused connections, 5xx after the source's own retries, or no answer at all
 * (`timedOut`: the queue decides from other jobs' answers whether that is an outage or this job's).
 */
export class SourceDown extends Error {
  readonly timedOut: boolean;
  constructor(message: string, options?: { cause?: unknown; timedOut?: boolean }) {
    super(message, options);
    this.name = "SourceDown";
    this.timedOut = options?.timedOut ?? false;
  }
}

/**
 * The source refused, and asking again cannot help: a refused credential, a repository it does
 * not have, a request it rejects. `message` is the reason, with what to do about it.
 */
export class SourceRefused extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SourceRefused";
  }
}
