/**
 * A repository's history read from GitHub, page by page, for the GitHub source (source.ts): probe,
 * then PR pages (GraphQL), then the default branch's commits (GraphQL history, REST numstat where
 * detection needs it: commits.ts), with their git-ai notes (notes.ts), each page handed to
 * `onPage` with the cursor to resume from.
 * An edge function with little time left stops after any page and stores the cursor; the next
 * invocation passes it back as `resume`.
 */
import type { Commit, PullRequest } from "../detection/records.ts";
import type { HistoryCommit } from "./commit-history.ts";
import { type CommitCursor, CommitReader } from "./commits.ts";
import { GitHubError } from "./errors.ts";
import type { GitHubHttp } from "./http.ts";
import { type NoteEntry, type NotesRef, readNotes, readNotesRef, readNotesTree } from "./notes.ts";
import type { CommitNotes, NoteRead } from "../source/records.ts";
import { probeRepository, type RepositoryState } from "./probe.ts";
import { fetchPullRequest, fetchPullRequestPage, type PullRequestCursor } from "./pull-requests.ts";

/** What the previous completed scan saw; the next scan reads only what changed after it. */
export interface ScanWatermark {
  pullRequestsUpdatedAt: string | null;
  headSha: string | null;
  /**
   * The notes commit refs/notes/ai pointed at (null: no notes). Absent in watermarks stored before
   * notes were read: the next scan reads the notes of the rows it writes then.
   */
  notesCommit?: string | null;
}

/** The resumable position of a scan (plain JSON, stored in the job's checkpoint). */
export interface ScanCheckpoint {
  /** The watermark this scan will leave behind when it completes (taken from the probe). */
  target: ScanWatermark;
  pullRequests: PullRequestCursor | null;
  commits: CommitCursor | null;
  /** The notes commit this scan reads the commits' notes from (null: none). */
  notes?: NotesRef | null;
  /**
   * Pull requests (by number) whose own commits have notes, with those commits' shas: what a squash
   * merge of the PR is attributed from (read from the PR pages, kept for the commit pages).
   */
  pullRequestNotes?: Record<string, string[]>;
  /** The notes commit changed since the previous scan: rows written before may have new notes. */
  notesChanged?: boolean;
}


export interface ScanPage {
  pullRequests: PullRequest[];
  commits: Commit[];
  /** The notes of this page's commits that have any, by commit sha. */
  notes: Record<string, CommitNotes>;
  /** The notes of this page's pull requests' own commits, by PR number (a PR's record: its commits'). */
  pullRequestNotes?: Record<string, { sha: string; read: NoteRead }[]>;
  /** What the page had to leave out, and why (a PR GitHub could not serve). */
  warnings: string[];
  /** Resume from here; null when this page was the last. */
  checkpoint: ScanCheckpoint | null;
}

export interface ScanOptions {
  owner: string;
  name: string;
  branch: string;
  /** The previous completed scan's watermark, or null for a full scan. */
  previous?: ScanWatermark | null;
  /** Where a full scan's default-branch commits start (now minus the company's scan_window_days). */
  commitsSince?: string | null;
  /** The company's scan window in days, named in the warning when it leaves out all the branch's history. */
  scanWindowDays?: number;
  /** A checkpoint from an interrupted invocation of this same scan. */
  resume?: ScanCheckpoint | null;
  pageSize?: number;
  nestedPageSize?: number;
  /** Skip default-branch commits: read the PRs only. */
  pullRequestsOnly?: boolean;
  /** Read this one pull request and nothing else (a pr_analysis scan): one page, no watermark. */
  pullRequest?: number;
  /** Called after every page; return false to stop here (out of edge time) with the page's checkpoint. */
  onPage?: (page: ScanPage) => Promise<boolean | void> | boolean | void;
  /** Read git-ai's notes (refs/notes/ai); default true. */
  notes?: boolean;
  /** Called when the repository's default branch is not `branch` but this one (GitHub's). */
  onDefaultBranch?: (branch: string) => Promise<void> | void;
}

export interface ScanResult {
  pullRequests: PullRequest[];
  commits: Commit[];
  /** null when the scan completed; otherwise where to resume. */
  checkpoint: ScanCheckpoint | null;
  /** The watermark to store once the scan completed; null when the scan moves none (one PR). */
  watermark: ScanWatermark | null;
  /** The probe found nothing new since `previous`: no GraphQL, no listing was needed. */
  unchanged: boolean;
  /** The notes commit read (null: none), and whether it changed since `previous`. */
  notes: NotesRef | null;
  notesChanged: boolean;
}

/**
 * The warning of a full scan whose window starts after the branch's newest commit: it reads no
 * commit at all, and an "AI LOC 0 % of 0 lines" would otherwise say nothing of why. Names the
 * head's date, the window and the setting that widens it. Null when the window reaches the head.
 */
