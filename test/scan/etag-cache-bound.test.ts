// The ETag cache stays within each company's bound while 300 repositories are scanned: the scan
// processor trims its company's cache after every scan (least recently used first), so a company
// is over its bound only by what its running scans (at most max_concurrent_scans) wrote since.
import { describe, expect, it } from "vitest";
import { buildRepository, loadCommits } from "../../src/local/github/dataset.ts";
import { startLocalGitHub } from "../../src/local/github/server.ts";
import { JobQueue, WorkerLoop } from "../../supabase/functions/_shared/queue/mod.ts";
import { githubSource } from "../../supabase/functions/_shared/github/source.ts";
import { repositoryScanProcessors } from "../../supabase/functions/_shared/scan/repository-scan.ts";
import { useTestDatabase } from "../harness/db.ts";
import { heavyFile } from "../harness/heavy.ts";

heavyFile(); // one heavy file at a time (test/harness/heavy.ts)

const t = useTestDatabase();
const REPOSITORIES = 300;
const BOUND = 200_000; // bytes per company (github_cache_max_bytes; the default is 8 MB)

describe("the ETag cache", () => {
  it(`stays within each company's bound of ${BOUND} bytes while ${REPOSITORIES} repositories are scanned`, async () => {
    const sql = t.current.sql;
    const history = loadCommits("terryyin__lizard.jsonl");
    const repositories = Array.from({ length: REPOSITORIES }, (_, i) =>
      buildRepository({ owner: "bound", name: `repo-${i}`, commits: history.slice((i * 3) % 1200, ((i * 3) % 1200) + 30), defaultBranch: "master" }));
    const gh = await startLocalGitHub({ repositories, rateLimit: 1_000_000 });
    try {
      const companies = await sql<{ id: string }[]>`
        insert into companies (name, settings)
        select 'Bound ' || g, ${sql.json({ scan_window_days: 7300, max_concurrent_scans: 2, github_cache_max_bytes: BOUND })}
        from generate_series(1, 3) g returning id`;
      for (const [i, c] of companies.entries()) await sql`select public.set_github_token(${c.id}, ${`ghp_boundtest${String(i).padStart(27, "0")}`})`;
      const repos = await sql<{ id: string; company_id: string }[]>`
        insert into repositories (company_id, full_name, default_branch)
        select (${companies.map((c) => c.id)}::uuid[])[1 + (g % 3)], 'bound/repo-' || g, 'master' from generate_series(0, ${REPOSITORIES - 1}) g
        returning id, company_id`;
      const queue = new JobQueue(t.current.db);
      await queue.enqueueMany(repos.map((r) => ({ companyId: r.company_id, repositoryId: r.id, scanType: "full_scan" })));

      let peak = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const [{ max }] = await sql<{ max: number | null }[]>`
            select max(total)::int as max from (select sum(bytes) as total from public.github_etag_cache group by company_id) c`;
          peak = Math.max(peak, max ?? 0);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const loop = new WorkerLoop({ queue, workerId: "bound", concurrency: 6, processors: repositoryScanProcessors({ db: t.current.db, sources: { github: githubSource({ db: t.current.db, baseUrl: gh.url }) } }, ["full_scan"]) });
      // drain() returns when nothing is ready. On a busy machine a local GitHub answer can outlast the
      // client's timeout: that scan is put back for later (a retry's backoff, or the source's outage
      // until a probe), and the drain returned with jobs left (it failed there at 300 - n). What is
      // put back is made due now and drained again, until every job has ended: the bound is what
      // this test is about, not the timing of retries.
      const report = { completed: 0 };
      for (;;) {
        report.completed += (await loop.drain({ budgetMs: 540_000 })).completed;
        const [{ left }] = await sql<{ left: number }[]>`
          select count(*)::int as left from public.scan_queue where repository_id = any(${repos.map((r) => r.id)}::uuid[]) and status in ('pending', 'running')`;
        if (left === 0) break;
        await sql`update public.scan_queue set run_after = now() where repository_id = any(${repos.map((r) => r.id)}::uuid[]) and status = 'pending'`;
        await sql`update public.scan_source_outages set blocked_until = now()`;
      }
      sampling = false;
      await sampler;

      const totals = await sql<{ company_id: string; bytes: number; entries: number }[]>`
        select company_id, sum(bytes)::int as bytes, count(*)::int as entries from public.github_etag_cache group by company_id`;
      console.log(JSON.stringify({ repositories: REPOSITORIES, bound_bytes: BOUND, peak_company_bytes: peak, companies: totals.map((c) => ({ bytes: c.bytes, entries: c.entries })) }));
      expect(report.completed).toBe(REPOSITORIES);
      expect(totals).toHaveLength(3);
      for (const c of totals) expect(c.bytes).toBeLessThanOrEqual(BOUND);
      // Over the bound only by what a company's two running scans wrote since its last trim (~20 KB each).
      expect(peak).toBeLessThanOrEqual(BOUND * 1.25);
      // The bound evicted rows: a company's 100 repositories asked for ~3,300 cacheable answers (30 commits,
      // a list page and a probe each), and it keeps what fits, the most recently used.
      for (const c of totals) expect(c.entries).toBeLessThan(1_000);
    } finally {
      await gh.stop();
    }
  }, 600_000);
});
