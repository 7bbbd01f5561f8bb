// `codeguard detect <commits.jsonl|->`: classify commits in the schema of ../shared/data (one
// commit per line) and print one JSON object per commit
//   {"sha","verdict","agents","confidence","ai_added_lines","evidence"}
// or, with --summary, the per-agent and total AI-LOC shares. The input is streamed (constant
// memory per line), so a multi-gigabyte export works as well as a test file.
import { createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import type { Writable } from "node:stream";
import type { Commit } from "../../../supabase/functions/_shared/records.ts";
import { createCommitClassifier } from "../../../supabase/functions/_shared/detection/classify.ts";
import { DetectionSummary } from "../../../supabase/functions/_shared/detection/summary.ts";

export const summary = "classify commits (JSONL, `-` for stdin) as attested/assisted/suspected/human AI; --summary for AI-LOC shares";

const USAGE = `usage: codeguard detect <commits.jsonl | -> [--summary] [--no-suspected]

  one JSON object per commit: {"sha","verdict","agents","confidence","ai_added_lines","evidence"}
  --summary        print the per-agent and total AI-LOC shares instead (attested, assisted and
                   suspected reported apart)
  --no-suspected   marks only: never run the suspected tier`;

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
  if (path !== "-") {
    try {
      await access(path);
    } catch {
      console.error(`codeguard detect: cannot read ${path}: give a JSONL file of commits (schema: ../shared/data/README.md) or - for stdin`);
      return 2;
    }
  }
  const input = path === "-" ? process.stdin : createReadStream(path);
  input.setEncoding("utf8");

  const classify = createCommitClassifier({ suspected });
  const totals = new DetectionSummary();
  const out = new BufferedWriter(process.stdout);
  let lineNo = 0;
  let bad = 0;

  const handle = async (line: string) => {
    lineNo++;
    if (line.length === 0 || line.trim().length === 0) return;
    let commit: Commit;
    try {
      commit = JSON.parse(line) as Commit;
      if (typeof commit.sha !== "string" || !Array.isArray(commit.files) || !Array.isArray(commit.parents)) throw new Error("missing sha, parents or files");
    } catch (e) {
      bad++;
      if (bad <= 10) console.error(`codeguard detect: line ${lineNo}: not a commit (${(e as Error).message}); skipped`);
      return;
    }
    const r = classify(commit);
    if (wantSummary) totals.add(r, commit.parents.length > 1);
    else {
      await out.write(
        JSON.stringify({ sha: commit.sha, verdict: r.verdict, agents: r.agents, confidence: r.confidence, ai_added_lines: r.ai_added_lines, evidence: r.evidence }) + "\n",
      );
    }
  };

  let rest = "";
  for await (const chunk of input as AsyncIterable<string>) {
    let start = 0;
    let nl = chunk.indexOf("\n");
    if (nl >= 0 && rest.length > 0) {
      await handle(rest + chunk.slice(0, nl));
      rest = "";
      start = nl + 1;
      nl = chunk.indexOf("\n", start);
    }
    if (out.closed) break;
    while (nl >= 0) {
      await handle(chunk.slice(start, nl));
      start = nl + 1;
      nl = chunk.indexOf("\n", start);
    }
    rest += chunk.slice(start);
  }
  if (rest.length > 0) await handle(rest);
  if (wantSummary) await out.write(JSON.stringify(totals.report(), null, 2) + "\n");
  await out.flush();
  if (bad > 0) {
    console.error(`codeguard detect: ${bad} line(s) were not commits`);
    return 1;
  }
  return 0;
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
