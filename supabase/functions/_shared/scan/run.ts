/**
 * One run of a scan job (a claim, up to its snooze or completion): it writes the source's pages
 * as they come — each commit scored and laid under its git-ai record, each pull request classified
 * with its commits' records — with the source's checkpoint and the scorer's cadence after each
 * page, then the earlier rows whose git-ai notes changed since they were written. It keeps what the
 * run spent at the source and how long its pages took (the reserve it needs before its deadline).
 * A write the database refuses stops the run: a cancel, or a claim that is not ours.
 */
import type { CommitScorer } from "../detection/classify.ts";
import { classifyPullRequest } from "../detection/index.ts";
import { JobStopped } from "../queue/worker/outcomes.ts";
import type { ChangedNotes, HistoryPage, RepositoryHistory, SourceCost } from "../source/history.ts";
import { pullRequestRecords, rowWithNewNote, withNotes } from "./recorded.ts";
import { type CommitRow, commitRow, type PullRequestRow, pullRequestRow } from "./results.ts";
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

  /**
   * Writes earlier scans' rows again whose git-ai notes appeared or changed after they were written
   * (pushed late; git-ai's CI rewrites a squash merge's note), attributed from the notes their
   * source has now, so that the scan's completion recomputes their weeks' team metrics and the
   * company's scores. The source says which notes changed; the store says which rows hold another
   * version of them.
   */
  async writeRenoted(changed: ChangedNotes): Promise<void> {
    const stale = await this.store.rowsWithNewNotes(this.job.id, this.job.attempt, await changed.versions());
    if (!stale) throw new JobStopped("lease_lost", `job ${this.job.id} attempt ${this.job.attempt} no longer holds its claim`);
    if (stale.length === 0) return;
    const notes = await changed.read(stale.map((r) => r.sha));
    const rows: CommitRow[] = [];
    const warnings: string[] = [];
    for (const row of stale) {
      // The note's lines are capped at what the commit added to each file: a stored file whose
      // lines were not read (proven from path histories) is read from the source now.
      const files = row.files.some((f) => f.added === null && f.filtered_out === null)
        ? await changed.files(row.sha)
        : row.files.map((f) => ({ path: f.path, added: f.added, deleted: f.deleted }));
      const out = rowWithNewNote(row, files, notes.get(row.sha)!);
      warnings.push(...out.warnings);
      rows.push(out.row);
    }
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

/** A page of the source's history as the rows record_scan_page writes. Pure. */
function pageRows(page: HistoryPage, score: CommitScorer): { commits: CommitRow[]; pullRequests: PullRequestRow[]; warnings: string[] } {
  // A commit's git-ai record (its note's, or its squash-merged PR's commits' notes') over its marks.
  const warnings: string[] = [];
  const commits = page.commits.map((c) => {
    const out = withNotes(c, score(c), page.notes[c.sha]);
    warnings.push(...out.warnings);
    return commitRow(c, out.scored, out.noteBlobs);
  });
  // A PR whose commits' git-ai notes record AI lines is recorded (its commits' records).
  const pullRequests = page.pullRequests.map((pr) =>
    pullRequestRow(pr, classifyPullRequest(pr, { records: pullRequestRecords(pr, page.pullRequestNotes[String(pr.number)]) }))
  );
  return { commits, pullRequests, warnings: [...page.warnings, ...warnings] };
}

/** What the source charged since `from` (its cost taken then). */
function spent(cost: SourceCost, from: SourceCost): SourceCost {
  return {
    requests: cost.requests - from.requests,
    counted: cost.counted - from.counted,
    not_modified: cost.not_modified - from.not_modified,
    graphql_points: cost.graphql_points - from.graphql_points,
  };
}

/** Progress without knowing the number of pages in advance: 9 % after one page, 59 % after ten, never 100 before the end. */
function progressAfter(pages: number): number {
  return Math.round(90 * (1 - 0.9 ** pages));
}
