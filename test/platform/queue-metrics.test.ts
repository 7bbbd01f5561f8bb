// The queue-metrics function through the real gateway and Deno: Prometheus text of the queue's
// figures for the service, 403 for anyone else; and the health function's queue lag.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUserJwt } from "../../src/local/keys.ts";
import { dbFromPostgresJs } from "../../supabase/functions/_shared/platform/db.ts";
import { JobQueue } from "../../supabase/functions/_shared/queue/client.ts";
import { useLocalStack } from "../harness/stack.ts";
import { publicTables, rowInsert } from "../harness/tenant-rows.ts";

const stack = useLocalStack();
let sql: postgres.Sql;
let deliveryOutcome: string | null = null;

beforeAll(async () => {
  sql = postgres(stack.current.dbUrl, { max: 2, onnotice: () => {} });
  // No dispatch: the jobs below stay as this test leaves them.
  await sql`delete from vault.secrets where name = 'project_url'`;
  const queue = new JobQueue(dbFromPostgresJs(sql));
  const [company] = await sql`insert into companies (name) values ('Metrics') returning id`;
  const repos = await sql`insert into repositories (company_id, full_name) values (${company.id}, 'metrics/a'), (${company.id}, 'metrics/b'), (${company.id}, 'metrics/c') returning id`;
  // A dead letter: claimed, failed for good.
  const dead = await queue.enqueue({ companyId: company.id, repositoryId: repos[0].id, scanType: "full_scan" });
  await queue.claimJob({ jobId: dead.id, workerId: "metrics-w" });
  await queue.fail({ jobId: dead.id, attempt: 1, error: "GitHub refused the token", retryable: false });
  // A rate-limit snooze: back to pending, waiting for the reset.
  const snoozed = await queue.enqueue({ companyId: company.id, repositoryId: repos[1].id, scanType: "incremental_scan" });
  await queue.claimJob({ jobId: snoozed.id, workerId: "metrics-w" });
  await queue.snooze({ jobId: snoozed.id, attempt: 1, until: new Date(Date.now() + 3_600_000), reason: "GitHub core rate limit reached: come back after 12:00" });
  // A ready job nobody claims.
  await queue.enqueue({ companyId: company.id, repositoryId: repos[2].id, scanType: "full_scan", runAfter: new Date(Date.now() - 90_000) });
  // Two completed scans: 3 s and 100 s, with their GitHub requests.
  for (const [i, secs, requests] of [[0, 3, 10], [1, 100, 32]] as const) {
    await sql`insert into scans (company_id, repository_id, job_id, scan_type, status, attempt, started_at, completed_at, api_requests)
              values (${company.id}, ${repos[i].id}, gen_random_uuid(), 'full_scan', 'completed', 1, now() - make_interval(secs => ${secs}), now(),
                      ${sql.json({ requests, counted: requests - 2, not_modified: 2, graphql_points: 3 })})`;
  }
  // A webhook delivery, once the webhook ingress's table exists: a row made from its catalog.
  if ((await sql`select to_regclass('public.github_webhook_deliveries') as t`)[0].t) {
    const tables = await publicTables(sql);
    await sql.unsafe(await rowInsert(sql, tables, tables.find((t) => t.name === "github_webhook_deliveries")!, company.id));
    [{ outcome: deliveryOutcome }] = await sql`select outcome from github_webhook_deliveries limit 1`;
  }
});
afterAll(async () => sql?.end());

const metricsUrl = () => `${stack.current.functionsUrl}/queue-metrics`;

