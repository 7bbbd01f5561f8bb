/**
 * The suspected tier from the repository's own evidence. A scan's attested commits say which
 * authors work with agents, in which periods, in which sessions and on which files; an unmarked
 * commit that sits among them — same author, same session, same files, same pull request — and
 * reads like them is far more likely to be AI-written than the base rate, whatever the tool.
 *
 * How it decides (no labels, nothing tuned per repository):
 *  1. Every scored commit (attested, or unmarked and neither a merge, a bot nor a revert, inside
 *     the agent era) gets evidence features computed from its neighbours on both sides in time,
 *     itself left out: the author's attested share among their nearby commits (by time and by
 *     sequence) and overall, the author's session (gaps of at most SESSION_GAP_MS) and its
 *     attested share, how close the author's nearest attested commit is, the share of its files
 *     that attested commits of the same session touched, its pull request's attested share (the
 *     commits a merge brought in), the repository's attested density around it — and its style
 *     (suspectFeatures of the commit with its marks stripped).
 *  2. A logistic model learns, on this repository alone, how its marked commits differ from its
 *     unmarked ones (positive–unlabeled learning: the unmarked include the AI commits that lost
 *     their mark). So in aider, where the agent marks every commit and an author's unmarked
 *     commits are their own, "this author uses agents" explains nothing and the model leans on
 *     what does differ; in OpenHands, where marked and unmarked commits of one author read alike,
 *     it leans on the sessions and the neighbours.
 *  3. Elkan & Noto's correction turns the model's P(marked | x) into the probability that an
 *     unmarked commit is AI-written: with c = P(marked | AI) estimated as the mean score of the
 *     marked commits (each scored by the model fitted on the other half: cross-fitting, so no
 *     commit is scored by a model that saw it), P(AI | x, unmarked) = (1 − c)/c · g/(1 − g).
 *     That probability is the verdict's confidence; the verdict is suspected at
 *     SUSPECTED_MIN_PROBABILITY and above — one operating point for every repository
 *     (eval/detection.ts, masked-marks section, prints the curves it was read from).
 * A repository with fewer than MIN_MARKED scored attested commits has no evidence: the tier
 * abstains there. A repository whose marks miss nothing (c near 1) gets (nearly) no suspects,
 * by the same formula.
 *
 * Pure and order-independent: the commits are sorted by time (then sha) first, so a scan that
 * wrote its rows page by page over several runs decides, from its stored rows, exactly as one
 * pass over the records does.
 */
import { FEATURE_NAMES } from "./suspected.ts";

/** What the rule needs of one commit of the scan. */
export interface EvidenceCommit {
  sha: string;
  /** parents' shas (a merge's second parent brings in a pull request's commits) */
  parents: string[];
  /** the author's identity with any agent identity stripped (lower-cased e-mail) */
  author: string;
  /** authored time, ms (NaN when unknown) */
  time: number;
  /** has an authorship mark */
  attested: boolean;
  /** unmarked and scored: the rule decides it */
  candidate: boolean;
  /** style features (styleOf: the STYLE subset of suspectFeatures of the marks-stripped commit); null for commits not scored */
  style: ArrayLike<number> | null;
  /** changed paths */
  paths: readonly string[];
}

/** The rule's decision for one candidate. */
export interface SuspectDecision {
  sha: string;
  /** P(AI-written | evidence, no mark), 0..1 */
  probability: number;
  suspected: boolean;
  /** what led to it, strongest first */
  evidence: string[];
}

export interface RepositoryRuleReport {
  /** scored commits (attested + candidates) */
  scored: number;
  marked: number;
  candidates: number;
  /** estimated share of the repository's AI commits that carry their mark (Elkan–Noto c) */
  label_frequency: number | null;
  /** why the rule abstained, or null */
  abstained: string | null;
  flagged: number;
}

