/**
 * What a scan records of each commit and pull request (public.scan_results, public.pull_requests),
 * made from the records the GitHub source read and what detection said of them. Pure.
 */
import type { PullRequestClassification, ScoredCommit } from "../detection/classify.ts";
import { classifyPullRequest } from "../detection/classify.ts";
import { excludedReason } from "../detection/loc.ts";
import type { Commit, PullRequest, Review } from "../detection/records.ts";
import { type SuspectInputs, toSuspectInputs } from "../detection/repository-evidence.ts";
import type { CommitClassification, MarksOnly, RecordedLines, Verdict } from "../detection/verdicts.ts";

export interface FileRow {
  path: string;
  /** null when not known: a binary file of a git source, or a file whose lines the GitHub source did not read. */
  added: number | null;
  deleted: number | null;
  /** Why the AI-LOC filter leaves the file out, or null when it counts. */
  filtered_out: "lock" | "vendored" | "generated" | null;
}

/**
 * A commit's row: its verdict (an unmarked commit's is "human" until the suspected tier decides at
 * the scan's completion, over every commit of the scan: its verdict and confidence are then set).
 */
export interface CommitRow {
  sha: string;
  verdict: Verdict;
  agents: string[];
  confidence: number;
  /**
   * The repository rule's P(AI-written | no mark) of an unmarked non-merge commit it scored, set at
   * the scan's completion (null until then, where marks decided, and where the rule did not score
   * the commit or abstained). A suspected commit's confidence is that probability; an unmarked
   * commit the rule kept human has confidence 1 − it.
   */
  suspect_score: number | null;
  lines_added: number | null;
  lines_deleted: number | null;
  ai_lines: number;
  counted_lines: number;
  is_merge: boolean;
  author_name: string;
  author_email: string;
  authored_at: string;
  committed_at: string;
  files: FileRow[];
  /** What the repository rule reads of the commit (repository-evidence.ts), null with the suspected tier off. */
  suspect_inputs: SuspectInputs | null;
  /**
   * The commit's git-ai record (its note's, or its squash-merged PR's commits' notes' lines: AI per
   * agent and model, human, untracked), null without one; with it, `ai_lines` is its AI lines.
   */
  recorded: RecordedLines | null;
  /** With a record: what the marks alone said (verdict, agents, AI lines). */
  marks_only: MarksOnly | null;
  /** With a record: where it and the marks disagree, in words; null when they agree. */
  note_conflict: string | null;
  /** The blob shas of the notes read for the commit (a later scan reads a note again only when its blob changed). */
  note_blobs: string[] | null;
}

/** A pull request's row. */
export interface PullRequestRow {
  number: number;
  title: string;
  author_login: string | null;
  author_is_bot: boolean;
  state: PullRequest["state"];
  head_ref: string;
  base_ref: string;
  ai_generated: boolean;
  verdict: Verdict;
  agents: string[];
  confidence: number;
  human_reviewed: boolean;
  /** Humans (not the author, not bots) who reviewed before the merge. */
  reviewers: string[];
  ai_reviewers: string[];
  additions: number;
  deletions: number;
  ai_lines: number;
  created_at: string;
  updated_at: string | null;
  merged_at: string | null;
  merged_by: string | null;
  unreviewed_ai_merge: boolean;
}

const sum = (xs: (number | null)[]) => xs.reduce<number>((n, x) => n + (x ?? 0), 0);

/**
 * A commit's row from its record and what the scorer said of it. Its lines are its files' sums, or
 * GitHub's totals where the source read no numstat or not every file's lines. A file whose lines
 * the source did not read (FileChange.lines_unknown: its path is proven from the path's history,
 * its lines are only inside the commit's totals) keeps its row — its path and why the filter
 * leaves it out are known — with null lines: nothing is made up, and null is what
 * scan_results.lines_added already holds where a file's lines are not known (a binary file from
 * a git clone). The commit's row has the totals, exact either way.
 */
