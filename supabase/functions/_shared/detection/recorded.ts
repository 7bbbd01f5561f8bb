/**
 * The recorded tier: a commit's AI lines as its git-ai note (notes.ts) states them, or — for a
 * squash merge made on GitHub, which carries no note — as its pull request's commits' notes state
 * them. Pure: commits and parsed notes in, line counts out.
 *
 * What a record decides, and how it meets the marks (classify.ts):
 *  - AI lines: the note's session and legacy-prompt lines, restricted to the files AI LOC counts
 *    (loc.ts's lock / generated / vendored filters: the same files, so a share's numerator and
 *    denominator stay comparable) and per file never more than the commit added to it.
 *  - human lines: the note's `h_` lines (known humans), on the same files; untracked: the rest of
 *    the commit's counted added lines — nothing is known of their origin.
 *  - A commit with recorded AI lines is AI, tier `recorded`, whether or not it carries a mark.
 *    Where the note and the marks disagree (a mark with no recorded AI line, a mark naming an
 *    agent the note does not), both stay in the evidence, the note's line counts decide AI LOC,
 *    and the classification says so (`conflict`), so the summary can count them.
 *  - A commit with a record is never suspected: its record says what is known.
 */
import type { Commit, FileChange } from "./records.ts";
import { countedAddedLines, countedAddedLinesOf, excludedReason, isCountedFile } from "./loc.ts";
import { type NoteFailure, type NoteFile, type NoteParse, noteWarning, type ParsedNote } from "./notes.ts";
import type { CommitClassification, MarksOnly, RecordedAgentLines, RecordedLines } from "./verdicts.ts";

/**
 * A commit's record, or why its note is not used. `warning` (for the scan's warnings) says what
 * was wrong: with recorded null, why the note is not used (`failure`); with a record, the lines it
 * claimed beyond what the commit added, left out (capped_lines).
 */
export interface Attribution {
  recorded: RecordedLines | null;
  warning: string | null;
  /** why the note is not used (what `warning` says), null when it is */
  failure: NoteFailure | null;
}

/**
 * A commit's record from its own note.
 *  - A note that did not parse is not used (recorded null, a warning naming the commit and what
 *    was wrong; the commit keeps its marks).
 *  - Lines in a file the commit does not change: the note does not describe this commit (a note
 *    copied or rewritten onto the wrong commit: pathmc's #444 squash) — not used either.
 *  - More lines in a file than the commit added there: counted up to what it added (AI first,
 *    each agent's share scaled by largest remainders), the rest `capped_lines`, with a warning.
 *    Real notes do this by a line (pathmc's a425d902: 64 lines recorded where numstat has 63 —
 *    git-ai and git diff can tell a changed last line apart differently), so it is a cap, not a
 *    rejection.
 * A file with no line count (binary, a blob the source lacked) is left out, as AI LOC leaves it
 * out. A merge commit's lines belong to the merged commits (AI LOC counts none of a merge's), so
 * its note is not read.
 */
export function attributeNote(commit: Commit, note: NoteParse): Attribution {
  if (!note.ok) return unused(commit, note);
  if (commit.parents.length > 1) return { recorded: null, warning: null, failure: null };
  if (commit.files.length === 0 || commit.files.some((f) => f.lines_unknown)) return attributeByTotals(commit, note);
  const byPath = filesByPath(commit.files);
  for (const nf of note.files) {
    if (!byPath.has(nf.path) && nf.ai_lines + nf.human_lines > 0) {
      return unused(commit, { ok: false, reason: "ranges_past_added_lines", detail: `records ${nf.ai_lines + nf.human_lines} lines in "${nf.path}", a file the commit does not change` });
    }
  }
  const acc = new Accumulator(note);
  for (const nf of note.files) {
    const f = byPath.get(nf.path)!;
    if (f.added === null || !isCountedFile(f)) continue;
    acc.add(nf, f.added);
  }
  return acc.result(commit, countedAddedLines(commit.files));
}

/**
 * A note on a commit whose per-file lines the source did not read (GitHub's PR commits: totals
 * only; see records.ts): the AI-LOC filter still applies by path (a file whose lines are known is
 * checked as attributeNote does), and the cap is the commit's total `additions`. Without totals
 * either, nothing can be checked and the note is not used.
 */
