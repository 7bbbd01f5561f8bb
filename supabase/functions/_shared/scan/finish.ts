/**
 * The end of a repository scan, once every page is in: the suspected tier decides over the
 * repository's commits in the scan window (earlier scans' rows with this one's), and its decisions,
 * the summary, the source's watermark and the job's completion commit together (complete_scan).
 */
import { decideRepositorySuspects, suspectedVerdict } from "../detection/index.ts";
import { CompletedJob, JobStopped } from "../queue/worker/outcomes.ts";
import type { JsonValue } from "../queue/types.ts";
import type { SourceJson } from "../source/history.ts";
import type { ScanPageWrite, ScanStore } from "./store.ts";
import { summarizeRows } from "./summary.ts";

export interface ScanEnd {
  jobId: string;
  attempt: number;
  scanType: string;
  fullName: string;
  /** The scan window's start: the suspected tier reads the repository's rows authored since. */
  windowStart: Date;
  windowDays: number;
  /** The PR of a pr_analysis scan. */
  prNumber?: number;
  /** The source read nothing: nothing changed since the watermark. */
  unchanged: boolean;
  /** The source's watermark to keep (null: the repository's stays, as after one PR). */
  watermark: SourceJson | null;
  /** What the run spent at the source since its last page was written. */
  lastSpent: ScanPageWrite["api_requests"];
}

function lost(end: ScanEnd): JobStopped {
  return new JobStopped("lease_lost", `job ${end.jobId} attempt ${end.attempt} no longer holds its claim`);
}

/** Decides the suspects, summarizes, and completes the scan and its job in one transaction. */
export async function finishScan(store: ScanStore, end: ScanEnd): Promise<CompletedJob> {
  const soFar = await store.soFar(end.jobId, end.attempt);
  if (!soFar) throw lost(end);
  // The suspected tier decides now, over the repository's rows in the scan window — earlier
  // scans' and this one's, each keeping its commit's evidence — so that the few commits of an
  // incremental scan are judged with the repository's evidence, and the earlier rows are
  // re-decided with the new commits (the rule is order-independent: the same rows, the same
  // decisions, however many scans and runs wrote them).
  const evidence = await store.repositoryEvidence(end.jobId, end.attempt, end.windowStart);
  if (!evidence) throw lost(end);
  const rule = decideRepositorySuspects(evidence);
  const abstained = rule.report.abstained !== null;
  const decisions = rule.decisions.map((d) => ({ sha: d.sha, ...suspectedVerdict(d), suspect_score: abstained ? null : d.probability }));
  const bySha = new Map(decisions.map((d) => [d.sha, d]));
  const commits = soFar.commits.map((c) => {
    const d = bySha.get(c.sha);
    return d && !c.recorded && (c.verdict === "human" || c.verdict === "suspected") ? { ...c, verdict: d.verdict, confidence: d.confidence, suspect_score: d.suspect_score } : c;
  });
  // The scan's summary lists the suspects among its own commits; the rule's report is the window's.
  const own = new Set(soFar.commits.map((c) => c.sha));
  const suspects = { report: rule.report, decisions: rule.decisions.filter((d) => own.has(d.sha)) };
  const summary = summarizeRows({
    commits,
    pullRequests: soFar.pullRequests,
    apiRequests: {
      counted: (soFar.apiRequests.counted ?? 0) + end.lastSpent.counted,
      notModified: (soFar.apiRequests.not_modified ?? 0) + end.lastSpent.not_modified,
    },
    suspects,
  });
  const write = await store.complete(end.jobId, end.attempt, {
    summary,
    ...(end.watermark ? { watermark: end.watermark } : {}),
    decisions,
    api_requests: end.lastSpent,
    result: {
      repository: end.fullName,
      scan_type: end.scanType,
      unchanged: end.unchanged,
      ...(end.prNumber === undefined ? { scan_window_days: end.windowDays } : { pr_number: end.prNumber }),
      watermark: end.watermark as JsonValue,
    },
  });
  return new CompletedJob(write);
}
