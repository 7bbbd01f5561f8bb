// `npm run eval -- detection`: the detection engine measured on ../shared/data.
//  1. attested tier per agent and data set, against marks found by an independent oracle (plain
//     regexes written from reference/ai-attribution.md, slow and broad on purpose), plus the
//     data's known pitfalls (a human named "Devin …", AI-company staff, noreply@anthropic.com);
//  2. AI-LOC share per aider release against aider's published blame figures;
//  3. the cross-repository style model (eval/style-model.ts; the suspected tier before the
//     repository rule, kept here on purpose as its baseline) with every mark stripped, trained on
//     two repositories and tested on the third, its threshold chosen by the per-repository rule
//     from the held-out repository's unlabeled scores (calibrateSuspected): figures at that
//     threshold and the precision/recall curve per held-out repository;
//  4. the suspected tier's repository rule on masked marks, the four data sets: a random share
//     of each repository's attested commits stripped of their marks (10, 30, 50 and 70 %, over
//     SEEDS seeds), recall of the masked commits and the share of never-marked commits flagged
//     (an upper bound on false positives) per probability threshold — the curves; the operating
//     point (one for all four); the calibration of the confidence; the AI-LOC bands against the
//     marks' share before masking; and the operating point chosen on three repositories and
//     applied to the fourth (the cross-repository split of the one constant read from curves).
//  5. every tier against line-level truth: the git-ai notes of git-ai-project__self-hosted and
//     pymc-labs__pathmc (their PR commits included, from pulls.jsonl; squash merges recorded from
//     their PRs' notes), with the notes withheld from the detector: per-commit recall and
//     precision of attested and of suspected on the commits whose records have AI lines, and the
//     AI-LOC share the marks (and marks + suspected) give against the records' share.
// --only=attested|release|suspected|masked|recorded runs one section. --seeds=N (default 5).
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Commit } from "../supabase/functions/_shared/detection/records.ts";
import { classifyCommit } from "../supabase/functions/_shared/detection/classify.ts";
import { DetectionSummary } from "../supabase/functions/_shared/detection/summary.ts";
import { stripMarks } from "../supabase/functions/_shared/detection/strip.ts";
import { estimateSurvivingShare } from "../supabase/functions/_shared/detection/release-share.ts";
import { SUSPECTED_MIN_PROBABILITY } from "../supabase/functions/_shared/detection/repository-evidence.ts";
import { maskedFigures, maskedRun, type MaskedFigures, type MaskedHistory } from "./masked-marks.ts";
import { type NoteParse, parseNote } from "../supabase/functions/_shared/detection/notes.ts";
import { attributeCommit, squashMergedPullRequest } from "../supabase/functions/_shared/detection/recorded.ts";
import { classifyCommits } from "../supabase/functions/_shared/detection/classify.ts";
import { countedAddedLines } from "../supabase/functions/_shared/detection/loc.ts";
import { FEATURE_COUNT, FEATURE_NAMES, GATE_FEATURES, suspectFeatures } from "../supabase/functions/_shared/detection/suspected.ts";
import { ABSTAIN, calibrateSuspected, humanReference, SessionTracker, suspectedConfidence, suspectProbability, type SuspectedModel, TARGET_PRECISION } from "./style-model.ts";
import type { CommitClassification } from "../supabase/functions/_shared/detection/verdicts.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DATA = resolve(repoRoot, "../shared/data");
/** The style model's repositories (sections 2–3). */
const REPOS = ["Aider-AI__aider", "github__github-mcp-server", "terryyin__lizard"] as const;
/** Every data set (sections 1 and 4). */
const ALL_REPOS = [...REPOS, "All-Hands-AI__OpenHands"] as const;
type Repo = (typeof ALL_REPOS)[number];

function load(name: string): Commit[] {
  return readFileSync(join(DATA, `${name}.jsonl`), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Commit);
}
const data = Object.fromEntries(ALL_REPOS.map((r) => [r, load(r)])) as Record<Repo, Commit[]>;

// ── 1. attested tier ──────────────────────────────────────────────────────────────────────────

