import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { ScanQueue } from "../../supabase/functions/_shared/queue/client.ts";
import { createCompany } from "./fixtures.ts";

const tdb = useTestDatabase({ jobTypes: ["rls"] });

/** Runs `fn` as a signed-in member (role authenticated with the JWT claims), in a rolled-back transaction. */
async function asMember<T>(userId: string, fn: (tx: import("postgres").TransactionSql) => Promise<T>): Promise<T> {
  let out!: T;
  await tdb.current.sql.begin(async (tx) => {
    await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: userId, role: "authenticated" })}, true)`;
    await tx`set local role authenticated`;
    out = await fn(tx);
    throw new Rollback();
  }).catch((e) => { if (!(e instanceof Rollback)) throw e; });
  return out;
}
class Rollback extends Error {}

describe("scan_queue security", () => {
  it("shows a member the jobs and events of their own company only", async () => {
    const { sql } = tdb.current;
    const mine = await createCompany(sql);
    const theirs = await createCompany(sql);
    const user = "7b0f0a52-3c2e-4d8b-9b55-1a2b3c4d5e6f";
    await sql`insert into public.users (id, company_id, email) values (${user}, ${mine}, 'a@example.com')`;
    const queue = new ScanQueue(tdb.current.db);
    const own = await queue.enqueue({ companyId: mine, scanType: "rls", dedupeKey: "a" });
    await queue.enqueue({ companyId: theirs, scanType: "rls", dedupeKey: "b" });
    const seen = await asMember(user, async (tx) => ({
      jobs: (await tx`select id from public.scan_queue`).map((r) => r.id),
      events: (await tx`select distinct job_id from public.scan_job_events`).map((r) => r.job_id),
    }));
    expect(seen).toEqual({ jobs: [own.id], events: [own.id] });
  });

  it("does not let a member write jobs or call the pipeline's functions", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql);
    const user = "8c1f1b63-4d3f-4e9c-8c66-2b3c4d5e6f70";
    await sql`insert into public.users (id, company_id, email) values (${user}, ${company}, 'b@example.com')`;
    for (const statement of [
      `insert into public.scan_queue (company_id, dedupe_key) values ('${company}', 'x')`,
      `select public.enqueue_scan('${company}')`,
      `select * from public.claim_next_scan_job('sneaky')`,
      `select public.cancel_scan_job(gen_random_uuid())`,
      `select * from public.reap_expired_scan_jobs()`,
      `select * from public.scan_queue_company_slots`,
      `update public.scan_queue_company_slots set job_id = null`,
      `select public.scan_queue_free_slots(array['${company}'::uuid], array[gen_random_uuid()])`,
    ]) {
      await expect(asMember(user, (tx) => tx.unsafe(statement))).rejects.toThrow(/permission denied/);
    }
  });

  it("registers the dispatch tick, the reaper and the pruners with cron", async () => {
    const jobs = await tdb.current.sql<{ jobname: string; schedule: string }[]>`
      select jobname, schedule from cron.job where jobname like 'codeguard-%' order by jobname`;
    expect(jobs).toEqual([
      { jobname: "codeguard-daily-auto-scan", schedule: "0 3 * * *" },
      { jobname: "codeguard-dispatch-scan-workers", schedule: "10 seconds" },
      { jobname: "codeguard-prune-github-etag-cache", schedule: "23 * * * *" },
      { jobname: "codeguard-prune-platform-history", schedule: "17 * * * *" },
      { jobname: "codeguard-prune-scan-queue", schedule: "41 3 * * *" },
      { jobname: "codeguard-reap-expired-scan-jobs", schedule: "10 seconds" },
    ]);
  });
});