export function commitRow(commit: Commit, scored: ScoredCommit, noteBlobs: string[] | null = null): CommitRow {
  const c = scored.classification;
  const fromFiles = commit.files.length > 0 && !commit.files.some((f) => f.lines_unknown);
  return {
    sha: commit.sha,
    verdict: c.verdict,
    agents: c.agents,
    confidence: c.confidence,
    suspect_score: null,
    lines_added: fromFiles ? sum(commit.files.map((f) => f.added)) : commit.additions ?? null,
    lines_deleted: fromFiles ? sum(commit.files.map((f) => f.deleted)) : commit.deletions ?? null,
    ai_lines: c.ai_added_lines,
    counted_lines: c.counted_added_lines,
    is_merge: commit.parents.length > 1,
    author_name: commit.author_name,
    author_email: commit.author_email,
    authored_at: commit.authored_at,
    committed_at: commit.committed_at,
    files: commit.files.map((f) => ({ path: f.path, added: f.lines_unknown ? null : f.added, deleted: f.lines_unknown ? null : f.deleted, filtered_out: excludedReason(f.path) })),
    suspect_inputs: scored.evidence ? toSuspectInputs(scored.evidence) : null,
    recorded: c.recorded ?? null,
    marks_only: c.marks_only ?? null,
    note_conflict: c.conflict ?? null,
    note_blobs: noteBlobs,
  };
}

const REVIEW_STATES: ReadonlySet<Review["state"]> = new Set(["APPROVED", "CHANGES_REQUESTED", "COMMENTED"]);

/**
 * The humans who reviewed a pull request: not bots, not its author, before the merge. (Copilot's
 * and other AI reviewers' reviews are bot reviews and never count.)
 */
export function humanReviewers(pr: PullRequest): string[] {
  const mergedAt = pr.merged_at ? Date.parse(pr.merged_at) : Infinity;
  const logins = pr.reviews
    .filter((r) => r.author !== null && !r.author.is_bot && r.author.login !== pr.author?.login && REVIEW_STATES.has(r.state) &&
      (r.submitted_at === null || Date.parse(r.submitted_at) <= mergedAt))
    .map((r) => r.author!.login);
  return [...new Set(logins)];
}

/** Whether a human other than the author reviewed the pull request before it merged. */
export function hasHumanReview(pr: PullRequest): boolean {
  return humanReviewers(pr).length > 0;
}

/** A pull request's row, classified (its commits' marks count; the suspected tier is the commits'). */
export function pullRequestRow(pr: PullRequest, classification: PullRequestClassification = classifyPullRequest(pr)): PullRequestRow {
  const reviewers = humanReviewers(pr);
  // AI-generated: a mark says so, or its commits' git-ai notes record AI lines.
  const ai = classification.verdict === "attested" || classification.verdict === "recorded";
  return {
    number: pr.number,
    title: pr.title,
    author_login: pr.author?.login ?? null,
    author_is_bot: pr.author?.is_bot ?? false,
    state: pr.state,
    head_ref: pr.head_ref,
    base_ref: pr.base_ref,
    ai_generated: ai,
    verdict: classification.verdict,
    agents: classification.agents,
    confidence: classification.confidence,
    human_reviewed: reviewers.length > 0,
    reviewers,
    ai_reviewers: classification.ai_reviewers,
    additions: pr.additions,
    deletions: pr.deletions,
    ai_lines: classification.ai_added_lines,
    created_at: pr.created_at,
    updated_at: pr.updated_at ?? null,
    merged_at: pr.merged_at,
    merged_by: pr.merged_by?.login ?? null,
    unreviewed_ai_merge: ai && pr.merged_at !== null && reviewers.length === 0,
  };
}

/** A commit row as the detection summary reads it (its record too, where it has one). */
export function asClassification(
  row: Pick<CommitRow, "verdict" | "agents" | "confidence" | "ai_lines" | "counted_lines"> & Partial<Pick<CommitRow, "recorded" | "marks_only" | "note_conflict">>,
): CommitClassification {
  const c: CommitClassification = { verdict: row.verdict, agents: row.agents, confidence: row.confidence, evidence: [], ai_added_lines: row.ai_lines, counted_added_lines: row.counted_lines };
  if (row.recorded) {
    c.recorded = row.recorded;
    if (row.marks_only) c.marks_only = row.marks_only;
    c.conflict = row.note_conflict ?? null;
  }
  return c;
}
