/**
 * The summary of one scan, in the product's words (reference/product-spec.md, "Scan summary
 * fields"): how much of the code AI wrote, how many AI pull requests there were, and whether a
 * human reviewed them before they merged. Pure: rows in (what the scan recorded), figures out —
 * the same figures whether the rows come back from the database after a scan written page by
 * page, or straight from detection over the records (summarizeScan).
 */
import { classifyPullRequest, createCommitScorer, decideSuspected, DetectionSummary, type DetectionSummaryReport, type RepositoryRuleReport, type SuspectDecision } from "../detection/index.ts";
import type { Commit, PullRequest } from "../detection/records.ts";
import { asClassification, type CommitRow, commitRow, type PullRequestRow, pullRequestRow } from "./results.ts";

export { hasHumanReview } from "./results.ts";

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
  /**
   * The AI-LOC share as a band: ai_loc_percentage (attested, marks only) up to this (attested +
   * suspected: the marks and the repository rule's suspected commits).
   */
  ai_loc_with_suspected_percentage: number;
  /**
   * The suspected tier of the scan, apart from attested: its commits and lines, their mean
   * confidence (each suspected commit's probability of being AI-written), what the repository
   * rule saw (label_frequency: the share of the repository's AI commits it estimates carry their
   * mark; abstained: why it decided nothing), and the most confident suspected commits with the
   * evidence that led to each (at most SUSPECTS_LISTED).
   */
  suspected: {
    commits: number;
    lines: number;
    mean_confidence: number | null;
    label_frequency: number | null;
    abstained: string | null;
    top: { sha: string; confidence: number; evidence: string[] }[];
  };
  api_requests: { counted: number; not_modified: number };
  /** merged AI PRs without a human review, newest first (at most 20), for alerts and reports */
  unreviewed_ai_pull_requests: { number: number; title: string; agents: string[]; merged_at: string }[];
}

/** Suspected commits listed with their evidence in a scan's summary. */
export const SUSPECTS_LISTED = 50;

/** What the suspected tier decided over a scan (CommitScorer.decide), for its summary. */
export interface ScanSuspects {
  report: RepositoryRuleReport;
  decisions: readonly SuspectDecision[];
}

/** The summary from a scan's rows (commits with their final verdicts, pull requests). */
export function summarizeRows(input: {
  commits: readonly Pick<CommitRow, "verdict" | "agents" | "confidence" | "ai_lines" | "counted_lines" | "is_merge">[];
  pullRequests: readonly Pick<PullRequestRow, "number" | "title" | "verdict" | "agents" | "merged_at" | "human_reviewed">[];
  apiRequests?: { counted: number; notModified: number };
  suspects?: ScanSuspects | null;
}): ScanSummary {
  const detection = new DetectionSummary();
  for (const c of input.commits) detection.add(asClassification(c), c.is_merge);
  const report: DetectionSummaryReport = detection.report();

  const perAgent: ScanSummary["per_agent"] = {};
  for (const [agent, v] of Object.entries(report.attested.by_agent)) perAgent[agent] = { ...v, prs: 0 };
  let aiPrs = 0;
  let reviewed = 0;
  const unreviewed: ScanSummary["unreviewed_ai_pull_requests"] = [];
  for (const pr of input.pullRequests) {
    if (pr.verdict !== "attested") continue;
    aiPrs++;
    for (const agent of pr.agents) (perAgent[agent] ??= { commits: 0, lines: 0, share_pct: 0, prs: 0 }).prs++;
    if (!pr.merged_at) continue;
    if (pr.human_reviewed) reviewed++;
    else unreviewed.push({ number: pr.number, title: pr.title, agents: pr.agents, merged_at: new Date(pr.merged_at).toISOString() });
  }
  unreviewed.sort((a, b) => Date.parse(b.merged_at) - Date.parse(a.merged_at) || b.number - a.number);
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
    ai_loc_with_suspected_percentage: report.ai_loc_bands.attested_plus_suspected_pct,
    suspected: {
      commits: report.suspected.commits,
      lines: report.suspected.lines,
      mean_confidence: report.suspected.mean_confidence,
      label_frequency: input.suspects?.report.label_frequency ?? null,
      abstained: input.suspects ? input.suspects.report.abstained : "the suspected tier did not run",
      top: [...(input.suspects?.decisions ?? [])].filter((d) => d.suspected)
        .sort((a, b) => b.probability - a.probability || (a.sha < b.sha ? -1 : 1)).slice(0, SUSPECTS_LISTED)
        .map((d) => ({ sha: d.sha, confidence: d.probability, evidence: d.evidence })),
    },
    api_requests: { counted: input.apiRequests?.counted ?? 0, not_modified: input.apiRequests?.notModified ?? 0 },
    unreviewed_ai_pull_requests: unreviewed.slice(0, 20),
  };
}

/**
 * The summary straight from the records: detection over the commits (the suspected tier
 * calibrated on them) and the pull requests — what a scan's stored rows must add up to.
 */
export function summarizeScan(input: { pullRequests: PullRequest[]; commits: Commit[]; apiRequests?: { counted: number; notModified: number } }): ScanSummary {
  const score = createCommitScorer();
  const scored = input.commits.map(score);
  const suspects = score.decide();
  const bySha = new Map(suspects.decisions.map((d) => [d.sha, d]));
  const commits = input.commits.map((c, i) => {
    const d = bySha.get(c.sha);
    return commitRow(c, { classification: d ? decideSuspected(scored[i].classification, d) : scored[i].classification });
  });
  // Pull requests as a scan rows them: their marks and their commits' (the suspected tier is the commits').
  const pullRequests = input.pullRequests.map((pr) => pullRequestRow(pr, classifyPullRequest(pr)));
  return summarizeRows({ commits, pullRequests, apiRequests: input.apiRequests, suspects });
}
