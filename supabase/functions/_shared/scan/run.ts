/**
 * One run of a scan job (a claim, up to its snooze or completion): it writes the source's pages
 * as they come, each with the source's checkpoint and the scorer's cadence after it, and keeps
 * what the run spent at the source and how long its pages took (the reserve it needs before its
 * deadline). A write the database refuses stops the run: a cancel, or a claim that is not ours.
 */
import type { CommitScorer } from "../detection/classify.ts";
import { JobStopped } from "../queue/worker/outcomes.ts";
import type { HistoryPage, RepositoryHistory, SourceCost } from "../source/history.ts";
import { pageRows, progressAfter, spent } from "./page-rows.ts";
import type { CommitRow } from "./results.ts";
import type { ScanStore } from "./store.ts";

export class ScanRun {
  /** Pages written by the scan in all (earlier runs' included), and by this run. */
  pages: number;
  pagesThisRun = 0;
  /** The longest page so far: the next one and its write must fit before the deadline. */
  longestPageMs = 0;
  private lastCost: SourceCost;
  private lastPageAt: number;

  constructor(
    private readonly store: ScanStore,
    private readonly job: { id: string; attempt: number },
    private readonly history: RepositoryHistory,
    private readonly score: CommitScorer,
    private readonly now: () => number,
    pagesBefore: number,
  ) {
    this.pages = pagesBefore;
    this.lastCost = history.cost();
    this.lastPageAt = now();
  }

  /** Writes one page of the source's history with its checkpoint (the job's heartbeat). */
  async writePage(page: HistoryPage): Promise<void> {
    this.pages++;
    this.pagesThisRun++;
    const pageMs = this.now() - this.lastPageAt;
    this.longestPageMs = Math.max(this.longestPageMs, pageMs);
    const rows = pageRows(page, this.score);
    const write = await this.store.recordPage(this.job.id, this.job.attempt, {
      commits: rows.commits,
      pull_requests: rows.pullRequests,
      // The scorer's cadence after this page's commits: the next run scores on from here (the
      // rows keep each commit's evidence for the suspected tier).
      checkpoint: page.checkpoint === null ? null : { source: page.checkpoint, scorer: this.score.cadence() },
      progress: progressAfter(this.pages),
      message: `read ${this.pages} page(s) from ${this.history.label}`,
      api_requests: this.spentSinceLastPage(),
      timings: { github_ms: pageMs },
      warnings: rows.warnings,
    });
    this.lastCost = this.history.cost();
    this.lastPageAt = this.now();
    if (write.cancelRequested || write.status === "cancelled") throw new JobStopped("cancelled", "a cancel was requested");
    if (!write.accepted) throw new JobStopped("lease_lost", write.message ?? "the claim is no longer ours");
  }

  /** Writes earlier scans' rows again, attributed from their new git-ai notes (renoted.ts). */
  async writeRenoted(rows: CommitRow[], warnings: string[]): Promise<void> {
    if (rows.length === 0) return;
    const write = await this.store.recordPage(this.job.id, this.job.attempt, {
      commits: rows,
      pull_requests: [],
      checkpoint: null,
      progress: progressAfter(this.pages + 1),
      message: `${rows.length} earlier commit(s) with new git-ai notes`,
      api_requests: this.spentSinceLastPage(),
      timings: { github_ms: this.now() - this.lastPageAt },
      warnings,
    });
    this.lastCost = this.history.cost();
    if (!write.accepted) throw new JobStopped("lease_lost", write.message ?? "the claim is no longer ours");
  }

  /** What the source charged since the last write (the completion adds it to the scan's totals). */
  spentSinceLastPage(): SourceCost {
    return spent(this.history.cost(), this.lastCost);
  }
}
