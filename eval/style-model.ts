/**
 * The cross-repository style model: a logistic model over what a commit looks like without its
 * mark (suspected.ts's suspectFeatures), trained on some data sets and applied to another, its
 * threshold chosen per repository from that repository's unlabeled scores and the model's human
 * reference (calibrateSuspected). It was the suspected tier before the repository rule
 * (repository-evidence.ts) and is kept here, in the eval only, on purpose: section 3 of
 * eval/detection.ts measures it on the cross-repository split as the baseline the repository rule
 * is compared with (commit style does not transfer between AI tools: held-out AUC 0.59 on
 * github-mcp-server, 0.51 on lizard).
 */
import type { Commit } from "../supabase/functions/_shared/detection/records.ts";
import { FEATURE_NAMES, hasShapedSubject, type SessionContext } from "../supabase/functions/_shared/detection/suspected.ts";

const AGENT_ERA = FEATURE_NAMES.indexOf("agent_era");
const AUTOMATION = FEATURE_NAMES.indexOf("automation");

/** An author's other commits within this many seconds are one session (SessionContext). */
export const SESSION_SECONDS = 3 * 3600;

/**
 * The human reference of a model: on a grid of logits, the share of the training repositories'
 * unmarked agent-era commits that score at or above each logit (the worst training repository,
 * add-one estimate, so never 0). It stands for how often commits without a mark reach a score,
 * and bounds the false positives a threshold makes in a repository whose people write like
 * those of the training repositories. Unmarked commits include AI commits that left no mark, so
 * the bound errs on the side of flagging less.
 */
export interface HumanReference {
  logit_min: number;
  logit_step: number;
  /** fpr[g] = reference share scoring >= logit_min + g * logit_step */
  fpr: number[];
}

/** A trained model: weights per feature, the verdict threshold and its human reference. */
export interface SuspectedModel {
  weights: number[];
  /** mean and scale per feature (standardisation learned on the training set) */
  mean: number[];
  scale: number[];
  /** Threshold on the probability without a repository calibration: above 1, abstain. */
  threshold: number;
  reference: HumanReference;
  trained_on: string[];
  note: string;
}

/** Probability that an unmarked commit was written by an AI agent, under a model. */
export function suspectProbability(x: Float64Array, model: SuspectedModel): number {
  if (x[AGENT_ERA] === 0 || x[AUTOMATION] === 1) return 0;
  const w = model.weights;
  let z = w[0];
  for (let k = 1; k < x.length; k++) z += w[k] * ((x[k] - model.mean[k]) / model.scale[k]);
  return 1 / (1 + Math.exp(-z));
}

const RING = 16;

/**
 * Per-author memory of recent commits in a scan (the last RING of each author), giving each new
 * commit its SessionContext. One pass, so a commit sees the commits the scan met before it;
 * distance is absolute time, so the scan's order (newest or oldest first) does not matter.
 */
export class SessionTracker {
  private readonly byAuthor = new Map<string, { t: Float64Array; shaped: Uint8Array; n: number }>();

  /** What the tracker remembers, as JSON: per author, its remembered commits oldest first as [time ms, shaped 0/1]. */
  snapshot(): Record<string, [number, number][]> {
    const out: Record<string, [number, number][]> = {};
    for (const [author, e] of this.byAuthor) {
      const m = Math.min(e.n, RING);
      const entries: [number, number][] = [];
      for (let i = 0; i < m; i++) {
        const slot = (e.n - m + i) % RING;
        entries.push([e.t[slot], e.shaped[slot]]);
      }
      out[author] = entries;
    }
    return out;
  }

  /** A tracker that goes on from a snapshot as the one that took it would. */
  static restore(snapshot: Record<string, [number, number][]>): SessionTracker {
    const tracker = new SessionTracker();
    for (const [author, entries] of Object.entries(snapshot)) {
      const e = { t: new Float64Array(RING), shaped: new Uint8Array(RING), n: 0 };
      for (const [t, shaped] of entries.slice(-RING)) {
        e.t[e.n] = t;
        e.shaped[e.n] = shaped ? 1 : 0;
        e.n++;
      }
      tracker.byAuthor.set(author, e);
    }
    return tracker;
  }

  /** The context of `commit`, then remember it. */
  next(commit: Commit): SessionContext {
    const key = (commit.author_email ?? "").toLowerCase();
    const t = Date.parse(commit.authored_at);
    let e = this.byAuthor.get(key);
    if (!e) {
      e = { t: new Float64Array(RING), shaped: new Uint8Array(RING), n: 0 };
      this.byAuthor.set(key, e);
    }
    let commits = 0;
    let shaped = 0;
    const m = Math.min(e.n, RING);
    for (let i = 0; i < m; i++) {
      if (Math.abs(e.t[i] - t) <= SESSION_SECONDS * 1000) {
        commits++;
        shaped += e.shaped[i];
      }
    }
    if (!Number.isNaN(t) && commit.parents.length <= 1) {
      const slot = e.n % RING;
      e.t[slot] = t;
      e.shaped[slot] = hasShapedSubject(commit.message ?? "") ? 1 : 0;
      e.n++;
    }
    return { commits, shaped };
  }
}