/** Fewer attested commits than this is no evidence to learn from: abstain. */
export const MIN_MARKED = 10;
/** An unmarked commit is suspected at this probability of being AI-written and above. */
export const SUSPECTED_MIN_PROBABILITY = 0.6;
/** The highest probability the rule gives: evidence without a mark is never certainty. */
export const MAX_PROBABILITY = 0.99;
/** Two commits of an author at most this far apart are one session. */
export const SESSION_GAP_MS = 2 * 3600_000;
/** The author's nearby commits by time: ± this. */
const AUTHOR_WINDOW_MS = 14 * 86_400_000;
/** The repository's attested density: ± this. */
const REPO_WINDOW_MS = 14 * 86_400_000;
/** The author's nearby commits by sequence: this many on each side. */
const SEQUENCE_K = 5;
/** Prior weight (in commits) of the repository's attested share in an author's shares. */
const PRIOR = 2;
const L2 = 1.0;
const NEWTON_STEPS = 4;
const EXACT_STEPS = 2;
const TRAIN_PER_CLASS = 500;
/**
 * The Hessian is summed over at most this many of the training rows (evenly taken, weighted to
 * stand for all): it only sets the steps' size and direction — the gradient, which decides where
 * they converge, is over every row — and it was half of the rule's time.
 */
const HESSIAN_ROWS = 300;

/** Style features the repository model uses (suspectFeatures' names; bias and gates left out). */
const STYLE = [
  "conventional_subject", "imperative_capitalized", "subject_length",
  "has_body", "body_lines", "short_subject", "lowercase_plain_subject", "files", "added",
  "deleted", "tests_with_code", "burst_15min", "authored_eq_committed", "pr_ref_subject",
  "human_coauthor", "bullet_share", "backticks",
].map((n) => FEATURE_NAMES.indexOf(n as (typeof FEATURE_NAMES)[number]));

/** The style the rule reads of a feature vector (suspectFeatures), rounded to 4 decimals as a checkpoint keeps it. */
export function styleOf(x: ArrayLike<number>): number[] {
  const out = new Array<number>(STYLE.length);
  for (let k = 0; k < STYLE.length; k++) out[k] = Math.round(x[STYLE[k]] * 1e4) / 1e4;
  return out;
}

/** Names of the evidence features, in vector order after the style ones. */
export const EVIDENCE_FEATURES = [
  "author_share_window",
  "author_share_sequence",
  "author_share_all",
  "author_known",
  "session_size",
  "session_share",
  "nearest_attested_hours",
  "shared_files_session",
  "pr_share",
  "in_pr",
  "repo_share_window",
] as const;

const D = 1 + STYLE.length + EVIDENCE_FEATURES.length;
const EV = 1 + STYLE.length;

interface Row {
  c: EvidenceCommit;
  index: number;
  x: Float64Array;
}

