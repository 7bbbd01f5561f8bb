// `codeguard detect <commits.jsonl|->`: classify commits in the schema of ../shared/data (one
// commit per line) and print one JSON object per commit
//   {"sha","verdict","agents","confidence","ai_added_lines","evidence"}
// or, with --summary, the per-agent and total AI-LOC shares.
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
import { classifyCommits, type CommitClassification, createCommitClassifier, suspectCommits } from "../../../supabase/functions/_shared/detection/classify.ts";
import { DetectionSummary } from "../../../supabase/functions/_shared/detection/summary.ts";

export const summary = "classify commits (JSONL, `-` for stdin) as attested/assisted/suspected/human AI; --summary for AI-LOC shares";

const USAGE = `usage: codeguard detect <commits.jsonl | -> [--summary] [--no-suspected]

  one JSON object per commit: {"sha","verdict","agents","confidence","ai_added_lines","evidence"}
                   (a suspected commit's confidence is its probability of being AI-written, and
                   its evidence says what in the repository led to it)
  --summary        print the per-agent and total AI-LOC shares instead (attested, assisted and
                   suspected reported apart; ai_loc_bands: attested, attested + suspected)
  --no-suspected   marks only: never run the suspected tier

  The suspected tier learns from the input's own attested commits, so it reads the whole input
  before printing (a file twice; stdin is held in memory). --no-suspected streams the input instead.`;

export async function run(args: string[]): Promise<number> {
  let path: string | undefined;
  let wantSummary = false;
  let suspected = true;
  for (const a of args) {
    if (a === "--summary") wantSummary = true;
    else if (a === "--no-suspected") suspected = false;
    else if (a === "-h" || a === "--help") {
      console.log(USAGE);
      return 0;
    } else if (a.startsWith("--")) {
      console.error(`codeguard detect: unknown option ${a}\n${USAGE}`);
      return 2;
    } else if (path === undefined) path = a;
    else {
      console.error(`codeguard detect: one input only (got ${path} and ${a})\n${USAGE}`);
      return 2;
    }
  }
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
  const emit = async (commit: Commit, r: CommitClassification) => {
    if (wantSummary) totals.add(r, commit.parents.length > 1);
    else {
      await out.write(
        JSON.stringify({ sha: commit.sha, verdict: r.verdict, agents: r.agents, confidence: r.confidence, ai_added_lines: r.ai_added_lines, evidence: r.evidence }) + "\n",
      );
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
  if (wantSummary) await out.write(JSON.stringify(totals.report(), null, 2) + "\n");
  await out.flush();
  if (bad > 0) {
    console.error(`codeguard detect: ${bad} line(s) were not commits`);
    return 1;
  }
  return 0;
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
