/**
 * The records a source (GitHub, a local git clone, the data sets in ../shared/data) produces and
 * detection consumes. A commit has exactly the schema of ../shared/data/*.jsonl, so the data sets,
 * the local git source and the GitHub source are interchangeable.
 */

/** One changed file of a commit: numstat against the first parent. */
export interface FileChange {
  path: string;
  /** null for binary files, for blobs the source did not have (missing_blob), and when `lines_unknown`. */
  added: number | null;
  deleted: number | null;
  old_path?: string;
  binary?: boolean;
  missing_blob?: boolean;
  /**
   * true when the source knows the commit changed this path but not its lines (added and deleted
   * are null then, and the commit carries its `additions` and `deletions`): the GitHub source can
   * prove a commit's paths from their histories without reading its numstat (github/path-index.ts).
   * Only the commit's totals are known then; loc.ts's countedAddedLinesOf says when its counted
   * lines follow from them, and a source leaves lines unknown only where they do. Absent in the
   * data sets and the git source.
   */
  lines_unknown?: boolean;
}

/** One commit, as in ../shared/data (snake_case on purpose: it is the data sets' schema). */
export interface Commit {
  sha: string;
  parents: string[];
  author_name: string;
  author_email: string;
  committer_name: string;
  committer_email: string;
  authored_at: string;
  committed_at: string;
  message: string;
  files: FileChange[];
  /**
   * Line totals when the source knows them but not the per-file numstat: GitHub's PR commits
   * (GraphQL has no per-commit files; their `files` is empty and `parents` is empty, see
   * github/queries.ts for why), branch commits whose files detection does not read (`files` empty),
   * and those whose files' paths are known but not their lines (FileChange.lines_unknown). Absent
   * for the data sets and the git and REST sources.
   */
  additions?: number;
  deletions?: number;
}

/** A GitHub actor: a user, a bot or an app. */
export interface Actor {
  login: string;
  /** true for bots and apps (GraphQL `__typename` Bot, REST `type: "Bot"`). */
  is_bot: boolean;
  /** GitHub's numeric database id when known (bot ids are stable marks, logins can change). */
  id?: number | null;
}

export interface Review {
  author: Actor | null;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING";
  submitted_at: string | null;
}

/** A pull request with what detection and review coverage need. */
export interface PullRequest {
  number: number;
  title: string;
  body: string;
  author: Actor | null;
  head_ref: string;
  base_ref: string;
  labels: string[];
  state: "OPEN" | "CLOSED" | "MERGED";
  created_at: string;
  /** When GitHub last changed the PR (a review, a push, a label): the incremental scan's watermark. */
  updated_at?: string;
  merged_at: string | null;
  merged_by: Actor | null;
  additions: number;
  deletions: number;
  reviews: Review[];
  commits: Commit[];
  /** Files of the whole PR (GitHub's PR files), when the source has them. */
  files: FileChange[];
}