/** Decides the candidates of one repository's scan. */
export function decideRepositorySuspects(commits: readonly EvidenceCommit[]): { decisions: SuspectDecision[]; report: RepositoryRuleReport } {
  const ordered = [...commits].sort((a, b) => (a.time - b.time) || (a.sha < b.sha ? -1 : a.sha > b.sha ? 1 : 0));
  const scored = ordered.filter((c) => (c.attested || c.candidate) && c.style !== null && !Number.isNaN(c.time));
  const marked = scored.filter((c) => c.attested).length;
  const candidates = scored.filter((c) => c.candidate && !c.attested);
  const report: RepositoryRuleReport = { scored: scored.length, marked, candidates: candidates.length, label_frequency: null, abstained: null, flagged: 0 };
  if (marked < MIN_MARKED || candidates.length === 0) {
    report.abstained = marked < MIN_MARKED ? `${marked} attested commits (fewer than ${MIN_MARKED}): no evidence to learn from` : "no unmarked commit to decide";
    return { decisions: candidates.map((c) => ({ sha: c.sha, probability: 0, suspected: false, evidence: [] })), report };
  }
  const { rows, matrix: z } = features(ordered, scored);
  const y = new Uint8Array(rows.length);
  rows.forEach((r, i) => (y[i] = r.c.attested ? 1 : 0));
  const stats = standardise(z, rows.length);
  // Cross-fitting: two halves (alternating in time), each scored by the model of the other.
  const g = new Float64Array(rows.length);
  const models: Float64Array[] = [];
  for (const half of [0, 1]) {
    const w = fitLogistic(...trainingHalf(z, y, rows.length, 1 - half));
    models.push(w);
    for (let i = half; i < rows.length; i += 2) g[i] = sigmoid(dotRow(w, z, i));
  }
  let sum = 0;
  for (let i = 0; i < rows.length; i++) if (y[i] === 1) sum += g[i];
  const c = Math.min(0.999, Math.max(1e-3, sum / marked));
  report.label_frequency = round3(c);
  const decisions: SuspectDecision[] = [];
  for (let i = 0; i < rows.length; i++) {
    if (y[i] === 1) continue;
    const gi = Math.min(g[i], 0.999);
    // capped below 1: the evidence makes a commit likely AI-written, never certainly
    const p = Math.min(MAX_PROBABILITY, ((1 - c) / c) * (gi / (1 - gi)));
    const suspected = p >= SUSPECTED_MIN_PROBABILITY;
    if (suspected) report.flagged++;
    decisions.push({ sha: rows[i].c.sha, probability: round3(p), suspected, evidence: suspected ? explain(raw(z, i, stats), z, i, models[i % 2]) : [] });
  }
  return { decisions, report };
}

/**
 * The evidence features of each scored commit (EVIDENCE_FEATURES, before standardisation), by
 * sha: what the rule reads of a commit's neighbours, for tests and diagnostics.
 */
export function evidenceFeatures(commits: readonly EvidenceCommit[]): Map<string, Record<(typeof EVIDENCE_FEATURES)[number], number>> {
  const ordered = [...commits].sort((a, b) => (a.time - b.time) || (a.sha < b.sha ? -1 : a.sha > b.sha ? 1 : 0));
  const scored = ordered.filter((c) => (c.attested || c.candidate) && c.style !== null && !Number.isNaN(c.time));
  const { rows } = features(ordered, scored);
  return new Map(rows.map((r) => [r.c.sha, Object.fromEntries(EVIDENCE_FEATURES.map((name, k) => [name, r.x[EV + k]])) as Record<(typeof EVIDENCE_FEATURES)[number], number>]));
}

/** The feature vectors of the scored commits (index 0 is the bias), rows of one matrix. */
function features(ordered: EvidenceCommit[], scored: EvidenceCommit[]): { rows: Row[]; matrix: Float64Array } {
  const buffer = new Float64Array(scored.length * D);
  const rows: Row[] = scored.map((c, index) => {
    const x = buffer.subarray(index * D, index * D + D);
    x[0] = 1;
    const style = c.style!;
    for (let k = 0; k < STYLE.length; k++) x[1 + k] = style[k] || 0;
    return { c, index, x };
  });
  const repoShare = (scored.filter((c) => c.attested).length + 1) / (scored.length + 2);
  // by author, in time order
  const byAuthor = new Map<string, Row[]>();
  for (const r of rows) {
    const list = byAuthor.get(r.c.author);
    if (list) list.push(r);
    else byAuthor.set(r.c.author, [r]);
  }
  for (const list of byAuthor.values()) authorFeatures(list, repoShare);
  repositoryDensity(rows, repoShare);
  pullRequests(ordered, rows, repoShare);
  return { rows, matrix: buffer };
}