/** The samples of a Prometheus text, by their name and labels as written. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-z_:][a-z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.e+]+|NaN)$/i.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    out.set(m[1], Number(m[2]));
  }
  return out;
}

describe("queue-metrics", () => {
  it("answers 403 to callers without the secret key, and reads nothing for them", async () => {
    const k = stack.current.keys;
    const member = signUserJwt(k, { sub: "0b7e2f4c-5f9a-4a84-8d2c-00000000abcd", email: "m@example.com" });
    for (const headers of [{}, { apikey: k.publishableKey }, { authorization: `Bearer ${k.anonKey}`, apikey: k.anonKey },
      { authorization: `Bearer ${member}`, apikey: k.publishableKey }] as Record<string, string>[]) {
      const res = await fetch(metricsUrl(), { headers });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(await res.text()).not.toMatch(/codeguard_/);
    }
  });

  it("serves the queue's figures to the service as Prometheus text", async () => {
    const res = await fetch(metricsUrl(), { headers: { apikey: stack.current.keys.secretKey } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    const s = samples(text);
    expect(s.get('codeguard_scan_jobs{scan_type="full_scan",status="dead"}')).toBe(1);
    expect(s.get('codeguard_scan_jobs{scan_type="full_scan",status="pending"}')).toBe(1);
    expect(s.get('codeguard_scan_jobs{scan_type="incremental_scan",status="pending"}')).toBe(1);
    expect(s.get('codeguard_scan_jobs{scan_type="incremental_scan",status="running"}')).toBe(0);
    expect(s.get("codeguard_scan_jobs_ready")).toBe(1);
    expect(s.get("codeguard_scan_queue_oldest_ready_seconds")).toBeGreaterThanOrEqual(90);
    expect(s.get('codeguard_scan_dead_letters{scan_type="full_scan"}')).toBe(1);
    expect(s.get('codeguard_scan_duration_seconds_bucket{scan_type="full_scan",le="1"}')).toBe(0);
    expect(s.get('codeguard_scan_duration_seconds_bucket{scan_type="full_scan",le="5"}')).toBe(1);
    expect(s.get('codeguard_scan_duration_seconds_bucket{scan_type="full_scan",le="120"}')).toBe(2);
    expect(s.get('codeguard_scan_duration_seconds_bucket{scan_type="full_scan",le="+Inf"}')).toBe(2);
    expect(s.get('codeguard_scan_duration_seconds_count{scan_type="full_scan"}')).toBe(2);
    expect(s.get('codeguard_scan_duration_seconds_sum{scan_type="full_scan"}')).toBeCloseTo(103, 0);
    expect(s.get('codeguard_github_requests_total{kind="all"}')).toBe(42);
    expect(s.get('codeguard_github_requests_total{kind="counted"}')).toBe(38);
    expect(s.get('codeguard_github_requests_total{kind="not_modified"}')).toBe(4);
    expect(s.get("codeguard_github_rate_limit_snoozes")).toBe(1);
    // Every family is declared once, with its type, before its samples.
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]);
    expect(new Set(types).size).toBe(types.length);
    for (const name of new Set([...s.keys()].map((k) => k.replace(/\{.*$/, "").replace(/_(bucket|sum|count)$/, "")))) {
      expect(types, name).toContain(name);
    }
    if (deliveryOutcome) expect(s.get(`codeguard_github_webhook_deliveries_total{outcome="${deliveryOutcome}"}`)).toBe(1);
  });

  it("refuses methods other than GET", async () => {
    const res = await fetch(metricsUrl(), { method: "POST", headers: { apikey: stack.current.keys.secretKey } });
    expect(res.status).toBe(405);
  });
});

describe("health's queue lag", () => {
  it("reports how long the jobs claimed lately waited for a worker once ready", async () => {
    const res = await fetch(`${stack.current.functionsUrl}/health`, { headers: { apikey: stack.current.keys.secretKey } });
    const report = await res.json();
    // The dead job's claim; the snoozed one waits again (its run_after moved on).
    expect(report.queue.lag.claimed).toBe(1);
    expect(report.queue.lag.window_seconds).toBe(900);
    expect(report.queue.lag.claim_wait_p95_seconds).toBeGreaterThanOrEqual(0);
    expect(report.queue.lag.oldest_ready_seconds).toBeGreaterThanOrEqual(90);
  });
});
