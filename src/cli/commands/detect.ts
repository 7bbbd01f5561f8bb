// `codeguard detect <commits.jsonl|->`: classify commits in the schema of ../shared/data (one
// commit per line) and print one JSON object per commit
//   {"sha","verdict","agents","confidence","ai_added_lines","evidence"}
// or, with --summary, the per-agent and total AI-LOC shares.
// With --notes (git-ai notes, `{sha, note}` per line as in ../shared/data/*.notes.jsonl) a commit
// with a usable note gets its recorded lines (the recorded tier, detection/recorded.ts), and with
// --pulls (`{number, head_sha, commits}` per line) a squash merge of a PR whose commits carry
// notes gets them from its PR; a note that cannot be used is named on stderr and the commit keeps
// its marks' verdict. The notes and pulls files are read whole first (they are small beside the
// commits: a note per commit at most).
// The suspected tier decides from the input's own evidence (suspectCommits: the repository rule
// over every commit, on both sides in time of each), so it reads the whole input before printing
// anything: a file is read twice (a first pass that keeps only the rule's evidence, ~200 bytes a
// commit, then the pass that classifies and prints); stdin cannot be read twice, so its commit
// lines are buffered in memory. With --no-suspected there is no calibration and the
// input is streamed (constant memory per line), so a multi-gigabyte export works as well as a
// test file.
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import { access, stat } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import type { Writable } from "node:stream";
import type { Commit } from "../../../supabase/functions/_shared/detection/records.ts";
import { classifyCommits, createCommitClassifier, suspectCommits } from "../../../supabase/functions/_shared/detection/classify.ts";
import { DetectionSummary } from "../../../supabase/functions/_shared/detection/summary.ts";
import { type NoteParse, parseNote } from "../../../supabase/functions/_shared/detection/notes.ts";
import { attributeCommit, squashMergedPullRequest, withRecorded } from "../../../supabase/functions/_shared/detection/recorded.ts";
import { readFileSync } from "node:fs";
import { type ParsedArgs, parseArgs, UsageError, usageMessage } from "../args.ts";
import type { CommitClassification } from "../../../supabase/functions/_shared/detection/verdicts.ts";

export const summary = "classify commits (JSONL, `-` for stdin) as attested/assisted/suspected/human AI; --summary for AI-LOC shares";

export const USAGE = `usage: codeguard detect <commits.jsonl | -> [--notes notes.jsonl [--pulls pulls.jsonl]] [--summary] [--no-suspected]

  one JSON object per commit: {"sha","verdict","agents","confidence","ai_added_lines","evidence"}
                   (a suspected commit's confidence is its probability of being AI-written, and
                   its evidence says what in the repository led to it); with --notes also
                   "recorded" (the note's AI lines per agent and model, human and untracked
                   lines; null without a usable record) and "conflict" (record vs marks)
  --notes FILE     git-ai notes, one {"sha","note"} per line: a commit with a usable note is
                   classified by it (tier recorded: its AI lines decide AI LOC); a note that
                   cannot be used is reported on stderr and the commit keeps its marks
  --pulls FILE     pull requests, one {"number","head_sha","commits"} per line: a squash merge
                   ("… (#N)") of a PR whose commits carry notes is recorded from them
  --summary        print the per-agent and total AI-LOC shares instead (recorded, attested,
                   assisted and suspected reported apart; ai_loc_bands: floor = recorded +
                   attested, ceiling = + suspected; coverage: the origin of the counted lines;
                   noted: the commits with a record, by their records and by their marks)
  --no-suspected   marks only: never run the suspected tier

  The suspected tier learns from the input's own attested commits, so it reads the whole input
  before printing (a file twice; stdin is held in memory). --no-suspected streams the input instead.`;

