import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { eventually } from "../harness/processes.ts";
import { JobQueue, toJobWrite } from "../../supabase/functions/_shared/queue/client.ts";
import { CompletedJob, JobStopped, PermanentJobError, SnoozeJob, SourceUnavailable, type JobContext } from "../../supabase/functions/_shared/queue/worker/outcomes.ts";
import { WorkerLoop } from "../../supabase/functions/_shared/queue/worker/worker-loop.ts";
import { createCompany, eventsOf } from "./fixtures.ts";

const tdb = useTestDatabase({ jobTypes: ["announced", "broken", "count_scan", "finishing_scan", "flaky", "limited", "long_scan", "mystery_scan", "stuck_scan", "hung_scan", "paced_scan"] });

async function row(id: string) {
  const [r] = await tdb.current.sql`select status, error, result, attempts, attempts_waived from public.scan_queue where id = ${id}`;
  return r;
}

describe("WorkerLoop", () => {
  it("sends a job of a type without a processor to dead with \"No processor registered for job type: X\"", async () => {
    const queue = new JobQueue(tdb.current.db);
    const job = await queue.enqueue({ companyId: await createCompany(tdb.current.sql), scanType: "mystery_scan", dedupeKey: "m" });
    const loop = new WorkerLoop({ queue, workerId: "w", processors: {}, scanTypes: ["mystery_scan"] });
    const report = await loop.drain({ budgetMs: 10_000 });
    expect(report).toMatchObject({ claimed: 1, failed: 1 });
    expect(await row(job.id)).toMatchObject({ status: "dead", error: "No processor registered for job type: mystery_scan" });
  });

  it("completes each job with its processor's result, and goes back to waiting when the queue is empty", async () => {
    const queue = new JobQueue(tdb.current.db);
    const company = await createCompany(tdb.current.sql, { max_concurrent_scans: 10 });
    const jobs = await queue.enqueueMany([1, 2, 3, 4, 5].map((n) => ({ companyId: company, scanType: "count_scan", payload: { n } })
      ).map((j, i) => ({ ...j, dedupeKey: `c${i}` })));
    const seen: number[] = [];
    const loop = new WorkerLoop({
      queue, workerId: "w", concurrency: 3, scanTypes: ["count_scan"],
      processors: { count_scan: async ({ job }) => { seen.push(job.payload.n as number); return { doubled: (job.payload.n as number) * 2 }; } },
    });
    const report = await loop.drain({ budgetMs: 10_000 });
    expect(report).toMatchObject({ claimed: 5, completed: 5 });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
    for (const j of jobs) expect(await row(j.id)).toMatchObject({ status: "completed", result: { doubled: (j.payload.n as number) * 2 } });
  });

  it("claims again at once when work was announced while an empty claim was on its way, instead of waiting for the poll", async () => {
    const queue = new JobQueue(tdb.current.db);
    const company = await createCompany(tdb.current.sql);
    // The database answers the first claim (empty) before the job exists; the answer reaches the
    // loop only after the job was enqueued and announced (as LISTEN would, through wake()).
    let announce: () => Promise<void> = async () => {};
    let first = true;
    const slowFirstAnswer = Object.create(queue) as JobQueue;
    slowFirstAnswer.claim = async (args) => {
      const jobs = await queue.claim(args);
      if (first) {
        first = false;
        await announce();
      }
      return jobs;
    };
    let done!: () => void;
    const processed = new Promise<void>((resolve) => (done = resolve));
    const loop = new WorkerLoop({
      queue: slowFirstAnswer, workerId: "w", scanTypes: ["announced"], pollIntervalMs: 60_000,
      processors: { announced: async () => done() },
    });
    announce = async () => {
      await queue.enqueue({ companyId: company, scanType: "announced", dedupeKey: "a" });
      loop.wake();
      await new Promise((r) => setTimeout(r, 50)); // the loop takes the wake while the claim is still out
    };
    const running = loop.start();
    const inTime = await Promise.race([processed.then(() => true), new Promise((r) => setTimeout(() => r(false), 5_000))]);
    await loop.stop({ graceMs: 1000 });
    await running;
    expect(inTime).toBe(true);
  });

  it("fails a job whose processor throws (retried later) and kills one that throws a PermanentJobError", async () => {
    const queue = new JobQueue(tdb.current.db);
    const company = await createCompany(tdb.current.sql);
    const flaky = await queue.enqueue({ companyId: company, scanType: "flaky", dedupeKey: "f" });
    const broken = await queue.enqueue({ companyId: company, scanType: "broken", dedupeKey: "b" });
    const loop = new WorkerLoop({
      queue, workerId: "w", concurrency: 2, scanTypes: ["flaky", "broken"],
      processors: {
        flaky: async () => { throw new Error("GitHub answered 502"); },
        broken: async () => { throw new PermanentJobError("repository was deleted"); },
      },
    });
    await loop.drain({ budgetMs: 10_000 });
    expect(await row(flaky.id)).toMatchObject({ status: "pending", error: "GitHub answered 502" });
    expect(await row(broken.id)).toMatchObject({ status: "dead", error: "repository was deleted" });
  });

  it("snoozes a job whose processor returns a SnoozeJob, without spending the attempt", async () => {
    const queue = new JobQueue(tdb.current.db);
    const job = await queue.enqueue({ companyId: await createCompany(tdb.current.sql), scanType: "limited", dedupeKey: "l" });
    const reset = new Date(Date.now() + 3600_000);
    const loop = new WorkerLoop({ queue, workerId: "w", scanTypes: ["limited"], processors: { limited: async () => new SnoozeJob(reset, "rate limit") } });
    expect(await loop.drain({ budgetMs: 10_000 })).toMatchObject({ snoozed: 1 });
    expect(await row(job.id)).toMatchObject({ status: "pending", attempts: 1, attempts_waived: 1 });
  });

  it("stops a running job when its cancel is requested, at the next heartbeat", async () => {
    const queue = new JobQueue(tdb.current.db);
    const job = await queue.enqueue({ companyId: await createCompany(tdb.current.sql), scanType: "long_scan", dedupeKey: "c" });
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    let stopReason: unknown;
    const loop = new WorkerLoop({
      queue, workerId: "w", scanTypes: ["long_scan"], heartbeatMs: 20,
      processors: {
        long_scan: ({ signal }: JobContext) => new Promise((_, reject) => {
          started();
          signal.addEventListener("abort", () => { stopReason = signal.reason; reject(signal.reason); });
        }),
      },
    });
    const drained = loop.drain({ budgetMs: 60_000 });
    await running;
    await queue.cancel({ jobId: job.id });
    expect(await drained).toMatchObject({ cancelled: 1, failed: 0 });
    expect((stopReason as JobStopped).reason).toBe("cancelled");
    expect(await row(job.id)).toMatchObject({ status: "cancelled" });
  });

  it("on stop, hands back a job that is still running without spending its attempt", async () => {
    const queue = new JobQueue(tdb.current.db);
    const job = await queue.enqueue({ companyId: await createCompany(tdb.current.sql), scanType: "stuck_scan", dedupeKey: "s" });
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const loop = new WorkerLoop({
      queue, workerId: "w", scanTypes: ["stuck_scan"], pollIntervalMs: 50,
      processors: { stuck_scan: () => { started(); return new Promise(() => {}); } }, // ignores its signal
    });
    void loop.start();
    await running;
    expect(await loop.stop({ graceMs: 0, releaseMs: 0 })).toMatchObject({ released: 1 });
    expect(await row(job.id)).toMatchObject({ status: "pending", attempts: 1, attempts_waived: 1 });
    expect((await eventsOf(tdb.current.sql, job.id)).at(-1)).toMatchObject({ kind: "snoozed", message: "released: the worker is shutting down" });
  });

  it("with a time limit, gives each job its deadline: a job that checkpoints snoozes, one that hangs is failed after the grace", async () => {
    const queue = new JobQueue(tdb.current.db);
    const company = await createCompany(tdb.current.sql, { max_concurrent_scans: 2 });
    const paced = await queue.enqueue({ companyId: company, scanType: "paced_scan", dedupeKey: "p" });
    const hung = await queue.enqueue({ companyId: company, scanType: "hung_scan", dedupeKey: "h" });
    const deadlines: (number | null)[] = [];
    const lines: string[] = [];
    const loop = new WorkerLoop({
      queue, workerId: "w", concurrency: 2, scanTypes: ["paced_scan", "hung_scan"], pollIntervalMs: 50,
      jobTimeoutMs: 300, jobTimeoutGraceMs: 200, log: (_level, message) => lines.push(message),
      processors: {
        // As a scan does: work until told to stop, then checkpoint and go on in a later run.
        paced_scan: ({ deadline, signal }: JobContext) => {
          deadlines.push(deadline);
          return new Promise((resolve) => signal.addEventListener("abort", () => resolve(new SnoozeJob(new Date(Date.now() + 60_000), "checkpointed at the time limit"))));
        },
        hung_scan: () => new Promise(() => {}), // a request that never answers, its signal ignored
      },
    });
    const claimedAt = Date.now();
    void loop.start();
    // Handed back: pending again after their claim (attempts 1), not pending as enqueued, before the
    // loop's first claim (a busy machine let the check run first, and the test read no deadline).
    const handedBack = async (id: string) => {
      const r = await row(id);
      return r.status === "pending" && r.attempts === 1;
    };
    await eventually(async () => (await handedBack(hung.id)) && (await handedBack(paced.id)), "both jobs handed back", 10_000);
    expect(deadlines[0]! - claimedAt).toBeGreaterThanOrEqual(300);
    expect(deadlines[0]! - claimedAt).toBeLessThan(2_000);
    expect(await row(paced.id)).toMatchObject({ status: "pending", attempts: 1, attempts_waived: 1 });
    expect(await row(hung.id)).toMatchObject({ status: "pending", attempts: 1, attempts_waived: 0, error: "did not finish within its time limit (0.3 s)" });
    expect(lines.join("\n")).toMatch(/abandoned a job still running 0.3 s after its claim and 0.2 s after it was told to stop/);
    expect(await loop.stop({ graceMs: 0, releaseMs: 0 })).toMatchObject({ claimed: 2, released: 0 }); // nothing left to hand back
  });

  it("lets a job finish within the grace period when stopping", async () => {
    const queue = new JobQueue(tdb.current.db);
    const job = await queue.enqueue({ companyId: await createCompany(tdb.current.sql), scanType: "finishing_scan", dedupeKey: "g" });
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    let finish!: () => void;
    const loop = new WorkerLoop({
      queue, workerId: "w", scanTypes: ["finishing_scan"], pollIntervalMs: 50,
      processors: { finishing_scan: () => { started(); return new Promise<void>((r) => (finish = r)).then(() => ({ done: true })); } },
    });
    void loop.start();
    await running;
    const stopping = loop.stop({ graceMs: 60_000 });
    finish();
    expect(await stopping).toMatchObject({ completed: 1, released: 0 });
    expect(await row(job.id)).toMatchObject({ status: "completed" });
  });

  it("counts a job its processor completed as completed when a heartbeat, held by the completion's lock, is refused after it", async () => {
    // The processor completes the job itself in a transaction that holds the job's row for 600 ms;
    // the heartbeats meanwhile (every 50 ms) wait on that lock and, once it commits, find the job
    // completed and are refused. That refusal is the completion seen late, not a lost lease.
    const { sql } = tdb.current;
    const queue = new JobQueue(tdb.current.db);
    const job = await queue.enqueue({ companyId: await createCompany(sql), scanType: "finishing_scan", dedupeKey: "self" });
    const loop = new WorkerLoop({
      queue, workerId: "w", scanTypes: ["finishing_scan"], heartbeatMs: 50,
      processors: {
        finishing_scan: async ({ job: j, attempt }) => {
          const write = await sql.begin(async (tx) => {
            const [w] = await tx`select (public.complete_scan_job(${j.id}, ${attempt}, '{"self":true}'::jsonb)).*`;
            await tx`select pg_sleep(0.6)`;
            return w;
          });
          return new CompletedJob(toJobWrite(write));
        },
      },
    });
    const report = await loop.drain({ budgetMs: 10_000 });
    expect(report).toMatchObject({ claimed: 1, completed: 1, lost: 0 });
    expect(await row(job.id)).toMatchObject({ status: "completed", result: { self: true } });
    const refused = await sql`select message from public.scan_job_events where job_id = ${job.id} and kind = 'refused'`;
    expect(refused.length, "a heartbeat waited on the completion and was refused").toBeGreaterThan(0);
  });

  it("puts back a job whose source is down without spending its attempt, and its source answering ends the outage", async () => {
    const { sql } = tdb.current;
    await sql`insert into public.scan_job_types (name, source, description) values ('needs_source', 'test_source', 'a job that reads test_source')`;
    const queue = new JobQueue(tdb.current.db);
    const job = await queue.enqueue({ companyId: await createCompany(sql), scanType: "needs_source", dedupeKey: "s" });
    const down = new WorkerLoop({ queue, workerId: "w", scanTypes: ["needs_source"], processors: { needs_source: async () => { throw new SourceUnavailable("test_source refused the connection"); } } });
    expect(await down.drain({ budgetMs: 10_000 })).toMatchObject({ outages: 1, failed: 0 });
    expect(await row(job.id)).toMatchObject({ status: "pending", attempts: 1, attempts_waived: 1, error: "test_source refused the connection" });
    const [outage] = await sql`select source, failures from public.scan_source_outages`;
    expect(outage).toEqual({ source: "test_source", failures: 1 });

    await sql`update public.scan_queue set run_after = now() where id = ${job.id}`;
    await sql`update public.scan_source_outages set blocked_until = now()`;
    const up = new WorkerLoop({ queue, workerId: "w", scanTypes: ["needs_source"], processors: { needs_source: async (ctx) => { ctx.sourceAnswered(); await new Promise((r) => setTimeout(r, 100)); return { ok: true }; } } });
    expect(await up.drain({ budgetMs: 10_000 })).toMatchObject({ completed: 1 });
    expect(await row(job.id)).toMatchObject({ status: "completed", attempts: 2, attempts_waived: 1 });
    expect(await sql`select * from public.scan_source_outages`).toEqual([]);
  });
});
