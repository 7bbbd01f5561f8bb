// GitHub API cost of a scan of a 500-PR repository on the local GitHub, against the naive REST scan
// (list PRs, then commits, reviews and files per PR) measured in the same run on the same server;
// and what a repository's first full scan costs: github-mcp-server whole (517 PRs, 1,099 commits,
// all history), PRs and commits as a full_scan job reads them (first_scan_requests_real: what GitHub
// would charge). Prints one JSON line; details (GraphQL points, per-route counts) go to stderr.
//   npm run bench -- github-cost
import { repositoryFromDataSet } from "../src/local/github/dataset.ts";
import { startLocalGitHub } from "../src/local/github/server.ts";
import { staticToken } from "../supabase/functions/_shared/github/auth.ts";
import { MemoryEtagCache } from "../supabase/functions/_shared/github/etag-cache.ts";
import { nextLink } from "../supabase/functions/_shared/github/commits.ts";
import { GitHubHttp } from "../supabase/functions/_shared/github/http.ts";
import { scanRepository } from "../supabase/functions/_shared/github/scan.ts";

const PRS = 500;
const repo = repositoryFromDataSet("github__github-mcp-server.jsonl", { maxPullRequests: PRS });
if (repo.pullRequests.length !== PRS) throw new Error(`expected ${PRS} PRs, built ${repo.pullRequests.length}`);
const target = { owner: repo.owner, name: repo.name, branch: repo.default_branch, pullRequestsOnly: true };
const gh = await startLocalGitHub({ repositories: [repo], rateLimit: 1_000_000 });
const whole = repositoryFromDataSet("github__github-mcp-server.jsonl");
const real = await startLocalGitHub({ repositories: [whole], rateLimit: 1_000_000 });

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

  console.error(JSON.stringify({
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
  }));
} finally {
  await gh.stop();
  await real.stop();
}