function authorFeatures(list: Row[], repoShare: number): void {
  const n = list.length;
  const att = new Int32Array(n + 1); // prefix sums of attested
  for (let i = 0; i < n; i++) att[i + 1] = att[i] + (list[i].c.attested ? 1 : 0);
  const total = att[n];
  let lo = 0;
  let hi = 0;
  // sessions: runs whose consecutive gaps are at most SESSION_GAP_MS
  const session = new Int32Array(n);
  for (let i = 1; i < n; i++) session[i] = session[i - 1] + (list[i].c.time - list[i - 1].c.time > SESSION_GAP_MS ? 1 : 0);
  let lastAttested = -Infinity;
  const prevAttested = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    prevAttested[i] = lastAttested;
    if (list[i].c.attested) lastAttested = list[i].c.time;
  }
  let nextAttested = Infinity;
  const nextAtt = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    nextAtt[i] = nextAttested;
    if (list[i].c.attested) nextAttested = list[i].c.time;
  }
  let s0 = 0;
  let s1 = 0;
  const sessionPaths = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = list[i];
    const self = r.c.attested ? 1 : 0;
    const t = r.c.time;
    while (list[lo].c.time < t - AUTHOR_WINDOW_MS) lo++;
    while (hi < n && list[hi].c.time <= t + AUTHOR_WINDOW_MS) hi++;
    const wN = hi - lo - 1;
    const wA = att[hi] - att[lo] - self;
    const a = Math.max(0, i - SEQUENCE_K);
    const b = Math.min(n, i + SEQUENCE_K + 1);
    const sN = b - a - 1;
    const sA = att[b] - att[a] - self;
    // session bounds, and the paths its attested commits touched (counted once per commit)
    if (i === 0 || session[i] !== session[i - 1]) {
      s0 = i;
      s1 = i;
      while (s1 + 1 < n && session[s1 + 1] === session[i]) s1++;
      sessionPaths.clear();
      for (let j = s0; j <= s1; j++) {
        if (!list[j].c.attested) continue;
        for (const p of list[j].c.paths) sessionPaths.set(p, (sessionPaths.get(p) ?? 0) + 1);
      }
    }
    const ssN = s1 - s0;
    const ssA = att[s1 + 1] - att[s0] - self;
    const near = Math.min(t - prevAttested[i], nextAtt[i] - t);
    const x = r.x;
    x[EV + 0] = (wA + PRIOR * repoShare) / (wN + PRIOR);
    x[EV + 1] = (sA + PRIOR * repoShare) / (sN + PRIOR);
    x[EV + 2] = (total - self + PRIOR * repoShare) / (n - 1 + PRIOR);
    x[EV + 3] = Math.log1p(n - 1);
    x[EV + 4] = Math.log1p(ssN);
    x[EV + 5] = ssN > 0 ? ssA / ssN : 0;
    x[EV + 6] = Number.isFinite(near) ? Math.min(Math.log1p(near / 3600_000), 8) : 8;
    x[EV + 7] = sharedFiles(r.c, sessionPaths);
  }
}

/**
 * Share of the commit's paths that another attested commit of its session touched (`touched`:
 * path → the session's attested commits touching it; the commit's own touch is left out).
 */
function sharedFiles(c: EvidenceCommit, touched: ReadonlyMap<string, number>): number {
  if (c.paths.length === 0 || touched.size === 0) return 0;
  const self = c.attested ? 1 : 0;
  let shared = 0;
  for (const p of c.paths) if ((touched.get(p) ?? 0) - self > 0) shared++;
  return shared / c.paths.length;
}

/** The repository's attested share around each commit (any author), itself left out. */
function repositoryDensity(rows: Row[], repoShare: number): void {
  const n = rows.length;
  const att = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) att[i + 1] = att[i] + (rows[i].c.attested ? 1 : 0);
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    const t = rows[i].c.time;
    while (rows[lo].c.time < t - REPO_WINDOW_MS) lo++;
    while (hi < n && rows[hi].c.time <= t + REPO_WINDOW_MS) hi++;
    const self = rows[i].c.attested ? 1 : 0;
    rows[i].x[EV + 10] = (att[hi] - att[lo] - self + PRIOR * repoShare) / (hi - lo - 1 + PRIOR);
  }
}

