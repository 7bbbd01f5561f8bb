/**
 * The suspected tier: a small logistic model over what a commit looks like when it carries no
 * mark — message shape, trailer habits, size profile and the cadence of the author's commits.
 * Its weights live in suspected-model.ts, trained only from ../shared/data with every mark
 * stripped (eval/detection.ts --write-model), on some repositories and tested on another.
 *
 * The model ranks; it does not set its own threshold, because a threshold fitted on some
 * repositories does not carry over to another (AI shares of 62 %, 26 % and 2 % in the data).
 * The threshold is chosen per scanned repository by calibrateSuspected, from that repository's
 * unlabeled scores and the model's human reference: the lowest score at which the flagged set's
 * precision is bounded below by TARGET_PRECISION. Where no score qualifies the tier abstains, and
 * without a calibration (one commit on its own) it abstains too. Bots and git's revert messages
 * are never scored. Suspected figures are always reported apart from attested ones; see
 * eval/detection.ts --only=suspected for the held-out figures.
 */
import type { Commit } from "./records.ts";
import { SUSPECTED_MODEL } from "./suspected-model.ts";

/** Names of the features, in vector order (index 0 is the bias). */
export const FEATURE_NAMES = [
  "bias",
  "conventional_subject",
  "conventional_capitalized",
  "imperative_capitalized",
  "subject_length",
  "subject_period",
  "has_body",
  "body_lines",
  "bullet_share",
  "backticks",
  "short_subject",
  "lowercase_plain_subject",
  "files",
  "added",
  "deleted",
  "tests_with_code",
  "burst_2min",
  "burst_15min",
  "authored_eq_committed",
  "pr_ref_subject",
  "release_or_bump",
  "signed_off",
  "human_coauthor",
  "wip_or_typo",
  "agent_era",
  "session_commits",
  "session_shaped_share",
  "automation",
] as const;

export const FEATURE_COUNT = FEATURE_NAMES.length;
const AGENT_ERA = FEATURE_NAMES.indexOf("agent_era");
const AUTOMATION = FEATURE_NAMES.indexOf("automation");
/** Features that gate the probability to 0 instead of carrying a weight. */
export const GATE_FEATURES: ReadonlySet<string> = new Set(["agent_era", "automation"]);

/**
 * What the same author did around a commit in the scan: how many of their other commits fall
 * within SESSION_SECONDS of it, and the share of those with an agent-shaped subject
 * (conventional or capitalised imperative). Agent sessions come as runs of such commits.
 */
export interface SessionContext {
  commits: number;
  shaped: number;
}

export const SESSION_SECONDS = 3 * 3600;

/** Start of the agent era (first public coding agents with commit access): 2024-01-01 UTC. */
const AGENT_ERA_START_MS = Date.UTC(2024, 0, 1);

/** Whether a feature vector's subject has the shape agents give it (for SessionContext.shaped). */
export function isShapedSubject(x: Float64Array): boolean {
  return x[1] === 1 || x[3] === 1;
}

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
  /**
   * Threshold on the probability when no repository calibration is given (one commit judged on
   * its own): above 1 the tier abstains, since the rule needs the repository's score profile.
   */
  threshold: number;
  reference: HumanReference;
  trained_on: string[];
  note: string;
}

const IMPERATIVES = new Set([
  "add", "fix", "update", "refactor", "remove", "implement", "improve", "use", "make", "support",
  "handle", "ensure", "replace", "move", "extract", "enable", "allow", "introduce", "create",
  "clean", "document", "rename", "simplify", "test", "prevent", "set", "show", "change", "adjust",
  "convert", "modify", "expand", "return", "skip", "include", "apply", "restore", "avoid",
]);

function isLower(ch: number): boolean {
  return ch >= 97 && ch <= 122;
}
function isUpper(ch: number): boolean {
  return ch >= 65 && ch <= 90;
}

/** A subject's shape: conventional (`type(scope)!: description`), its description and first word (lower-cased). */
function subjectShape(subject: string): { conventional: boolean; desc: string; firstWord: string } {
  let i = 0;
  while (i < subject.length && isLower(subject.charCodeAt(i))) i++;
  let conventional = false;
  let descStart = -1;
  if (i >= 2 && i <= 10) {
    let j = i;
    if (subject.charCodeAt(j) === 40 /* ( */) {
      const close = subject.indexOf(")", j);
      j = close > 0 ? close + 1 : -1;
    }
    if (j > 0 && subject.charCodeAt(j) === 33 /* ! */) j++;
    if (j > 0 && subject.charCodeAt(j) === 58 /* : */ && subject.charCodeAt(j + 1) === 32) {
      conventional = true;
      descStart = j + 2;
    }
  }
  const desc = conventional ? subject.slice(descStart) : subject;
  const firstWordEnd = desc.indexOf(" ");
  const firstWord = (firstWordEnd < 0 ? desc : desc.slice(0, firstWordEnd)).toLowerCase();
  return { conventional, desc, firstWord };
}

/** Whether a commit's subject has the shape agents give it: isShapedSubject of its features, from the subject alone. */
export function hasShapedSubject(message: string): boolean {
  const nl = message.indexOf("\n");
  const { conventional, desc, firstWord } = subjectShape((nl < 0 ? message : message.slice(0, nl)).trim());
  return conventional || (isUpper(desc.charCodeAt(0)) && IMPERATIVES.has(firstWord));
}

/**
 * Feature vector of a commit. `gapSeconds` is the time to the neighbouring commit of the same
 * author in the scan (null when unknown: a lone commit). Written as one pass over the message;
 * no regexes, it runs on every unmarked commit.
 */
