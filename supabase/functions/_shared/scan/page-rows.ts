/**
 * A page of a source's history as the rows record_scan_page writes: each commit scored and laid
 * under its git-ai record, each pull request classified with its commits' records. Pure.
 */
import type { CommitScorer } from "../detection/classify.ts";
import { classifyPullRequest } from "../detection/index.ts";
import type { HistoryPage, SourceCost } from "../source/history.ts";
import { pullRequestRecords, withNotes } from "./recorded.ts";
import { type CommitRow, commitRow, type PullRequestRow, pullRequestRow } from "./results.ts";

export function pageRows(page: HistoryPage, score: CommitScorer): { commits: CommitRow[]; pullRequests: PullRequestRow[]; warnings: string[] } {
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
export function spent(cost: SourceCost, from: SourceCost): SourceCost {
  return {
    requests: cost.requests - from.requests,
    counted: cost.counted - from.counted,
    not_modified: cost.not_modified - from.not_modified,
    graphql_points: cost.graphql_points - from.graphql_points,
  };
}

/** Progress without knowing the number of pages in advance: 9 % after one page, 59 % after ten, never 100 before the end. */
export function progressAfter(pages: number): number {
  return Math.round(90 * (1 - 0.9 ** pages));
}
