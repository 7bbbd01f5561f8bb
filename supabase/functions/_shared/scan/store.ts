/**
 * The scan stage's SQL (supabase/schemas/41_scan_write_backs.sql): the repository a job reads, and
 * the scan's fenced writes — begin, one page at a time, and the completion that commits the
 * summary, the watermark and the job together.
 */
import type { Db } from "../platform/db.ts";
import type { SqlFunctions } from "../platform/sql-call.ts";
import type { SourceJson } from "../source/history.ts";
import { toJobWrite } from "../queue/client.ts";
import { PermanentJobError } from "../queue/worker/outcomes.ts";
import type { JsonValue, JobWrite } from "../queue/types.ts";
import type { CommitRow, PullRequestRow } from "./results.ts";
import type { ScanSummary } from "./summary.ts";
import type { StreamState } from "../detection/classify.ts";
import { type EvidenceCommit, fromSuspectInputs, type SuspectInputs } from "../detection/repository-evidence.ts";
import type { Verdict } from "../detection/verdicts.ts";

/**
 * Where a run stopped, as the scan row keeps it: the source's checkpoint (its own JSON, handed back
 * to it as it was), and the commit scorer's cadence (its memory of the authors' last commits), so
 * the next run scores on as one pass would. The suspected tier's evidence is not in it: each
 * commit's row keeps its own (scan_results.suspect_inputs) and the completion reads them back.
 */
export interface ScanRunCheckpoint {
  source: SourceJson;
  scorer: StreamState;
}

/**
 * A stored checkpoint as this version reads it. Checkpoints written before the source contract
 * (2026-12-07) kept the GitHub reader's cursor under `github`: that is the same JSON the GitHub
 * source writes under `source` now, so it resumes as it is — only a GitHub repository's scan can
 * have written one. Anything else that is not a checkpoint is an error, not a silent restart, and one
 * that retrying cannot fix (PermanentJobError: the job goes dead at once, saying how to mend it).
 */
export function storedCheckpoint(stored: unknown): ScanRunCheckpoint | null {
  if (stored === null || stored === undefined) return null;
  const c = stored as { source?: SourceJson; github?: SourceJson; scorer?: StreamState };
  if (typeof stored !== "object" || Array.isArray(stored) || (c.source === undefined && c.github === undefined)) {
    // Every attempt would read the same row: fail for good at once, rather than spend them all.
    throw new PermanentJobError(`the scan's stored checkpoint is not one: ${JSON.stringify(stored).slice(0, 200)} (expected {"source": …, "scorer": …}); ` +
      "a retry reads it again: clear it (update public.scans set checkpoint = null where job_id = '<job id>') to scan from the start, then retry the job");
  }
  return { source: c.source ?? c.github!, scorer: c.scorer as StreamState };
}

/** The repository of a scan job, as repository_scan_target answers it. */
export interface ScanTarget {
  repositoryId: string | null;
  /** Where the repository's history is read from (public.repositories.source: 'github'). */
  source: string;
  /** null when the company does not track the repository. */
  fullName: string | null;
  defaultBranch: string;
  isActive: boolean;
  /** The source's watermark of the last completed scan (its own JSON). */
  watermark: SourceJson | null;
  /** The company's window for full scans (settings.scan_window_days); null when unset. */
  scanWindowDays: number | null;
}

/** One page of a scan, as record_scan_page takes it. */
export interface ScanPageWrite {
  commits: CommitRow[];
  pull_requests: PullRequestRow[];
  /** Where to resume after this page; null when it was the last. */
  checkpoint: ScanRunCheckpoint | null;
  progress: number;
  message: string;
  /** What this page cost at the source (added to the scan's totals). */
  api_requests: { requests: number; counted: number; not_modified: number; graphql_points: number };
  /** Time spent reading the source (the stored key predates sources other than GitHub). */
  timings: { github_ms: number };
  warnings: string[];
}

/** What a scan has written so far, as scan_rows answers it. */
export interface ScanSoFar {
  scanId: string;
  apiRequests: { requests?: number; counted?: number; not_modified?: number; graphql_points?: number };
  commits: Pick<CommitRow, "sha" | "verdict" | "agents" | "confidence" | "suspect_score" | "ai_lines" | "counted_lines" | "is_merge" | "recorded" | "marks_only" | "note_conflict">[];
  pullRequests: Pick<PullRequestRow, "number" | "title" | "verdict" | "agents" | "human_reviewed" | "merged_at" | "unreviewed_ai_merge">[];
}

