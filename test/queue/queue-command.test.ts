// `codeguard queue …` as an operator runs it (a real process over a database URL): what it prints,
// and what it changed, counted from the tables.
import { describe, expect, it, beforeAll } from "vitest";
import { JobQueue } from "../../supabase/functions/_shared/queue/client.ts";
import { useTestDatabase } from "../harness/db.ts";
import { runCodeguard } from "../harness/processes.ts";
import { createCompany, createRepository } from "./fixtures.ts";

const t = useTestDatabase();
let deadJob = "";
let pendingJob = "";
let scanId = "";

async function queue(...args: string[]): Promise<{ code: number | null; out: string }> {
  const p = runCodeguard(["queue", ...args], { env: { SUPABASE_DB_URL: t.current.url } });
  const code = await p.exited;
  return { code, out: p.log() };
}

beforeAll(async () => {
  const sql = t.current.sql;
  const company = await createCompany(sql);
  await sql`update companies set name = 'Ops Co' where id = ${company}`;
  const q = new JobQueue(t.current.db);
  const a = await q.enqueue({ companyId: company, repositoryId: await createRepository(sql, company, "ops/dead"), scanType: "full_scan" });
  await q.claimJob({ jobId: a.id, workerId: "ops-worker" });
  [{ id: scanId }] = await sql`select scan_id as id from public.begin_scan(${a.id}, 1)`;
  await q.fail({ jobId: a.id, attempt: 1, error: "GitHub refused the token (401): set a new one with codeguard token set", retryable: false });
  deadJob = a.id;
  pendingJob = (await q.enqueue({ companyId: company, repositoryId: await createRepository(sql, company, "ops/pending"), scanType: "incremental_scan" })).id;
});

describe("codeguard queue", () => {
  it("status: a table of jobs by type and status, and the queue's figures", async () => {
    const { code, out } = await queue("status");
    expect(code, out).toBe(0);
    expect(out).toMatch(/^type\s+pending\s+running\s+completed\s+dead\s+cancelled$/m);
    expect(out).toMatch(/^full_scan\s+0\s+0\s+0\s+1\s+0$/m);
    expect(out).toMatch(/^incremental_scan\s+1\s+0\s+0\s+0\s+0$/m);
    expect(out).toMatch(/^all\s+1\s+0\s+0\s+1\s+0$/m);
    expect(out).toMatch(/^ready\s+1$/m);
  });

  it("dead: the dead letters with why each died", async () => {
    const { code, out } = await queue("dead", "--company", "ops co");
    expect(code, out).toBe(0);
    expect(out).toContain(deadJob);
    expect(out).toMatch(/ops\/dead\s+full_scan\s+1\s+.*GitHub refused the token/);
    expect(out).not.toContain(pendingJob);
  });

  it("inspect: a job by its id or its scan's, with its state, its scan and its log", async () => {
    for (const id of [deadJob, scanId]) {
      const { code, out } = await queue("inspect", id);
      expect(code, out).toBe(0);
      expect(out).toMatch(new RegExp(`^job\\s+${deadJob}$`, "m"));
      expect(out).toMatch(/^status\s+dead$/m);
      expect(out).toMatch(/^attempts\s+1 of 3 spent/m);
      expect(out).toMatch(new RegExp(`^scan\\s+${scanId}$`, "m"));
      expect(out).toMatch(/\benqueued\b[\s\S]*\bclaimed\b[\s\S]*\bfailed\b/);
    }
  });

  it("retry: a dead job back to pending; cancel: a pending job cancelled — as the tables say", async () => {
    const retried = await queue("retry", deadJob);
    expect(retried.code, retried.out).toBe(0);
    expect(retried.out).toMatch(/retried: job .* is pending/);
    const cancelled = await queue("cancel", pendingJob, "--reason", "not needed");
    expect(cancelled.code, cancelled.out).toBe(0);
    const rows = await t.current.sql`select id, status, error from scan_queue where id in (${deadJob}, ${pendingJob})`;
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({ [deadJob]: "pending", [pendingJob]: "cancelled" });
    // Again: refused, saying why, and nothing changes.
    const again = await queue("cancel", pendingJob);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/cancel refused: job .* is cancelled/);
  });

  it("says what is wrong with an id, an action or a missing database URL", async () => {
    expect((await queue("inspect", "nope")).out).toMatch(/nope is not a job's or a scan's id/);
    const unknown = await queue("inspect", "00000000-0000-4000-8000-000000000000");
    expect(unknown.code).toBe(1);
    expect(unknown.out).toMatch(/no job or scan 00000000-/);
    expect((await queue("frobnicate")).code).toBe(2);
    const p = runCodeguard(["queue", "status"], { env: { SUPABASE_DB_URL: "" } });
    expect(await p.exited).toBe(2);
    expect(p.log()).toMatch(/missing SUPABASE_DB_URL/);
  });
});
