/**
 * The scan stage's SQL (supabase/schemas/40_repository_scans.sql): the repository a job reads and
 * the watermark it leaves, both for the job's claimant only.
 */
import type { Db } from "../platform/db.ts";
import { SqlFunctions } from "../platform/sql-call.ts";
import type { ScanWatermark } from "../github/scan.ts";

/** The repository of a scan job, as repository_scan_target answers it. */
export interface ScanTarget {
  repositoryId: string | null;
  /** null when the company does not track the repository. */
  fullName: string | null;
  defaultBranch: string;
  isActive: boolean;
  watermark: ScanWatermark | null;
  /** The company's lookback for full scans; null when unset. */
  lookbackDays: number | null;
}

export class ScanStore {
  private readonly sql: SqlFunctions;

  constructor(db: Db) {
    this.sql = new SqlFunctions(db);
  }

  /** The job's repository, or null when the claim is no longer ours. */
  async target(jobId: string, attempt: number): Promise<ScanTarget | null> {
    const [r] = await this.sql.rows("repository_scan_target", [["p_job_id", jobId, "uuid"], ["p_attempt", attempt, "integer"]]);
    if (!r) return null;
    return {
      repositoryId: r.repository_id == null ? null : String(r.repository_id),
      fullName: r.full_name == null ? null : String(r.full_name),
      defaultBranch: String(r.default_branch ?? "main"),
      isActive: r.is_active === true,
      watermark: (r.scan_watermark ?? null) as ScanWatermark | null,
      lookbackDays: r.lookback_days == null ? null : Number(r.lookback_days),
    };
  }

  /** Records the watermark of a completed scan; false when the claim is no longer ours. */
  async recordWatermark(jobId: string, attempt: number, watermark: ScanWatermark): Promise<boolean> {
    return await this.sql.value<boolean>("record_repository_scan", [
      ["p_job_id", jobId, "uuid"],
      ["p_attempt", attempt, "integer"],
      ["p_watermark", watermark, "jsonb"],
    ]);
  }
}
