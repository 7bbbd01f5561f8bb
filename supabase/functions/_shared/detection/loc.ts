/**
 * AI LOC: the added lines of a change that count as code somebody wrote. Lock files, generated,
 * vendored and binary files are left out, because an agent "writing" 3,000 lines of
 * package-lock.json says nothing about how much of the code it wrote.
 *
 * The filter list, in the order it is applied (paths compared lower-cased):
 *  1. binary — `binary: true`, or `added === null` (binary, or a blob the source lacked).
 *  2. lock files — by file name: LOCK_FILE_NAMES, or a name ending in `.lock` / `.lockb`.
 *  3. vendored — a path segment in VENDORED_DIRS (vendor/, node_modules/, third_party/ …).
 *  4. generated — a path segment in GENERATED_DIRS (generated/, __snapshots__/, dist/ …) or a
 *     name ending in one of GENERATED_SUFFIXES (.min.js, .pb.go, _pb2.py, .snap, .map …).
 */
import type { Commit, FileChange } from "./records.ts";

/** Exact file names of dependency lock files. */
export const LOCK_FILE_NAMES: ReadonlySet<string> = new Set([
  "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock", "bun.lockb",
  "deno.lock", "cargo.lock", "gemfile.lock", "composer.lock", "poetry.lock", "pipfile.lock", "uv.lock",
  "pdm.lock", "go.sum", "go.work.sum", "mix.lock", "podfile.lock", "pubspec.lock", "flake.lock",
  "packages.lock.json", "gradle.lockfile", "package.resolved", "cartfile.resolved", "paket.lock",
  "shrinkwrap.yaml", "conda-lock.yml",
]);

/** Directory names whose content is somebody else's code checked in. */
export const VENDORED_DIRS: readonly string[] = [
  "vendor", "node_modules", "third_party", "third-party", "thirdparty", "bower_components", "pods",
  ".yarn", "site-packages",
];

/** Directory names whose content is produced by a tool. */
export const GENERATED_DIRS: readonly string[] = ["generated", "__generated__", "__snapshots__", "dist", "gen"];

/** File-name endings of generated files. */
export const GENERATED_SUFFIXES: readonly string[] = [
  ".min.js", ".min.css", ".map", ".pb.go", ".pb.gw.go", "_pb2.py", "_pb2_grpc.py", ".pb.h", ".pb.cc",
  "_generated.go", ".generated.ts", ".generated.js", ".generated.cs", ".g.dart", ".freezed.dart",
  ".designer.cs", ".snap", ".lock", ".lockb",
];

const VENDORED_SEGMENTS = VENDORED_DIRS.map((d) => `/${d}/`);
const GENERATED_SEGMENTS = GENERATED_DIRS.map((d) => `/${d}/`);

type Exclusion = "lock" | "vendored" | "generated" | null;

/**
 * Paths already judged: a repository's commits touch the same files again and again, and the
 * filter ran on every file of every commit (12 % of a scan's detection time, bench/detection.ts).
 * Bounded: emptied when it reaches REASON_CACHE_MAX paths.
 */
const reasonCache = new Map<string, Exclusion>();
const REASON_CACHE_MAX = 50_000;

/** Why a path is left out of AI LOC, or null when it counts. */
export function excludedReason(path: string): Exclusion {
  const known = reasonCache.get(path);
  if (known !== undefined) return known;
  if (reasonCache.size >= REASON_CACHE_MAX) reasonCache.clear();
  const reason = judgePath(path);
  reasonCache.set(path, reason);
  return reason;
}

function judgePath(path: string): Exclusion {
  const p = "/" + path.toLowerCase();
  const name = p.slice(p.lastIndexOf("/") + 1);
  if (LOCK_FILE_NAMES.has(name) || name.endsWith(".lock") || name.endsWith(".lockb")) return "lock";
  for (const s of VENDORED_SEGMENTS) if (p.includes(s)) return "vendored";
  for (const s of GENERATED_SEGMENTS) if (p.includes(s)) return "generated";
  for (const s of GENERATED_SUFFIXES) if (name.endsWith(s)) return "generated";
  if (name.startsWith("zz_generated")) return "generated";
  return null;
}

/** True when the file's added lines count as written code. */
export function isCountedFile(f: FileChange): boolean {
  if (f.binary || f.added === null || f.missing_blob) return false;
  return excludedReason(f.path) === null;
}

/**
 * Added lines of a change that count as written code (see the filter list above), from files whose
 * lines are known (a file with `lines_unknown` adds nothing here: see countedAddedLinesOf).
 */
export function countedAddedLines(files: readonly FileChange[]): number {
  let n = 0;
  for (const f of files) if (f.added !== null && f.added > 0 && isCountedFile(f)) n += f.added;
  return n;
}

/**
 * A commit's counted added lines when some of its files' lines are unknown (FileChange.lines_unknown),
 * from its totals; null when they do not follow from what is known. The filter leaves files out by
 * path, so the paths say which files count; the commit's `additions` are the sum of every file's
 * added lines (a binary file adds 0 to GitHub's totals, and the filter leaves it out with 0 lines:
 * the same either way). So:
 *  - no file's lines unknown: the numstat's counted lines (countedAddedLines);
 *  - no unknown file counts (each is a lock file, vendored or generated): the known files' counted lines;
 *  - every unknown file counts: the known counted lines plus what the totals leave for the unknown
 *    files, `additions` − the known files' added lines;
 *  - unknown files on both sides of the filter: null — the totals cannot tell how their lines split
 *    (a commit of 0 added lines excepted: 0).
 */
export function countedAddedLinesOf(commit: Pick<Commit, "files" | "additions">): number | null {
  const { files } = commit;
  if (!files.some((f) => f.lines_unknown)) return countedAddedLines(files);
  if (commit.additions === undefined) return null;
  if (commit.additions === 0) return 0;
  let unknownCounted = 0;
  let unknownLeftOut = 0;
  let knownAdded = 0;
  const known: FileChange[] = [];
  for (const f of files) {
    if (!f.lines_unknown) {
      known.push(f);
      knownAdded += f.added ?? 0;
    } else if (excludedReason(f.path) === null) unknownCounted++;
    else unknownLeftOut++;
  }
  if (unknownCounted === 0) return countedAddedLines(known);
  if (unknownLeftOut > 0) return null;
  const rest = commit.additions - knownAdded;
  return rest < 0 ? null : countedAddedLines(known) + rest;
}
