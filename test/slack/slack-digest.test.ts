// The Slack digest against a local incoming-webhook receiver over a real socket, as Slack answers:
// it retries 5xx and network errors with backoff (1 s, 2 s, 4 s, 8 s, jittered), then dead-letters
// the delivery and the job; a 4xx that cannot succeed is dead at once with Slack's reason; a
// delivered digest is never posted twice; the webhook URL is in no error, row or log of ours.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { JobQueue } from "../../supabase/functions/_shared/queue/client.ts";
import { WorkerLoop } from "../../supabase/functions/_shared/queue/worker/worker-loop.ts";
import { backoffMs, classifySlackAnswer } from "../../supabase/functions/_shared/slack/delivery.ts";
import { slackDigestProcessor } from "../../supabase/functions/_shared/slack/send-digest.ts";
import { acmeWeek } from "../reports/acme-week.ts";
import { useTestDatabase } from "../harness/db.ts";

const tdb = useTestDatabase();
const SECRET_PATH = "/services/T0000/B0000/s3cr3tW3bh00kT0k3n";

interface Receiver { url: string; posts: { body: unknown; contentType: string | undefined }[]; close(): Promise<void> }

/** A Slack incoming webhook that answers each POST with the next of `answers` (the last repeats). */
async function slackReceiver(answers: { status: number; body: string; headers?: Record<string, string> }[]): Promise<Receiver> {
  const posts: Receiver["posts"] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let data = "";
    req.on("data", (c) => (data += c));
    req.on("end", () => {
      if (req.url !== SECRET_PATH || req.method !== "POST") { res.writeHead(404).end("no_service"); return; }
      posts.push({ body: JSON.parse(data), contentType: req.headers["content-type"] });
      const a = answers[Math.min(posts.length - 1, answers.length - 1)];
      res.writeHead(a.status, { "content-type": "text/plain", ...a.headers }).end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}${SECRET_PATH}`, posts, close: () => new Promise((r) => server.close(() => r())) };
}

const receivers: Receiver[] = [];
afterEach(async () => { for (const r of receivers.splice(0)) await r.close(); });

/** Acme's week, its Slack webhook pointing at `url`, and a send_slack_digest job for it. */
async function digestJob(url: string) {
  const sql = tdb.current.sql;
  const { companyId } = await acmeWeek(sql);
  await sql`update public.pipeline_settings set value = '["hooks.slack.com", "127.0.0.1"]' where name = 'slack_webhook_hosts'`;
  await sql`select public.set_slack_webhook_url(${companyId}, ${url})`;
  const queue = new JobQueue(tdb.current.db);
  const job = await queue.enqueue({ companyId, scanType: "send_slack_digest", payload: { period_start: "2026-11-23", period_end: "2026-11-29" } });
  return { companyId, queue, job };
}

async function run(queue: JobQueue, waits: number[]) {
  const loop = new WorkerLoop({
    queue, workerId: "slack-test", scanTypes: ["send_slack_digest"],
    // The waits between attempts are recorded instead of slept: the clock is the test's, the rest is real.
    processors: { send_slack_digest: slackDigestProcessor({ db: tdb.current.db, sleep: async (ms) => { waits.push(ms); }, random: () => 0.5 }) },
  });
  return await loop.drain({ budgetMs: 20_000 });
}

async function state(companyId: string, jobId: string) {
  const sql = tdb.current.sql;
  const [job] = await sql`select status, error, result from public.scan_queue where id = ${jobId}`;
  const [delivery] = await sql`select status, attempts, last_status_code, last_error from public.slack_deliveries where company_id = ${companyId}`;
  const attempts = await sql`select attempt, status_code, outcome, error from public.slack_delivery_attempts a
    join public.slack_deliveries d on d.id = a.delivery_id where d.company_id = ${companyId} order by attempt`;
  return { job, delivery, attempts };
}

describe("send_slack_digest", () => {
  it("retries Slack's 500s with backoff and delivers the Block Kit digest", async () => {
    const slack = await slackReceiver([{ status: 500, body: "internal_error" }, { status: 503, body: "service unavailable" }, { status: 200, body: "ok" }]);
    receivers.push(slack);
    const { companyId, queue, job } = await digestJob(slack.url);
    const waits: number[] = [];
    expect(await run(queue, waits)).toMatchObject({ claimed: 1, completed: 1 });
    const s = await state(companyId, job.id);
    expect(s.job).toMatchObject({ status: "completed", result: { status: "delivered", attempts: 3 } });
    expect(s.delivery).toMatchObject({ status: "delivered", attempts: 3, last_status_code: 200, last_error: null });
    expect(s.attempts.map((a) => [a.status_code, a.outcome])).toEqual([[500, "retry"], [503, "retry"], [200, "delivered"]]);
    expect(waits).toEqual([1000, 2000]);
    expect(slack.posts).toHaveLength(3);
    expect(slack.posts[2].contentType).toBe("application/json");
    const message = slack.posts[2].body as { text: string; blocks: { type: string; text?: { text: string } }[] };
    // The latest score at generation (70, after the week), as the stored report shows it.
    expect(message.text).toBe("AI governance — Acme: score 70 (high), 24% AI-written lines, 1 unreviewed AI merges");
    expect(message.blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: "AI governance — Acme, week of 2026-11-23" } });
    expect(JSON.stringify(message.blocks)).toContain("acme/app#11 Rewrite the parser (+450, claude-code)");
    // The open alerts with since when, the riskiest PRs linked to GitHub.
    expect(JSON.stringify(message.blocks)).toContain("[medium] 4 unreviewed AI merges — acme/app, since 2026-11-10");
    expect(JSON.stringify(message.blocks)).toContain("<https://github.com/acme/app/pull/11|acme/app#11> Rewrite the parser (merged unreviewed, +450)");
    expect(JSON.stringify(message.blocks)).toContain("*At the week's end*\\n55.5 (+15.5 over the week)");

    // Run again (a retried or re-enqueued job): delivered stays delivered, nothing is posted.
    const again = await queue.enqueue({ companyId, scanType: "send_slack_digest", payload: { period_start: "2026-11-23", period_end: "2026-11-29" } });
    await run(queue, waits);
    expect((await state(companyId, again.id)).job).toMatchObject({ status: "completed", result: { status: "delivered", attempts: 3 } });
    expect(slack.posts).toHaveLength(3);
  });

  it("dead-letters the delivery and the job after the fifth failure, with the reason", async () => {
    const slack = await slackReceiver([{ status: 500, body: "internal_error" }]);
    receivers.push(slack);
    const { companyId, queue, job } = await digestJob(slack.url);
    const waits: number[] = [];
    await run(queue, waits);
    const s = await state(companyId, job.id);
    expect(slack.posts).toHaveLength(5);
    expect(waits).toEqual([1000, 2000, 4000, 8000]);
    expect(s.attempts.map((a) => a.outcome)).toEqual(["retry", "retry", "retry", "retry", "dead"]);
    expect(s.delivery).toMatchObject({ status: "dead", attempts: 5, last_error: "500 from Slack: internal_error (after 5 attempts)" });
    expect(s.job).toMatchObject({ status: "dead", error: "Slack digest not delivered: 500 from Slack: internal_error (after 5 attempts)" });
  });

  it("is dead at once on a 4xx that cannot succeed, naming Slack's reason", async () => {
    const slack = await slackReceiver([{ status: 404, body: "no_service" }]);
    receivers.push(slack);
    const { companyId, queue, job } = await digestJob(slack.url);
    const waits: number[] = [];
    await run(queue, waits);
    const s = await state(companyId, job.id);
    expect(slack.posts).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(s.delivery).toMatchObject({ status: "dead", attempts: 1, last_status_code: 404 });
    expect(s.job.status).toBe("dead");
    expect(s.job.error).toMatch(/^Slack digest not delivered: 404 from Slack: no_service — retrying cannot fix this/);
  });

  it("retries a network error without ever writing the webhook URL down", async () => {
    const slack = await slackReceiver([{ status: 200, body: "ok" }]);
    await slack.close(); // nothing listens there any more: connection refused
    const { companyId, queue, job } = await digestJob(slack.url);
    await run(queue, []);
    const s = await state(companyId, job.id);
    expect(s.attempts).toHaveLength(5);
    expect(s.attempts[0].error).toMatch(/^network error: /);
    const written = JSON.stringify(await tdb.current.sql`
      select (select json_agg(q) from public.scan_queue q) q, (select json_agg(e) from public.scan_job_events e) e,
             (select json_agg(d) from public.slack_deliveries d) d, (select json_agg(a) from public.slack_delivery_attempts a) a`);
    expect(written).not.toContain("s3cr3tW3bh00kT0k3n");
    expect(s.job.status).toBe("dead");
  });

  it("completes without posting when the company has no webhook", async () => {
    const sql = tdb.current.sql;
    const { companyId } = await acmeWeek(sql);
    const queue = new JobQueue(tdb.current.db);
    const job = await queue.enqueue({ companyId, scanType: "send_slack_digest", payload: { period_start: "2026-11-23", period_end: "2026-11-29" } });
    await run(queue, []);
    expect((await state(companyId, job.id)).job).toMatchObject({ status: "completed", result: { status: "skipped" } });
  });
});

describe("record_slack_attempt", () => {
  it("is idempotent: the same attempt recorded again with its outcome answers true and changes nothing; another outcome is refused", async () => {
    const sql = tdb.current.sql;
    const [{ id: companyId }] = await sql`insert into public.companies (name) values ('Twice') returning id`;
    const [d] = await sql`select id from public.prepare_slack_delivery(${companyId}, '2026-11-23', '{"text": "x"}'::jsonb)`;
    const record = (outcome: string) => sql`select public.record_slack_attempt(${d.id}, 1, 200, ${outcome}, null, 12) as ok`.then((r) => r[0].ok);
    expect(await record("delivered")).toBe(true);
    const before = await sql`select * from public.slack_deliveries where id = ${d.id}`;
    expect(await record("delivered")).toBe(true);
    expect(await sql`select * from public.slack_deliveries where id = ${d.id}`).toEqual(before);
    expect(await record("retry")).toBe(false);
    const [{ n }] = await sql`select count(*)::int as n from public.slack_delivery_attempts where delivery_id = ${d.id}`;
    expect(n).toBe(1);
  });
});

describe("a Slack webhook URL", () => {
  it("must point at Slack: any other host is refused, naming the host and never the URL", async () => {
    const sql = tdb.current.sql;
    const [{ id }] = await sql`insert into public.companies (name) values ('Elsewhere') returning id`;
    const err = await sql`select public.set_slack_webhook_url(${id}, ${"https://internal.example/services/TOPSECRET"})`.catch((e) => e);
    expect(err.message).toMatch(/host internal\.example is not allowed/);
    expect(err.message).not.toContain("TOPSECRET");
    await expect(sql`select public.set_slack_webhook_url(${id}, ${"http://hooks.slack.com/services/X"})`).rejects.toThrow(/not allowed/);
    await sql`select public.set_slack_webhook_url(${id}, ${"https://hooks.slack.com/services/T1/B1/x"})`;
    const [{ n }] = await sql`select count(*)::int n from vault.secrets where name = ${"slack_webhook_url:" + id}`;
    expect(n).toBe(1);
  });
});

describe("a Slack webhook URL, read whole", () => {
  it("is refused with a user name before the host, a port, another scheme or an IP literal", async () => {
    const sql = tdb.current.sql;
    const [{ id }] = await sql`insert into public.companies (name) values ('Bypass') returning id`;
    await sql`update public.pipeline_settings set value = '["hooks.slack.com", "127.0.0.1"]' where name = 'slack_webhook_hosts'`;
    for (const url of [
      "https://hooks.slack.com:1@127.0.0.1:47123/services/T1/B1/x", // the audit's: userinfo, host 127.0.0.1
      "https://hooks.slack.com@evil.example/services/T1/B1/x",
      "https://hooks.slack.com:8443/services/T1/B1/x",
      "http://hooks.slack.com/services/T1/B1/x",
      "https://[::1]/services/T1/B1/x",
      "https://10.0.0.7/services/T1/B1/x",
      "https://hooks.slack.com/services/T1/B1/x?redirect=https://evil.example",
    ]) {
      const err = await sql`select public.set_slack_webhook_url(${id}, ${url})`.catch((e) => e);
      expect(err, url).toBeInstanceOf(Error);
      expect(err.message, url).toMatch(/^set_slack_webhook_url: a Slack incoming-webhook URL is https:\/\/hooks\.slack\.com/);
      expect(err.message).not.toContain("/services/T1");
    }
    const [{ n }] = await sql`select count(*)::int n from vault.secrets where name = ${"slack_webhook_url:" + id}`;
    expect(n).toBe(0);
  });

  it("is checked again with the URL parser before a post: a URL put in Vault behind set_slack_webhook_url's back is not posted to", async () => {
    const slack = await slackReceiver([{ status: 200, body: "ok" }]);
    receivers.push(slack);
    const { companyId, queue, job } = await digestJob(slack.url);
    // Someone with Vault writes a URL with a user name (the digest would otherwise go to 127.0.0.1).
    const bad = slack.url.replace("http://", "http://hooks.slack.com:1@");
    const [{ id }] = await tdb.current.sql`select id from vault.secrets where name = ${"slack_webhook_url:" + companyId}`;
    await tdb.current.sql`select vault.update_secret(${id}, ${bad})`;
    expect((await tdb.current.sql`select public.slack_webhook_url(${companyId}) as u`)[0].u).toBe(bad);
    await run(queue, []);
    const s = await state(companyId, job.id);
    expect(slack.posts).toHaveLength(0);
    expect(s.job.status).toBe("dead");
    expect(s.job.error).toBe("Slack digest not sent: the stored Slack webhook URL carries a user name before its host 127.0.0.1; set it again (codeguard slack set --company <id> <url>)");
  });
});

describe("Slack's answers", () => {
  it("mean: 2xx delivered; 429, 408 and 5xx again; any other 4xx never", () => {
    expect(classifySlackAnswer(200, "ok", null)).toEqual({ outcome: "delivered" });
    expect(classifySlackAnswer(429, "rate_limited", "3")).toMatchObject({ outcome: "retry", retryAfterMs: 3000 });
    expect(classifySlackAnswer(502, "", null)).toMatchObject({ outcome: "retry", error: "502 from Slack: HTTP 502" });
    for (const [status, body] of [[400, "invalid_payload"], [403, "invalid_token"], [404, "channel_not_found"], [410, "channel_is_archived"]] as const) {
      expect(classifySlackAnswer(status, body, null)).toMatchObject({ outcome: "dead", error: expect.stringContaining(body) });
    }
  });

  it("are retried after 1, 2, 4, 8 s (16 s at most), ±20 %", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, () => 0.5))).toEqual([1000, 2000, 4000, 8000, 16000, 16000]);
    expect(backoffMs(1, () => 0)).toBe(800);
    expect(backoffMs(1, () => 1)).toBe(1200);
    expect(backoffMs(5, () => 1)).toBe(16000);
  });
});