export async function run(args: string[]): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(args, ["notes", "pulls"], ["summary", "no-suspected"]);
    if (parsed.positional.length > 1) throw new UsageError(`one input only (got ${parsed.positional.join(" and ")})`);
  } catch (e) {
    console.error(usageMessage("detect", e as Error, USAGE));
    return 2;
  }
  const path = parsed.positional[0];
  const wantSummary = parsed.options.has("summary");
  const suspected = !parsed.options.has("no-suspected");
  const notesPath = parsed.options.get("notes") as string | undefined;
  const pullsPath = parsed.options.get("pulls") as string | undefined;
  if (path === undefined) {
    console.error(USAGE);
    return 2;
  }
  // a path that is not a regular file (a pipe, `<(…)`, /dev/stdin) cannot be read twice either
  let rereadable = false;
  if (path !== "-") {
    try {
      await access(path);
      rereadable = (await stat(path)).isFile();
    } catch {
      console.error(`codeguard detect: cannot read ${path}: give a JSONL file of commits (schema: ../shared/data/README.md) or - for stdin`);
      return 2;
    }
  }
  if (pullsPath !== undefined && notesPath === undefined) {
    console.error(`codeguard detect: --pulls needs --notes (a PR's commits are read for their notes)\n${USAGE}`);
    return 2;
  }
  let records: Records | null = null;
  if (notesPath !== undefined) {
    try {
      records = readRecords(notesPath, pullsPath);
    } catch (e) {
      console.error(`codeguard detect: ${(e as Error).message}`);
      return 2;
    }
  }
  const totals = new DetectionSummary();
  const out = new BufferedWriter(process.stdout);
  let lineNo = 0;
  let bad = 0;

  /** The commit on the line, null for a blank line; a bad line is reported (the first 10) and counted. */
  const parse = (line: string): Commit | null => {
    lineNo++;
    if (line.length === 0 || line.trim().length === 0) return null;
    try {
      return toCommit(line);
    } catch (e) {
      bad++;
      if (bad <= 10) console.error(`codeguard detect: line ${lineNo}: not a commit (${(e as Error).message}); skipped`);
      return null;
    }
  };
  let noteWarnings = 0;
  const emit = async (commit: Commit, marks: CommitClassification) => {
    let r = marks;
    if (records) {
      const pr = records.pulls.size > 0 ? squashMergedPullRequest(commit, records.pulls) : null;
      const squash = pr === null ? null : { number: pr, notes: records.pullNotes(pr) };
      const { recorded, warnings } = attributeCommit(commit, records.notes.get(commit.sha), squash);
      for (const w of warnings) {
        noteWarnings++;
        console.error(`codeguard detect: ${w}`);
      }
      if (recorded) r = withRecorded(marks, recorded);
    }
    if (wantSummary) totals.add(r, commit.parents.length > 1);
    else {
      const line: Record<string, unknown> = { sha: commit.sha, verdict: r.verdict, agents: r.agents, confidence: r.confidence, ai_added_lines: r.ai_added_lines, evidence: r.evidence };
      if (records) {
        line.recorded = r.recorded ?? null;
        line.conflict = r.conflict ?? null;
      }
      await out.write(JSON.stringify(line) + "\n");
    }
  };

  const open = () => (path === "-" ? process.stdin : createReadStream(path));
  if (suspected && !rereadable) {
    // stdin is read once: keep the commits (bad lines are reported now), then classify them with
    // the suspected tier calibrated on them.
    const commits: Commit[] = [];
    await forEachLine(open(), (line) => {
      const commit = parse(line);
      if (commit) commits.push(commit);
    });
    const { classifications } = classifyCommits(commits);
    for (let i = 0; i < commits.length && !out.closed; i++) await emit(commits[i], classifications[i]);
  } else {
    // A file with the suspected tier: a silent first pass decides the suspects, the second
    // classifies and reports bad lines. --no-suspected: the one pass, streamed.
    const suspects = suspected ? suspectCommits(readCommitsSync(path)).decisions : undefined;
    const classify = createCommitClassifier({ suspected, suspects });
    await forEachLine(open(), async (line) => {
      const commit = parse(line);
      if (commit) await emit(commit, classify(commit));
    }, () => out.closed);
  }
  if (wantSummary) {
    const report = totals.report();
    await out.write(JSON.stringify(report, null, 2) + "\n");
    // the two figures a reader asks first, in words (stdout stays one JSON document)
    if (records) {
      const { noted, ai_loc_bands: band, coverage: c } = report;
      console.error(
        `codeguard detect: the ${noted.commits} commits with a record: ${noted.recorded_ai_pct} % of their ${noted.counted_added_lines} counted lines AI by their records (marks alone: ${noted.marks_pct} %)\n` +
          `codeguard detect: all ${report.commits} commits: AI LOC ${band.floor_pct} % (recorded + attested) to ${band.ceiling_pct} % (+ suspected) of ${report.counted_added_lines} counted lines; ` +
          `origin recorded ${c.recorded_pct} %, attested ${c.attested_pct} %, suspected ${c.suspected_pct} %, unknown ${c.unknown_pct} %`,
      );
    }
  }
  await out.flush();
  if (noteWarnings > 0) console.error(`codeguard detect: ${noteWarnings} note(s) not used (named above); those commits keep their marks' verdicts`);
  if (bad > 0) {
    console.error(`codeguard detect: ${bad} line(s) were not commits`);
    return 1;
  }
  return 0;
}

/** The notes (parsed) and pull requests of --notes / --pulls. */
interface Records {
  notes: Map<string, NoteParse>;
  pulls: Map<number, { number: number; commits: { sha: string }[] }>;
  /** the notes of a PR's commits that have one, oldest commit first */
  pullNotes(pr: number): { sha: string; note: NoteParse }[];
}

/**
 * Reads the notes file (and the pulls file): a line that is not `{sha, note}` (or not `{number,
 * commits}`) is an error naming the file and line — unlike a bad note's text, which is the
 * record's problem and only sends its commit back to its marks.
 */
