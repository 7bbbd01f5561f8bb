import { describe, expect, it } from "vitest";
import { checkHealth } from "../../supabase/functions/_shared/http/health.ts";
import { ScanQueue } from "../../supabase/functions/_shared/queue/mod.ts";
import { useTestDatabase } from "../harness/db.ts";

const t = useTestDatabase({ jobTypes: ["slow_test_job"] });

describe("the health check", () => {
  it("lists the registered codeguard schedules", async () => {
    const report = await checkHealth(t.current.db);
    expect(report.database.reachable).toBe(true);
    expect(report.schedules.map((s) => s.name)).toEqual(expect.arrayContaining(["codeguard-dispatch-scan-workers", "codeguard-prune-platform-history"]));
  });

  it("is degraded, saying what to set, when Vault lacks the secrets the worker dispatch needs", async () => {
    const report = await checkHealth(t.current.db);
    expect(report.status).toBe("degraded");
    expect(report.problems.join("\n")).toMatch(/Vault lacks project_url and secret_key/);
  });

  it("is ok once the secrets are set and the queue is idle", async () => {
    await t.current.sql`select vault.create_secret('http://127.0.0.1:1', 'project_url'), vault.create_secret('sb_secret_k', 'secret_key')`;
    const report = await checkHealth(t.current.db);
    expect(report.problems).toEqual([]);
    expect(report.status).toBe("ok");
    expect(report.queue).toEqual({ ready: 0, oldest_ready_seconds: null, expired_leases: 0, overdue_heartbeats: 0, running_past_sla: 0, source_outages: [],
      lag: { oldest_ready_seconds: null, window_seconds: 900, claimed: 0, claim_wait_p50_seconds: null, claim_wait_p95_seconds: null, claim_wait_max_seconds: null } });
  });

  it("reports a job running past its SLA", async () => {
    const sql = t.current.sql;
    const [company] = await sql`insert into companies (name) values ('Slow Inc') returning id`;
    const queue = new ScanQueue(t.current.db);
    const job = await queue.enqueue({ companyId: company.id, scanType: "slow_test_job", dedupeKey: "sla" });
    await queue.claimNext({ workerId: "w", leaseSeconds: 3600 });
    await sql`update scan_queue set started_at = now() - interval '20 minutes' where id = ${job.id}`;
    const report = await checkHealth(t.current.db);
    expect(report.status).toBe("degraded");
    expect(report.queue?.running_past_sla).toBe(1);
    expect(report.problems.join("\n")).toMatch(/1 scan job\(s\) running past their 15-minute SLA/);
  });
});
