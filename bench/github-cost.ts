// GitHub API cost of a scan of a 500-PR repository on the local GitHub, against the naive REST scan
// (list PRs, then commits, reviews and files per PR) measured in the same run on the same server;
// and what a repository's first full scan costs: github-mcp-server whole (517 PRs, 1,099 commits,
// all history), PRs and commits as a full_scan job reads them (first_scan_requests_real: what GitHub
// would charge). And git-ai notes: what a noted repository's first full scan spends on its notes
// (git-ai-project/self-hosted: the ref, the notes commit, its tree, the notes in GraphQL batches of
// 50, REST blobs for oversized ones), the REST numstat its noted commits need beyond a scan without
// notes, and its unchanged rescan. Prints one JSON line; details (GraphQL points, per-route counts)
// go to stderr.
//   npm run bench -- github-cost
import { repositoryFromDataSet } from "../src/local/github/dataset.ts";
import { startLocalGitHub } from "../src/local/github/server.ts";
import { staticToken } from "../supabase/functions/_shared/github/auth.ts";
import { MemoryEtagCache } from "../supabase/functions/_shared/github/etag-cache.ts";
import { nextLink } from "../supabase/functions/_shared/github/commits.ts";
import { GitHubHttp } from "../supabase/functions/_shared/github/http.ts";
import { scanRepository } from "../supabase/functions/_shared/github/history.ts";

const PRS = 500;
const repo = repositoryFromDataSet("github__github-mcp-server.jsonl", { maxPullRequests: PRS });
if (repo.pullRequests.length !== PRS) throw new Error(`expected ${PRS} PRs, built ${repo.pullRequests.length}`);
const target = { owner: repo.owner, name: repo.name, branch: repo.default_branch, pullRequestsOnly: true };
const gh = await startLocalGitHub({ repositories: [repo], rateLimit: 1_000_000 });
const whole = repositoryFromDataSet("github__github-mcp-server.jsonl");
const real = await startLocalGitHub({ repositories: [whole], rateLimit: 1_000_000 });
const noted = repositoryFromDataSet("git-ai-project__self-hosted.jsonl");
const notesGh = await startLocalGitHub({ repositories: [noted], rateLimit: 1_000_000 });

