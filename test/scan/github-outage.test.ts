// A 90-second GitHub outage, on real parts: the long-lived worker (LISTEN and all) scanning 40
// repositories of a local GitHub whose port is closed for 90 s. Connection errors are the source's
// outage, not the jobs' failures: every job completes after it, none spends an attempt on it, and
// while GitHub is down the workers claim only the probes.
import { describe, expect, it } from "vitest";
import { buildRepository, loadCommits } from "../../src/local/github/dataset.ts";
import { startLocalGitHub } from "../../src/local/github/server.ts";
import { githubSource } from "../../supabase/functions/_shared/github/source.ts";
import { repositoryScanProcessors } from "../../supabase/functions/_shared/scan/repository-scan.ts";
import { startWorker } from "../../src/worker/worker.ts";
import { useTestDatabase } from "../harness/db.ts";

const t = useTestDatabase();
const OUTAGE_MS = Number(process.env.OUTAGE_MS ?? 90_000);
const REPOSITORIES = 40;

describe("a GitHub outage", () => {
  it("leaves the backlog whole: 40 queued scans all complete after a 90 s outage, no attempt spent on it", async () => {
    const sql = t.current.sql;
    const history = loadCommits("terryyin__lizard.jsonl");
    const repositories = Array.from({ length: REPOSITORIES }, (_, i) =>
      buildRepository({ owner: "outage", name: `repo-${i}`, commits: history.slice(i * 10, i * 10 + 25), defaultBranch: "master" }));
    const gh = await startLocalGitHub({ repositories });
    const companies = await sql<{ id: string }[]>`
      insert into companies (name, settings) select 'Outage ' || g, '{"max_concurrent_scans": 10, "scan_window_days": 7300}'
      from generate_series(1, 4) g returning id`;
    for (const c of companies) await sql`select public.set_github_token(${c.id}, 'ghp_outagetesttoken00000000000000000000')`;
    const repoRows = await sql<{ id: string; company_id: string }[]>`
      insert into repositories (company_id, full_name, default_branch)
      select (${companies.map((c) => c.id)}::uuid[])[1 + (g % 4)], 'outage/repo-' || g, 'master' from generate_series(0, ${REPOSITORIES - 1}) g
      returning id, company_id`;
    await gh.goDown();
    await sql`select count(*) from public.enqueue_scans(${sql.json(repoRows.map((r) => ({ company_id: r.company_id, repository_id: r.id, scan_type: "full_scan" })))}::jsonb)`;
    const worker = await startWorker({
      dbUrl: t.current.url,
      concurrency: 4,
      pollIntervalMs: 1000,
      processors: (db) => repositoryScanProcessors({ db, sources: { github: githubSource({ db, baseUrl: gh.url }) } }, ["full_scan"]),
    });
    try {
      const downAt = Date.now();
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      const [{ upAt }] = await sql<{ upAt: Date }[]>`select clock_timestamp() as "upAt"`;
      const [during] = await sql<{ claims: number; probes: number }[]>`
        select count(*)::int as claims, count(*) filter (where data ? 'probe')::int as probes
        from public.scan_job_events where kind = 'claimed'`;
      await gh.comeBack();
      const deadline = Date.now() + 120_000;
      let done = 0;
      while (Date.now() < deadline) {
        [{ done }] = await sql<{ done: number }[]>`select count(*)::int as done from public.scan_queue where status = 'completed' and scan_type = 'full_scan'`;
        if (done === REPOSITORIES) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const jobs = await sql<{ status: string; spent: number; waived: number }[]>`
        select status, attempts - attempts_waived as spent, attempts_waived as waived from public.scan_queue where scan_type = 'full_scan'`;
      const [{ firstDone, lastDone }] = await sql<{ firstDone: Date; lastDone: Date }[]>`
        select min(completed_at) as "firstDone", max(completed_at) as "lastDone" from public.scan_queue where scan_type = 'full_scan'`;
      console.log(JSON.stringify({
        outage_s: OUTAGE_MS / 1000, claims_during_outage: during.claims, probes_during_outage: during.probes,
        first_completed_after_up_s: (firstDone.getTime() - upAt.getTime()) / 1000, all_completed_after_up_s: (lastDone.getTime() - upAt.getTime()) / 1000,
        waived_attempts: jobs.reduce((n, j) => n + j.waived, 0), downAt,
      }));
      if (done !== REPOSITORIES) console.log(await sql`select status, attempts, attempts_waived, run_after, error, worker_id from public.scan_queue where status <> 'completed'`, await sql`select * from public.scan_source_outages`);
      expect(done).toBe(REPOSITORIES);
      expect(jobs.every((j) => j.status === "completed" && j.spent === 1)).toBe(true);
      // The four claimed first, then one probe at a time: 5, 10, 20, 30, 30 … s apart.
      expect(during.claims).toBeLessThanOrEqual(4 + 8);
      expect(during.probes).toBeGreaterThanOrEqual(3);
    } finally {
      await worker.stop({ graceMs: 1000 });
      await gh.stop();
    }
  }, 300_000);
});