/**
 * Pull-request membership from the history's shape: the commits a merge brought in (reachable
 * from its second parent, not from the first-parent line). A squash-merged PR is one commit and
 * has no membership to tell.
 */
function pullRequests(ordered: EvidenceCommit[], rows: Row[], repoShare: number): void {
  if (!ordered.some((c) => c.parents.length > 1)) {
    for (const r of rows) {
      r.x[EV + 8] = repoShare;
      r.x[EV + 9] = 0;
    }
    return;
  }
  const bySha = new Map(ordered.map((c) => [c.sha, c]));
  // the first-parent line from the newest commit no other commit names as parent
  const key = (sha: string) => sha;
  const named = new Set<string>();
  for (const c of ordered) for (const p of c.parents) named.add(key(p));
  const mainline = new Set<string>();
  for (let i = ordered.length - 1; i >= 0; i--) {
    if (named.has(key(ordered[i].sha))) continue;
    let c: EvidenceCommit | undefined = ordered[i];
    while (c && !mainline.has(key(c.sha))) {
      mainline.add(key(c.sha));
      c = c.parents.length > 0 ? bySha.get(key(c.parents[0])) : undefined;
    }
  }
  const group = new Map<string, number>();
  let g = 0;
  for (const m of ordered) {
    if (m.parents.length < 2 || !mainline.has(key(m.sha))) continue;
    const stack = m.parents.slice(1).map(key);
    while (stack.length > 0) {
      const sha = stack.pop()!;
      if (mainline.has(sha) || group.has(sha)) continue;
      const c = bySha.get(sha);
      if (!c) continue;
      group.set(sha, g);
      for (const p of c.parents) stack.push(key(p));
    }
    g++;
  }
  const counts = new Map<number, { n: number; a: number }>();
  for (const r of rows) {
    const id = group.get(key(r.c.sha));
    if (id === undefined) continue;
    const e = counts.get(id) ?? { n: 0, a: 0 };
    e.n++;
    if (r.c.attested) e.a++;
    counts.set(id, e);
  }
  for (const r of rows) {
    const id = group.get(key(r.c.sha));
    const e = id === undefined ? undefined : counts.get(id);
    if (!e || e.n < 2) {
      r.x[EV + 8] = repoShare;
      r.x[EV + 9] = 0;
      continue;
    }
    const self = r.c.attested ? 1 : 0;
    r.x[EV + 8] = (e.a - self + PRIOR * repoShare) / (e.n - 1 + PRIOR);
    r.x[EV + 9] = 1;
  }
}

// ── the evidence a commit's row keeps ───────────────────────────────────────────────────────

/**
 * What the rule reads of one commit, as its stored row keeps it (public.scan_results.suspect_inputs,
 * plain JSON): its parents, its author with agent identities stripped, its authored time (ms; null
 * when unknown), whether it is attested (1), a candidate (2) or neither (0), its style with marks
 * stripped (null for commits the rule does not score) and its changed paths (only for scored
 * commits). A scan's completion decides over the rows of the repository within the company's scan
 * window — earlier scans' and its own — so a commit that arrives by an incremental scan is judged
 * with the repository's evidence, not only with the few commits that scan read.
 */
export interface SuspectInputs {
  parents: string[];
  author: string;
  time: number | null;
  flag: 0 | 1 | 2;
  style: number[] | null;
  paths: string[];
}

/** A commit's evidence as its row keeps it. */
export function toSuspectInputs(c: EvidenceCommit): SuspectInputs {
  return {
    parents: [...c.parents],
    author: c.author,
    time: Number.isNaN(c.time) ? null : c.time,
    flag: c.attested ? 1 : c.candidate ? 2 : 0,
    style: c.style === null ? null : Array.from(c.style),
    paths: [...c.paths],
  };
}

/** A commit's evidence back from its row. */
export function fromSuspectInputs(sha: string, s: SuspectInputs): EvidenceCommit {
  return {
    sha,
    parents: s.parents ?? [],
    author: s.author ?? "",
    time: s.time ?? Number.NaN,
    attested: s.flag === 1,
    candidate: s.flag === 2,
    style: s.style ?? null,
    paths: s.paths ?? [],
  };
}

