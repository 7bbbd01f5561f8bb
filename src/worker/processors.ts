// The processors `codeguard worker` runs, one per scan type. The scan pipeline registers its
// processors here (full_scan, incremental_scan, pr_analysis, …) as it lands; until then the
// registry is empty and the command refuses to start rather than send every job to dead.
import type { ScanProcessor } from "../../supabase/functions/_shared/queue/worker-loop.ts";

export const processors: Readonly<Record<string, ScanProcessor>> = Object.freeze({});