// ── the threshold rule ───────────────────────────────────────────────────────────────────────

/** The precision the suspected verdict must reach (issue 4). */
export const TARGET_PRECISION = 0.9;
/** Fewer flagged commits than this is no evidence: abstain. */
export const MIN_FLAGGED = 5;
/** Threshold meaning "flag nothing" (abstain). */
export const ABSTAIN = 1.01;
/** Logit grid of the human reference. */
export const LOGIT_MIN = -8;
export const LOGIT_STEP = 0.05;
const GRID = 321; // -8 … +8

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

function gridIndex(p: number): number {
  const g = Math.floor((logit(p) - LOGIT_MIN) / LOGIT_STEP + 1e-9);
  return Math.max(0, Math.min(GRID - 1, g));
}

/**
 * Human reference from the scores of unmarked agent-era commits, one list per training
 * repository (probabilities; gated commits, p = 0, are not counted).
 */
export function humanReference(scoresPerRepo: number[][]): HumanReference {
  const fpr = new Array(GRID).fill(0);
  for (const scores of scoresPerRepo) {
    const counts = new Array(GRID).fill(0);
    let n = 0;
    for (const p of scores) {
      if (!(p > 0)) continue;
      counts[gridIndex(p)]++;
      n++;
    }
    if (n === 0) continue;
    let atLeast = 0;
    for (let g = GRID - 1; g >= 0; g--) {
      atLeast += counts[g];
      fpr[g] = Math.max(fpr[g], (atLeast + 1) / (n + 1));
    }
  }
  return { logit_min: LOGIT_MIN, logit_step: LOGIT_STEP, fpr: fpr.map((v) => Math.round(v * 1e6) / 1e6) };
}

/** The suspected tier's decision for one repository, from its own unmarked commits' scores. */
export interface SuspectedCalibration {
  /** probability threshold of the suspected verdict (> 1: abstain) */
  threshold: number;
  /** unmarked commits the tier scored (agent era, not automation) */
  scored: number;
  /** of those, commits at or above the threshold */
  flagged: number;
  /** lower bound on the precision of the flagged set (0 when abstaining) */
  precision_bound: number;
  /** lower bound on precision of "everything scoring at least grid point g", per grid point */
  bound: number[];
}

/**
 * The threshold rule. For a threshold t, the repository's unmarked commits scoring >= t number
 * flagged(t); people who write like the human reference would put at most N · fpr(t) of its N
 * scored commits there, so precision >= 1 − N · fpr(t) / flagged(t) — a bound that needs no
 * labels of the repository, only its score profile, and holds whatever its share of AI commits.
 * The threshold is the lowest grid point where the bound reaches TARGET_PRECISION with at least
 * MIN_FLAGGED commits; where none does, the tier abstains. A repository whose commits look no
 * more agent-like than the reference's therefore gets no suspected verdicts at all.
 */
export function calibrateSuspected(probabilities: Iterable<number>, model: SuspectedModel): SuspectedCalibration {
  const counts = new Array(GRID).fill(0);
  let n = 0;
  for (const p of probabilities) {
    if (!(p > 0)) continue;
    counts[gridIndex(p)]++;
    n++;
  }
  const bound = new Array(GRID).fill(0);
  const atLeast = new Array(GRID).fill(0);
  let acc = 0;
  for (let g = GRID - 1; g >= 0; g--) {
    acc += counts[g];
    atLeast[g] = acc;
    const fpr = model.reference.fpr[g] ?? 1;
    bound[g] = acc > 0 ? Math.max(0, 1 - (n * fpr) / acc) : 0;
  }
  let chosen = -1;
  for (let g = 0; g < GRID; g++) {
    if (atLeast[g] >= MIN_FLAGGED && bound[g] >= TARGET_PRECISION) {
      chosen = g;
      break;
    }
  }
  if (chosen < 0) return { threshold: ABSTAIN, scored: n, flagged: 0, precision_bound: 0, bound };
  return {
    threshold: 1 / (1 + Math.exp(-(LOGIT_MIN + chosen * LOGIT_STEP))),
    scored: n,
    flagged: atLeast[chosen],
    precision_bound: bound[chosen],
    bound,
  };
}

/** Confidence of a suspected verdict at probability p: the precision bound of the commits scoring at least p. */
export function suspectedConfidence(p: number, calibration: SuspectedCalibration): number {
  return calibration.bound[gridIndex(p)];
}