export function suspectFeatures(
  commit: Commit,
  gapSeconds: number | null,
  out = new Float64Array(FEATURE_COUNT),
  session: SessionContext | null = null,
  /** Date.parse(commit.authored_at), when the caller has it */
  authoredMs: number = Date.parse(commit.authored_at),
): Float64Array {
  const msg = commit.message ?? "";
  let nl = msg.indexOf("\n");
  const subject = (nl < 0 ? msg : msg.slice(0, nl)).trim();
  const { conventional, desc, firstWord } = subjectShape(subject);
  const c0 = desc.charCodeAt(0);
  let words = 1;
  for (let k = 0; k < subject.length; k++) if (subject.charCodeAt(k) === 32) words++;

  // body
  let bodyLines = 0;
  let bullets = 0;
  let signedOff = 0;
  let humanCoauthor = 0;
  while (nl >= 0) {
    const start = nl + 1;
    nl = msg.indexOf("\n", start);
    const end = nl < 0 ? msg.length : nl;
    if (end - start < 2) continue;
    let s = start;
    while (s < end && msg.charCodeAt(s) === 32) s++;
    const ch = msg.charCodeAt(s);
    if ((ch === 45 /* - */ || ch === 42 /* * */) && msg.charCodeAt(s + 1) === 32) bullets++;
    else if (ch === 83 /* S */ && msg.startsWith("Signed-off-by:", s)) signedOff = 1;
    else if ((ch === 67 || ch === 99) && startsWithLower(msg, s, "co-authored-by:")) humanCoauthor = 1;
    bodyLines++;
  }

  let added = 0;
  let deleted = 0;
  let tests = 0;
  let code = 0;
  let linesUnknown = false;
  for (const f of commit.files) {
    added += f.added ?? 0;
    deleted += f.deleted ?? 0;
    if (f.lines_unknown) linesUnknown = true;
    if (f.path.includes("test")) tests = 1;
    else code = 1;
  }
  // Files whose lines the source did not read: the commit's totals are their sum (binary files add 0 to both).
  if (linesUnknown) {
    added = commit.additions ?? added;
    deleted = commit.deletions ?? deleted;
  }
  const lowerSubject = subject.toLowerCase();

  out[0] = 1;
  out[1] = conventional ? 1 : 0;
  out[2] = conventional && isUpper(c0) ? 1 : 0;
  out[3] = isUpper(c0) && IMPERATIVES.has(firstWord) ? 1 : 0;
  out[4] = Math.min(subject.length / 50, 2);
  out[5] = subject.endsWith(".") ? 1 : 0;
  out[6] = bodyLines > 0 ? 1 : 0;
  out[7] = Math.log1p(bodyLines);
  out[8] = bodyLines > 0 ? bullets / bodyLines : 0;
  out[9] = msg.includes("`") ? 1 : 0;
  out[10] = words <= 3 ? 1 : 0;
  out[11] = !conventional && isLower(c0) ? 1 : 0;
  out[12] = Math.log1p(commit.files.length);
  out[13] = Math.log1p(added);
  out[14] = Math.log1p(deleted);
  out[15] = tests && code ? 1 : 0;
  out[16] = gapSeconds !== null && gapSeconds <= 120 ? 1 : 0;
  out[17] = gapSeconds !== null && gapSeconds <= 900 ? 1 : 0;
  out[18] = commit.authored_at === commit.committed_at ? 1 : 0;
  out[19] = subject.endsWith(")") && subject.includes("(#") ? 1 : 0;
  out[20] = lowerSubject.startsWith("release") || lowerSubject.includes("version bump") || lowerSubject.startsWith("bump") || lowerSubject.startsWith("merge") ? 1 : 0;
  out[21] = signedOff;
  out[22] = humanCoauthor;
  out[23] = lowerSubject.includes("wip") || lowerSubject.includes("typo") || lowerSubject === "copy" || lowerSubject === "lint" ? 1 : 0;
  // inside the agent era: no coding agent wrote a 2016 commit (suspectProbability gates on it)
  const t = authoredMs;
  out[24] = Number.isNaN(t) || t >= AGENT_ERA_START_MS ? 1 : 0;
  out[25] = session ? Math.log1p(session.commits) : 0;
  out[26] = session && session.commits > 0 ? session.shaped / session.commits : 0;
  // written by a machine that is not an AI agent: a bot identity (dependabot, renovate, …; AI
  // agents' bots are catalog marks and never reach this tier) or git's own revert message
  out[27] = isAutomation(commit, subject, msg) ? 1 : 0;
  return out;
}

/** Whether msg at `at` starts with `lower` (lower-case ASCII), ignoring case, without a copy. */
function startsWithLower(msg: string, at: number, lower: string): boolean {
  if (at + lower.length > msg.length) return false;
  for (let k = 0; k < lower.length; k++) {
    let ch = msg.charCodeAt(at + k);
    if (ch >= 65 && ch <= 90) ch += 32;
    if (ch !== lower.charCodeAt(k)) return false;
  }
  return true;
}

function isAutomation(commit: Commit, subject: string, msg: string): boolean {
  const name = commit.author_name ?? "";
  const email = commit.author_email ?? "";
  if (name.endsWith("[bot]") || email.includes("[bot]@")) return true;
  return subject.startsWith('Revert "') && msg.includes("This reverts commit ");
}

/** Probability that an unmarked commit was written by an AI agent, under a model. */
export function suspectProbability(x: Float64Array, model: SuspectedModel = SUSPECTED_MODEL): number {
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
export function calibrateSuspected(probabilities: Iterable<number>, model: SuspectedModel = SUSPECTED_MODEL): SuspectedCalibration {
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
