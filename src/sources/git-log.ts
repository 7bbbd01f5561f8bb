// The local git source: a clone on disk read with `git log --numstat`, streamed into the same
// Commit records as the data sets and the GitHub source (self-hosting, `codeguard scan ./path`).
// Numstat is against the first parent, so a merge shows what it brought in — the data sets' rule.
import { spawn } from "node:child_process";
import type { Commit, FileChange } from "../../supabase/functions/_shared/detection/records.ts";

export interface GitLogOptions {
  /** Branch, tag or sha to read from; default HEAD. */
  ref?: string;
  /** Only commits after this date (git's --since). */
  since?: string;
  /** At most this many commits. */
  maxCount?: number;
}

/** A typed failure of the git process, with what git said. */
export class GitLogError extends Error {
  constructor(readonly dir: string, readonly stderr: string, readonly code: number | null) {
    super(`git log failed in ${dir} (exit ${code}): ${stderr.trim() || "no message"}; is it a git clone, and is git ≥ 2.31 installed?`);
    this.name = "GitLogError";
  }
}

// Record separator before each commit, unit separator between fields; %B is the raw message.
const FORMAT = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%cn%x1f%ce%x1f%aI%x1f%cI%x1f%B%x1f";

/** Streams the commits of `dir` (newest first), one record per commit, without holding the log in memory. */
export async function* readGitLog(dir: string, options: GitLogOptions = {}): AsyncGenerator<Commit> {
  const args = [
    "-C", dir,
    "-c", "core.quotePath=false",
    "log",
    "--no-color",
    "--numstat",
    "-M",
    "--diff-merges=first-parent",
    `--format=${FORMAT}`,
  ];
  if (options.since) args.push(`--since=${options.since}`);
  if (options.maxCount !== undefined) args.push(`--max-count=${options.maxCount}`);
  args.push(options.ref ?? "HEAD", "--");
  const child = spawn("git", args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve(code));
  });

  let buffer = "";
  try {
    for await (const chunk of child.stdout.setEncoding("utf8")) {
      buffer += chunk as string;
      let end: number;
      // A record is complete once the next one starts.
      while ((end = buffer.indexOf("\x1e", 1)) > 0) {
        const record = buffer.slice(1, end);
        buffer = buffer.slice(end);
        yield parseRecord(record);
      }
    }
    const code = await exited;
    if (code !== 0) throw new GitLogError(dir, stderr, code);
    if (buffer.startsWith("\x1e")) yield parseRecord(buffer.slice(1));
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

/** Reads all commits into an array (small clones, tests). */
export async function gitLogCommits(dir: string, options: GitLogOptions = {}): Promise<Commit[]> {
  const out: Commit[] = [];
  for await (const c of readGitLog(dir, options)) out.push(c);
  return out;
}

function parseRecord(record: string): Commit {
  const fields = record.split("\x1f");
  const [sha, parents, an, ae, cn, ce, aI, cI] = fields;
  // The message may itself contain no \x1f; everything between the 9th separator and the last is it.
  const message = fields.slice(8, -1).join("\x1f");
  const numstat = fields[fields.length - 1];
  const files: FileChange[] = [];
  for (const line of numstat.split("\n")) {
    if (!line.trim()) continue;
    const m = /^(-|\d+)\t(-|\d+)\t(.*)$/.exec(line);
    if (!m) continue;
    const binary = m[1] === "-" && m[2] === "-";
    const { path, oldPath } = renamedPath(unquote(m[3]));
    const change: FileChange = { path, added: binary ? null : Number(m[1]), deleted: binary ? null : Number(m[2]) };
    if (oldPath !== null) change.old_path = oldPath;
    if (binary) change.binary = true;
    files.push(change);
  }
  return {
    sha,
    parents: parents ? parents.split(" ") : [],
    author_name: an,
    author_email: ae,
    committer_name: cn,
    committer_email: ce,
    authored_at: aI,
    committed_at: cI,
    message,
    files,
  };
}

/** `src/{old => new}/f.c` or `old.c => new.c` → path and old_path; anything else → the path. */
export function renamedPath(text: string): { path: string; oldPath: string | null } {
  const braces = /^(.*)\{(.*) => (.*)\}(.*)$/.exec(text);
  if (braces) {
    const [, pre, from, to, post] = braces;
    const join = (mid: string) => `${pre}${mid}${post}`.replace(/\/\/+/g, "/");
    return { path: join(to), oldPath: join(from) };
  }
  const plain = /^(.*) => (.*)$/.exec(text);
  if (plain) return { path: plain[2], oldPath: plain[1] };
  return { path: text, oldPath: null };
}

/** git C-quotes paths with control characters or quotes ("a\tb"); undo it. */
function unquote(text: string): string {
  if (!(text.startsWith('"') && text.endsWith('"'))) return text;
  const bytes: number[] = [];
  const body = text.slice(1, -1);
  const escapes: Record<string, number> = { n: 10, t: 9, r: 13, b: 8, f: 12, a: 7, v: 11, '"': 34, "\\": 92 };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== "\\") {
      bytes.push(...Buffer.from(ch, "utf8"));
      continue;
    }
    const next = body[++i];
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push(escapes[next] ?? next.charCodeAt(0));
  }
  return Buffer.from(bytes).toString("utf8");
}

/**
 * git-ai's notes of a clone (`git notes --ref=ai`): annotated commit sha → the note's text. Empty
 * when the clone has no refs/notes/ai (a clone does not fetch notes unless asked:
 * `git fetch origin refs/notes/ai:refs/notes/ai`). Read with one `git notes list` and one
 * `git cat-file --batch` for all the blobs.
 */
export async function readGitNotes(dir: string, ref = "ai"): Promise<Map<string, string>> {
  const run = (args: string[], input?: string) => new Promise<{ code: number | null; stdout: Buffer; stderr: string }>((resolve, reject) => {
    // stdin only where git reads it (cat-file --batch): a git that has already exited (rev-parse
    // answers at once) would otherwise fail the write with EPIPE, an error nobody handles.
    const child = spawn("git", ["-C", dir, ...args], { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => out.push(d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    if (input !== undefined) {
      // A git that exits before reading all of it (a bad object name) answers through its exit code and stderr.
      child.stdin!.on("error", () => {});
      child.stdin!.end(input);
    }
  });
  const exists = await run(["rev-parse", "--verify", "--quiet", `refs/notes/${ref}`]);
  if (exists.code !== 0) return new Map();
  const list = await run(["notes", `--ref=${ref}`, "list"]);
  if (list.code !== 0) throw new GitLogError(dir, list.stderr, list.code);
  const pairs = list.stdout.toString("utf8").split("\n").filter((l) => l.trim()).map((l) => l.split(" ") as [string, string]);
  const notes = new Map<string, string>();
  if (pairs.length === 0) return notes;
  const batch = await run(["cat-file", "--batch"], pairs.map(([blob]) => blob).join("\n") + "\n");
  if (batch.code !== 0) throw new GitLogError(dir, batch.stderr, batch.code);
  // Each object: "<sha> <type> <size>\n<bytes>\n".
  let at = 0;
  for (const [, commit] of pairs) {
    const nl = batch.stdout.indexOf(10, at);
    const [, , size] = batch.stdout.subarray(at, nl).toString("utf8").split(" ");
    const start = nl + 1;
    notes.set(commit, batch.stdout.subarray(start, start + Number(size)).toString("utf8"));
    at = start + Number(size) + 1;
  }
  return notes;
}
