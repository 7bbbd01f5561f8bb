// A test-only source over an in-memory history: the proof that the scan stage's contract
// (supabase/functions/_shared/source/history.ts) is all a source needs. It implements the contract
// and nothing else — no change to the scan stage, the queue or the schema's code: its test registers
// it in repository_sources (data) and in the worker's sources (the composition root's map).
// Its checkpoint and watermark are its own JSON, unlike GitHub's: the scan stage must store them
// without reading them. Pages are small (PAGE_SIZE) so that a scan has several.
import type { Commit, PullRequest } from "../../../supabase/functions/_shared/detection/records.ts";
import { SourceDown, SourceRefused } from "../../../supabase/functions/_shared/source/errors.ts";
import type { HistoryHandlers, HistoryPage, HistoryRead, HistoryRequest, OpenHistory, RepositoryHistory, SourceCost } from "../../../supabase/functions/_shared/source/history.ts";
import type { CommitNotes } from "../../../supabase/functions/_shared/source/records.ts";

/** One repository's history: commits newest first (as git log lists them), PRs, and git-ai notes by commit sha. */
export interface FakeRepository {
  commits: Commit[];
  pullRequests: PullRequest[];
  notes: Record<string, string>;
}

/** The fake's watermark: the newest commit and PR update it saw. */
interface FakeWatermark {
  fake: 1;
  head: string | null;
  prsUpdatedAt: string | null;
}

/** The fake's checkpoint: the scan's target, what bounds it, and how far it got. */
interface FakeCheckpoint {
  fake: 1;
  target: FakeWatermark;
  stopAt: string | null;
  since: string | null;
  prsAfter: string | null;
  prsRead: number;
  commitsRead: number;
}

export const PAGE_SIZE = 5;

/** What the fake was asked, for a test to count. */
export interface FakeLog {
  reads: { fullName: string; scope: string; resumed: boolean }[];
  pages: number;
}

/** The histories by full name; `down` makes every read fail as a source outage would. */
export function fakeSource(repositories: Map<string, FakeRepository>, log: FakeLog, state: { down?: boolean } = {}): OpenHistory {
  return () => {
    let pages = 0;
    const history: RepositoryHistory = {
      label: "the fake source",
      read: (request, handlers) => {
        if (state.down) throw new SourceDown("the fake source is down");
        const repo = repositories.get(request.fullName);
        if (!repo) throw new SourceRefused(`the fake source has no repository ${request.fullName}`);
        log.reads.push({ fullName: request.fullName, scope: request.scope.kind, resumed: request.resume !== null });
        return read(repo, request, handlers, () => {
          pages++;
          log.pages++;
        });
      },
      cost: (): SourceCost => ({ requests: pages, counted: pages, not_modified: 0, graphql_points: 0 }),
      close: async () => {},
    };
    return history;
  };
}

function newestUpdate(prs: PullRequest[]): string | null {
  return prs.map((p) => p.updated_at ?? p.created_at).sort().at(-1) ?? null;
}

/** The commits of a scan: from its target head down to (not including) stopAt, or back to `since`. */
function commitsOf(repo: FakeRepository, c: FakeCheckpoint): Commit[] {
  const from = repo.commits.findIndex((x) => x.sha === c.target.head);
  if (from < 0) return [];
  const out: Commit[] = [];
  for (const commit of repo.commits.slice(from)) {
    if (commit.sha === c.stopAt) break;
    if (c.since && !c.stopAt && commit.authored_at < c.since) break;
    out.push(commit);
  }
  return out;
}

function pullRequestsOf(repo: FakeRepository, c: FakeCheckpoint): PullRequest[] {
  const updated = (p: PullRequest) => p.updated_at ?? p.created_at;
  return repo.pullRequests
    .filter((p) => (c.prsAfter === null || updated(p) > c.prsAfter) && (c.target.prsUpdatedAt === null || updated(p) <= c.target.prsUpdatedAt))
    .sort((a, b) => a.number - b.number);
}

function notesOf(repo: FakeRepository, commits: Commit[]): Record<string, CommitNotes> {
  const notes: Record<string, CommitNotes> = {};
  for (const c of commits) {
    const text = repo.notes[c.sha];
    if (text !== undefined) notes[c.sha] = { own: { blob: `fake-note-${c.sha.slice(0, 12)}`, text }, pullRequest: null };
  }
  return notes;
}

async function read(repo: FakeRepository, request: HistoryRequest, handlers: HistoryHandlers, paid: () => void): Promise<HistoryRead> {
  const scope = request.scope;
  if (scope.kind === "pull_request") {
    const pr = repo.pullRequests.find((p) => p.number === scope.number);
    if (!pr) throw new SourceRefused(`the fake source has no pull request #${scope.number} in ${request.fullName}`);
    paid();
    await handlers.onPage({ pullRequests: [pr], commits: [], notes: {}, pullRequestNotes: {}, warnings: [], checkpoint: null });
    return { checkpoint: null, watermark: null, unchanged: false, changedNotes: null };
  }
  let c = request.resume as unknown as FakeCheckpoint | null;
  if (c !== null && c.fake !== 1) throw new Error(`not a fake source checkpoint: ${JSON.stringify(c)}`);
  if (!c) {
    const previous = scope.kind === "incremental" ? (scope.watermark as unknown as FakeWatermark | null) : null;
    const target: FakeWatermark = { fake: 1, head: repo.commits[0]?.sha ?? null, prsUpdatedAt: newestUpdate(repo.pullRequests) };
    if (previous && previous.head === target.head && previous.prsUpdatedAt === target.prsUpdatedAt) {
      return { checkpoint: null, watermark: target as never, unchanged: true, changedNotes: null };
    }
    c = { fake: 1, target, stopAt: previous?.head ?? null, since: request.since, prsAfter: previous?.prsUpdatedAt ?? null, prsRead: 0, commitsRead: 0 };
  }
  const prs = pullRequestsOf(repo, c);
  const commits = commitsOf(repo, c);
  for (;;) {
    let page: HistoryPage;
    if (c.prsRead < prs.length) {
      const got = prs.slice(c.prsRead, c.prsRead + PAGE_SIZE);
      c = { ...c, prsRead: c.prsRead + got.length };
      page = { pullRequests: got, commits: [], notes: {}, pullRequestNotes: {}, warnings: [], checkpoint: null };
    } else {
      const got = commits.slice(c.commitsRead, c.commitsRead + PAGE_SIZE);
      c = { ...c, commitsRead: c.commitsRead + got.length };
      page = { pullRequests: [], commits: got, notes: notesOf(repo, got), pullRequestNotes: {}, warnings: [], checkpoint: null };
    }
    paid();
    const done = c.prsRead >= prs.length && c.commitsRead >= commits.length;
    page.checkpoint = done ? null : (c as never);
    const goOn = await handlers.onPage(page);
    if (done) return { checkpoint: null, watermark: c.target as never, unchanged: false, changedNotes: null };
    if (goOn === false) return { checkpoint: c as never, watermark: c.target as never, unchanged: false, changedNotes: null };
  }
}
