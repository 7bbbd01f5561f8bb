// Secrets go to Vault and nowhere else. Known secrets are planted — GitHub tokens, a webhook
// secret, Slack webhook URLs, the project's keys and database password — then the pipeline runs on
// the local stack through its doors: scans (one with a token GitHub refuses), webhook deliveries
// (one with a forged signature), weekly reports and Slack digests (Slack answering 200, answering
// 500 every time, and not there at all), the member API on a dead job, health and queue-metrics.
// Then each secret is looked for in every log line the stack printed (functions, dispatcher,
// scheduler), every answer the calls got, every row of every table of every schema but Vault's
// (net._http_response and cron's run log included), and Postgres's own log.
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { sign } from "@octokit/webhooks-methods";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalGitHub, type LocalGitHub } from "../../src/local/github/server.ts";
import { freePort } from "../../src/local/postgres.ts";
import { signUserJwt } from "../../src/local/keys.ts";
import { chaosRepositories } from "../chaos/harness.ts";
import { useLocalStack } from "../harness/stack.ts";
import { eventually } from "../harness/processes.ts";

const hex = (n: number) => randomBytes(n).toString("hex");
const TOKEN_OK = `ghp_${hex(18)}`;
const TOKEN_REFUSED = `ghp_${hex(18)}`;
const WEBHOOK_SECRET = `whsec_${hex(16)}`;
const SLACK_PATH_OK = `/services/T${hex(4)}/B${hex(4)}/${hex(12)}`;
const SLACK_PATH_500 = `/services/T${hex(4)}/B${hex(4)}/${hex(12)}`;
const SLACK_PATH_GONE = `/services/T${hex(4)}/B${hex(4)}/${hex(12)}`;

const repos = chaosRepositories("leak", 2, 20);
const logs: string[] = [];
const functionsEnv: Record<string, string> = {};
let gh: LocalGitHub;
let slack: Server;
let slackPort = 0;
let gonePort = 0;
const slackPosts: string[] = [];

// The local GitHub (accepting one of the two tokens) and Slack start before the stack, which points its functions at them.
beforeAll(async () => {
  gh = await startLocalGitHub({ repositories: repos, tokens: [TOKEN_OK] });
  functionsEnv.GITHUB_API_URL = gh.url;
  slack = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      slackPosts.push(req.url ?? "");
      if (req.url === SLACK_PATH_OK) res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      else res.writeHead(500, { "content-type": "text/plain" }).end(`internal_error for ${req.url}`); // Slack's failure, echoing the path
    });
  });
  await new Promise<void>((r) => slack.listen(0, "127.0.0.1", r));
  slackPort = (slack.address() as AddressInfo).port;
  gonePort = await freePort(); // nothing listens there: a network error
});
const stack = useLocalStack({ functionsEnv, onEvent: (m) => logs.push(m) });
afterAll(async () => {
  await gh?.stop();
  await new Promise<void>((r) => (slack ? slack.close(() => r()) : r()));
});

const answers: string[] = [];
async function call(url: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, init);
  const text = await res.text();
  answers.push(`${init.method ?? "GET"} ${url} → ${res.status} ${text}`);
  return new Response(text, { status: res.status, headers: res.headers });
}

type Example = { name: string; examples: Record<string, unknown>[] };
const pushExample = (createRequire(import.meta.url)("@octokit/webhooks-examples") as Example[])
  .find((e) => e.name === "push")!.examples.find((p) => p.ref === "refs/heads/master")!;

