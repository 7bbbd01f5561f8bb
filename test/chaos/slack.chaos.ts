// Slack broken while a digest goes out, through the send_slack_digest worker with its real waits,
// against a local incoming webhook over a real socket: Slack answering 500 until the delivery is
// dead, then healthy again and the dead job retried by an operator (`codeguard queue retry`); and
// the record of a post Slack took failing once. Each digest must reach the channel exactly once and
// be recorded delivered. Counted from the tables and the receiver's log.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { JobQueue } from "../../supabase/functions/_shared/queue/client.ts";
import { WorkerLoop } from "../../supabase/functions/_shared/queue/worker/worker-loop.ts";
import { slackDigestProcessor } from "../../supabase/functions/_shared/slack/send-digest.ts";
import { useTestDatabase } from "../harness/db.ts";
import { acmeWeek } from "../reports/acme-week.ts";
import { dbNow, report, WHOLE, wholeTally } from "./harness.ts";

const t = useTestDatabase();
const PATH = "/services/T0000/B0000/chaosW3bh00kT0k3n";

/** A Slack incoming webhook answering 500 while `down`, 200 "ok" otherwise; every post logged. */
async function slack() {
  const state = { down: true, posts: [] as { at: number; status: number }[] };
  const server: Server = createServer((req, res) => {
    req.resume().on("end", () => {
      const status = state.down ? 500 : 200;
      state.posts.push({ at: Date.now(), status });
      res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "internal_error");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = (server.address() as AddressInfo);
  return { state, url: `http://127.0.0.1:${port}${PATH}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const servers: { close(): Promise<void> }[] = [];
afterAll(async () => { for (const s of servers) await s.close(); });

async function digestJob(url: string) {
  const sql = t.current.sql;
  const { companyId } = await acmeWeek(sql);
  await sql`update public.pipeline_settings set value = '["hooks.slack.com", "127.0.0.1"]' where name = 'slack_webhook_hosts'`;
  await sql`select public.set_slack_webhook_url(${companyId}, ${url})`;
  const queue = new JobQueue(t.current.db);
  const job = await queue.enqueue({ companyId, scanType: "send_slack_digest", payload: { period_start: "2026-11-23", period_end: "2026-11-29" } });
  return { companyId, queue, jobId: job.id };
}

/** One edge-function run of send_slack_digest jobs, with the real waits between attempts. */
const run = (queue: JobQueue) => new WorkerLoop({
  queue, workerId: "slack-chaos", scanTypes: ["send_slack_digest"],
  processors: { send_slack_digest: slackDigestProcessor({ db: t.current.db }) },
}).drain({ budgetMs: 90_000 });

async function delivery(companyId: string) {
  const [d] = await t.current.sql<{ status: string; attempts: number; earlier_attempts: number; delivered_at: Date | null }[]>`select * from public.slack_deliveries where company_id = ${companyId}`;
  const log = await t.current.sql`select a.attempt, a.outcome from public.slack_delivery_attempts a
    join public.slack_deliveries d on d.id = a.delivery_id where d.company_id = ${companyId} order by a.attempt`;
  return { ...d, log: log.map((r) => `${r.attempt}:${r.outcome}`) };
}

describe("chaos: Slack", () => {
  it("Slack down until the digest is dead, then up and the job retried: posted exactly once, recorded delivered", async () => {
    const s = await slack();
    servers.push(s);
    const { companyId, queue, jobId } = await digestJob(s.url);
    await run(queue);
    expect(await delivery(companyId)).toMatchObject({ status: "dead", attempts: 5 });
    s.state.down = false;
    const upAt = await dbNow(t.current.sql);
    const [retried] = await t.current.sql`select (public.retry_scan_job(${jobId})).accepted`;
    expect(retried.accepted).toBe(true);
    await run(queue);
    const d = await delivery(companyId);
    const tally = await report(t.current.sql, "slack_dead_digest_retried", [jobId], upAt, {
      posts_while_down: s.state.posts.filter((p) => p.status === 500).length,
      posts_after_recovery: s.state.posts.filter((p) => p.status === 200).length, delivery: d.status, attempt_log: d.log.join(" "),
    });
    expect(wholeTally(tally)).toEqual(WHOLE);
    expect(tally.completed).toBe(1);
    expect(s.state.posts.filter((p) => p.status === 200)).toHaveLength(1);
    expect(d).toMatchObject({ status: "delivered", attempts: 6, earlier_attempts: 5 });
    expect(d.delivered_at).not.toBeNull();
    expect(d.log).toEqual(["1:retry", "2:retry", "3:retry", "4:retry", "5:dead", "6:delivered"]);
    // Retried once more (an operator's second try, a re-enqueued job): nothing more reaches Slack.
    const again = await queue.enqueue({ companyId, scanType: "send_slack_digest", payload: { period_start: "2026-11-23", period_end: "2026-11-29" } });
    await run(queue);
    expect((await t.current.sql`select status from public.scan_queue where id = ${again.id}`)[0].status).toBe("completed");
    expect(s.state.posts.filter((p) => p.status === 200)).toHaveLength(1);
  }, 180_000);

  it("the record of a post Slack took fails once: recorded on a later try, never posted again", async () => {
    const s = await slack();
    s.state.down = false;
    servers.push(s);
    const sql = t.current.sql;
    // The fault: the first write of a 'delivered' attempt fails (as a cut connection or a restart
    // would fail it) — a real error from Postgres, rolling the record's transaction back.
    await sql.unsafe(`
      create sequence public.chaos_record_faults;
      create or replace function public.chaos_fail_record() returns trigger language plpgsql as $f$
      begin
        -- A sequence, because the raise rolls back anything else the trigger would write.
        if new.outcome = 'delivered' and nextval('public.chaos_record_faults') = 1 then
          raise exception 'chaos: the record of a delivered attempt was cut off' using errcode = '08006';
        end if;
        return new;
      end $f$;
      create trigger chaos_fail_record before insert on public.slack_delivery_attempts for each row execute function public.chaos_fail_record();`);
    try {
      const { companyId, queue, jobId } = await digestJob(s.url);
      const startedAt = await dbNow(sql);
      await run(queue);
      const d = await delivery(companyId);
      const [job] = await sql`select error from public.scan_queue where id = ${jobId}`;
      const tally = await report(sql, "slack_record_failed_after_post", [jobId], startedAt, { posts: s.state.posts.length, delivery: d.status, job_error: job.error });
      expect(wholeTally(tally)).toEqual(WHOLE);
      expect(tally.completed).toBe(1);
      expect(s.state.posts).toHaveLength(1);
      expect(d).toMatchObject({ status: "delivered", attempts: 1 });
      expect((await sql`select last_value::int as n from public.chaos_record_faults`)[0].n).toBe(2); // the fault fired, once
    } finally {
      await sql.unsafe(`drop trigger chaos_fail_record on public.slack_delivery_attempts; drop sequence chaos_record_faults`);
    }
  }, 120_000);
});
