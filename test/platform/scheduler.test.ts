import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalScheduler } from "../../src/local/scheduler.ts";
import { useTestDatabase } from "../harness/db.ts";

const t = useTestDatabase();
let scheduler: LocalScheduler;

beforeAll(async () => {
  await t.current.sql`create table ticks (id serial primary key, at timestamptz default clock_timestamp())`;
  scheduler = new LocalScheduler({ url: t.current.url });
  await scheduler.start();
});
afterAll(async () => scheduler?.stop());

async function waitFor<T>(fn: () => Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  return undefined;
}

describe("pg_cron face and the local scheduler", () => {
  it("fires a '1 seconds' schedule within 2 s of its commit and records the run", async () => {
    const sql = t.current.sql;
    const [{ jobid }] = await sql`select cron.schedule('t', '1 seconds', $$insert into ticks default values$$) as jobid`;
    const run = await waitFor(async () => {
      const [r] = await sql`select status, return_message, command, job_pid from cron.job_run_details where jobid = ${jobid} and status = 'succeeded' limit 1`;
      return r;
    }, 2000);
    expect(run).toMatchObject({ status: "succeeded", return_message: "INSERT 0 1", command: "insert into ticks default values" });
    expect(run!.job_pid).toBeGreaterThan(0);
    const [{ n }] = await sql`select count(*)::int as n from ticks`;
    expect(n).toBeGreaterThanOrEqual(1);
    await sql`select cron.unschedule('t')`;
  });

  it("reports the last statement's tag for a command of several statements, as pg_cron does", async () => {
    const sql = t.current.sql;
    const [{ jobid }] = await sql`select cron.schedule('multi', '1 seconds', $$select 1; insert into ticks default values$$) as jobid`;
    const run = await waitFor(async () => {
      const [r] = await sql`select status, return_message from cron.job_run_details where jobid = ${jobid} and status = 'succeeded' limit 1`;
      return r;
    }, 3000);
    expect(run?.return_message).toBe("INSERT 0 1");
    await sql`select cron.unschedule('multi')`;
  });

  it("replaces a job scheduled again under the same name, as pg_cron does", async () => {
    const sql = t.current.sql;
    const [a] = await sql`select cron.schedule('same', '0 3 * * *', 'select 1') as id`;
    const [b] = await sql`select cron.schedule('same', '0 4 * * *', 'select 2') as id`;
    expect(b.id).toBe(a.id);
    const rows = await sql`select schedule, command from cron.job where jobname = 'same'`;
    expect(rows).toEqual([{ schedule: "0 4 * * *", command: "select 2" }]);
    await sql`select cron.unschedule('same')`;
  });

  it("records a failing command as failed with the database's message", async () => {
    const sql = t.current.sql;
    const [{ jobid }] = await sql`select cron.schedule('bad', '1 seconds', 'select * from no_such_table') as jobid`;
    const run = await waitFor(async () => {
      const [r] = await sql`select status, return_message from cron.job_run_details where jobid = ${jobid} limit 1`;
      return r?.status === "failed" ? r : undefined;
    }, 3000);
    expect(run?.return_message).toMatch(/relation "no_such_table" does not exist/);
    await sql`select cron.unschedule('bad')`;
  });

  it("rejects a malformed schedule with a hint", async () => {
    await expect(t.current.sql`select cron.schedule('x', 'every tuesday', 'select 1')`).rejects.toThrow(/invalid schedule/);
    await expect(t.current.sql`select cron.schedule('x', '75 seconds', 'select 1')`).rejects.toThrow(/invalid schedule/);
  });

  it("stops running a job once it is unscheduled", async () => {
    const sql = t.current.sql;
    const [{ jobid }] = await sql`select cron.schedule('short', '1 seconds', 'select 1') as jobid`;
    await waitFor(async () => (await sql`select 1 from cron.job_run_details where jobid = ${jobid}`)[0], 3000);
    await sql`select cron.unschedule('short')`;
    await new Promise((r) => setTimeout(r, 150));
    const [{ n: before }] = await sql`select count(*)::int as n from cron.job_run_details where jobid = ${jobid}`;
    await new Promise((r) => setTimeout(r, 1500));
    const [{ n: after }] = await sql`select count(*)::int as n from cron.job_run_details where jobid = ${jobid}`;
    expect(after).toBe(before);
  });
});
