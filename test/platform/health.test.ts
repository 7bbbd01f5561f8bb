import { describe, expect, it } from "vitest";
import { checkHealth } from "../../supabase/functions/_shared/http/health.ts";
import { schedulePeriodSeconds } from "../../supabase/functions/_shared/platform/cron-schedule.ts";
import { JobQueue } from "../../supabase/functions/_shared/queue/mod.ts";
import { useTestDatabase } from "../harness/db.ts";

const t = useTestDatabase({ jobTypes: ["slow_test_job", "long_test_job", "unbounded_test_job"] });

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

  it("reports a job running past its own type's SLA, and none of a type without one", async () => {
    const sql = t.current.sql;
    const queue = new JobQueue(t.current.db);
    // One company each: a company runs one company-wide job at a time.
    const job = async (scanType: string) => {
      const [company] = await sql`insert into companies (name) values (${`Slow ${scanType}`}) returning id`;
      return queue.enqueue({ companyId: company.id, scanType, dedupeKey: "sla" });
    };
    const slow = await job("slow_test_job");
    const longer = await job("long_test_job");
    const unbounded = await job("unbounded_test_job");
    await sql`update scan_job_types set sla_seconds = 900 where name = 'slow_test_job'`;
    await sql`update scan_job_types set sla_seconds = 3600 where name = 'long_test_job'`;
    for (let i = 0; i < 3; i++) expect(await queue.claimNext({ workerId: "w", leaseSeconds: 3600 })).not.toBeNull();
    await sql`update scan_queue set started_at = now() - interval '20 minutes' where id = any(${[slow.id, longer.id, unbounded.id]})`;
    const report = await checkHealth(t.current.db);
    expect(report.status).toBe("degraded");
    expect(report.queue?.running_past_sla).toBe(1); // 20 min: past 15, within 60, and no SLA at all
    expect(report.problems.join("\n")).toMatch(/1 scan job\(s\) running past their SLA \(slow_test_job: 15 min\)/);
    const stats = await queue.stats();
    expect(stats.slaSeconds).toBeNull();
    expect(stats.runningPastSla.map((j) => [j.id, j.slaSeconds])).toEqual([[slow.id, 900]]);
    // One SLA for every type, when asked.
    expect((await queue.stats({ slaSeconds: 600 })).runningPastSla.map((j) => j.id).sort()).toEqual([slow.id, longer.id, unbounded.id].sort());
  });

  it("knows how often each of our frequent schedules runs, and leaves the daily and weekly ones alone", async () => {
    const rows = await t.current.sql<{ jobname: string; schedule: string }[]>`select jobname, schedule from cron.job where jobname like 'codeguard-%' order by jobname`;
    const periods = Object.fromEntries(rows.map((r) => [r.jobname, schedulePeriodSeconds(r.schedule)]));
    expect(periods).toMatchObject({
      "codeguard-dispatch-scan-workers": 10, "codeguard-reap-expired-scan-jobs": 10, "codeguard-job-alerts": 300,
      "codeguard-refresh-views": 900, "codeguard-prune-github-etag-cache": 3600,
      "codeguard-daily-auto-scan": null, "codeguard-weekly-reports": null, "codeguard-slack-digests": null,
    });
    expect([schedulePeriodSeconds("1 second"), schedulePeriodSeconds("* * * * *"), schedulePeriodSeconds("5,35 * * * *"), schedulePeriodSeconds("0 */2 * * *")]).toEqual([1, 60, 3600, null]);
  });

  it("says a frequent schedule pg_cron stopped running, and what that leaves undone — not a daily one, nor one the server's start explains", async () => {
    const sql = t.current.sql;
    // Times are set from the server's start (what pipeline_health answers as scheduler_since), and
    // the check is asked at a chosen "now": the test does not depend on how long the server has run.
    const [{ started }] = await sql<{ started: Date }[]>`select pg_postmaster_start_time() as started`;
    const at = (seconds: number) => new Date(started.getTime() + seconds * 1000);
    const ran = async (name: string, when: Date) => sql`
      insert into cron.job_run_details (jobid, database, username, command, status, start_time)
      select jobid, current_database(), current_user, command, 'succeeded', ${when} from cron.job where jobname = ${name}`;
    const late = async (now: Date) =>
      (await checkHealth(t.current.db, () => now)).problems.filter((p) => / last ran \d+ s ago/.test(p));

    await ran("codeguard-dispatch-scan-workers", at(295));
    await ran("codeguard-reap-expired-scan-jobs", at(-60));
    await ran("codeguard-daily-auto-scan", at(-3 * 86_400));
    // 5 min after the server started, the reaper has not run since: late (its last run was before).
    expect(await late(at(300))).toEqual([
      "schedule codeguard-reap-expired-scan-jobs (10 seconds) last ran 360 s ago: pg_cron is not running it — a dead worker's job is not handed on, and its company's slot stays taken (check pg_cron)",
    ]);
    // 30 s after the server started (a project back from a pause), it is not late yet.
    expect(await late(at(30))).toEqual([]);

    await ran("codeguard-reap-expired-scan-jobs", at(298));
    expect(await late(at(300))).toEqual([]);
    const report = await checkHealth(t.current.db, () => at(300));
    expect(report.problems.some((p) => p.includes("codeguard-daily-auto-scan"))).toBe(false);
  });
});