/** Independent oracle: agent → kind of the marks a commit carries, by broad regexes. */
function oracle(c: Commit): Map<string, "authorship" | "assistance"> {
  const m = new Map<string, "authorship" | "assistance">();
  const msg = c.message;
  const coAuthors = [...msg.matchAll(/^\s*co-authored-by:(.*)$/gim)].map((x) => x[1]);
  const ids = [c.author_email, ...coAuthors].join("\n");
  const add = (agent: string, kind: "authorship" | "assistance") => {
    if (m.get(agent) !== "authorship") m.set(agent, kind);
  };
  if (/\(aider\)\s*$/i.test(c.author_name)) add("aider", "authorship");
  else if (/\(aider\)\s*$/i.test(c.committer_name)) add("aider", "assistance");
  if (/^aider: /i.test(msg)) add("aider", "authorship");
  if (/<(aider@aider\.chat|noreply@aider\.chat|noreply@aider\.dev|aider@aider\.dev)>/i.test(ids)) add("aider", "authorship");
  if (/claude[^<\n]*<noreply@anthropic\.com>/i.test(ids) || /generated with \[claude code\]/i.test(msg) || /^claude-session:/im.test(msg)) add("claude-code", "authorship");
  if (/198982749\+/.test(ids) || /^\s*agent-logs-url:/im.test(msg)) add("copilot-agent", "authorship");
  if (/223556219\+/.test(ids) || /^\s*copilot-session:/im.test(msg)) add("copilot-cli", "authorship");
  if (/175728472\+|<copilot@github\.com>/i.test(ids)) add("copilot-review", "assistance");
  if (/<?(codex@openai\.com|noreply@openai\.com)>?/i.test(ids) || /^Merge pull request #\d+ from [^/\s]+\/codex\//.test(msg)) add("codex", "authorship");
  if (/cursoragent@cursor\.com/i.test(ids) || /^\s*made-with: cursor/im.test(msg) || /^Merge pull request #\d+ from [^/\s]+\/cursor\//.test(msg)) add("cursor", "authorship");
  if (/^Cursor: Apply local changes for cloud agent/.test(msg)) add("cursor", "assistance");
  if (/devin-ai-integration/i.test(ids)) add("devin", "authorship");
  if (/openhands@all-hands\.dev/i.test(ids)) add("openhands", "authorship");
  return m;
}

/** Known human commits of the data that a careless matcher flags (README pitfalls). */
const PITFALLS: Array<{ repo: Repo; author: RegExp; why: string }> = [
  { repo: "terryyin__lizard", author: /^Devin /, why: 'a human named "Devin …"' },
  { repo: "github__github-mcp-server", author: /@anthropic\.com$/, why: "Anthropic staff committing as themselves (no Claude trailer)" },
  { repo: "Aider-AI__aider", author: /@aider\.chat$/, why: "the aider maintainer's own e-mail (paul@aider.chat) without an aider mark" },
];

function attestedSection(): boolean {
  console.log("== 1. Attested tier vs. marks (independent regex oracle), per data set and agent");
  let ok = true;
  for (const repo of ALL_REPOS) {
    const perAgent = new Map<string, { marked: number; found: number }>();
    let marked = 0;
    let found = 0;
    let flaggedUnmarked = 0;
    let assistedMarked = 0;
    let assistedFound = 0;
    const misses: string[] = [];
    const falsePos: string[] = [];
    for (const c of data[repo]) {
      const o = oracle(c);
      const r = classifyCommit(c, { suspected: false });
      const authored = [...o].filter(([, k]) => k === "authorship").map(([a]) => a);
      if (authored.length > 0) {
        marked++;
        if (r.verdict === "attested") found++;
        else misses.push(`${c.sha.slice(0, 10)} ${c.message.split("\n")[0].slice(0, 60)}`);
        for (const a of authored) {
          const e = perAgent.get(a) ?? { marked: 0, found: 0 };
          e.marked++;
          if (r.verdict === "attested" && r.agents.includes(a)) e.found++;
          perAgent.set(a, e);
        }
      } else {
        if (r.verdict === "attested") {
          flaggedUnmarked++;
          falsePos.push(`${c.sha.slice(0, 10)} ${r.evidence.map((e) => e.detail).join("; ").slice(0, 120)}`);
        }
        if (o.size > 0) {
          assistedMarked++;
          if (r.verdict === "assisted") assistedFound++;
        }
      }
    }
    const recall = marked ? (100 * found) / marked : 100;
    console.log(`\n${repo}: ${data[repo].length} commits, ${marked} with an authorship mark`);
    console.log(`  attested recall ${found}/${marked} = ${recall.toFixed(2)} %   human (unmarked) commits flagged attested: ${flaggedUnmarked}`);
    console.log(`  assisted: ${assistedFound}/${assistedMarked} assistance-only commits reported as assisted`);
    for (const [agent, e] of [...perAgent].sort((a, b) => b[1].marked - a[1].marked)) {
      console.log(`  ${agent.padEnd(16)} marked ${String(e.marked).padStart(5)}  found ${String(e.found).padStart(5)}  recall ${((100 * e.found) / e.marked).toFixed(1)} %`);
    }
    for (const m of misses.slice(0, 5)) console.log(`  MISSED ${m}`);
    for (const f of falsePos.slice(0, 5)) console.log(`  FLAGGED WITHOUT MARK ${f}`);
    if (recall < 99 || flaggedUnmarked > 0) ok = false;
  }
  console.log("\npitfalls (must stay unflagged):");
  for (const p of PITFALLS) {
    const hits = data[p.repo].filter((c) => p.author.test(c.author_name) || p.author.test(c.author_email)).filter((c) => oracle(c).size === 0);
    const flagged = hits.filter((c) => classifyCommit(c, { suspected: false }).verdict !== "human");
    console.log(`  ${p.why}: ${hits.length} commits, ${flagged.length} flagged`);
    if (flagged.length > 0) ok = false;
  }
  return ok;
}

// ── 2. aider releases ────────────────────────────────────────────────────────────────────────

interface BlameFile {
  counted_files: string;
  releases: Array<{ from_tag: string; to_tag: string; aider_blame_pct: number; non_merge_commits: string[] }>;
}

/** aider's blame file list (aider_release_blame.json `counted_files`). */
export function aiderCountsFile(path: string): boolean {
  if (path.endsWith("prompts.py") || path.startsWith("tests/fixtures/watch") || path === "aider/website/install.ps1" || path === "aider/website/install.sh") return false;
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (/\.(js|py|scm|sh)$/.test(name) || name === "Dockerfile" || name === "Gemfile") return true;
  if (/^\.github\/workflows\/[^/]+\.yml$/.test(path)) return true;
  return /^aider\/resources\/[^/]+\.yml$/.test(path);
}

function releaseSection(): number {
  console.log("\n== 2. AI-LOC share per aider release vs. aider's published blame figures");
  const blame = JSON.parse(readFileSync(join(DATA, "aider_release_blame.json"), "utf8")) as BlameFile;
  const byShа = new Map(data["Aider-AI__aider"].map((c) => [c.sha, c]));
  const history = data["Aider-AI__aider"].filter((c) => c.parents.length <= 1).reverse();
  const isAider = (c: Commit) => {
    const r = classifyCommit(c, { suspected: false });
    return r.verdict === "attested" && r.agents.includes("aider");
  };
  console.log("release    published  estimate  |err|   (no moves |err|)  (added-lines only)");
  let err = 0;
  let errNaive = 0;
  let errNoMoves = 0;
  for (const r of blame.releases) {
    const est = estimateSurvivingShare(history, new Set(r.non_merge_commits), { isCounted: aiderCountsFile, isAi: isAider });
    const noMoves = estimateSurvivingShare(history, new Set(r.non_merge_commits), { isCounted: aiderCountsFile, isAi: isAider, moves: false });
    let ai = 0;
    let all = 0;
    for (const sha of r.non_merge_commits) {
      const c = byShа.get(sha);
      if (!c) continue;
      let n = 0;
      for (const f of c.files) if (f.added !== null && aiderCountsFile(f.path)) n += f.added;
      all += n;
      if (isAider(c)) ai += n;
    }
    const naive = all ? (100 * ai) / all : 0;
    err += Math.abs(est.share_pct - r.aider_blame_pct);
    errNaive += Math.abs(naive - r.aider_blame_pct);
    errNoMoves += Math.abs(noMoves.share_pct - r.aider_blame_pct);
    console.log(`${r.to_tag.padEnd(10)} ${r.aider_blame_pct.toFixed(2).padStart(8)}  ${est.share_pct.toFixed(2).padStart(8)}  ${Math.abs(est.share_pct - r.aider_blame_pct).toFixed(2).padStart(5)}   (${noMoves.share_pct.toFixed(2)} ${Math.abs(noMoves.share_pct - r.aider_blame_pct).toFixed(2).padStart(5)})  (${naive.toFixed(2)})`);
  }
  const mae = err / blame.releases.length;
  console.log(`mean absolute error: ${mae.toFixed(2)} pp (surviving-lines estimate with moves); ${(errNoMoves / blame.releases.length).toFixed(2)} pp without moves; ${(errNaive / blame.releases.length).toFixed(2)} pp summing added lines`);
  console.log("  moves: fixed constants (5 lines, 0.8 similarity), not fitted; copies of untouched files (blame -C -C -C) are not modelled");
  return mae;
}

// ── 3. suspected tier ────────────────────────────────────────────────────────────────────────

interface Example {
  x: Float64Array;
  y: 0 | 1;
  /** author e-mail after stripping (for per-author standardisation) */
  author?: string;
  assisted?: boolean;
  sha?: string;
  subject?: string;
}

const AUTOMATION = FEATURE_NAMES.indexOf("automation");

/** Marks-stripped examples of a repository: attested → 1, human → 0; assisted, merges, bots and reverts left out. */
function examples(repo: (typeof REPOS)[number], includeAssisted = false): Example[] {
  const out: Example[] = [];
  const last = new Map<string, number>();
  const sessions = new SessionTracker();
  for (const c of data[repo]) {
    const r = classifyCommit(c, { suspected: false });
    const s = stripMarks(c);
    const session = sessions.next(s);
    const t = Date.parse(s.authored_at);
    const key = s.author_email.toLowerCase();
    const prev = last.get(key);
    last.set(key, t);
    if (c.parents.length > 1) continue;
    if (r.verdict === "assisted" && !includeAssisted) continue;
    const gap = prev === undefined ? null : Math.abs(t - prev) / 1000;
    const x = suspectFeatures(s, gap, new Float64Array(FEATURE_COUNT), session);
    // bots and git's revert messages are never suspected (not written by a person or an agent)
    if (x[AUTOMATION] === 1) continue;
    out.push({
      x,
      y: r.verdict === "attested" ? 1 : 0,
      author: key,
      assisted: r.verdict === "assisted",
      sha: c.sha,
      subject: s.message.split("\n")[0],
    });
  }
  return out;
}

/**
 * Features the model may use, chosen per split from the training repositories only: a feature is
 * kept when its class-mean difference (AI − human, in units of the feature's spread) has the
 * same sign in every training repository and is at least MIN_EFFECT in each. Features whose
 * direction flips between repositories (body length, size, Signed-off-by, …) learn a
 * repository, not agents. The held-out repository is never looked at.
 */
const MIN_EFFECT = 0.1;
function robustFeatures(perRepo: Example[][]): Set<string> {
  const keep = new Set<string>();
  for (let k = 1; k < FEATURE_COUNT; k++) {
    if (GATE_FEATURES.has(FEATURE_NAMES[k])) continue;
    let sign = 0;
    let ok = true;
    for (const ex of perRepo) {
      let s1 = 0, n1 = 0, s0 = 0, n0 = 0, all = 0;
      for (const e of ex) {
        all += e.x[k];
        if (e.y === 1) { s1 += e.x[k]; n1++; } else { s0 += e.x[k]; n0++; }
      }
      const mean = all / ex.length;
      let v = 0;
      for (const e of ex) v += (e.x[k] - mean) ** 2;
      const sd = Math.sqrt(v / ex.length);
      if (!n1 || !n0 || sd === 0) { ok = false; break; }
      const effect = (s1 / n1 - s0 / n0) / sd;
      if (Math.abs(effect) < MIN_EFFECT || (sign !== 0 && Math.sign(effect) !== sign)) { ok = false; break; }
      sign = Math.sign(effect);
    }
    if (ok) keep.add(FEATURE_NAMES[k]);
  }
  return keep;
}

/**
 * Mean and standard deviation of every feature column but the intercept (column 0, left at 0 and
 * 1); `floorSd` decides what a too-small deviation becomes.
 */
function columnStats(ex: Example[], floorSd: (sd: number) => number): { mean: number[]; sd: number[] } {
  const mean = new Array(FEATURE_COUNT).fill(0);
  const sd = new Array(FEATURE_COUNT).fill(1);
  for (let k = 1; k < FEATURE_COUNT; k++) {
    let t = 0;
    for (const e of ex) t += e.x[k];
    mean[k] = t / ex.length;
    let v = 0;
    for (const e of ex) v += (e.x[k] - mean[k]) ** 2;
    sd[k] = floorSd(Math.sqrt(v / ex.length));
  }
  return { mean, sd };
}

/** L2-regularised logistic regression by full-batch gradient descent on standardised features. */
function train(perRepo: Example[][], names: string[]): SuspectedModel {
  const ex = perRepo.flat();
  const used = robustFeatures(perRepo);
  const d = FEATURE_COUNT;
  // A constant feature keeps scale 1 (it is then a second intercept, which the L2 term handles).
  const { mean, sd: scale } = columnStats(ex, (sd) => sd || 1);
  const z = ex.map((e) => {
    const v = new Float64Array(d);
    v[0] = 1;
    for (let k = 1; k < d; k++) v[k] = (e.x[k] - mean[k]) / scale[k];
    return v;
  });
  const w = new Array(d).fill(0);
  const lambda = 1e-3;
  const lr = 0.5;
  for (let it = 0; it < 1500; it++) {
    const g = new Array(d).fill(0);
    for (let i = 0; i < z.length; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += w[k] * z[i][k];
      const p = 1 / (1 + Math.exp(-s));
      const err = p - ex[i].y;
      for (let k = 0; k < d; k++) g[k] += err * z[i][k];
    }
    for (let k = 0; k < d; k++) {
      if (k > 0 && !used.has(FEATURE_NAMES[k])) continue;
      w[k] -= lr * (g[k] / z.length + (k > 0 ? lambda * w[k] : 0));
    }
  }
  const model: SuspectedModel = {
    weights: w,
    mean,
    scale,
    threshold: ABSTAIN,
    reference: { logit_min: 0, logit_step: 1, fpr: [] },
    trained_on: names,
    note: `features: ${[...used].join(", ")}`,
  };
  // the human reference: how the training repositories' unmarked commits score
  model.reference = humanReference(perRepo.map((r) => r.filter((e) => e.y === 0).map((e) => suspectProbability(e.x, model))));
  return model;
}

/** The threshold rule applied to a repository's unlabeled scores (labels are not passed in). */
function ruleThreshold(ex: Example[], model: SuspectedModel): ReturnType<typeof calibrateSuspected> {
  return calibrateSuspected(ex.map((e) => suspectProbability(e.x, model)), model);
}

/**
 * Features re-expressed relative to the scan's own history (z-scores), a diagnostic of the
 * cross-repository shift: "repo" standardises each feature over the repository's agent-era
 * commits, "author" over the author's own agent-era commits (>= 10 of them, else the
 * repository's). Labels are not used; a scan always has the whole history.
 */
function relative(ex: Example[], by: "repo" | "author"): Example[] {
  const era = FEATURE_NAMES.indexOf("agent_era");
  const stats = (p: Example[]) => columnStats(p, (sd) => Math.max(sd, 0.05));
  const inEra = ex.filter((e) => e.x[era] === 1);
  const repoStats = stats(inEra);
  const byAuthor = new Map<string, Example[]>();
  for (const e of inEra) byAuthor.set(e.author ?? "", [...(byAuthor.get(e.author ?? "") ?? []), e]);
  const authorStats = new Map([...byAuthor].filter(([, v]) => by === "author" && v.length >= 10).map(([a, v]) => [a, stats(v)]));
  return ex.filter((e) => !e.assisted).map((e) => {
    const st = authorStats.get(e.author ?? "") ?? repoStats;
    const x = new Float64Array(FEATURE_COUNT);
    x[0] = 1;
    for (let k = 1; k < FEATURE_COUNT; k++) x[k] = GATE_FEATURES.has(FEATURE_NAMES[k]) ? e.x[k] : (e.x[k] - st.mean[k]) / st.sd[k];
    return { x, y: e.y };
  });
}

/** Area under the ROC curve (ties count half). */
function auc(scored: Array<{ p: number; y: 0 | 1 }>): number {
  const sorted = [...scored].sort((a, b) => a.p - b.p);
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j].p === sorted[i].p) j++;
    const mid = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (sorted[k].y === 1) { rankSum += mid; pos++; }
    i = j;
  }
  const neg = sorted.length - pos;
  return pos && neg ? (rankSum - (pos * (pos + 1)) / 2) / (pos * neg) : NaN;
}