function readRecords(notesPath: string, pullsPath: string | undefined): Records {
  const notes = new Map<string, NoteParse>();
  forEachJsonLine(notesPath, (o, where) => {
    const { sha, note } = o as { sha?: unknown; note?: unknown };
    if (typeof sha !== "string" || typeof note !== "string") throw new Error(`${where}: not {"sha","note"} with the note's text`);
    notes.set(sha, parseNote(note));
  });
  const pulls = new Map<number, { number: number; commits: { sha: string }[] }>();
  if (pullsPath !== undefined) {
    forEachJsonLine(pullsPath, (o, where) => {
      const { number, commits } = o as { number?: unknown; commits?: unknown };
      if (typeof number !== "number" || !Array.isArray(commits) || commits.some((c) => typeof c?.sha !== "string")) {
        throw new Error(`${where}: not {"number","head_sha","commits"} with each commit's sha`);
      }
      pulls.set(number, { number, commits: commits as { sha: string }[] });
    });
  }
  return {
    notes,
    pulls,
    pullNotes: (pr) => {
      const out: { sha: string; note: NoteParse }[] = [];
      for (const c of pulls.get(pr)?.commits ?? []) {
        const note = notes.get(c.sha);
        if (note) out.push({ sha: c.sha, note });
      }
      return out;
    },
  };
}

function forEachJsonLine(path: string, onObject: (o: unknown, where: string) => void): void {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let lineNo = 0;
  for (const line of text.split("\n")) {
    lineNo++;
    if (line.trim().length === 0) continue;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      throw new Error(`${path}:${lineNo}: not JSON`);
    }
    onObject(o, `${path}:${lineNo}`);
  }
}

/** The commit on a non-blank line; throws when the line is not one. */
function toCommit(line: string): Commit {
  const commit = JSON.parse(line) as Commit;
  if (typeof commit.sha !== "string" || !Array.isArray(commit.files) || !Array.isArray(commit.parents)) throw new Error("missing sha, parents or files");
  return commit;
}

/**
 * Calls onLine for every line of the input (split on "\n", a last line without one included), in
 * order; stops reading once stop() says so (the reader of the output went away).
 */
async function forEachLine(input: NodeJS.ReadableStream, onLine: (line: string) => void | Promise<void>, stop: () => boolean = () => false): Promise<void> {
  input.setEncoding("utf8");
  let rest = "";
  for await (const chunk of input as AsyncIterable<string>) {
    let start = 0;
    let nl = chunk.indexOf("\n");
    if (nl >= 0 && rest.length > 0) {
      await onLine(rest + chunk.slice(0, nl));
      rest = "";
      start = nl + 1;
      nl = chunk.indexOf("\n", start);
    }
    if (stop()) break;
    while (nl >= 0) {
      await onLine(chunk.slice(start, nl));
      start = nl + 1;
      nl = chunk.indexOf("\n", start);
    }
    rest += chunk.slice(start);
  }
  if (rest.length > 0) await onLine(rest);
}

/**
 * The commits of a JSONL file, read synchronously in 1 MiB blocks (constant memory), split into
 * lines exactly as forEachLine does; blank and bad lines skipped silently (the classifying pass
 * reports them). For suspectCommits, which takes a synchronous iterable.
 */
function* readCommitsSync(path: string): Generator<Commit> {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    const decoder = new StringDecoder("utf8");
    let rest = "";
    const take = (line: string): Commit | null => {
      if (line.length === 0 || line.trim().length === 0) return null;
      try {
        return toCommit(line);
      } catch {
        return null;
      }
    };
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      const text = n > 0 ? decoder.write(buf.subarray(0, n)) : decoder.end();
      let start = 0;
      let nl = text.indexOf("\n");
      while (nl >= 0) {
        const c = take(rest.length > 0 ? rest + text.slice(start, nl) : text.slice(start, nl));
        rest = "";
        if (c) yield c;
        start = nl + 1;
        nl = text.indexOf("\n", start);
      }
      rest += text.slice(start);
      if (n === 0) break;
    }
    if (rest.length > 0) {
      const c = take(rest);
      if (c) yield c;
    }
  } finally {
    closeSync(fd);
  }
}

/** Batches output into ~64 KiB writes and honours back-pressure (a pipe into `head` or jq). */
class BufferedWriter {
  private buf = "";
  /** the reader went away (EPIPE): stop writing and stop reading */
  closed = false;
  constructor(private readonly stream: Writable) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
      this.closed = true;
      stream.emit("drain");
    });
  }
  async write(s: string): Promise<void> {
    if (this.closed) return;
    this.buf += s;
    if (this.buf.length >= 65536) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.buf.length === 0 || this.closed) return;
    const ok = this.stream.write(this.buf);
    this.buf = "";
    if (!ok) await new Promise<void>((resolve) => this.stream.once("drain", () => resolve()));
  }
}