function attributeByTotals(commit: Commit, note: ParsedNote): Attribution {
  const claimed = note.ai_lines + note.human_lines;
  // an empty record needs no check (a note of only `---` and metadata on an empty commit)
  const total = commit.additions ?? (claimed === 0 ? 0 : undefined);
  if (total === undefined) {
    return unused(commit, { ok: false, reason: "ranges_past_added_lines", detail: "cannot be checked: the commit's added lines are unknown" });
  }
  const known = new Map(commit.files.filter((f) => !f.lines_unknown).map((f) => [f.path, f]));
  const acc = new Accumulator(note);
  for (const nf of note.files) {
    const f = known.get(nf.path);
    if (f ? f.added === null || !isCountedFile(f) : excludedReason(nf.path) !== null) continue;
    acc.add(nf, f ? f.added! : Infinity);
  }
  const counted = countedAddedLinesOf(commit) ?? total;
  return acc.result(commit, counted, total);
}

/** Sums a note's counted files, each capped at what the commit added to it. */
class Accumulator {
  ai = 0;
  human = 0;
  capped = 0;
  agents = new Map<number, number>();
  files: RecordedLines["files"] = [];
  over: string[] = [];
  /** lines already counted per path: a path the note lists twice shares one cap */
  private used = new Map<string, number>();
  constructor(private readonly note: ParsedNote) {}

  add(nf: NoteFile, fileAdded: number): void {
    const before = this.used.get(nf.path) ?? 0;
    const added = Math.max(0, fileAdded - before);
    const keys = [...nf.by_agent.keys()];
    let ai = nf.ai_lines;
    let lines = keys.map((k) => nf.by_agent.get(k)!);
    if (ai > added) {
      lines = apportion(lines, added);
      this.capped += ai - added;
      ai = added;
    }
    const human = Math.min(nf.human_lines, added - ai);
    if (nf.ai_lines + nf.human_lines > added) this.over.push(`"${nf.path}": ${nf.ai_lines + nf.human_lines} of ${added}`);
    this.used.set(nf.path, before + ai + human);
    this.ai += ai;
    this.human += human;
    keys.forEach((k, i) => lines[i] > 0 && this.agents.set(k, (this.agents.get(k) ?? 0) + lines[i]));
    this.files.push({ path: nf.path, ai_lines: ai, human_lines: human });
  }

  result(commit: Commit, counted: number, total?: number): Attribution {
    if (total !== undefined && this.ai > total) {
      // totals only: the commit's whole additions are the cap
      const keys = [...this.agents.keys()];
      const fit = apportion(keys.map((k) => this.agents.get(k)!), total);
      keys.forEach((k, i) => this.agents.set(k, fit[i]));
      this.capped += this.ai - total;
      this.over.push(`in all: ${this.ai + this.human} of ${total}`);
      this.ai = total;
      this.human = 0;
    }
    const by_agent: RecordedAgentLines[] = [];
    for (const [a, lines] of this.agents) if (lines > 0) by_agent.push({ ...this.note.agents[a], lines });
    const recorded: RecordedLines = {
      source: "note",
      ai_lines: this.ai,
      human_lines: this.human,
      untracked_lines: Math.max(0, counted - this.ai - this.human),
      capped_lines: this.capped,
      by_agent: sortAgents(by_agent),
      files: this.files,
    };
    const warning = this.over.length === 0 ? null
      : `commit ${commit.sha.slice(0, 12)}: its git-ai note records more lines than the commit added (${this.over.slice(0, 3).join(", ")}${this.over.length > 3 ? `, and ${this.over.length - 3} more files` : ""}); counted up to what it added`;
    return { recorded, warning, failure: null };
  }
}

function unused(commit: Commit, failure: NoteFailure): Attribution {
  return { recorded: null, warning: noteWarning(commit.sha, failure), failure };
}