interface CurvePoint {
  threshold: number;
  precision: number;
  recall: number;
  tp: number;
  fp: number;
}

function prCurve(scored: Array<{ p: number; y: 0 | 1 }>): CurvePoint[] {
  const sorted = [...scored].sort((a, b) => b.p - a.p);
  const pos = sorted.filter((s) => s.y === 1).length;
  const out: CurvePoint[] = [];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].y === 1) tp++;
    else fp++;
    if (i + 1 < sorted.length && sorted[i + 1].p === sorted[i].p) continue;
    out.push({ threshold: sorted[i].p, precision: tp / (tp + fp), recall: pos ? tp / pos : 0, tp, fp });
  }
  return out;
}

function round(x: number, n = 3): number {
  const f = 10 ** n;
  return Math.round(x * f) / f;
}

interface SuspectedResult {
  test: string;
  bestRecallAt90: number;
  threshold: number;
  flagged: number;
  tp: number;
  positives: number;
  auc: number;
}

/** One line of figures at a threshold: flagged, TP, FP, precision, recall. */
function atThreshold(scored: Array<{ p: number; y: 0 | 1 }>, t: number): { flagged: number; tp: number; fp: number; precision: number; recall: number } {
  const pos = scored.filter((s) => s.y === 1).length;
  let tp = 0;
  let fp = 0;
  for (const s of scored) if (s.p >= t) { if (s.y === 1) tp++; else fp++; }
  return { flagged: tp + fp, tp, fp, precision: tp + fp ? tp / (tp + fp) : NaN, recall: pos ? tp / pos : 0 };
}