// ── the evidence a scan carries ──────────────────────────────────────────────────────────────

/**
 * A checkpoint keeps parents by this many characters of their sha (unique within a repository's
 * history); restored, they are the full shas of the commits the log has again.
 */
export const SHA_PREFIX = 12;

/**
 * A scan's evidence as JSON, compact (authors and paths are listed once and named by index;
 * parents by their first SHA_PREFIX characters, full shas again once restored):
 * per commit [sha, parents' prefixes joined by ",", authored ms, author index, 1 attested /
 * 2 candidate / 0 neither, style or null, path indexes]. It travels with the scan's checkpoint,
 * so a scan split over pages and runs decides at completion over every commit, as one pass does;
 * 135–230 bytes a commit as JSON (aider's 3,218 commits: 0.43 MB; OpenHands' 3,000: 0.70 MB).
 */
export interface EvidenceState {
  authors: string[];
  paths: string[];
  commits: [string, string, number | null, number, number, number[] | null, number[]][];
}

/** The evidence of a scan so far, in the order it was met. */
export class EvidenceLog {
  private readonly list: EvidenceCommit[] = [];

  constructor(from?: EvidenceState) {
    if (!from) return;
    // Parents were written as prefixes: back to the full shas of the commits the log has.
    const full = new Map(from.commits.map((c) => [c[0].slice(0, SHA_PREFIX), c[0]]));
    for (const [sha, parents, time, author, flags, style, paths] of from.commits) {
      this.list.push({
        sha,
        parents: parents ? parents.split(",").map((p) => full.get(p) ?? p) : [],
        author: from.authors[author] ?? "",
        time: time ?? Number.NaN,
        attested: flags === 1,
        candidate: flags === 2,
        style,
        paths: paths.map((i) => from.paths[i]),
      });
    }
  }

  private intern(list: string[], index: Map<string, number>, value: string): number {
    let i = index.get(value);
    if (i === undefined) {
      i = list.length;
      list.push(value);
      index.set(value, i);
    }
    return i;
  }

  /** Remembers a commit (its parents are written as prefixes by snapshot). */
  add(c: EvidenceCommit): void {
    this.list.push(c);
  }

  get size(): number {
    return this.list.length;
  }

  commits(): readonly EvidenceCommit[] {
    return this.list;
  }

  snapshot(): EvidenceState {
    const paths: string[] = [];
    const pathIndex = new Map<string, number>();
    const authors: string[] = [];
    const authorIndex = new Map<string, number>();
    const commits: EvidenceState["commits"] = this.list.map((c) => [
      c.sha,
      c.parents.map((p) => p.slice(0, SHA_PREFIX)).join(","),
      Number.isNaN(c.time) ? null : c.time,
      this.intern(authors, authorIndex, c.author),
      c.attested ? 1 : c.candidate ? 2 : 0,
      c.style === null ? null : Array.from(c.style),
      c.paths.map((p) => this.intern(paths, pathIndex, p)),
    ]);
    return { authors, paths, commits };
  }
}

// ── the model ──────────────────────────────────────────────────────────────────────────────

/**
 * The rows' features (one flat n × D matrix, column 0 the bias) standardised over the scan, in
 * place: no second matrix for a scan of thousands of commits. The means and inverse deviations
 * are kept to read a row's own values back (raw).
 */
