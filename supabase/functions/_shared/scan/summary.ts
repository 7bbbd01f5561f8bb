/**
 * The summary of one scan, in the product's words (reference/product-spec.md, "Scan summary
 * fields"): how much of the code AI wrote, how many AI pull requests there were, and whether a
 * human reviewed them before they merged. Pure: records in, figures out.
 */
import { classifyCommits, classifyPullRequest, DetectionSummary, type DetectionSummaryReport } from "../detection/index.ts";
import type { Commit, PullRequest, Review } from "../detection/records.ts";

export interface ScanSummary {
  /** attested AI LOC over counted added lines of the scanned commits, in percent */
  ai_loc_percentage: number;
  ai_prs_detected: number;
  /** merged AI PRs with a review by a human other than the PR's author, before the merge */
  reviewed_ai_prs: number;
  unreviewed_ai_merges: number;
  /** share of merged AI PRs that got a human review; 100 when there are none (product rule) */
  review_coverage_percentage: number;
  total_loc: number;
  commits_scanned: number;
  prs_scanned: number;
  per_agent: Record<string, { commits: number; lines: number; share_pct: number; prs: number }>;
  /** assisted and suspected lines, reported apart and never added to ai_loc_percentage */
  assisted_loc_percentage: number;
  suspected_loc_percentage: number;
  api_requests: { counted: number; not_modified: number };
  /** merged AI PRs without a human review, newest first (at most 20), for alerts and reports */
  unreviewed_ai_pull_requests: { number: number; title: string; agents: string[]; merged_at: string }[];
}

const REVIEW_STATES: ReadonlySet<Review["state"]> = new Set(["APPROVED", "CHANGES_REQUESTED", "COMMENTED"]);

/**
 * A human review: by someone who is not a bot and not the PR's author, submitted before the merge.
 * (Copilot's and other AI reviewers' reviews are bot reviews and never count.)
 */
export function hasHumanReview(pr: PullRequest): boolean {
  const mergedAt = pr.merged_at ? Date.parse(pr.merged_at) : Infinity;
  return pr.reviews.some((r) =>
    r.author !== null && !r.author.is_bot && r.author.login !== pr.author?.login && REVIEW_STATES.has(r.state) &&
    (r.submitted_at === null || Date.parse(r.submitted_at) <= mergedAt)
  );
}

export function summarizeScan(input: { pullRequests: PullRequest[]; commits: Commit[]; apiRequests?: { counted: number; notModified: number } }): ScanSummary {
  // The suspected tier's threshold comes from the repository's own score profile (classifyCommits).
  const { classifications, calibration: suspectedCalibration } = classifyCommits(input.commits);
  const detection = new DetectionSummary();
  input.commits.forEach((commit, i) => detection.add(classifications[i], commit.parents.length > 1));
  const report: DetectionSummaryReport = detection.report();

  const perAgent: ScanSummary["per_agent"] = {};
  for (const [agent, v] of Object.entries(report.attested.by_agent)) perAgent[agent] = { ...v, prs: 0 };

  let aiPrs = 0;
  let reviewed = 0;
  const unreviewed: ScanSummary["unreviewed_ai_pull_requests"] = [];
  for (const pr of input.pullRequests) {
    const c = classifyPullRequest(pr, { suspectedCalibration });
    if (c.verdict !== "attested") continue;
    aiPrs++;
    for (const agent of c.agents) (perAgent[agent] ??= { commits: 0, lines: 0, share_pct: 0, prs: 0 }).prs++;
    if (!pr.merged_at) continue;
    if (hasHumanReview(pr)) reviewed++;
    else unreviewed.push({ number: pr.number, title: pr.title, agents: c.agents, merged_at: pr.merged_at });
  }
  unreviewed.sort((a, b) => Date.parse(b.merged_at) - Date.parse(a.merged_at));
  const mergedAi = reviewed + unreviewed.length;
  return {
    ai_loc_percentage: report.attested.share_pct,
    ai_prs_detected: aiPrs,
    reviewed_ai_prs: reviewed,
    unreviewed_ai_merges: unreviewed.length,
    review_coverage_percentage: mergedAi === 0 ? 100 : Math.round((10000 * reviewed) / mergedAi) / 100,
    total_loc: report.counted_added_lines,
    commits_scanned: report.commits,
    prs_scanned: input.pullRequests.length,
    per_agent: perAgent,
    assisted_loc_percentage: report.assisted.share_pct,
    suspected_loc_percentage: report.suspected.share_pct,
    api_requests: { counted: input.apiRequests?.counted ?? 0, not_modified: input.apiRequests?.notModified ?? 0 },
    unreviewed_ai_pull_requests: unreviewed.slice(0, 20),
  };
}