const pct = (x: number) => (Number.isNaN(x) ? "-" : (100 * x).toFixed(1));

function suspectedSection(): SuspectedResult[] {
  console.log("\n== 3. The cross-repository style model (the repository rule's baseline), marks stripped, trained on two repositories, tested on the third");
  console.log("   positives = commits with an authorship mark; negatives = unmarked commits (assisted, merges, bots and git reverts left out)");
  console.log(`   rule: threshold = lowest score where 1 − N·fpr_ref(t)/flagged(t) >= ${TARGET_PRECISION} (N, flagged: the held-out repository's unlabeled`);
  console.log("   scores; fpr_ref: the training repositories' unmarked commits, worst repository); none → abstain");
  const results: SuspectedResult[] = [];
  for (const test of REPOS) {
    const trainOn = REPOS.filter((r) => r !== test);
    const model = train(trainOn.map((r) => examples(r)), [...trainOn]);
    const ex = examples(test);
    // the rule sees the held-out repository's scores only, never its labels
    const cal = ruleThreshold(ex, model);
    const scored = ex.map((e) => ({ p: suspectProbability(e.x, model), y: e.y }));
    const inEra = scored.filter((s) => s.p > 0);
    const curve = prCurve(scored);
    const pos = ex.filter((e) => e.y === 1).length;
    const best = curve.filter((c) => c.precision >= 0.9).sort((a, b) => b.recall - a.recall)[0];
    const at = atThreshold(scored, cal.threshold);
    console.log(`\ntest ${test} (train ${trainOn.join(" + ")}): ${ex.length} commits, ${pos} positives (base rate ${((100 * pos) / ex.length).toFixed(1)} %), ${inEra.length} scored (agent era)`);
    console.log(`  ${model.note}`);
    console.log(`  AUC ${auc(scored).toFixed(3)} (agent-era commits only: ${auc(inEra).toFixed(3)})`);
    console.log(
      `  at the threshold chosen without its labels (${cal.threshold > 1 ? "abstain" : cal.threshold.toFixed(3)}): ${at.flagged} flagged, ${at.tp} TP / ${at.fp} FP, precision ${pct(at.precision)} %, recall ${pct(at.recall)} %; the rule's precision bound ${pct(cal.precision_bound)} %`,
    );
    if (at.flagged > 0) {
      const conf = ex.filter((e) => suspectProbability(e.x, model) >= cal.threshold).map((e) => suspectedConfidence(suspectProbability(e.x, model), cal));
      console.log(`  confidence of the flagged (the bound at each commit's score): mean ${pct(conf.reduce((a, b) => a + b, 0) / conf.length)} % vs precision ${pct(at.precision)} %`);
      for (const e of ex.filter((e) => e.y === 0 && suspectProbability(e.x, model) >= cal.threshold).slice(0, 5)) {
        console.log(`    flagged without a mark: ${e.sha?.slice(0, 10)} ${(e.subject ?? "").slice(0, 90)}`);
      }
    }
    console.log(`  oracle threshold (uses the labels, for reference): best recall at precision >= 0.90: ${best ? `${pct(best.recall)} % (precision ${pct(best.precision)} %, threshold ${best.threshold.toFixed(3)}, ${best.tp} TP / ${best.fp} FP)` : "none"}`);
    // the same rule inside the training repositories (train on one, apply to the other)
    for (const inner of trainOn) {
      const other = trainOn.filter((r) => r !== inner);
      const m = train(other.map((r) => examples(r)), [...other]);
      const ie = examples(inner);
      const c = ruleThreshold(ie, m);
      const r = atThreshold(ie.map((e) => ({ p: suspectProbability(e.x, m), y: e.y })), c.threshold);
      console.log(`  nested ${other.join(" + ")} → ${inner}: ${c.threshold > 1 ? "abstains" : `threshold ${c.threshold.toFixed(3)}, ${r.flagged} flagged, precision ${pct(r.precision)} %, recall ${pct(r.recall)} %`}`);
      for (const e of ie.filter((e) => e.y === 0 && suspectProbability(e.x, m) >= c.threshold).slice(0, 3)) {
        console.log(`    flagged without a mark: ${e.sha?.slice(0, 10)} ${(e.subject ?? "").slice(0, 90)}`);
      }
    }
    let brier = 0;
    for (const s of scored) brier += (s.p - s.y) ** 2;
    console.log(`  raw model probability: Brier ${(brier / scored.length).toFixed(3)} (not the verdict's confidence, which is the rule's bound)`);
    console.log("  precision/recall curve (recall → best precision):");
    for (const r of [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]) {
      const pts = curve.filter((c) => c.recall >= r - 1e-9);
      if (pts.length === 0) continue;
      const bp = pts.sort((a, b) => b.precision - a.precision)[0];
      console.log(`    recall ≥ ${(100 * r).toFixed(0).padStart(3)} %  precision ${(100 * bp.precision).toFixed(1).padStart(5)} %  (threshold ${bp.threshold.toFixed(3)})`);
    }
    // diagnostics: ranking quality (AUC) with features relative to the repository / the author;
    // and the in-sample ceiling (trained and scored on this repository itself, an upper bound)
    const diag: string[] = [];
    for (const by of ["repo", "author"] as const) {
      const m = train(trainOn.map((r) => relative(examples(r, true), by)), [...trainOn]);
      const sc = relative(examples(test, true), by).map((e) => ({ p: suspectProbability(e.x, m), y: e.y }));
      const b = prCurve(sc).filter((c) => c.precision >= 0.9).sort((a, b2) => b2.recall - a.recall)[0];
      diag.push(`${by}-relative AUC ${auc(sc).toFixed(3)}, best recall at P >= 0.9 ${b ? `${(100 * b.recall).toFixed(1)} % (${b.tp} TP / ${b.fp} FP)` : "none"}`);
    }
    const self = train([ex], [test]);
    const selfBest = prCurve(ex.map((e) => ({ p: suspectProbability(e.x, self), y: e.y }))).filter((c) => c.precision >= 0.9).sort((a, b) => b.recall - a.recall)[0];
    console.log(`  diagnostics: ${diag.join("; ")}`);
    console.log(`  in-sample ceiling (trained on ${test} itself): best recall at P >= 0.9 ${selfBest ? `${(100 * selfBest.recall).toFixed(1)} % (${selfBest.tp} TP / ${selfBest.fp} FP)` : "none"}`);
    results.push({ test, bestRecallAt90: best ? best.recall : 0, threshold: cal.threshold, flagged: at.flagged, tp: at.tp, positives: pos, auc: auc(inEra) });
  }
  return results;
}