/**
 * A squash merge's record from its pull request's commits' notes: per file, the sum of their AI
 * lines per agent and model, capped at what the squash commit added to that file (the PR's
 * commits can rewrite each other's lines, so the sum can exceed the final lines; where it does,
 * each agent's share of the file is scaled down to fit, and the excess is `capped_lines`). Human
 * lines likewise, within what the AI lines leave. Files the squash does not add lines to (a PR
 * commit's file a later commit deleted) are left out. Null when the notes record no AI line in a
 * file the squash counts — a PR whose commits carry no notes, or notes of human lines only,
 * changes nothing. Notes that did not parse are skipped, each with a warning.
 */
export function attributeSquashMerge(
  commit: Commit,
  prNumber: number,
  prNotes: readonly { sha: string; note: NoteParse }[],
): { recorded: RecordedLines | null; warnings: string[] } {
  const warnings: string[] = [];
  const byPath = filesByPath(commit.files);
  // per path: per agent key (tool\0model) → lines, and human lines
  const files = new Map<string, { agents: Map<string, RecordedAgentLines>; human: number }>();
  for (const { sha, note } of prNotes) {
    if (!note.ok) {
      warnings.push(noteWarning(sha, note) + ` (a commit of PR #${prNumber}, for squash merge ${commit.sha.slice(0, 12)})`);
      continue;
    }
    for (const nf of note.files) {
      const f = byPath.get(nf.path);
      if (!f || !isCountedFile(f) || !f.added) continue;
      let acc = files.get(nf.path);
      if (!acc) files.set(nf.path, (acc = { agents: new Map(), human: 0 }));
      acc.human += nf.human_lines;
      for (const [a, n] of nf.by_agent) {
        const who = note.agents[a];
        const key = `${who.tool}\0${who.model ?? ""}`;
        const row = acc.agents.get(key);
        if (row) row.lines += n;
        else acc.agents.set(key, { ...who, lines: n });
      }
    }
  }
  let ai = 0;
  let human = 0;
  let capped = 0;
  const total = new Map<string, RecordedAgentLines>();
  const perFile: RecordedLines["files"] = [];
  for (const [path, acc] of files) {
    const added = byPath.get(path)!.added!;
    const rows = [...acc.agents.values()];
    const claimed = rows.reduce((n, r) => n + r.lines, 0);
    const fit = Math.min(claimed, added);
    capped += claimed - fit;
    for (const [r, lines] of zip(rows, apportion(rows.map((r) => r.lines), fit))) {
      if (lines === 0) continue;
      const key = `${r.tool}\0${r.model ?? ""}`;
      const t = total.get(key);
      if (t) t.lines += lines;
      else total.set(key, { ...r, lines });
    }
    const h = Math.min(acc.human, added - fit);
    ai += fit;
    human += h;
    if (fit > 0 || h > 0) perFile.push({ path, ai_lines: fit, human_lines: h });
  }
  if (ai === 0) return { recorded: null, warnings };
  return {
    recorded: {
      source: { pull_request: prNumber },
      ai_lines: ai,
      human_lines: human,
      untracked_lines: Math.max(0, countedAddedLines(commit.files) - ai - human),
      capped_lines: capped,
      by_agent: sortAgents([...total.values()]),
      files: perFile,
    },
    warnings,
  };
}

/**
 * A commit's record from what is known of it: its own note when that is usable; otherwise, for a
 * squash merge (squashMergedPullRequest), its pull request's commits' notes. The order matters:
 * git-ai's CI rewrites a note onto the squash commit, and that note, computed on the final state,
 * is better than a sum over the PR's commits — but a rewritten note that does not fit the commit
 * (pathmc's #444: lines past what the squash added) is no record, and the PR's notes still are.
 * `warnings` name each note not used and why.
 */
export function attributeCommit(
  commit: Commit,
  note: NoteParse | undefined,
  squash: { number: number; notes: readonly { sha: string; note: NoteParse }[] } | null = null,
): { recorded: RecordedLines | null; warnings: string[] } {
  let failed: NoteFailure | null = null;
  if (note !== undefined) {
    const own = attributeNote(commit, note);
    if (own.recorded) return { recorded: own.recorded, warnings: own.warning ? [own.warning] : [] };
    failed = own.failure;
  }
  let recorded: RecordedLines | null = null;
  const warnings: string[] = [];
  if (squash && squash.notes.length > 0) {
    const pr = attributeSquashMerge(commit, squash.number, squash.notes);
    recorded = pr.recorded;
    warnings.push(...pr.warnings);
  }
  if (failed) warnings.unshift(noteWarning(commit.sha, failed, recorded ? `recorded from PR #${squash!.number}'s notes instead` : undefined));
  return { recorded, warnings };
}

