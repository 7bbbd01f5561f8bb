/**
 * The processor of the repository scan types (full_scan, incremental_scan, pr_analysis: the types
 * public.scan_job_types gives the scan-repository worker): read the repository from GitHub with
 * the fewest requests (ETag cache, watermark of the last scan), run detection, and hand the job its
 * summary. What GitHub's errors mean for the job (jobErrorFor): "come back later" snoozes it (no
 * attempt spent), GitHub being down waits for GitHub (no attempt spent, claims paused), a refused
 * token or a repository GitHub does not have is a permanent failure. The job's signal stops the
 * GitHub client at once (cancel, time budget, shutdown).
 * Runtime-agnostic: the edge function and the Node worker both register it.
 */
import { vaultToken, type TokenSource } from "../github/auth.ts";
import { GitHubError, GitHubUnavailable, RateLimited } from "../github/errors.ts";
import { PostgresEtagCache } from "../github/etag-cache.ts";
import { GitHubHttp } from "../github/http.ts";
import { scanRepository } from "../github/scan.ts";
import type { Db } from "../platform/db.ts";
import { PermanentJobError, SnoozeJob, SourceUnavailable, type ScanJobContext, type ScanProcessor } from "../queue/worker/outcomes.ts";
import type { JsonValue } from "../queue/types.ts";
import { ScanStore } from "./store.ts";
import { summarizeScan } from "./summary.ts";

/** The edge function that runs repository scans (public.scan_job_types.worker). */
export const REPOSITORY_SCAN_WORKER = "scan-repository";

export interface RepositoryScanDeps {
  db: Db;
  /** GitHub's REST base (default https://api.github.com); the local GitHub's URL in the demo and tests. */
  githubBaseUrl?: string;
  /** The company's GitHub credentials; default: its token in Vault. */
  tokenFor?: (companyId: string) => TokenSource;
  now?: () => number;
}

/**
 * What a GitHub error means for the job: a SnoozeJob until a rate limit resets, a SourceUnavailable
 * when GitHub is down, a PermanentJobError when retrying cannot help (refused token, 404, GraphQL
 * errors), or the error itself: a failed attempt, retried with backoff (a malformed page).
 */
export function jobErrorFor(error: unknown): unknown {
  if (error instanceof RateLimited) return new SnoozeJob(error.resetAt, error.message);
  if (error instanceof GitHubUnavailable) return new SourceUnavailable(error.message, { cause: error });
  if (error instanceof GitHubError && !error.retryable) return new PermanentJobError(error.message, { cause: error });
  return error;
}

/** The processor registered under every type in `scanTypes`, as a WorkerLoop wants them. */
export function repositoryScanProcessors(deps: RepositoryScanDeps, scanTypes: readonly string[]): Record<string, ScanProcessor> {
  const processor = repositoryScanProcessor(deps);
  return Object.fromEntries(scanTypes.map((type) => [type, processor]));
}

export function repositoryScanProcessor(deps: RepositoryScanDeps): ScanProcessor {
  const now = deps.now ?? (() => Date.now());
  const store = new ScanStore(deps.db);
  return async (ctx: ScanJobContext) => {
    const { job } = ctx;
    if (!job.repositoryId) throw new PermanentJobError(`${job.scanType} needs a repository_id`);
    const target = await store.target(job.id, ctx.attempt);
    if (!target) throw new Error(`job ${job.id} attempt ${ctx.attempt} no longer holds its claim`);
    if (!target.fullName) throw new PermanentJobError(`repository ${job.repositoryId} is not tracked by company ${job.companyId}`);
    const [owner, name] = target.fullName.split("/");
    const etagCache = new PostgresEtagCache(deps.db, job.companyId);
    const http = new GitHubHttp({
      token: (deps.tokenFor ?? ((id) => vaultToken(deps.db, id)))(job.companyId),
      baseUrl: deps.githubBaseUrl,
      etagCache,
      now,
      signal: ctx.signal,
      onAnswer: () => ctx.sourceAnswered(),
    });
    const full = job.scanType === "full_scan";
    const lookbackDays = target.lookbackDays ?? 90;
    try {
      let pages = 0;
      const scan = await scanRepository(http, {
        owner,
        name,
        branch: target.defaultBranch,
        previous: full ? null : target.watermark,
        commitsSince: new Date(now() - lookbackDays * 86_400_000).toISOString(),
        pullRequestsOnly: job.scanType === "pr_analysis",
        onPage: async () => {
          pages++;
          // Progress is unknown in advance (pages arrive until GitHub says there are no more).
          await ctx.progress(Math.min(90, pages * 10), `read ${pages} page(s) from GitHub`);
          if (ctx.signal.aborted) throw ctx.signal.reason;
        },
      });
      const summary = summarizeScan({ pullRequests: scan.pullRequests, commits: scan.commits, apiRequests: http.counter });
      if (!(await store.recordWatermark(job.id, ctx.attempt, scan.watermark))) {
        throw new Error(`job ${job.id} attempt ${ctx.attempt} no longer holds its claim; watermark not written`);
      }
      return {
        repository: target.fullName,
        scan_type: job.scanType,
        unchanged: scan.unchanged,
        lookback_days: lookbackDays,
        watermark: scan.watermark as unknown as JsonValue,
        summary: summary as unknown as JsonValue,
      };
    } catch (error) {
      if (ctx.signal.aborted && error === ctx.signal.reason) throw error;
      throw jobErrorFor(error);
    } finally {
      // The company's cache stays within its bound after every scan (its figures: 30_github.sql).
      await etagCache.trim().catch(() => {});
    }
  };
}