export interface ScanCompletion {
  summary: ScanSummary;
  /** The watermark the next incremental scan reads from; absent: the repository's stays (one PR). */
  watermark?: SourceJson;
  /**
   * The suspected tier's decisions for the repository's unmarked commits it decided (this scan's
   * and earlier scans' rows in the window): verdict, confidence and the rule's probability
   * (suspect_score; null where it abstained).
   */
  decisions: { sha: string; verdict: Verdict; confidence: number; suspect_score: number | null }[];
  /** What the run spent at the source since its last page (an unchanged rescan has no page). */
  api_requests: ScanPageWrite["api_requests"];
  /** Stored on the job besides the scan's id and summary. */
  result: { [key: string]: JsonValue };
}

export class ScanStore {
  private readonly sql: SqlFunctions;

  constructor(db: Db) {
    this.sql = db.functions;
  }

  private fence(jobId: string, attempt: number) {
    return [["p_job_id", jobId, "uuid"], ["p_attempt", attempt, "integer"]] as const;
  }

  /** The job's repository, or null when the claim is no longer ours. */
  async target(jobId: string, attempt: number): Promise<ScanTarget | null> {
    const [r] = await this.sql.rows("repository_scan_target", this.fence(jobId, attempt));
    if (!r) return null;
    return {
      repositoryId: r.repository_id == null ? null : String(r.repository_id),
      source: String(r.source ?? "github"),
      fullName: r.full_name == null ? null : String(r.full_name),
      defaultBranch: String(r.default_branch ?? "main"),
      isActive: r.is_active === true,
      watermark: (r.scan_watermark ?? null) as SourceJson | null,
      scanWindowDays: r.scan_window_days == null ? null : Number(r.scan_window_days),
    };
  }

  /** The job's scan (made on its first run) and the checkpoint to resume from; null when the claim is not ours. */
  async begin(jobId: string, attempt: number): Promise<{ scanId: string; checkpoint: ScanRunCheckpoint | null; runs: number; pages: number } | null> {
    const [r] = await this.sql.rows("begin_scan", this.fence(jobId, attempt));
    if (!r) return null;
    return { scanId: String(r.scan_id), checkpoint: storedCheckpoint(r.checkpoint), runs: Number(r.runs), pages: Number(r.pages) };
  }

  /** Writes one page with its checkpoint, as the job's heartbeat (refused: the claim is not ours; cancelled: stop). */
  async recordPage(jobId: string, attempt: number, page: ScanPageWrite): Promise<JobWrite> {
    const rows = await this.sql.rows("record_scan_page", [...this.fence(jobId, attempt), ["p_page", page, "jsonb"]]);
    return toJobWrite(rows[0]);
  }

  /** What the scan has written so far; null when the claim is not ours. */
  async soFar(jobId: string, attempt: number): Promise<ScanSoFar | null> {
    const r = await this.sql.value<{ scan_id: string; api_requests: ScanSoFar["apiRequests"]; commits: ScanSoFar["commits"]; pull_requests: ScanSoFar["pullRequests"] } | null>(
      "scan_rows", this.fence(jobId, attempt));
    return r ? { scanId: r.scan_id, apiRequests: r.api_requests, commits: r.commits, pullRequests: r.pull_requests } : null;
  }

  /**
   * What the suspected tier reads of the repository's commit rows in the scan window (authored at
   * `since` or later) and of the scan's own rows; null when the claim is not ours.
   */
  async repositoryEvidence(jobId: string, attempt: number, since: Date): Promise<EvidenceCommit[] | null> {
    const r = await this.sql.value<[string, SuspectInputs][] | null>(
      "scan_repository_evidence", [...this.fence(jobId, attempt), ["p_since", since, "timestamptz"]]);
    return r ? r.map(([sha, inputs]) => fromSuspectInputs(sha, inputs)) : null;
  }

  /**
   * The repository's commit rows whose notes changed since they were written: `notes` is the notes
   * tree (commit sha → blob sha). Null when the claim is not ours.
   */
  async rowsWithNewNotes(jobId: string, attempt: number, notes: Record<string, string>): Promise<CommitRow[] | null> {
    return await this.sql.value<CommitRow[] | null>("scan_rows_with_new_notes", [...this.fence(jobId, attempt), ["p_notes", notes, "jsonb"]]);
  }

  /** The repository's default branch is `branch` (the source's answer when the stored one was not there). */
  async setDefaultBranch(jobId: string, attempt: number, branch: string): Promise<void> {
    await this.sql.value("set_scan_default_branch", [...this.fence(jobId, attempt), ["p_branch", branch, "text"]]);
  }

  /** Completes the scan and its job in one transaction. */
  async complete(jobId: string, attempt: number, completion: ScanCompletion): Promise<JobWrite> {
    const rows = await this.sql.rows("complete_scan", [...this.fence(jobId, attempt), ["p_completion", completion, "jsonb"]]);
    return toJobWrite(rows[0]);
  }
}
