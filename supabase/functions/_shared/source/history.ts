/**
 * The contract between the scan stage and where a repository's history comes from (GitHub, a
 * local clone, a test's in-memory history): pages of the records detection reads — pull requests
 * with their reviews, commits with their files, and the commits' git-ai notes — for a full, an
 * incremental or a one-PR scan, resumable from a checkpoint and leaving a watermark. The
 * checkpoint and the watermark are the source's own JSON: the scan stage stores them and hands
 * them back, never reads them. Errors cross as source/errors.ts's. Which source a repository reads
 * is its `source` (public.repositories.source); the composition root (the edge function, the Node
 * worker) maps that name onto an `OpenHistory`.
 */
import type { Commit, FileChange, PullRequest } from "../detection/records.ts";
import type { CommitNote, CommitNotes, NoteRead } from "./records.ts";

/** JSON as the scan stage stores it (a checkpoint, a watermark). */
export type SourceJson = string | number | boolean | null | SourceJson[] | { [key: string]: SourceJson };

/** What to read. */
export type HistoryScope =
  /** The default branch's commits since `since`, and every pull request. */
  | { kind: "full" }
  /** What changed since the previous completed scan's watermark (none: read as a full scan). */
  | { kind: "incremental"; watermark: SourceJson | null }
  /** One pull request by number, and nothing else: one page, and the watermark stays. */
  | { kind: "pull_request"; number: number };

export interface HistoryRequest {
  /** The repository's name as its source names it (public.repositories.full_name). */
  fullName: string;
  /** The default branch as stored; a source that finds another says so (onDefaultBranch). */
  defaultBranch: string;
  scope: HistoryScope;
  /** Where the commits start when no watermark bounds them (now minus the company's scan window). */
  since: string;
  /** The company's scan window in days (named in the warning when it leaves out the whole history). */
  windowDays: number;
  /** The checkpoint of an interrupted run of this same scan (a page's `checkpoint`), or null. */
  resume: SourceJson | null;
}

/** One page of history. */
export interface HistoryPage {
  pullRequests: PullRequest[];
  commits: Commit[];
  /** The notes of this page's commits that have any, by commit sha. */
  notes: Record<string, CommitNotes>;
  /** The notes of this page's pull requests' own commits, by PR number (a PR's record: its commits'). */
  pullRequestNotes: Record<string, CommitNote[]>;
  /** What the page had to leave out, and why. */
  warnings: string[];
  /** Where to resume after this page; null when it was the last. */
  checkpoint: SourceJson | null;
}

export interface HistoryHandlers {
  /**
   * Called after every page, before the next is read: store it. Return false to stop after it (out
   * of time); throw to stop at once (cancelled, claim lost) — the source lets the error through.
   */
  onPage(page: HistoryPage): Promise<boolean | void>;
  /** The repository's default branch is not the stored one but this. */
  onDefaultBranch?(branch: string): Promise<void>;
}

/**
 * Notes that changed since the watermark (pushed late; git-ai's CI rewrites a squash merge's note):
 * commit rows written by earlier scans may need their record again. The scan stage asks which
 * versions the notes have now, compares them with the rows' (scan_results.note_blobs) and asks for
 * the notes and files of the rows that differ.
 */
export interface ChangedNotes {
  /** Every noted commit's note version: commit sha → note blob sha. */
  versions(): Promise<Record<string, string>>;
  /** The notes of these commits (each has a version in `versions`). */
  read(shas: string[]): Promise<Map<string, NoteRead>>;
  /** A commit's files with their lines (for a stored row whose lines were not read). */
  files(sha: string): Promise<FileChange[]>;
}

export interface HistoryRead {
  /** Null when the scan read everything; else where the next run resumes (onPage said stop). */
  checkpoint: SourceJson | null;
  /** What the next incremental scan starts from, once this one completes; null: it moves none (one PR). */
  watermark: SourceJson | null;
  /** Nothing changed since the watermark: no page was read. */
  unchanged: boolean;
  /** The notes changed since the watermark (null: they did not, or the run stopped early). */
  changedNotes: ChangedNotes | null;
}

/** What a source charged so far (counted: against a quota; not_modified: conditional answers, free). */
export interface SourceCost {
  requests: number;
  counted: number;
  not_modified: number;
  graphql_points: number;
}

/** One scan's reader of one repository's history. */
export interface RepositoryHistory {
  /** Who is read, for messages ("GitHub"). */
  readonly label: string;
  /** Reads (or resumes) the scan until it is done or `onPage` says stop. */
  read(request: HistoryRequest, handlers: HistoryHandlers): Promise<HistoryRead>;
  /** What the reads cost so far (the scan stage takes differences per page). */
  cost(): SourceCost;
  /** Called once the scan's run is over, however it ended (a cache's trim). */
  close(): Promise<void>;
}

/** What a scan's run gives its source. */
export interface HistorySession {
  companyId: string;
  /** Fires when the job must stop: the source stops its requests at once. */
  signal: AbortSignal;
  now: () => number;
  /** The source answered (anything but an outage): ends an outage of the source for every job. */
  answered(): void;
}

/** A source, as the composition root registers it under its name (public.repository_sources). */
export type OpenHistory = (session: HistorySession) => RepositoryHistory;
