// The processors `codeguard worker` runs, one per scan type: the repository scans, registered
// under the job types public.scan_job_types gives the scan-repository worker (the same processor
// the edge function registers), with the same sources: 'github', which GITHUB_API_URL points at
// GitHub Enterprise Server (or a local GitHub).
import { githubSource } from "../../supabase/functions/_shared/github/source.ts";
import type { Db } from "../../supabase/functions/_shared/platform/db.ts";
import { JobQueue } from "../../supabase/functions/_shared/queue/client.ts";
import type { JobProcessor } from "../../supabase/functions/_shared/queue/worker/outcomes.ts";
import { REPOSITORY_SCAN_WORKER, repositoryScanProcessors } from "../../supabase/functions/_shared/scan/repository-scan.ts";

export async function scanProcessors(db: Db, env: Record<string, string | undefined> = process.env): Promise<Record<string, JobProcessor>> {
  const types = (await new JobQueue(db).jobTypes({ worker: REPOSITORY_SCAN_WORKER })).map((t) => t.name);
  return repositoryScanProcessors({ db, sources: { github: githubSource({ db, baseUrl: env.GITHUB_API_URL || undefined }) } }, types);
}