export function windowLeftOut(state: RepositoryState, since: string | null, options: Pick<ScanOptions, "owner" | "name" | "scanWindowDays">): string | null {
  if (!since || !state.headCommittedAt || Date.parse(state.headCommittedAt) >= Date.parse(since)) return null;
  const days = options.scanWindowDays;
  const needed = Math.ceil((Date.parse(since) - Date.parse(state.headCommittedAt)) / 86_400_000) + (days ?? 0) + 1;
  return `the scan window${days ? ` of ${days} days` : ""} starts ${since.slice(0, 10)}, after the newest commit of ${state.branch} ` +
    `(${state.headCommittedAt.slice(0, 10)}): no commit of its history was read. Widen the company's scan_window_days to ${needed} or more ` +
    `(codeguard repo add ${options.owner}/${options.name} --window-days ${needed}) and scan again.`;
}

/** Runs (or resumes) a scan until it completes or `onPage` asks to stop. */
export async function scanRepository(http: GitHubHttp, options: ScanOptions): Promise<ScanResult> {
  if (options.pullRequest !== undefined) {
    // One PR says nothing of the others, nor of the branch: the repository's watermark stays.
    const pr = await fetchPullRequest(http, { owner: options.owner, name: options.name, number: options.pullRequest, nestedPageSize: options.nestedPageSize });
    await options.onPage?.({ pullRequests: [pr], commits: [], notes: {}, warnings: [], checkpoint: null });
    return { pullRequests: [pr], commits: [], checkpoint: null, watermark: null, unchanged: false, notes: null, notesChanged: false };
  }
  const previous = options.previous ?? { pullRequestsUpdatedAt: null, headSha: null };
  let checkpoint: ScanCheckpoint | null = options.resume ?? null;
  const repo = { owner: options.owner, name: options.name };
  // Warnings of the scan as a whole (a notes ref that is not a commit, a window that leaves out the
  // history), handed out with its next page.
  const pending: string[] = [];
  if (!checkpoint) {
    const state: RepositoryState = await probeRepository(http, options);
    if (state.branch !== options.branch) await options.onDefaultBranch?.(state.branch);
    // The notes ref, once per scan (conditional: free when it has not moved; a repository without
    // notes pays this one request on its first scan and nothing on later ones).
    let notes: NotesRef | null = null;
    if (options.notes !== false && !options.pullRequestsOnly) {
      const ref = await readNotesRef(http, repo);
      if (ref && "problem" in ref) pending.push(ref.problem);
      else notes = ref;
    }
    const prsChanged = state.newestPullRequestUpdatedAt !== null &&
      (previous.pullRequestsUpdatedAt === null || Date.parse(state.newestPullRequestUpdatedAt) > Date.parse(previous.pullRequestsUpdatedAt));
    const headChanged = state.headSha !== null && state.headSha !== previous.headSha && !options.pullRequestsOnly;
    const notesChanged = previous.headSha !== null && (notes?.commit ?? null) !== (previous.notesCommit ?? null);
    checkpoint = {
      target: { pullRequestsUpdatedAt: state.newestPullRequestUpdatedAt, headSha: state.headSha, notesCommit: notes?.commit ?? null },
      pullRequests: prsChanged ? { after: null, until: previous.pullRequestsUpdatedAt } : null,
      commits: headChanged ? { head: state.headSha!, after: null, stopAt: previous.headSha, since: previous.headSha ? null : options.commitsSince ?? null } : null,
      notes,
      pullRequestNotes: {},
      notesChanged,
    };
    if (!prsChanged && !headChanged && !notesChanged) {
      return { pullRequests: [], commits: [], checkpoint: null, watermark: checkpoint.target, unchanged: true, notes, notesChanged: false };
    }
    const outside = windowLeftOut(state, checkpoint.commits?.since ?? null, options);
    if (outside) pending.push(outside);
  }
  // The notes this run has read (its own pages', and the spare slots' of its batches).
  const notesRead = new Set<string>();
  // Spare slots of a notes batch: the noted PRs' commits' notes, then the tree's (a later page's),
  // those this run has not read yet.
  const spare = function* (noted: Map<string, NoteEntry>, prNotes: Record<string, string[]>) {
    for (const shas of Object.values(prNotes)) for (const sha of shas) if (!notesRead.has(sha)) yield [sha, noted.get(sha)!] as [string, NoteEntry];
    for (const [sha, entry] of noted) if (!notesRead.has(sha)) yield [sha, entry] as [string, NoteEntry];
  };
  // The notes tree, read once (immutable by sha: a resumed run gets it from the cache).
  let tree: Map<string, NoteEntry> | null = null;
  const notesTree = async (): Promise<Map<string, NoteEntry>> => {
    if (tree) return tree;
    tree = new Map();
    if (!checkpoint!.notes) return tree;
    try {
      tree = await readNotesTree(http, repo, checkpoint!.notes);
    } catch (error) {
      if (!(error instanceof GitHubError) || error.retryable) throw error;
      pending.push(`the notes tree of ${checkpoint!.notes.commit.slice(0, 12)} could not be read (${error.message.slice(0, 200)}): every commit is classified by its marks`);
    }
    return tree;
  };
  const pullRequests: PullRequest[] = [];
  const commits: Commit[] = [];
  const commitReader = new CommitReader(http, { owner: options.owner, name: options.name });
  while (checkpoint.pullRequests || checkpoint.commits) {
    let page: ScanPage;
    if (checkpoint.pullRequests) {
      const got = await fetchPullRequestPage(http, {
        owner: options.owner,
        name: options.name,
        cursor: checkpoint.pullRequests,
        pageSize: options.pageSize,
        nestedPageSize: options.nestedPageSize,
      });
      // The PRs whose own commits have notes: a squash merge of one is attributed from them.
      const noted = await notesTree();
      const pullRequestNotes: Record<string, string[]> = { ...checkpoint.pullRequestNotes };
      for (const pr of got.pullRequests) {
        const shas = pr.commits.map((c) => c.sha).filter((sha) => noted.has(sha));
        if (shas.length > 0) pullRequestNotes[String(pr.number)] = shas;
      }
      checkpoint = { ...checkpoint, pullRequestNotes };
      // Their notes, read now (the PRs' records) and kept in the cache for their squash merges' pages.
      const wanted = new Map<string, NoteEntry>();
      for (const pr of got.pullRequests) for (const sha of pullRequestNotes[String(pr.number)] ?? []) wanted.set(sha, noted.get(sha)!);
      const read = wanted.size > 0 ? await readNotes(http, repo, checkpoint.notes!, wanted, spare(noted, pullRequestNotes)) : new Map<string, NoteRead>();
      for (const sha of read.keys()) notesRead.add(sha);
      const prNotesRead: Record<string, { sha: string; read: NoteRead }[]> = {};
      for (const pr of got.pullRequests) {
        const shas = pullRequestNotes[String(pr.number)];
        if (shas) prNotesRead[String(pr.number)] = shas.map((sha) => ({ sha, read: read.get(sha)! }));
      }
      checkpoint = { ...checkpoint, pullRequests: got.next };
      for (const pr of got.pullRequests) commitReader.learnPaths(pr.files);
      page = { pullRequests: got.pullRequests, commits: [], notes: {}, pullRequestNotes: prNotesRead, warnings: got.warnings, checkpoint };
    } else {
      const noted = await notesTree();
      const prNotes = checkpoint.pullRequestNotes ?? {};
      // A commit's own note, and (a squash merge) its PR's commits' notes.
      const sources = new Map<string, { own: boolean; pr: number | null; shas: string[] }>();
      const exact = (c: HistoryCommit) => {
        if (c.commit.parents.length > 1) return false;
        const own = noted.has(c.commit.sha);
        const pr = c.pullRequestNumber !== null && prNotes[String(c.pullRequestNumber)] ? c.pullRequestNumber : null;
        if (!own && pr === null) return false;
        sources.set(c.commit.sha, { own, pr, shas: [...(own ? [c.commit.sha] : []), ...(pr !== null ? prNotes[String(pr)] : [])] });
        return true;
      };
      const got = await commitReader.page(checkpoint.commits!, exact);
      checkpoint = { ...checkpoint, commits: got.next };
      const wanted = new Map<string, NoteEntry>();
      for (const { shas } of sources.values()) for (const sha of shas) wanted.set(sha, noted.get(sha)!);
      const read = wanted.size > 0 ? await readNotes(http, repo, checkpoint.notes!, wanted, spare(noted, prNotes)) : new Map<string, NoteRead>();
      for (const sha of read.keys()) notesRead.add(sha);
      const notes: Record<string, CommitNotes> = {};
      for (const [sha, { own, pr }] of sources) {
        notes[sha] = {
          own: own ? read.get(sha)! : null,
          pullRequest: pr === null ? null : { number: pr, notes: prNotes[String(pr)].map((n) => ({ sha: n, read: read.get(n)! })) },
        };
      }
      page = { pullRequests: [], commits: got.commits, notes, warnings: [], checkpoint };
    }
    const done = !checkpoint.pullRequests && !checkpoint.commits;
    if (done) page.checkpoint = null;
    if (pending.length) page.warnings = [...pending.splice(0), ...page.warnings];
    pullRequests.push(...page.pullRequests);
    commits.push(...page.commits);
    const goOn = await options.onPage?.(page);
    if (done) break;
    if (goOn === false) return { pullRequests, commits, checkpoint, watermark: checkpoint.target, unchanged: false, notes: checkpoint.notes ?? null, notesChanged: checkpoint.notesChanged ?? false };
  }
  return { pullRequests, commits, checkpoint: null, watermark: checkpoint.target, unchanged: false, notes: checkpoint.notes ?? null, notesChanged: checkpoint.notesChanged ?? false };
}