// ── 4. the repository rule on masked marks ───────────────────────────────────────────────────

const MASK_RATES = [0.1, 0.3, 0.5, 0.7] as const;
const THRESHOLDS = [0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9] as const;
const SEEDS = Number(process.argv.find((a) => a.startsWith("--seeds="))?.slice(8) ?? 5);
/** The issue's bars at a 30 % mask (lizard, with 20 marked commits, is reported only). */
const RECALL_BAR = 0.6;
const FLAGGED_BAR = 0.1;
const BARRED: readonly Repo[] = ["Aider-AI__aider", "github__github-mcp-server", "All-Hands-AI__OpenHands"];

interface MaskedRunResult {
  masked: MaskedHistory;
  classifications: CommitClassification[];
  /** the marks' attested share of counted lines before masking, in percent */
  truthPct: number;
}

/** Mean and range over the seeds. */
function spread(xs: number[]): { mean: number; min: number; max: number } {
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs) };
}

const fmt = (x: { mean: number; min: number; max: number }, digits = 1) => `${(100 * x.mean).toFixed(digits)} (${(100 * x.min).toFixed(0)}–${(100 * x.max).toFixed(0)})`;

function maskedSection(): { repo: Repo; recall: number; flagged: number }[] {
  console.log(`\n== 4. Suspected tier: the repository rule on masked marks (${SEEDS} seeds; the rule never sees which commits were masked)`);
  console.log("   recall = masked attested commits given back as suspected; flagged = never-marked commits suspected / never-marked commits");
  console.log("   (an upper bound on the false-positive rate: some never-marked commits are AI-written too — not in aider, whose tool marks all its own)");
  const runs = new Map<string, MaskedRunResult[]>();
  const truth = new Map<Repo, number>();
  for (const repo of ALL_REPOS) {
    const marks = new DetectionSummary();
    for (const c of data[repo]) marks.add(classifyCommit(c, { suspected: false }), c.parents.length > 1);
    truth.set(repo, marks.report().attested.share_pct);
    for (const rate of MASK_RATES) {
      const list: MaskedRunResult[] = [];
      for (let seed = 1; seed <= SEEDS; seed++) {
        const run = maskedRun(data[repo], rate, seed * 1000 + Math.round(rate * 100));
        list.push({ ...run, truthPct: truth.get(repo)! });
      }
      runs.set(`${repo}@${rate}`, list);
    }
  }
  const at = (repo: Repo, rate: number, threshold?: number) => runs.get(`${repo}@${rate}`)!.map((r) => maskedFigures(r.masked, r.classifications, threshold));
  const rec = (fs: MaskedFigures[]) => spread(fs.map((f) => (f.masked ? f.recovered / f.masked : 0)));
  const flg = (fs: MaskedFigures[]) => spread(fs.map((f) => (f.never_marked ? f.flagged / f.never_marked : 0)));

  console.log(`\n  curves: recall % / never-marked flagged % (mean over seeds) per probability threshold; the operating point is ${SUSPECTED_MIN_PROBABILITY}`);
  console.log(`  ${"repository".padEnd(26)} mask  ` + THRESHOLDS.map((t) => `@${t}`.padStart(11)).join(""));
  for (const repo of ALL_REPOS) {
    for (const rate of MASK_RATES) {
      const cells = THRESHOLDS.map((t) => {
        const fs = at(repo, rate, t);
        return `${(100 * rec(fs).mean).toFixed(0)}/${(100 * flg(fs).mean).toFixed(1)}`.padStart(11);
      });
      console.log(`  ${repo.padEnd(26)} ${String(rate * 100).padStart(3)} % ${cells.join("")}`);
    }
  }

  console.log(`\n  at the operating point (suspected at P >= ${SUSPECTED_MIN_PROBABILITY}): mean (range over seeds)`);
  const out: { repo: Repo; recall: number; flagged: number }[] = [];
  for (const repo of ALL_REPOS) {
    for (const rate of MASK_RATES) {
      const fs = at(repo, rate);
      const list = runs.get(`${repo}@${rate}`)!;
      const masked = fs.reduce((n, f) => n + f.masked, 0) / fs.length;
      const never = fs.reduce((n, f) => n + f.never_marked, 0) / fs.length;
      // AI-LOC bands: attested after masking, attested + suspected, against the marks' share before masking
      const bands = list.map((r) => {
        const d = new DetectionSummary();
        r.masked.commits.forEach((c, i) => d.add(r.classifications[i], c.parents.length > 1));
        return d.report().ai_loc_bands;
      });
      const att = spread(bands.map((b) => b.attested_pct / 100));
      const both = spread(bands.map((b) => b.attested_plus_suspected_pct / 100));
      // attested + suspected against every commit the marks named (before masking): recall, and a
      // lower bound on precision (a flagged never-marked commit counts as wrong)
      const whole = list.map((r) => {
        let named = 0, found = 0, flagged = 0;
        r.masked.commits.forEach((c, i) => {
          if (c.parents.length > 1) return;
          const v = r.classifications[i].verdict;
          const wasMarked = r.masked.masked.has(i) || v === "attested";
          if (wasMarked) named++;
          if (v === "attested" || v === "suspected") {
            flagged++;
            if (wasMarked) found++;
          }
        });
        return { recall: found / named, precision: flagged ? found / flagged : 1 };
      });
      const wr = spread(whole.map((w) => w.recall));
      const wp = spread(whole.map((w) => w.precision));
      console.log(`  ${repo.padEnd(26)} mask ${String(rate * 100).padStart(2)} %: recall ${fmt(rec(fs))} of ${masked.toFixed(0)} masked; flagged ${fmt(flg(fs))} of ${never.toFixed(0)} never-marked; attested + suspected: recall ${(100 * wr.mean).toFixed(1)} %, precision >= ${(100 * wp.mean).toFixed(1)} %; AI LOC ${truth.get(repo)!.toFixed(1)} % by the marks → attested ${(100 * att.mean).toFixed(1)} %, attested + suspected ${(100 * both.mean).toFixed(1)} %`);
      if (rate === 0.3) out.push({ repo, recall: rec(fs).mean, flagged: flg(fs).mean });
    }
  }

  // Calibration: in aider every never-marked commit is human, so the flagged commits' precision is
  // known exactly there; elsewhere the masked share of the flagged is a lower bound on it.
  console.log("\n  calibration at a 30 % mask: mean confidence of the suspected verdicts vs the share of them that are masked commits");
  console.log("  (exact precision in aider; a lower bound elsewhere), and per confidence band");
  for (const repo of ALL_REPOS) {
    const bands = [[SUSPECTED_MIN_PROBABILITY, 0.7], [0.7, 0.85], [0.85, 1.01]] as const;
    const per = bands.map(() => ({ n: 0, masked: 0, conf: 0 }));
    let n = 0, masked = 0, conf = 0;
    for (const r of runs.get(`${repo}@0.3`)!) {
      r.classifications.forEach((c, i) => {
        if (c.verdict !== "suspected" || !(r.masked.masked.has(i) || r.masked.neverMarked.has(i))) return;
        n++;
        conf += c.confidence;
        const isMasked = r.masked.masked.has(i) ? 1 : 0;
        masked += isMasked;
        bands.forEach(([lo, hi], b) => {
          if (c.confidence >= lo && c.confidence < hi) { per[b].n++; per[b].masked += isMasked; per[b].conf += c.confidence; }
        });
      });
    }
    const bandText = bands.map(([lo, hi], b) => `[${lo}, ${Math.min(hi, 1)}): ${per[b].n ? `${(100 * per[b].conf / per[b].n).toFixed(0)} % vs ${(100 * per[b].masked / per[b].n).toFixed(0)} % (${per[b].n})` : "-"}`).join("; ");
    console.log(`  ${repo.padEnd(26)} ${n ? `${(100 * conf / n).toFixed(1)} % vs ${(100 * masked / n).toFixed(1)} % of ${n}` : "no suspected verdict"}   ${bandText}`);
  }

  // The cross-repository split of the one constant read from the curves: the threshold chosen on
  // three repositories (lizard, with 20 marked commits, never chooses), two ways — the most recall
  // within the flagged bar, and the fewest flags above the recall bar — then the fourth's figures at it.
  console.log("\n  the operating point chosen on the other repositories, applied to the held-out one (30 % mask):");
  console.log("    (a) highest worst recall with flagged <= 10 % on each; (b) highest threshold with recall >= 60 % on each");
  for (const held of ALL_REPOS) {
    const others = ALL_REPOS.filter((r) => r !== held && r !== "terryyin__lizard");
    const worstRecall = (t: number) => Math.min(...others.map((r) => rec(at(r, 0.3, t)).mean));
    const withinFlags = (t: number) => others.every((r) => flg(at(r, 0.3, t)).mean <= FLAGGED_BAR);
    const a = THRESHOLDS.filter(withinFlags).sort((x, y) => worstRecall(y) - worstRecall(x) || y - x)[0];
    const b = THRESHOLDS.filter((t) => worstRecall(t) >= RECALL_BAR).sort((x, y) => y - x)[0];
    const show = (t: number | undefined) => {
      if (t === undefined) return "none qualifies";
      const fs = at(held, 0.3, t);
      return `${t}: recall ${fmt(rec(fs))}, flagged ${fmt(flg(fs))}`;
    };
    console.log(`  held out ${held.padEnd(26)} (a) ${show(a)}   (b) ${show(b)}`);
  }
  return out;
}

