// `codeguard worker` as a user runs it: a separate process, the real scan processors, a local
// GitHub through GITHUB_API_URL; stopped by SIGTERM.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { LIZARD, useLocalGitHub } from "../github/local-github.ts";
import { finishedJob } from "./finished-job.ts";

const gh = useLocalGitHub();
const t = useTestDatabase();
const bin = join(import.meta.dirname, "..", "..", "bin", "codeguard.mjs");

describe("codeguard worker", () => {
  it("scans an enqueued repository with the real processors and stops on SIGTERM", async () => {
    const sql = t.current.sql;
    const [company] = await sql`insert into companies (name, settings) values ('Self-hosted', '{"scan_window_days": 7300}') returning id`;
    const [repo] = await sql`insert into repositories (company_id, full_name, default_branch) values (${company.id}, ${`${LIZARD.owner}/${LIZARD.name}`}, ${LIZARD.branch}) returning id`;
    await sql`select public.set_github_token(${company.id}, 'ghp_selfhosted00000000000000000000000000')`;
    const child = spawn(process.execPath, [bin, "worker", "--concurrency", "2", "--db-url", t.current.url], {
      env: { ...process.env, GITHUB_API_URL: gh.current.url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stdout.on("data", (c) => (log += c));
    child.stderr.on("data", (c) => (log += c));
    const exited = new Promise<number | null>((r) => child.on("exit", r));
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    let jobId: string;
    try {
      // Waits on its start line (or its exit), not on a clock: a busy machine takes its time.
      while (!log.includes("worker started") && !exitedEarly) await new Promise((r) => setTimeout(r, 25));
      expect(log, log).toContain('"scanTypes":["full_scan","incremental_scan","pr_analysis"]');
      const [job] = await sql`select id from public.enqueue_scan(p_company_id => ${company.id}, p_repository_id => ${repo.id}, p_scan_type => 'full_scan')`;
      jobId = job.id;
      const row = await finishedJob(sql, job.id);
      expect(row.status, `${row.error}\n${log}`).toBe("completed");
      expect(row.result.summary.commits_scanned).toBeGreaterThan(1000);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited, log).toBe(0);
    expect(log).toMatch(/worker stopped/);
    // One JSON line per event (README, "Watching it"), the job's with its correlation ids.
    const lines = log.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const events = lines.filter((l) => l.jobId === jobId);
    expect(events.map((e) => e.message)).toEqual(["started", "completed"]);
    expect(events[1]).toMatchObject({ attempt: 1, companyId: company.id, repositoryId: repo.id, scanType: "full_scan", scanId: expect.any(String) });
  }, 180_000);
});
