/**
 * GitHub as a source of repository history (source/history.ts): the reader of history.ts over a
 * GitHubHttp client with the company's token and ETag cache, its cursors as the opaque checkpoint
 * and its probe as the watermark, and GitHub's errors turned into the contract's neutral ones at
 * this boundary (sourceErrorFor). The composition root registers it under 'github'.
 */
import type { Db } from "../platform/db.ts";
import type { ChangedNotes, HistoryHandlers, HistoryRead, HistoryRequest, OpenHistory, RepositoryHistory, SourceCost, SourceJson } from "../source/history.ts";
import { SourceDown, SourceRateLimited, SourceRefused } from "../source/errors.ts";
import { type TokenSource, vaultToken } from "./auth.ts";
import { fetchCommit } from "./commits.ts";
import { GitHubError, GitHubUnavailable, RateLimited } from "./errors.ts";
import { PostgresEtagCache } from "./etag-cache.ts";
import { GitHubHttp } from "./http.ts";
import { type ScanCheckpoint, scanRepository, type ScanWatermark } from "./history.ts";
import { type NotesRef, readNotes, readNotesTree } from "./notes.ts";

export interface GitHubSourceOptions {
  db: Db;
  /** GitHub's REST base (default https://api.github.com); the local GitHub's URL in the demo and tests. */
  baseUrl?: string;
  /** The company's GitHub credentials; default: its token in Vault. */
  tokenFor?: (companyId: string) => TokenSource;
}

/**
 * What a GitHub error means across the seam: a rate limit is "come back at its reset", GitHub
 * being down (after the client's own retries) is SourceDown, an error that retrying cannot fix (a
 * refused token, a repository GitHub does not have, GraphQL errors) is SourceRefused. Anything
 * else — a retryable GitHubError (a malformed page), or not GitHub's at all (a stop of the job, a
 * database error from a page's write) — goes through unchanged.
 */
export function sourceErrorFor(error: unknown): unknown {
  if (error instanceof RateLimited) return new SourceRateLimited(error.resetAt, error.message, { cause: error });
  if (error instanceof GitHubUnavailable) return new SourceDown(error.message, { cause: error, timedOut: error.timedOut });
  if (error instanceof GitHubError && !error.retryable) return new SourceRefused(error.message, { cause: error });
  return error;
}

/** GitHub's bounds on a repository's full name: owner (1–39 letters, digits, hyphens) / name (1–100 of [A-Za-z0-9._-]). */
const FULL_NAME = /^([A-Za-z0-9][A-Za-z0-9-]{0,38})\/([A-Za-z0-9._-]{1,100})$/;

/** owner and name of a GitHub full name, or a SourceRefused that says what is wrong with it. */
export function ownerAndName(fullName: string): { owner: string; name: string } {
  const m = FULL_NAME.exec(fullName);
  if (!m || m[2] === "." || m[2] === "..") {
    throw new SourceRefused(`${JSON.stringify(fullName)} is not a GitHub repository name: owner/name, the owner 1–39 letters, digits or hyphens, the name 1–100 letters, digits, '.', '_' or '-'`);
  }
  return { owner: m[1], name: m[2] };
}

/** The 'github' source of the composition root. */
export function githubSource(options: GitHubSourceOptions): OpenHistory {
  return (session) => {
    const etagCache = new PostgresEtagCache(options.db, session.companyId);
    const http = new GitHubHttp({
      token: (options.tokenFor ?? ((id) => vaultToken(options.db, id)))(session.companyId),
      baseUrl: options.baseUrl,
      etagCache,
      now: session.now,
      signal: session.signal,
      onAnswer: session.answered,
    });
    const history: RepositoryHistory = {
      label: "GitHub",
      read: async (request, handlers) => {
        try {
          return await readHistory(http, request, handlers);
        } catch (error) {
          throw sourceErrorFor(error);
        }
      },
      cost: (): SourceCost => ({
        requests: http.counter.requests,
        counted: http.counter.counted,
        not_modified: http.counter.notModified,
        graphql_points: http.counter.graphqlPoints,
      }),
      // The company's cache stays within its bound after every scan (its figures: 30_github.sql).
      close: async () => {
        await etagCache.trim().catch(() => {});
      },
    };
    return history;
  };
}

async function readHistory(http: GitHubHttp, request: HistoryRequest, handlers: HistoryHandlers): Promise<HistoryRead> {
  const repo = ownerAndName(request.fullName);
  const scope = request.scope;
  const result = await scanRepository(http, {
    ...repo,
    branch: request.defaultBranch,
    previous: scope.kind === "incremental" ? (scope.watermark as ScanWatermark | null) : null,
    commitsSince: request.since,
    scanWindowDays: request.windowDays,
    pullRequest: scope.kind === "pull_request" ? scope.number : undefined,
    resume: request.resume as ScanCheckpoint | null,
    onDefaultBranch: handlers.onDefaultBranch,
    onPage: (page) =>
      handlers.onPage({
        pullRequests: page.pullRequests,
        commits: page.commits,
        notes: page.notes,
        pullRequestNotes: page.pullRequestNotes ?? {},
        warnings: page.warnings,
        checkpoint: page.checkpoint as unknown as SourceJson,
      }),
  });
  return {
    checkpoint: result.checkpoint as unknown as SourceJson,
    watermark: result.watermark as unknown as SourceJson,
    unchanged: result.unchanged,
    changedNotes: !result.checkpoint && result.notesChanged && result.notes ? changedNotes(http, repo, result.notes) : null,
  };
}

/** The notes of refs/notes/ai's new commit, for the rows earlier scans wrote (source/history.ts ChangedNotes). */
function changedNotes(http: GitHubHttp, repo: { owner: string; name: string }, notes: NotesRef): ChangedNotes {
  let tree: ReturnType<typeof readNotesTree> | null = null;
  const entries = () => (tree ??= readNotesTree(http, repo, notes));
  const guarded = async <T>(read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      throw sourceErrorFor(error);
    }
  };
  return {
    versions: () => guarded(async () => Object.fromEntries([...(await entries())].map(([sha, e]) => [sha, e.blob]))),
    read: (shas) => guarded(async () => {
      const all = await entries();
      return await readNotes(http, repo, notes, new Map(shas.map((sha) => [sha, all.get(sha)!])));
    }),
    files: (sha) => guarded(async () => (await fetchCommit(http, `/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.name)}`, sha)).files),
  };
}
