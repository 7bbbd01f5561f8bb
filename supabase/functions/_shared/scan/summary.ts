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
  /**
   * AI LOC over counted added lines of the scanned commits, in percent: the band's floor — lines a
   * git-ai record states AI wrote (recorded) plus lines of commits an agent's mark attests
   * (attested_loc_percentage + recorded_loc_percentage)
   */
  ai_loc_percentage: number;
  /** recorded AI lines (git-ai notes; squash merges from their PR's notes), in percent */
  recorded_loc_percentage: number;
  /** lines of marked commits without a record, in percent */
  attested_loc_percentage: number;
  ai_prs_detected: number;
  /** merged AI PRs with a review by a human other than the PR's author, before the merge */
  reviewed_ai_prs: number;
  unreviewed_ai_merges: number;
  /** share of merged AI PRs that got a human review; 100 when there are none (product rule) */
  review_coverage_percentage: number;
  total_loc: number;
  commits_scanned: number;
  prs_scanned: number;
  /**
   * Per agent: its floor AI lines (recorded + attested) and commits, their share, its AI PRs, and
   * of its recorded lines the split per model (a note names the model; "unknown" where it does not).
   */
  per_agent: Record<string, {
    commits: number;
    lines: number;
    share_pct: number;
    prs: number;
    recorded_lines: number;
    attested_lines: number;
    models: Record<string, { commits: number; lines: number; share_pct: number }>;
  }>;
  /** assisted and suspected lines, reported apart and never added to ai_loc_percentage */
  assisted_loc_percentage: number;
  suspected_loc_percentage: number;
  /**
   * The AI-LOC share as a band: ai_loc_percentage (its floor: recorded + attested) up to this (its
   * ceiling: + the repository rule's suspected commits).
   */
  ai_loc_with_suspected_percentage: number;
  /**
   * What is known of the origin of the counted added lines, in percent (they sum to 100): recorded
   * by a git-ai note (AI or human), attested by a mark, suspected, or unknown — the band rests on it.
   */
  coverage: { recorded_pct: number; attested_pct: number; suspected_pct: number; unknown_pct: number; lines: { recorded: number; attested: number; suspected: number; unknown: number } };
  /**
   * The recorded tier: commits whose record has AI lines, commits with a usable record at all (of
   * them squash merges recorded from their PR's notes), AI / human / untracked lines, and commits
   * whose record and marks disagree.
   */
  recorded: { commits: number; commits_with_record: number; from_pull_requests: number; ai_lines: number; human_lines: number; untracked_lines: number; conflicts: number };
  /** The commits with a record only: the share of their lines the records call AI, and what marks alone said of them. */
  noted: { commits: number; counted_added_lines: number; recorded_ai_lines: number; recorded_ai_pct: number; marks_ai_lines: number; marks_pct: number };
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
  commits: readonly (Pick<CommitRow, "verdict" | "agents" | "confidence" | "ai_lines" | "counted_lines" | "is_merge"> & Partial<Pick<CommitRow, "recorded" | "marks_only" | "note_conflict">>)[];
  pullRequests: readonly Pick<PullRequestRow, "number" | "title" | "verdict" | "agents" | "merged_at" | "human_reviewed">[];
  apiRequests?: { counted: number; notModified: number };
  suspects?: ScanSuspects | null;
}): ScanSummary {
  const detection = new DetectionSummary();
  for (const c of input.commits) detection.add(asClassification(c), c.is_merge);
  const report: DetectionSummaryReport = detection.report();

  const perAgent: ScanSummary["per_agent"] = {};
  const pct = (lines: number) => (report.counted_added_lines === 0 ? 0 : Math.round((10000 * lines) / report.counted_added_lines) / 100);
  const agentEntry = (agent: string) => (perAgent[agent] ??= { commits: 0, lines: 0, share_pct: 0, prs: 0, recorded_lines: 0, attested_lines: 0, models: {} });
  for (const [agent, v] of Object.entries(report.attested.by_agent)) {
    const e = agentEntry(agent);
    e.commits += v.commits;
    e.attested_lines += v.lines;
  }
  for (const [agent, v] of Object.entries(report.recorded.by_agent)) {
    const e = agentEntry(agent);
    e.commits += v.commits;
    e.recorded_lines += v.lines;
    e.models = v.models;
  }
  for (const e of Object.values(perAgent)) {
    e.lines = e.recorded_lines + e.attested_lines;
    e.share_pct = pct(e.lines);
  }
  let aiPrs = 0;
  let reviewed = 0;
  const unreviewed: ScanSummary["unreviewed_ai_pull_requests"] = [];
  for (const pr of input.pullRequests) {
    if (pr.verdict !== "attested" && pr.verdict !== "recorded") continue;
    aiPrs++;
    for (const agent of pr.agents) agentEntry(agent).prs++;
    if (!pr.merged_at) continue;
    if (pr.human_reviewed) reviewed++;
    else unreviewed.push({ number: pr.number, title: pr.title, agents: pr.agents, merged_at: new Date(pr.merged_at).toISOString() });
  }
  unreviewed.sort((a, b) => Date.parse(b.merged_at) - Date.parse(a.merged_at) || b.number - a.number);
  const mergedAi = reviewed + unreviewed.length;
  const r = report.recorded;
  return {
    ai_loc_percentage: report.ai_loc_bands.floor_pct,
    recorded_loc_percentage: r.share_pct,
    attested_loc_percentage: report.attested.share_pct,
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
    ai_loc_with_suspected_percentage: report.ai_loc_bands.ceiling_pct,
    coverage: report.coverage,
    recorded: {
      commits: r.commits,
      commits_with_record: r.commits_with_record,
      from_pull_requests: r.from_pull_requests,
      ai_lines: r.ai_lines,
      human_lines: r.human_lines,
      untracked_lines: r.untracked_lines,
      conflicts: r.conflicts,
    },
    noted: report.noted,
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
