/**
 * A whole repository scan over the GitHub client: probe, then PR pages (GraphQL), then the
 * default branch's commits (GraphQL history, REST numstat where detection needs it: commits.ts),
 * each page handed to `onPage` with the cursor to resume from.
 * An edge function with little time left stops after any page and stores the cursor; the next
 * invocation passes it back as `resume`.
 */
import type { Commit, PullRequest } from "../detection/records.ts";
import { type CommitCursor, CommitReader } from "./commits.ts";
import type { GitHubHttp } from "./http.ts";
import { probeRepository, type RepositoryState } from "./probe.ts";
import { fetchPullRequest, fetchPullRequestPage, type PullRequestCursor } from "./pull-requests.ts";

/** What the previous completed scan saw; the next scan reads only what changed after it. */
export interface ScanWatermark {
  pullRequestsUpdatedAt: string | null;
  headSha: string | null;
}

/** The resumable position of a scan (plain JSON, stored in the job's checkpoint). */
export interface ScanCheckpoint {
  /** The watermark this scan will leave behind when it completes (taken from the probe). */
  target: ScanWatermark;
  pullRequests: PullRequestCursor | null;
  commits: CommitCursor | null;
}

export interface ScanPage {
  pullRequests: PullRequest[];
  commits: Commit[];
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
}

/** Runs (or resumes) a scan until it completes or `onPage` asks to stop. */
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

export async function scanRepository(http: GitHubHttp, options: ScanOptions): Promise<ScanResult> {
  if (options.pullRequest !== undefined) {
    // One PR says nothing of the others, nor of the branch: the repository's watermark stays.
    const pr = await fetchPullRequest(http, { owner: options.owner, name: options.name, number: options.pullRequest, nestedPageSize: options.nestedPageSize });
    await options.onPage?.({ pullRequests: [pr], commits: [], warnings: [], checkpoint: null });
    return { pullRequests: [pr], commits: [], checkpoint: null, watermark: null, unchanged: false };
  }
  const previous = options.previous ?? { pullRequestsUpdatedAt: null, headSha: null };
  let checkpoint: ScanCheckpoint | null = options.resume ?? null;
  // Warnings of the scan as a whole, handed out with its next page.
  const pending: string[] = [];
  if (!checkpoint) {
    const state: RepositoryState = await probeRepository(http, options);
    if (state.branch !== options.branch) await options.onDefaultBranch?.(state.branch);
    const prsChanged = state.newestPullRequestUpdatedAt !== null &&
      (previous.pullRequestsUpdatedAt === null || Date.parse(state.newestPullRequestUpdatedAt) > Date.parse(previous.pullRequestsUpdatedAt));
    const headChanged = state.headSha !== null && state.headSha !== previous.headSha && !options.pullRequestsOnly;
    checkpoint = {
      target: { pullRequestsUpdatedAt: state.newestPullRequestUpdatedAt, headSha: state.headSha },
      pullRequests: prsChanged ? { after: null, until: previous.pullRequestsUpdatedAt } : null,
      commits: headChanged ? { head: state.headSha!, after: null, stopAt: previous.headSha, since: previous.headSha ? null : options.commitsSince ?? null } : null,
    };
    if (!prsChanged && !headChanged) {
      return { pullRequests: [], commits: [], checkpoint: null, watermark: checkpoint.target, unchanged: true };
    }
    const outside = windowLeftOut(state, checkpoint.commits?.since ?? null, options);
    if (outside) pending.push(outside);
  }
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
      checkpoint = { ...checkpoint, pullRequests: got.next };
      for (const pr of got.pullRequests) commitReader.learnPaths(pr.files);
      page = { pullRequests: got.pullRequests, commits: [], warnings: got.warnings, checkpoint };
    } else {
      const got = await commitReader.page(checkpoint.commits!);
      checkpoint = { ...checkpoint, commits: got.next };
      page = { pullRequests: [], commits: got.commits, warnings: [], checkpoint };
    }
    const done = !checkpoint.pullRequests && !checkpoint.commits;
    if (done) page.checkpoint = null;
    if (pending.length) page.warnings = [...pending.splice(0), ...page.warnings];
    pullRequests.push(...page.pullRequests);
    commits.push(...page.commits);
    const goOn = await options.onPage?.(page);
    if (done) break;
    if (goOn === false) return { pullRequests, commits, checkpoint, watermark: checkpoint.target, unchanged: false };
  }
  return { pullRequests, commits, checkpoint: null, watermark: checkpoint.target, unchanged: false };
}