/** What squashMergedPullRequest needs to know of a pull request. */
export interface PullInfo {
  number: number;
  /** false when the source knows the PR was not merged; absent when it does not say (the data sets' pulls.jsonl) */
  merged?: boolean;
}

/**
 * The number of the pull request a default-branch commit squash-merged, or null.
 *
 * Why this is enough: GitHub's squash merge writes one commit with ONE parent whose subject is
 * the PR's title followed by ` (#N)` (its default; the merge button's and `gh pr merge --squash`'s),
 * and the PR's own commits stay reachable only from `refs/pull/N/head` — so a one-parent commit
 * ending in ` (#N)` whose PR the source knows (and, where the source says, merged) is that PR's
 * squash. A merge commit (`Merge pull request #N …`, two parents) brings the PR's commits, with
 * their own notes, onto the branch, and a rebase merge keeps the commits themselves: neither needs
 * this. What it cannot tell: a subject someone edited to drop ` (#N)` (the PR is then missed —
 * the commit keeps its marks), or a hand-written ` (#N)` on an unrelated commit while PR N is
 * known — the attribution then still caps every file at what that commit added.
 */
export function squashMergedPullRequest(commit: Pick<Commit, "parents" | "message">, pulls: ReadonlyMap<number, PullInfo>): number | null {
  if (commit.parents.length !== 1) return null;
  const msg = commit.message ?? "";
  const nl = msg.indexOf("\n");
  const subject = (nl < 0 ? msg : msg.slice(0, nl)).trimEnd();
  if (!subject.endsWith(")")) return null;
  const open = subject.lastIndexOf(" (#");
  if (open < 0) return null;
  const digits = subject.slice(open + 3, -1);
  if (digits.length === 0 || digits.length > 9) return null;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  const n = Number(digits);
  const pr = pulls.get(n);
  if (!pr || pr.merged === false) return null;
  return n;
}

/**
 * A commit's classification with its record laid over its marks' (a new object; the input is
 * kept). Recorded AI lines make it `recorded` (agents: the note's, most lines first; confidence 1:
 * the lines are what the record states) and decide its AI LOC; without recorded AI lines the
 * marks' verdict stays, with AI LOC 0 (the note's line counts decide). The marks' evidence stays,
 * the record's is added, and a disagreement between them is `conflict`. A suspected verdict (the
 * guess the record replaces) becomes human.
 */
export function withRecorded(classification: CommitClassification, recorded: RecordedLines): CommitClassification {
  const marks: MarksOnly = {
    verdict: classification.verdict === "suspected" ? "human" : classification.marks_only?.verdict ?? classification.verdict,
    agents: classification.marks_only?.agents ?? (classification.verdict === "suspected" ? [] : classification.agents),
    ai_added_lines: classification.marks_only?.ai_added_lines ?? (classification.verdict === "attested" ? classification.ai_added_lines : 0),
  };
  const noteAgents: string[] = [];
  for (const a of recorded.by_agent) if (!noteAgents.includes(a.agent)) noteAgents.push(a.agent);
  const evidence = classification.evidence.filter((e) => e.signal !== "repository_evidence" && e.signal !== "git_ai_note");
  evidence.push({ signal: "git_ai_note", detail: describe(recorded) });

  let conflict: string | null = null;
  if (marks.verdict === "attested") {
    const marked = marks.agents.filter((a) => a !== "unattributed");
    if (recorded.ai_lines === 0) conflict = `marks say ${marks.agents.join(", ")} wrote it; its ${sourceName(recorded)} records no AI line`;
    else if (marked.length > 0 && !marked.some((a) => noteAgents.includes(a))) conflict = `marks name ${marks.agents.join(", ")}; its ${sourceName(recorded)} names ${noteAgents.join(", ")}`;
  }
  const base = {
    ...classification,
    evidence,
    recorded,
    marks_only: marks,
    conflict,
  };
  if (recorded.ai_lines > 0) {
    return { ...base, verdict: "recorded", agents: noteAgents, confidence: 1, ai_added_lines: recorded.ai_lines };
  }
  return { ...base, verdict: marks.verdict, agents: marks.agents, confidence: classification.verdict === "suspected" ? 1 : classification.confidence, ai_added_lines: 0 };
}

