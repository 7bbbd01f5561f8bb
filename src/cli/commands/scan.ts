// `codeguard scan <path>`: scan a clone on disk through the local git source (no GitHub, no
// database) and print the detection summary — or, with --jsonl, the commit records themselves in
// the data sets' schema, ready for `codeguard detect -`.
// The summary's suspected tier is calibrated on the scanned repository's own commits
// (classifyCommits), so the summary reads the whole log before classifying; --jsonl streams.
// Commits with a git-ai note (`git notes --ref=ai`, fetched with `git fetch origin
// refs/notes/ai:refs/notes/ai`) count its recorded lines; the summary has the recorded tier and
// the coverage beside the AI-LOC band.
import { stat } from "node:fs/promises";
import type { Commit } from "../../../supabase/functions/_shared/detection/records.ts";
import { classifyCommits } from "../../../supabase/functions/_shared/detection/classify.ts";
import { DetectionSummary } from "../../../supabase/functions/_shared/detection/summary.ts";
import { parseNote } from "../../../supabase/functions/_shared/detection/notes.ts";
import { attributeCommit, withRecorded } from "../../../supabase/functions/_shared/detection/recorded.ts";
import { GitLogError, readGitLog, readGitNotes } from "../../sources/git-log.ts";
import { REMOTE_USAGE, REPOSITORY_NAME, runRemoteScan } from "../remote-scan.ts";
import { parseArgs, UsageError, usageMessage } from "../args.ts";

export const summary = "scan owner/repo on the pipeline (--wait: progress, then the summary), or a local git clone (git log --numstat)";

export const USAGE = `usage: codeguard scan <path> [--ref REF] [--since DATE] [--max-count N] [--jsonl]

  <path>         a git clone on disk
  --ref REF      branch, tag or sha to read (default HEAD)
  --since DATE   only commits after DATE (git's --since, e.g. 2026-01-01 or "90 days ago")
  --max-count N  at most N commits
  --jsonl        print one commit record per line (schema of ../shared/data) instead of the summary`;

export const HELP = `${USAGE}\n\n${REMOTE_USAGE}`;

/** The options of a scan of a clone (LOCAL) and of one on the pipeline (remote-scan.ts). */
const LOCAL = { valued: ["ref", "since", "max-count"], flags: ["jsonl"] };
const REMOTE = { valued: ["type", "interval-ms"], flags: ["wait", "json"] };

/** The first argument that is neither an option nor an option's value (either kind of scan's). */
function targetOf(args: string[]): string | undefined {
  try {
    return parseArgs(args, [...LOCAL.valued, ...REMOTE.valued], [...LOCAL.flags, ...REMOTE.flags]).positional[0];
  } catch {
    return undefined; // the scan's own parse says what is wrong
  }
}

export async function run(args: string[]): Promise<number> {
  // owner/repo is a scan on the pipeline (remote-scan.ts); a directory, or a path starting with .
  // or /, is a clone on disk.
  const target = targetOf(args);
  const isDirectory = target !== undefined && (await stat(target).then((s) => s.isDirectory(), () => false));
  if (target !== undefined && REPOSITORY_NAME.test(target) && !/^[./]/.test(target) && !isDirectory) {
    return await runRemoteScan(args);
  }
  // Neither: say so, rather than parse the pipeline's options (--wait) as a clone's and refuse them.
  if (target !== undefined && !isDirectory) {
    console.error(`codeguard scan: ${target} is neither a repository name (owner/name, as on GitHub) nor a directory on disk: ` +
      "give owner/name to scan a repository your company tracks, or the path of a git clone (codeguard scan --help)");
    return 2;
  }
  let path: string | undefined;
  let jsonl: boolean;
  const options: { ref?: string; since?: string; maxCount?: number } = {};
  try {
    const parsed = parseArgs(args, LOCAL.valued, LOCAL.flags);
    if (parsed.positional.length > 1) throw new UsageError(`one path only (got ${parsed.positional.join(" and ")})`);
    path = parsed.positional[0];
    jsonl = parsed.options.has("jsonl");
    options.ref = parsed.options.get("ref") as string | undefined;
    options.since = parsed.options.get("since") as string | undefined;
    if (parsed.options.has("max-count")) {
      options.maxCount = Number(parsed.options.get("max-count"));
      if (!Number.isInteger(options.maxCount) || options.maxCount < 0) throw new UsageError("--max-count needs a whole number");
    }
  } catch (e) {
    console.error(usageMessage("scan", e as Error, USAGE));
    return 2;
  }
  if (path === undefined) {
    console.error(USAGE);
    return 2;
  }
  if (!(await stat(path).then((s) => s.isDirectory(), () => false))) {
    console.error(`codeguard scan: ${path} is not a directory: give the path of a git clone`);
    return 2;
  }
  // --jsonl: one record per commit as git yields it. Summary: collect the commits, then classify
  // them with the suspected tier calibrated on them.
  const commits: Commit[] = [];
  try {
    for await (const commit of readGitLog(path, options)) {
      if (jsonl) process.stdout.write(JSON.stringify(commit) + "\n");
      else commits.push(commit);
    }
  } catch (e) {
    if (e instanceof GitLogError) {
      console.error(`codeguard scan: ${e.message}`);
      return 1;
    }
    throw e;
  }
  if (jsonl) return 0;
  // git-ai's notes of the clone (refs/notes/ai, when it was fetched): a noted commit's record over
  // its marks, as a scan on the pipeline does; a note that cannot be used is said on stderr.
  let notes: Map<string, string>;
  try {
    notes = await readGitNotes(path);
  } catch (e) {
    if (!(e instanceof GitLogError)) throw e;
    console.error(`codeguard scan: the clone's git-ai notes could not be read (${e.message}); every commit is classified by its marks`);
    notes = new Map();
  }
  const { classifications } = classifyCommits(commits);
  const totals = new DetectionSummary();
  commits.forEach((commit, i) => {
    let c = classifications[i];
    const text = notes.get(commit.sha);
    if (text !== undefined) {
      const { recorded, warnings } = attributeCommit(commit, parseNote(text), null);
      for (const w of warnings) console.error(`codeguard scan: ${w}`);
      if (recorded) c = withRecorded(c, recorded);
    }
    totals.add(c, commit.parents.length > 1);
  });
  console.log(JSON.stringify({ path, ...totals.report() }, null, 2));
  return 0;
}
