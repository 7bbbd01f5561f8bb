/**
 * Which commits detection needs the per-file numstat of, and the numstat that does not cost a
 * request. GraphQL gives every commit's totals, file count and parents; REST's GET /commits/{sha}
 * — one request per commit — is the only source of its files' lines (the histories of known paths
 * can prove which files they are: path-index.ts). Measured on github-mcp-server's 1,099 commits: 8
 * merges and 8 commits without added lines need no files at all, and 507 are squash merges whose
 * PR's files are theirs.
 */
import { classifyCommit } from "../detection/classify.ts";
import type { Commit, FileChange } from "../detection/records.ts";
import { styleGated, suspectFeatures } from "../detection/suspected.ts";
import type { HistoryCommit } from "./commit-history.ts";

/**
 * Whether detection reads anything of the commit's files that its totals do not say:
 *  - a merge: no — classify.ts counts no lines of a merge (they are the merged commits') and never
 *    scores it;
 *  - no file changed: no — its numstat is [];
 *  - no added line, and the suspected tier never scores it (a mark decides its verdict, or the
 *    style's gates keep it out: automation, or older than the agent era): no — its counted lines are
 *    0 whatever its paths, and nothing else reads them;
 *  - otherwise yes: counted lines leave lock files, generated and vendored code out by path (a
 *    small human commit may still touch go.sum), and the suspected tier reads the file count, the
 *    sizes and whether tests sit beside code (the paths). Of a commit of several files, the paths
 *    and the totals are enough when the filter does not split its files (countedAddedLinesOf).
 * Trailers, identities, merged branches and footers — every mark — come from the message and the
 * identities, which the history page has.
 */
export function needsNumstat(c: HistoryCommit): boolean {
  if (c.commit.parents.length > 1 || c.changedFiles === 0) return false;
  if (c.additions > 0) return true;
  const marked = classifyCommit(c.commit, { suspected: false }).verdict !== "human";
  // The gates (agent era, automation) read only dates, identities and the message: files cannot lift them.
  return !marked && !styleGated(suspectFeatures(c.commit, null));
}

/** The record when detection needs no files: the totals, as records.ts says of a source without numstat. */
export function withTotals(c: HistoryCommit): Commit {
  return { ...c.commit, additions: c.additions, deletions: c.deletions };
}

/**
 * The commit's numstat from the PR it merged, when they agree on every total: a squash merge (or a
 * single-commit rebase) is the PR's diff as a commit. A rebase of several commits, or a squash whose
 * base moved under the PR's files, disagrees on some total and is read from REST instead. A merge
 * commit's numstat is against its first parent, which the PR's files are not: never taken from them.
 */
export function pullRequestNumstat(c: HistoryCommit): FileChange[] | null {
  const files = c.pullRequestFiles;
  if (!files || c.commit.parents.length > 1 || files.length !== c.changedFiles) return null;
  const added = files.reduce((n, f) => n + (f.added ?? 0), 0);
  const deleted = files.reduce((n, f) => n + (f.deleted ?? 0), 0);
  return added === c.additions && deleted === c.deletions ? files : null;
}