/** A commit's counted added lines by what is known of their origin (they sum to counted_added_lines). */
export interface CoverageLines {
  /** lines a record states the origin of: its AI and its known humans' lines */
  recorded: number;
  /** lines of commits a mark attests an agent wrote (and no record covers) */
  attested: number;
  /** lines of commits the suspected tier flags */
  suspected: number;
  /** the rest: unmarked and unflagged commits, assisted ones (a human's, with suggestions), a record's untracked lines */
  unknown: number;
}

/** What is known of the origin of one commit's counted added lines. */
export function coverageOf(r: Pick<CommitClassification, "verdict" | "counted_added_lines" | "recorded">): CoverageLines {
  const counted = r.counted_added_lines;
  if (r.recorded) {
    const known = Math.min(counted, r.recorded.ai_lines + r.recorded.human_lines);
    return { recorded: known, attested: 0, suspected: 0, unknown: counted - known };
  }
  if (r.verdict === "attested") return { recorded: 0, attested: counted, suspected: 0, unknown: 0 };
  if (r.verdict === "suspected") return { recorded: 0, attested: 0, suspected: counted, unknown: 0 };
  return { recorded: 0, attested: 0, suspected: 0, unknown: counted };
}

function describe(r: RecordedLines): string {
  const who = r.by_agent.map((a) => `${a.agent}${a.model ? ` ${a.model}` : ""} ${a.lines}`).join(", ");
  const counted = r.ai_lines + r.human_lines + r.untracked_lines;
  return `${sourceName(r)}: ${r.ai_lines} AI lines${who ? ` (${who})` : ""}, ${r.human_lines} human, ${r.untracked_lines} untracked of ${counted} counted` +
    (r.capped_lines > 0 ? `; ${r.capped_lines} more AI lines claimed than the commit added, left out` : "");
}

function sourceName(r: RecordedLines): string {
  return r.source === "note" ? "git-ai note" : `PR #${r.source.pull_request}'s git-ai notes`;
}

function filesByPath(files: readonly FileChange[]): Map<string, FileChange> {
  const m = new Map<string, FileChange>();
  for (const f of files) {
    const path = renamedTo(f.path);
    const seen = m.get(path);
    // a path twice in one numstat (never in git's, but a source could): their lines add up
    m.set(path, seen ? { ...seen, added: seen.added === null || f.added === null ? null : seen.added + f.added } : f);
  }
  return m;
}

/**
 * The new path of a numstat path in git's rename notation — `dir/{old => new}/file`, or
 * `old => new` — as a note names the file (the data sets keep git's notation: pathmc's af5c25ba);
 * any other path as it is.
 */
export function renamedTo(path: string): string {
  const arrow = path.indexOf(" => ");
  if (arrow < 0) return path;
  const open = path.lastIndexOf("{", arrow);
  const close = path.indexOf("}", arrow);
  if (open < 0 || close < 0) return path.slice(arrow + 4);
  return (path.slice(0, open) + path.slice(arrow + 4, close) + path.slice(close + 1)).replace("//", "/");
}

function sortAgents(rows: RecordedAgentLines[]): RecordedAgentLines[] {
  return rows.sort((a, b) => b.lines - a.lines || (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0) || ((a.model ?? "") < (b.model ?? "") ? -1 : 1));
}

/**
 * Integers proportional to weights that sum to `total` (≤ the weights' sum): largest remainders,
 * ties to the earlier weight, so the split is deterministic.
 */
function apportion(weights: number[], total: number): number[] {
  const sum = weights.reduce((n, w) => n + w, 0);
  if (sum <= total) return weights.slice();
  const exact = weights.map((w) => (w * total) / sum);
  const out = exact.map(Math.floor);
  let rest = total - out.reduce((n, x) => n + x, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (rest <= 0) break;
    out[i]++;
    rest--;
  }
  return out;
}

function zip<A, B>(a: A[], b: B[]): [A, B][] {
  return a.map((x, i) => [x, b[i]]);
}