describe("secrets", () => {
  let sql: postgres.Sql;
  let secrets: Record<string, string>;
  const jobs: string[] = [];
  const deliveryIds: string[] = [];

  beforeAll(async () => {
    sql = postgres(stack.current.dbUrl, { max: 2, onnotice: () => {} });
    const keys = stack.current.keys;
    secrets = {
      "GitHub token": TOKEN_OK,
      "refused GitHub token": TOKEN_REFUSED,
      "webhook secret": WEBHOOK_SECRET,
      "Slack URL (delivered)": SLACK_PATH_OK,
      "Slack URL (answering 500)": SLACK_PATH_500,
      "Slack URL (unreachable)": SLACK_PATH_GONE,
      "secret key": keys.secretKey,
      "legacy service_role key": keys.serviceRoleKey,
      "legacy JWT secret": keys.jwtSecret,
      "database password": decodeURIComponent(new URL(stack.current.dbUrl).password),
    };
    await sql`update public.pipeline_settings set value = '["hooks.slack.com", "127.0.0.1"]' where name = 'slack_webhook_hosts'`;
    const companies: { id: string; repo: string }[] = [];
    for (const [i, token, slackUrl] of [
      [0, TOKEN_OK, `http://127.0.0.1:${slackPort}${SLACK_PATH_OK}`],
      [1, TOKEN_REFUSED, `http://127.0.0.1:${slackPort}${SLACK_PATH_500}`],
    ] as const) {
      const [c] = await sql`insert into companies (name, settings) values (${`Leak ${i}`}, '{"scan_window_days": 7300}') returning id`;
      const [r] = await sql`insert into repositories (company_id, full_name, default_branch) values (${c.id}, ${`${repos[i].owner}/${repos[i].name}`}, 'master') returning id`;
      await sql`select public.set_github_token(${c.id}, ${token})`;
      await sql`select public.set_slack_webhook_url(${c.id}, ${slackUrl})`;
      companies.push({ id: c.id, repo: r.id });
    }
    const [gone] = await sql`insert into companies (name) values ('Leak unreachable Slack') returning id`;
    await sql`select public.set_slack_webhook_url(${gone.id}, ${`http://127.0.0.1:${gonePort}${SLACK_PATH_GONE}`})`;
    await sql`select public.set_github_webhook_secret(${companies[0].id}, ${WEBHOOK_SECRET})`;

    // Scans through dispatch and Deno: one completes, one meets GitHub refusing its token.
    for (const c of companies) {
      const [j] = await sql`select id from public.enqueue_scan(p_company_id => ${c.id}, p_repository_id => ${c.repo}, p_scan_type => 'full_scan')`;
      jobs.push(j.id);
    }
    // Webhook deliveries: a signed push, and one signed with another secret.
    const url = `${stack.current.functionsUrl}/github-webhook?company=${companies[0].id}`;
    const { installation: _none, ...payload } = pushExample;
    const body = JSON.stringify({ ...payload, repository: { ...(pushExample.repository as object), full_name: `${repos[0].owner}/${repos[0].name}`, name: repos[0].name, default_branch: "master" } });
    for (const secret of [WEBHOOK_SECRET, `whsec_${hex(16)}`]) {
      const id = randomUUID();
      deliveryIds.push(id);
      await call(url, { method: "POST", body, headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": id, "x-hub-signature-256": await sign(secret, body) } });
    }
    await eventually(async () => (await sql`select 1 from public.scan_queue where id = any(${jobs}::uuid[]) and status not in ('completed', 'dead')`).length === 0, "the scans to finish", 90_000);
    // The week's reports, then the digests (Slack: 200, 500 every time, nobody there).
    await sql`select public.enqueue_weekly_reports(current_date + 7)`;
    await eventually(async () => (await sql`select 1 from public.scan_queue where scan_type = 'weekly_report' and status not in ('completed', 'dead')`).length === 0, "the reports", 90_000);
    await sql`select public.enqueue_slack_digests(current_date + 7)`;
    await eventually(async () => (await sql`select 1 from public.scan_queue where scan_type = 'send_slack_digest' and status not in ('completed', 'dead')`).length === 0, "the digests", 120_000);
    await eventually(async () => (await sql`select 1 from public.scan_queue where status in ('pending', 'running') and run_after <= now()`).length === 0, "the queue to settle", 60_000);
    // The doors a person and an operator use, on what happened.
    await sql`insert into auth.users (id, email) values ('5e5e5e5e-0000-4000-8000-00000000b0b0', 'b@leak.example')`;
    await sql`insert into users (id, company_id, email) values ('5e5e5e5e-0000-4000-8000-00000000b0b0', ${companies[1].id}, 'b@leak.example')`;
    const member = signUserJwt(stack.current.keys, { sub: "5e5e5e5e-0000-4000-8000-00000000b0b0", email: "b@leak.example" });
    await call(`${stack.current.functionsUrl}/scan-status`, { method: "POST", body: JSON.stringify({ scanId: jobs[1] }),
      headers: { "content-type": "application/json", authorization: `Bearer ${member}`, apikey: stack.current.keys.publishableKey } });
    await call(`${stack.current.functionsUrl}/health`, { headers: { apikey: stack.current.keys.secretKey } });
    await call(`${stack.current.functionsUrl}/queue-metrics`, { headers: { apikey: stack.current.keys.secretKey } });
  }, 300_000);
  afterAll(async () => sql?.end());

  it("ran every path it looks at: a scan completed and one refused, deliveries taken and refused, digests delivered, failed on 500, failed on the network", async () => {
    const byJob = await sql`select status, error from public.scan_queue where id = any(${jobs}::uuid[]) order by array_position(${jobs}::uuid[], id)`;
    expect(byJob.map((j) => j.status)).toEqual(["completed", "dead"]);
    expect(answers.some((a) => /github-webhook.* → 202/.test(a)) && answers.some((a) => /github-webhook.* → 401/.test(a))).toBe(true);
    const digests = await sql`select d.status, d.last_status_code, d.last_error from public.slack_deliveries d order by d.status`;
    expect(digests.map((d) => d.status).sort()).toEqual(["dead", "dead", "delivered"]);
    expect(digests.some((d) => d.last_status_code === 500)).toBe(true);
    expect(digests.some((d) => d.last_status_code === null && d.last_error)).toBe(true);
    expect(slackPosts).toContain(SLACK_PATH_OK);
    expect(answers.find((a) => a.includes("/scan-status"))).toMatch(/→ 200/);
    // The worker's JSON lines carry the ids to find a job by: the refused scan's failure names its job, company and scan.
    const [scan] = await sql`select id from public.scans where job_id = ${jobs[1]}`;
    const failure = logs.filter((l) => l.startsWith("[scan-repository] {")).map((l) => JSON.parse(l.slice("[scan-repository] ".length)))
      .find((l) => l.jobId === jobs[1] && /^failed/.test(l.message));
    expect(failure).toMatchObject({ level: "error", jobId: jobs[1], scanId: scan.id, attempt: 1, scanType: "full_scan" });
    expect(failure.companyId).toMatch(/^[0-9a-f-]{36}$/);
    expect(failure.repositoryId).toMatch(/^[0-9a-f-]{36}$/);
    // The webhook's line names the delivery, its company and the job it made.
    const delivery = logs.filter((l) => l.startsWith("[github-webhook] {")).map((l) => JSON.parse(l.slice("[github-webhook] ".length)))
      .find((l) => l.deliveryId === deliveryIds[0]);
    expect(delivery).toMatchObject({ level: "info", event: "push", outcome: "enqueued" });
    expect(delivery.jobIds).toHaveLength(1);
    expect(delivery.companyId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("are in no log line, no answer, no table but Vault's, and not in Postgres's log", async () => {
    const found: string[] = [];
    const look = (where: string, text: string) => {
      for (const [name, value] of Object.entries(secrets)) if (value && text.includes(value)) found.push(`${name} in ${where}: ${text.slice(0, 300)}`);
    };
    for (const line of logs) look("a log line", line);
    for (const a of answers) look("an answer", a);
    for (const line of stack.current.postgres.log()) look("Postgres's log", line);
    const relations = await sql<{ schema: string; name: string }[]>`
      select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'm') and n.nspname not in ('vault', 'pg_catalog', 'information_schema', 'pg_toast')
      order by 1, 2`;
    expect(relations.map((r) => `${r.schema}.${r.name}`)).toEqual(expect.arrayContaining(["net._http_response", "cron.job_run_details", "public.scan_job_events", "public.slack_delivery_attempts"]));
    for (const r of relations) {
      const rows = await sql.unsafe(`select t::text as row from ${`"${r.schema}"."${r.name}"`} t where t::text like any ($1::text[])`,
        [Object.values(secrets).map((s) => `%${s.replace(/[\\%_]/g, "\\$&")}%`)]);
      for (const row of rows) look(`${r.schema}.${r.name}`, row.row as string);
    }
    expect(found).toEqual([]);
  });
});
