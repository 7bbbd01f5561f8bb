/**
 * The processor of the repository scan types (full_scan, incremental_scan, pr_analysis): read the
 * repository from GitHub with the fewest requests (ETag cache, watermark of the last scan), run
 * detection, and hand the job its summary. GitHub's "come back later" snoozes the job (no attempt
 * spent); a repository the company does not track, or a refused token, is a permanent failure.
 * The job's signal stops the GitHub client at once (cancel, time budget, shutdown).
 * Runtime-agnostic: the edge function and the Node worker both register it.
 */
import type { Db } from "./db.ts";
import { vaultToken, type TokenSource } from "./github/auth.ts";
import { PostgresEtagCache } from "./github/etag-cache.ts";
import { GitHubHttp } from "./github/http.ts";
import { jobOutcomeForError } from "./github/outcome.ts";
import { scanRepository, type ScanWatermark } from "./github/scan.ts";
import { PermanentJobError, SnoozeJob, type ScanJobContext, type ScanProcessor } from "./queue/worker-loop.ts";
import type { JsonValue } from "./queue/types.ts";
import { summarizeScan } from "./scan-summary.ts";

export const REPOSITORY_SCAN_TYPES = ["full_scan", "incremental_scan", "pr_analysis"] as const;

export interface RepositoryScanDeps {
  db: Db;
  /** GitHub's REST base (default https://api.github.com); the local GitHub's URL in the demo and tests. */
  githubBaseUrl?: string;
  /** The company's GitHub credentials; default: its token in Vault. */
  tokenFor?: (companyId: string) => TokenSource;
  now?: () => number;
}

interface RepositoryRow {
  full_name: string;
  default_branch: string;
  is_active: boolean;
  scan_watermark: ScanWatermark | null;
  lookback_days: number | null;
}

/** The processor registered under every repository scan type, as a WorkerLoop wants them. */
export function repositoryScanProcessors(deps: RepositoryScanDeps): Record<string, ScanProcessor> {
  const processor = repositoryScanProcessor(deps);
  return Object.fromEntries(REPOSITORY_SCAN_TYPES.map((type) => [type, processor]));
}

export function repositoryScanProcessor(deps: RepositoryScanDeps): ScanProcessor {
  const now = deps.now ?? (() => Date.now());
  return async (ctx: ScanJobContext) => {
    const { job } = ctx;
    if (!job.repositoryId) throw new PermanentJobError(`${job.scanType} needs a repository_id`);
    const [repo] = await deps.db.query<RepositoryRow>(
      `select r.full_name, r.default_branch, r.is_active, r.scan_watermark,
              (c.settings ->> 'lookback_days')::int as lookback_days
         from public.repositories r join public.companies c on c.id = r.company_id
        where r.id = $1 and r.company_id = $2`,
      [job.repositoryId, job.companyId],
    );
    if (!repo) throw new PermanentJobError(`repository ${job.repositoryId} is not tracked by company ${job.companyId}`);
    const [owner, name] = repo.full_name.split("/");
    const http = new GitHubHttp({
      token: (deps.tokenFor ?? ((id) => vaultToken(deps.db, id)))(job.companyId),
      baseUrl: deps.githubBaseUrl,
      etagCache: new PostgresEtagCache(deps.db, job.companyId),
      now,
      signal: ctx.signal,
    });
    const full = job.scanType === "full_scan";
    const lookbackDays = repo.lookback_days ?? 90;
    try {
      let pages = 0;
      const scan = await scanRepository(http, {
        owner,
        name,
        branch: repo.default_branch,
        previous: full ? null : repo.scan_watermark,
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
      const recorded = await deps.db.query<{ ok: boolean }>(
        "select public.record_repository_scan($1::uuid, $2::int, $3::text::jsonb) as ok",
        [job.id, ctx.attempt, JSON.stringify(scan.watermark)],
      );
      if (!recorded[0]?.ok) throw new Error(`job ${job.id} attempt ${ctx.attempt} no longer holds its claim; watermark not written`);
      return {
        repository: repo.full_name,
        scan_type: job.scanType,
        unchanged: scan.unchanged,
        lookback_days: lookbackDays,
        watermark: scan.watermark as unknown as JsonValue,
        summary: summary as unknown as JsonValue,
      };
    } catch (error) {
      if (ctx.signal.aborted && error === ctx.signal.reason) throw error;
      const outcome = jobOutcomeForError(error);
      if (outcome.kind === "snooze") return new SnoozeJob(outcome.until, outcome.reason);
      if (!outcome.retryable) throw new PermanentJobError(outcome.error, { cause: error });
      throw error;
    }
  };
}
