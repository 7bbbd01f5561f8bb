// The scan-repository edge function under real Deno, woken the way production wakes it: an
// enqueue commits, the trigger's net.http_post is sent by the pg_net executor, the function claims
// the job and scans the local GitHub.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryFromDataSet } from "../../src/local/github/dataset.ts";
import { signJwt } from "../../src/local/keys.ts";
import { useLocalStack } from "../harness/stack.ts";
import { finishedJob } from "./finished-job.ts";

const stack = useLocalStack({ localGitHub: () => [repositoryFromDataSet("terryyin__lizard.jsonl", { defaultBranch: "master" })] });
let sql: postgres.Sql;
beforeAll(() => {
  sql = postgres(stack.current.dbUrl, { max: 2, onnotice: () => {} });
});
afterAll(async () => sql?.end());

const call = (body: string, method = "POST", auth = stack.current.keys.serviceRoleKey) =>
  fetch(`${stack.current.functionsUrl}/scan-repository`, { method, body: method === "POST" ? body : undefined, headers: { authorization: `Bearer ${auth}` } });

describe("the scan-repository function", () => {
  it("is woken by an enqueue through pg_net and completes the scan", async () => {
    const [company] = await sql`insert into companies (name, settings) values ('Lizard fans', '{"scan_window_days": 7300}') returning id`;
    const [repo] = await sql`insert into repositories (company_id, full_name, default_branch) values (${company.id}, 'terryyin/lizard', 'master') returning id`;
    await sql`select public.set_github_token(${company.id}, 'ghp_test00000000000000000000000000000000')`;
    const [job] = await sql`select id from public.enqueue_scan(p_company_id => ${company.id}, p_repository_id => ${repo.id}, p_scan_type => 'full_scan')`;
    const row = await finishedJob(sql, job.id);
    expect(row.status, row.error ?? "").toBe("completed");
    expect(row.worker_id).toMatch(/^edge-/);
    expect(row.result.summary.commits_scanned).toBeGreaterThan(1000);
    expect(row.result.summary.per_agent.cursor.lines).toBeGreaterThan(0);
    const [wake] = await sql`select count(*)::int as n from net._http_response where status_code = 202`;
    expect(wake.n).toBeGreaterThanOrEqual(1);
  });

  it("answers 405 to a GET and 400 to a malformed body, naming what it expects", async () => {
    expect((await call("", "GET")).status).toBe(405);
    const bad = await call("{not json");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/body must be JSON/);
    const budget = await call(JSON.stringify({ budget_ms: 10 }));
    expect(budget.status).toBe(400);
    expect(((await budget.json()) as { error: string }).error).toMatch(/budget_ms must be a number from 1000/);
  });

  it("refuses a service-role token signed with another secret", async () => {
    const res = await call("{}", "POST", signJwt({ role: "service_role", exp: Math.floor(Date.now() / 1000) + 60 }, "someone-elses-secret"));
    expect(res.status).toBe(401);
  });

  it("with ?wait=1 reports what the worker did", async () => {
    const res = await fetch(`${stack.current.functionsUrl}/scan-repository?wait=1`, {
      method: "POST",
      body: JSON.stringify({ budget_ms: 5000 }),
      headers: { authorization: `Bearer ${stack.current.keys.serviceRoleKey}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { worker_id: string; report: { claimed: number } };
    expect(body.worker_id).toMatch(/^edge-/);
    expect(body.report.claimed).toBe(0); // nothing left to scan
  });

  it("hands back, without spending an attempt, a job named to a function that does not run its type", async () => {
    const [company] = await sql`insert into companies (name) values ('Named') returning id`;
    const [repo] = await sql`insert into repositories (company_id, full_name, default_branch) values (${company.id}, 'terryyin/lizard', 'master') returning id`;
    // No dispatch meanwhile (it sends nothing without project_url), so nobody else takes the job.
    await sql`update vault.secrets set name = 'project_url_off' where name = 'project_url'`;
    try {
      const [job] = await sql`select id from public.enqueue_scan(p_company_id => ${company.id}, p_repository_id => ${repo.id}, p_scan_type => 'full_scan')`;
      const res = await fetch(`${stack.current.functionsUrl}/calculate-scores?wait=1`, {
        method: "POST",
        body: JSON.stringify({ budget_ms: 2000, job_id: job.id }),
        headers: { authorization: `Bearer ${stack.current.keys.serviceRoleKey}` },
      });
      expect(res.status).toBe(200);
      const [row] = await sql`select status, attempts, attempts_waived, error from scan_queue where id = ${job.id}`;
      expect(row).toMatchObject({ status: "pending", attempts: 1, attempts_waived: 1, error: null });
      const [snoozed] = await sql`select message from scan_job_events where job_id = ${job.id} and kind = 'snoozed'`;
      expect(snoozed.message).toMatch(/calculate-scores does not run full_scan jobs/);
    } finally {
      await sql`update vault.secrets set name = 'project_url' where name = 'project_url_off'`;
    }
  });
});