// ── 5. every tier against the notes ──────────────────────────────────────────────────────────

interface RecordedEval {
  repo: string;
  /** why the suspected tier's repository rule decided nothing, null when it decided */
  rule: string | null;
  /** non-merge commits with a usable record (the universe: their truth is known) */
  judged: number;
  /** of them, commits whose record has AI lines */
  positives: number;
  tiers: Record<"attested" | "suspected" | "either", { flagged: number; tp: number }>;
  share: { records: number; attested: number; attested_plus_suspected: number };
}

/**
 * One noted data set: its default-branch commits and its PRs' own commits (deduplicated), each
 * given its truth by attributeCommit (its own note; a squash merge its PR's notes), and the
 * detector's verdicts from classifyCommits over the same commits with no note in sight (marks
 * and the suspected tier's repository rule, decided over the whole set).
 */
function recordedEval(repo: "git-ai-project__self-hosted" | "pymc-labs__pathmc"): RecordedEval {
  const lines = (f: string) => readFileSync(join(DATA, f), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const notes = new Map<string, NoteParse>((lines(`${repo}.notes.jsonl`) as { sha: string; note: string }[]).map((n) => [n.sha, parseNote(n.note)]));
  const pulls = new Map((lines(`${repo}.pulls.jsonl`) as { number: number; commits: Commit[] }[]).map((p) => [p.number, p]));
  const main = load(repo);
  const onMain = new Set(main.map((c) => c.sha));
  const seen = new Set(onMain);
  const all = [...main];
  for (const p of pulls.values()) for (const c of p.commits) if (!seen.has(c.sha)) (seen.add(c.sha), all.push(c));
  // newest first, as the data sets are: the repository rule reads each author's commits in time
  all.sort((a, b) => Date.parse(b.committed_at) - Date.parse(a.committed_at));
  const { classifications, suspected: rule } = classifyCommits(all);
  const out: RecordedEval = { repo, rule: rule?.abstained ?? null, judged: 0, positives: 0, tiers: { attested: { flagged: 0, tp: 0 }, suspected: { flagged: 0, tp: 0 }, either: { flagged: 0, tp: 0 } }, share: { records: 0, attested: 0, attested_plus_suspected: 0 } };
  let counted = 0;
  all.forEach((c, i) => {
    if (c.parents.length > 1) return;
    // only a default-branch commit can be a squash merge (a PR's own commits are what it squashed)
    const pr = onMain.has(c.sha) ? squashMergedPullRequest(c, pulls) : null;
    const squash = pr === null ? null : { number: pr, notes: pulls.get(pr)!.commits.filter((x) => notes.has(x.sha)).map((x) => ({ sha: x.sha, note: notes.get(x.sha)! })) };
    const { recorded } = attributeCommit(c, notes.get(c.sha), squash);
    if (!recorded) return;
    const r = classifications[i];
    const positive = recorded.ai_lines > 0;
    out.judged++;
    if (positive) out.positives++;
    const lines = countedAddedLines(c.files);
    counted += lines;
    out.share.records += recorded.ai_lines;
    for (const tier of ["attested", "suspected", "either"] as const) {
      const flagged = tier === "either" ? r.verdict === "attested" || r.verdict === "suspected" : r.verdict === tier;
      if (!flagged) continue;
      out.tiers[tier].flagged++;
      if (positive) out.tiers[tier].tp++;
    }
    if (r.verdict === "attested") out.share.attested += lines;
    if (r.verdict === "attested" || r.verdict === "suspected") out.share.attested_plus_suspected += lines;
  });
  for (const k of ["records", "attested", "attested_plus_suspected"] as const) out.share[k] = counted > 0 ? Math.round((10000 * out.share[k]) / counted) / 100 : 0;
  return out;
}

function recordedSection(): RecordedEval[] {
  console.log("\n== 5. Every tier against the git-ai notes (line-level truth), the notes withheld from the detector");
  console.log("   judged: non-merge commits with a usable record (own note, or a squash merge's PR notes), PR commits included;");
  console.log("   positive: the record has AI lines in counted files. precision = flagged positives / flagged judged commits");
  const results: RecordedEval[] = [];
  for (const repo of ["git-ai-project__self-hosted", "pymc-labs__pathmc"] as const) {
    const e = recordedEval(repo);
    results.push(e);
    console.log(`\n${repo}: ${e.judged} judged commits, ${e.positives} with recorded AI lines; the repository rule ${e.rule ? `abstained: ${e.rule}` : "decided"}`);
    for (const [tier, t] of Object.entries(e.tiers)) {
      const recall = e.positives ? (100 * t.tp) / e.positives : NaN;
      const precision = t.flagged ? (100 * t.tp) / t.flagged : NaN;
      console.log(`  ${(tier === "either" ? "attested or suspected" : tier).padEnd(22)} flagged ${String(t.flagged).padStart(3)}  recall ${t.tp}/${e.positives} = ${pct(recall / 100)} %  precision ${t.flagged ? `${t.tp}/${t.flagged} = ${pct(precision / 100)} %` : "- (none flagged)"}`);
    }
    console.log(`  AI-LOC share of the judged commits' counted lines: records ${e.share.records} %; marks (attested) ${e.share.attested} %; marks + suspected ${e.share.attested_plus_suspected} %`);
  }
  return results;
}

const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7);
const attestedOk = only && only !== "attested" ? true : attestedSection();
const mae = only && only !== "release" ? NaN : releaseSection();
const suspected = only && only !== "suspected" ? [] : suspectedSection();
const masked = only && only !== "masked" ? [] : maskedSection();
const recordedFigures = only && only !== "recorded" ? [] : recordedSection();
console.log("\n== Done-when checks");
if (!only || only === "attested") console.log(`  attested: no unmarked commit flagged and >= 99 % recall in every data set: ${attestedOk ? "PASS" : "FAIL"}`);
if (!Number.isNaN(mae)) console.log(`  aider release AI-LOC mean abs error <= 3 pp: ${mae.toFixed(2)} ${mae <= 3 ? "PASS" : "FAIL"}`);
for (const s of suspected) {
  // the cross-repository style model alone (no bar: the verdicts are the repository rule's, section 4)
  const at = s.threshold > 1 ? "abstains (0 flagged)" : `${s.flagged} flagged, precision ${s.flagged ? ((100 * s.tp) / s.flagged).toFixed(1) : "-"} %, recall ${((100 * s.tp) / s.positives).toFixed(1)} %`;
  console.log(`  style model alone, held-out ${s.test}: ${at}; agent-era AUC ${s.auc.toFixed(3)}; oracle-threshold best recall at precision >= 0.9 = ${(100 * s.bestRecallAt90).toFixed(1)} %`);
}
for (const m of masked) {
  const barred = BARRED.includes(m.repo);
  const pass = m.recall >= RECALL_BAR && m.flagged <= FLAGGED_BAR;
  console.log(`  suspected at a 30 % mask, ${m.repo}: recall ${(100 * m.recall).toFixed(1)} % (>= ${100 * RECALL_BAR}), never-marked flagged ${(100 * m.flagged).toFixed(1)} % (<= ${100 * FLAGGED_BAR})${barred ? (pass ? " PASS" : " FAIL") : " (reported: 20 marked commits)"}`);
}
for (const e of recordedFigures) {
  const a = e.tiers.attested, sp = e.tiers.suspected;
  console.log(`  against ${e.repo}'s notes: attested recall ${a.tp}/${e.positives}, suspected recall ${sp.tp}/${e.positives} (${sp.flagged} flagged); AI LOC records ${e.share.records} % vs marks ${e.share.attested} % (+ suspected ${e.share.attested_plus_suspected} %) (reported)`);
}
