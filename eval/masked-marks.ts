// The masked-marks protocol for the suspected tier, which needs no labels beyond the marks the
// repositories already carry: strip a random share of a repository's attested commits' marks (as
// a squash or an amend that drops the trailer would), keep the rest, run detection on the history
// so changed, and count
//   recall      — the masked commits the tier gives back as suspected (they are AI-written: their
//                 mark said so);
//   flagged     — the never-marked commits it flags, over all never-marked commits: an upper bound
//                 on its false-positive rate (some never-marked commits are AI-written too; in
//                 aider, whose tool marks every commit it makes, none is).
// Detection never sees which commits were masked: it gets the stripped commits in place of the
// originals, nothing else.
import type { Commit } from "../supabase/functions/_shared/detection/records.ts";
import { classifyCommit, classifyCommits } from "../supabase/functions/_shared/detection/classify.ts";
import { stripMarks } from "../supabase/functions/_shared/detection/strip.ts";
import type { CommitClassification } from "../supabase/functions/_shared/detection/verdicts.ts";

/** A small deterministic generator (LCG), so that a seed names one mask. */
export function seededRandom(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface MaskedHistory {
  /** the history with the masked commits stripped of their marks, in the original order */
  commits: Commit[];
  /** indexes of the masked commits */
  masked: Set<number>;
  /** indexes of the commits that never carried a mark (the marks' verdict was human), merges left out */
  neverMarked: Set<number>;
}

/**
 * Strips the marks of `rate` of the attested non-merge commits (each independently, with
 * probability `rate`, drawn from the seed).
 */
export function maskMarks(history: readonly Commit[], rate: number, seed: number): MaskedHistory {
  const random = seededRandom(seed);
  const masked = new Set<number>();
  const neverMarked = new Set<number>();
  const commits = history.map((c, i) => {
    const verdict = classifyCommit(c, { suspected: false }).verdict;
    if (c.parents.length > 1) return c;
    if (verdict === "human") neverMarked.add(i);
    if (verdict !== "attested" || random() >= rate) return c;
    masked.add(i);
    return stripMarks(c);
  });
  return { commits, masked, neverMarked };
}

export interface MaskedFigures {
  masked: number;
  recovered: number;
  never_marked: number;
  flagged: number;
  /** mean confidence of the suspected verdicts given to masked and never-marked commits */
  mean_confidence: number | null;
  /** lines: the masked commits' counted lines, and those of the suspected among them */
  masked_lines: number;
  recovered_lines: number;
}

/** Figures of the tier's verdicts (classifications of `masked.commits`, in order) at probability `threshold` and above. */
export function maskedFigures(masked: MaskedHistory, classifications: readonly CommitClassification[], threshold?: number): MaskedFigures {
  const f: MaskedFigures = { masked: 0, recovered: 0, never_marked: 0, flagged: 0, mean_confidence: null, masked_lines: 0, recovered_lines: 0 };
  let confidence = 0;
  let judged = 0;
  classifications.forEach((r, i) => {
    const isMasked = masked.masked.has(i);
    if (!isMasked && !masked.neverMarked.has(i)) return;
    const p = probabilityOf(r);
    const flagged = threshold === undefined ? r.verdict === "suspected" : p >= threshold;
    if (flagged) {
      confidence += p;
      judged++;
    }
    if (isMasked) {
      f.masked++;
      f.masked_lines += r.counted_added_lines;
      if (flagged) {
        f.recovered++;
        f.recovered_lines += r.counted_added_lines;
      }
    } else {
      f.never_marked++;
      if (flagged) f.flagged++;
    }
  });
  f.mean_confidence = judged > 0 ? confidence / judged : null;
  return f;
}

/** The tier's probability that an unmarked commit is AI-written, from its verdict and confidence. */
export function probabilityOf(r: CommitClassification): number {
  if (r.verdict === "suspected") return r.confidence;
  if (r.verdict === "human") return 1 - r.confidence;
  return 0;
}

/** One masked run: mask, detect, count. */
export function maskedRun(history: readonly Commit[], rate: number, seed: number): { masked: MaskedHistory; classifications: CommitClassification[] } {
  const masked = maskMarks(history, rate, seed);
  return { masked, classifications: classifyCommits(masked.commits).classifications };
}