try {
  // Ours: probe + GraphQL pages carrying PRs with reviews, commits and files.
  const cache = new MemoryEtagCache();
  const full = new GitHubHttp({ token: staticToken("ghp_bench"), baseUrl: gh.url, etagCache: cache });
  const scan = await scanRepository(full, target);
  if (scan.pullRequests.length !== PRS) throw new Error(`full scan read ${scan.pullRequests.length} PRs`);

  // The same, again, with nothing changed: conditional probes only.
  const rescan = new GitHubHttp({ token: staticToken("ghp_bench"), baseUrl: gh.url, etagCache: cache });
  const again = await scanRepository(rescan, { ...target, previous: scan.watermark });
  if (!again.unchanged) throw new Error("the unchanged rescan saw a change");

  // Naive REST: every page of every list, 100 a page (the maximum), no conditional requests.
  const naive = new GitHubHttp({ token: staticToken("ghp_bench"), baseUrl: gh.url, etagCache: null });
  const readAll = async (path: string): Promise<unknown[]> => {
    const out: unknown[] = [];
    for (let url: string | null = path; url; ) {
      const page: { data: unknown[]; link: string | null } = await naive.get(url, { conditional: false, shape: "raw", read: (b) => b as unknown[] });
      out.push(...page.data);
      url = nextLink(page.link);
    }
    return out;
  };
  const base = `/repos/${repo.owner}/${repo.name}`;
  const prs = (await readAll(`${base}/pulls?state=all&per_page=100`)) as { number: number }[];
  for (const pr of prs) {
    await readAll(`${base}/pulls/${pr.number}/commits?per_page=100`);
    await readAll(`${base}/pulls/${pr.number}/reviews?per_page=100`);
    await readAll(`${base}/pulls/${pr.number}/files?per_page=100`);
  }
  if (prs.length !== PRS) throw new Error(`naive scan listed ${prs.length} PRs`);

  // A first full scan: no watermark, no cached answers, every commit of the branch (a job's window
  // is the company's scan_window_days; all history is the most a first scan can read).
  const first = new GitHubHttp({ token: staticToken("ghp_bench"), baseUrl: real.url, etagCache: new MemoryEtagCache() });
  const firstScan = await scanRepository(first, { owner: whole.owner, name: whole.name, branch: whole.default_branch, commitsSince: null });
  if (firstScan.commits.length !== whole.commits.length || firstScan.pullRequests.length !== whole.pullRequests.length) {
    throw new Error(`first scan read ${firstScan.commits.length} commits and ${firstScan.pullRequests.length} PRs`);
  }

  // A noted repository's first full scan: its notes' requests, and the numstat its noted commits need.
  const notedTarget = { owner: noted.owner, name: noted.name, branch: noted.default_branch, commitsSince: null };
  const withoutNotes = new GitHubHttp({ token: staticToken("ghp_bench"), baseUrl: notesGh.url, etagCache: new MemoryEtagCache() });
  await scanRepository(withoutNotes, { ...notedTarget, notes: false });
  const restWithout = notesGh.stats.byRoute["GET /repos/:owner/:repo/commits/:sha"] ?? 0;
  notesGh.resetStats();
  const notedCache = new MemoryEtagCache();
  const notedHttp = new GitHubHttp({ token: staticToken("ghp_bench"), baseUrl: notesGh.url, etagCache: notedCache });
  const neededNotes = new Set<string>();
  let oversized = 0;
  const notedScan = await scanRepository(notedHttp, {
    ...notedTarget,
    onPage: (page) => {
      for (const n of Object.values(page.notes)) {
        if (n.own) neededNotes.add(n.own.blob);
        for (const x of n.pullRequest?.notes ?? []) neededNotes.add(x.read.blob);
      }
    },
  });
  const routes = notesGh.stats.byRoute;
  oversized = routes["GET /repos/:owner/:repo/git/blobs/:sha"] ?? 0;
  const notesRequests = (routes["GET /repos/:owner/:repo/git/matching-refs/notes/ai"] ?? 0) + (routes["GET /repos/:owner/:repo/git/commits/:sha"] ?? 0) +
    (routes["GET /repos/:owner/:repo/git/trees/:sha"] ?? 0) + oversized + (notesGh.stats.graphqlByOperation.NotesBatch ?? 0);
  const notesBudget = 3 + Math.ceil(neededNotes.size / 50) + oversized;
  if (notesRequests > notesBudget) throw new Error(`the notes cost ${notesRequests} requests, over the budget of ${notesBudget}`);
  const notedRescan = new GitHubHttp({ token: staticToken("ghp_bench"), baseUrl: notesGh.url, etagCache: notedCache });
  const notedAgain = await scanRepository(notedRescan, { ...notedTarget, previous: notedScan.watermark });
  if (!notedAgain.unchanged) throw new Error("the noted repository's unchanged rescan saw a change");

  console.error(JSON.stringify({
    noted_first_scan: { ...notedHttp.counter, graphql_by_operation: notesGh.stats.graphqlByOperation, server_routes: routes, rest_numstat_without_notes: restWithout },
    first_scan: { ...first.counter, graphql_by_operation: real.stats.graphqlByOperation, server_routes: real.stats.byRoute },
    full_scan: full.counter,
    unchanged_rescan: rescan.counter,
    naive_rest: naive.counter,
    ratio: +(naive.counter.requests / full.counter.requests).toFixed(1),
    server_routes: gh.stats.byRoute,
  }));
  console.log(JSON.stringify({
    bench: "github-cost",
    prs: PRS,
    requests_full_scan: full.counter.requests,
    requests_naive_rest: naive.counter.requests,
    requests_unchanged_rescan_counted: rescan.counter.counted,
    first_scan_requests_real: first.counter.counted,
    noted_first_scan_requests: notedHttp.counter.counted,
    noted_notes_read: neededNotes.size,
    noted_notes_requests: notesRequests,
    noted_notes_budget: notesBudget,
    noted_numstat_requests_for_notes: (routes["GET /repos/:owner/:repo/commits/:sha"] ?? 0) - restWithout,
    noted_unchanged_rescan_counted: notedRescan.counter.counted,
  }));
} finally {
  await gh.stop();
  await real.stop();
  await notesGh.stop();
}
