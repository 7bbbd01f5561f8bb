// A repository whose stored default branch GitHub does not have — registered from an installation
// event (which names no branch) as 'main', or renamed since: the scan asks GitHub for the default
// branch, scans it, and the repository row takes GitHub's name.
import { describe, expect, it } from "vitest";
import { JobQueue, WorkerLoop } from "../../supabase/functions/_shared/queue/mod.ts";
import { githubSource } from "../../supabase/functions/_shared/github/source.ts";
import { repositoryScanProcessors } from "../../supabase/functions/_shared/scan/repository-scan.ts";
import type { ScanSummary } from "../../supabase/functions/_shared/scan/summary.ts";
import { useTestDatabase } from "../harness/db.ts";
import { useLocalGitHub } from "../github/local-github.ts";

const gh = useLocalGitHub();
const t = useTestDatabase();

describe("a scan of a repository registered with the wrong default branch", () => {
  it("reads GitHub's default branch, scans it, and stores its name", async () => {
    const sql = t.current.sql;
    const [company] = await sql`insert into companies (name, settings) values ('Installed', '{"scan_window_days": 7300}') returning id`;
    // lizard's default branch is master; an installation event registered it as main.
    const [repo] = await sql`insert into repositories (company_id, full_name) values (${company.id}, 'terryyin/lizard') returning id, default_branch`;
    expect(repo.default_branch).toBe("main");
    await sql`select public.set_github_token(${company.id}, 'ghp_localtesttoken0000000000000000000000')`;
    const queue = new JobQueue(t.current.db);
    const job = await queue.enqueue({ companyId: company.id, repositoryId: repo.id, scanType: "full_scan" });
    const loop = new WorkerLoop({ queue, workerId: "w", processors: repositoryScanProcessors({ db: t.current.db, sources: { github: githubSource({ db: t.current.db, baseUrl: gh.current.url }) } }, ["full_scan"]) });
    // A full scan of lizard (over 1,000 commits): seconds on an idle machine, over 30 s (the default
    // test timeout it failed at) on a busy one. drain() returns when the job is done.
    const report = await loop.drain({ budgetMs: 240_000 });
    expect(report, JSON.stringify(await sql`select status, error, attempts from scan_queue where id = ${job.id}`)).toMatchObject({ completed: 1 });
    const [row] = await sql`select status, result from scan_queue where id = ${job.id}`;
    expect(row.status).toBe("completed");
    expect((row.result.summary as ScanSummary).commits_scanned).toBeGreaterThan(0);
    const [after] = await sql`select default_branch from repositories where id = ${repo.id}`;
    expect(after.default_branch).toBe("master");
  }, 300_000);
});
