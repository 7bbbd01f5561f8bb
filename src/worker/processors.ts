// The processors `codeguard worker` runs, one per scan type: today the repository scans
// (full_scan, incremental_scan, pr_analysis), the same processor the scan-repository edge
// function registers. GITHUB_API_URL points them at GitHub Enterprise Server (or a local GitHub).
import type { Db } from "../../supabase/functions/_shared/db.ts";
import type { ScanProcessor } from "../../supabase/functions/_shared/queue/worker-loop.ts";
import { repositoryScanProcessors } from "../../supabase/functions/_shared/repository-scan.ts";

export function scanProcessors(db: Db, env: Record<string, string | undefined> = process.env): Record<string, ScanProcessor> {
  return repositoryScanProcessors({ db, githubBaseUrl: env.GITHUB_API_URL || undefined });
}