function standardise(z: Float64Array, n: number): { mean: Float64Array; inv: Float64Array } {
  const mean = new Float64Array(D);
  const sq = new Float64Array(D);
  for (let i = 0; i < n; i++) {
    const o = i * D;
    for (let k = 1; k < D; k++) mean[k] += z[o + k];
  }
  for (let k = 1; k < D; k++) mean[k] /= n;
  for (let i = 0; i < n; i++) {
    const o = i * D;
    for (let k = 1; k < D; k++) sq[k] += (z[o + k] - mean[k]) ** 2;
  }
  const inv = new Float64Array(D);
  for (let k = 1; k < D; k++) {
    const sd = Math.sqrt(sq[k] / n);
    inv[k] = sd > 0 ? 1 / sd : 0;
  }
  for (let i = 0; i < n; i++) {
    const o = i * D;
    z[o] = 1;
    for (let k = 1; k < D; k++) z[o + k] = (z[o + k] - mean[k]) * inv[k];
  }
  return { mean, inv };
}

/** Row i's own feature values, from its standardised ones. */
function raw(z: Float64Array, i: number, stats: { mean: Float64Array; inv: Float64Array }): Float64Array {
  const x = new Float64Array(D);
  x[0] = 1;
  for (let k = 1; k < D; k++) x[k] = stats.inv[k] > 0 ? z[i * D + k] / stats.inv[k] + stats.mean[k] : stats.mean[k];
  return x;
}

/**
 * The training rows of one half (rows i ≡ half mod 2), contiguous, with their weights: at most
 * TRAIN_PER_CLASS rows of each class, taken evenly through time, each standing for the rows it
 * was taken for (weight = rows of its class / rows kept). The fit's cost is then bounded however
 * long the scan, and 500 rows a class pin a 35-feature logistic model down (bench/detection.ts
 * measures the cost; the masked-marks figures are the same within a point with all rows).
 */
function trainingHalf(z: Float64Array, y: Uint8Array, n: number, half: number): [Float64Array, Uint8Array, Float64Array, number] {
  const count = [0, 0];
  for (let i = half; i < n; i += 2) count[y[i]]++;
  const keepEvery = count.map((c) => Math.max(1, c / TRAIN_PER_CLASS));
  const weight = count.map((c, k) => (c > 0 ? c / Math.min(c, Math.floor(c / keepEvery[k]) || 1) : 1));
  const rows: number[] = [];
  const seen = [0, 0];
  const taken = [0, 0];
  for (let i = half; i < n; i += 2) {
    const k = y[i];
    // keep the row when it brings the class's kept count up to seen / keepEvery
    if (Math.floor(seen[k] / keepEvery[k]) >= taken[k]) {
      rows.push(i);
      taken[k]++;
    }
    seen[k]++;
  }
  const m = rows.length;
  const hz = new Float64Array(m * D);
  const hy = new Uint8Array(m);
  const hw = new Float64Array(m);
  rows.forEach((i, j) => {
    hz.set(z.subarray(i * D, i * D + D), j * D);
    hy[j] = y[i];
    hw[j] = count[y[i]] / taken[y[i]];
  });
  void weight;
  return [hz, hy, hw, m];
}

/**
 * L2-regularised logistic regression, by Newton's method: the exact
 * Hessian for the first EXACT_STEPS steps, then that Hessian kept (its factor reused) while the
 * steps converge — a scan of 3,000 commits fits in a few milliseconds.
 */
function fitLogistic(z: Float64Array, y: Uint8Array, weight: Float64Array, n: number): Float64Array {
  const w = new Float64Array(D);
  const h = new Float64Array(D * D);
  const grad = new Float64Array(D);
  let factor: Float64Array | null = null;
  for (let step = 0; step < NEWTON_STEPS; step++) {
    const exact = step < EXACT_STEPS || factor === null;
    if (exact) h.fill(0);
    grad.fill(0);
    const stride = Math.max(1, Math.floor(n / HESSIAN_ROWS));
    for (let i = 0; i < n; i++) {
      const o = i * D;
      const p = sigmoid(dotRow(w, z, i));
      const e = (p - y[i]) * weight[i];
      for (let a = 0; a < D; a++) grad[a] += e * z[o + a];
      if (!exact || i % stride !== 0) continue;
      const q = Math.max(p * (1 - p), 1e-6) * weight[i] * stride;
      for (let a = 0; a < D; a++) {
        const qa = q * z[o + a];
        if (qa === 0) continue;
        for (let b = a; b < D; b++) h[a * D + b] += qa * z[o + b];
      }
    }
    for (let a = 1; a < D; a++) grad[a] += L2 * w[a];
    if (exact) {
      for (let a = 0; a < D; a++) {
        h[a * D + a] += a === 0 ? 1e-6 : L2;
        for (let b = 0; b < a; b++) h[a * D + b] = h[b * D + a];
      }
      factor = cholesky(h);
      if (!factor) break;
    }
    const delta = backSolve(factor!, grad);
    let moved = 0;
    for (let a = 0; a < D; a++) {
      w[a] -= delta[a];
      moved = Math.max(moved, Math.abs(delta[a]));
    }
    if (moved < 1e-4) break;
  }
  return w;
}

/** The Cholesky factor L of a symmetric positive definite H (H = L Lᵀ); null when it is not. */
function cholesky(h: Float64Array): Float64Array | null {
  const l = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j <= i; j++) {
      let s = h[i * D + j];
      for (let k = 0; k < j; k++) s -= l[i * D + k] * l[j * D + k];
      if (i === j) {
        if (s <= 0) return null;
        l[i * D + i] = Math.sqrt(s);
      } else l[i * D + j] = s / l[j * D + j];
    }
  }
  return l;
}

/** d with L Lᵀ d = g. */
function backSolve(l: Float64Array, g: Float64Array): Float64Array {
  const t = new Float64Array(D);
  for (let i = 0; i < D; i++) {
    let s = g[i];
    for (let k = 0; k < i; k++) s -= l[i * D + k] * t[k];
    t[i] = s / l[i * D + i];
  }
  const d = new Float64Array(D);
  for (let i = D - 1; i >= 0; i--) {
    let s = t[i];
    for (let k = i + 1; k < D; k++) s -= l[k * D + i] * d[k];
    d[i] = s / l[i * D + i];
  }
  return d;
}

function dotRow(w: Float64Array, z: Float64Array, i: number): number {
  const o = i * D;
  let s = 0;
  for (let k = 0; k < D; k++) s += w[k] * z[o + k];
  return s;
}

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/** The features that pushed a commit's score up most, in words. */
function explain(x: Float64Array, z: Float64Array, i: number, w: Float64Array): string[] {
  const parts: { k: number; v: number }[] = [];
  for (let k = 1; k < D; k++) parts.push({ k, v: w[k] * z[i * D + k] });
  parts.sort((a, b) => b.v - a.v);
  return parts.filter((p) => p.v > 0.25).slice(0, 4).map((p) => describe(p.k, x));
}

function describe(k: number, x: Float64Array): string {
  if (k < EV) return `its message and size read like the attested commits' (${FEATURE_NAMES[STYLE[k - 1]].replaceAll("_", " ")}: ${round3(x[k])})`;
  const name = EVIDENCE_FEATURES[k - EV];
  const v = x[k];
  switch (name) {
    case "author_share_window": return `the author's commits within 14 days are ${pct(v)} attested`;
    case "author_share_sequence": return `the author's ${SEQUENCE_K} commits before and after are ${pct(v)} attested`;
    case "author_share_all": return `the author's commits are ${pct(v)} attested`;
    case "session_share": return `its session's other commits are ${pct(v)} attested`;
    case "session_size": return `a session of ${Math.round(Math.expm1(v)) + 1} commits`;
    case "nearest_attested_hours": return `the author's nearest attested commit is ${Math.round(Math.expm1(v))} h away`;
    case "shared_files_session": return `${pct(v)} of its files were touched by attested commits of its session`;
    case "pr_share": return `its pull request's other commits are ${pct(v)} attested`;
    case "repo_share_window": return `the repository's commits within 14 days are ${pct(v)} attested`;
    default: return `${name} = ${round3(v)}`;
  }
}

const pct = (v: number) => `${Math.round(100 * v)} %`;

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

