// The worker's parts alone (queue/worker/): the claimer, RunningJobs and the executor, each built by
// hand over the real queue and Postgres, without a WorkerLoop. What each owns and decides is tested
// here through its own small interface (ClaimSink, Wakeable, process/record); worker_loop.test.ts
// tests them together. Time is a hand-moved clock: a wait (the poll, a back-off, a heartbeat) ends
// only when the test moves it, so "without the poll" is a fact of the test, not a timing.
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { eventually } from "../harness/processes.ts";
import { JobQueue } from "../../supabase/functions/_shared/queue/client.ts";
import type { Clock } from "../../supabase/functions/_shared/queue/clock.ts";
import type { Job } from "../../supabase/functions/_shared/queue/types.ts";
import { Claimer, type ClaimSink } from "../../supabase/functions/_shared/queue/worker/claimer.ts";
import { Completer } from "../../supabase/functions/_shared/queue/worker/completer.ts";
import { Executor } from "../../supabase/functions/_shared/queue/worker/executor.ts";
import { JobLog } from "../../supabase/functions/_shared/queue/worker/job-log.ts";
import { JobStopped, PermanentJobError, type JobProcessor, type QueueLog } from "../../supabase/functions/_shared/queue/worker/outcomes.ts";
import { RunningJobs } from "../../supabase/functions/_shared/queue/worker/running-jobs.ts";
import type { RunningJob } from "../../supabase/functions/_shared/queue/worker/running-job.ts";
import { WriteBack } from "../../supabase/functions/_shared/queue/worker/write-back.ts";
import { createCompany, eventsOf } from "./fixtures.ts";

// One job type per test: a test claims only its own jobs, whatever an earlier one left pending.
const TYPES = ["part_hand_out", "part_idle", "part_backoff", "part_process", "part_cancel", "part_slot", "part_settle"] as const;
type PartType = (typeof TYPES)[number];
const tdb = useTestDatabase({ jobTypes: [...TYPES] });

/** A clock whose timers fire only when the test moves it. */
class HandClock implements Clock {
  private t = Date.now();
  private readonly timers = new Set<{ at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  timer(ms: number, fn: () => void): () => void {
    const t = { at: this.t + Math.max(0, ms), fn };
    this.timers.add(t);
    return () => void this.timers.delete(t);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const cancel = this.timer(ms, resolve);
      signal?.addEventListener("abort", () => (cancel(), resolve()), { once: true });
    });
  }

  /** Timers waiting, and the soonest's delay from now. */
  get waiting(): number[] {
    return [...this.timers].map((t) => t.at - this.t).sort((a, b) => a - b);
  }

  /** Moves time on by `ms`, firing what falls due in order. */
  advance(ms: number): void {
    this.t += ms;
    for (const t of [...this.timers].sort((a, b) => a.at - b.at)) {
      if (t.at > this.t) break;
      this.timers.delete(t);
      t.fn();
    }
  }
}

function logged(): { log: QueueLog; lines: { level: string; message: string; fields: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  return { lines, log: (level, message, fields) => void lines.push({ level, message, fields }) };
}

async function enqueued(queue: JobQueue, type: PartType, n: number, cap = 10): Promise<Job[]> {
  const companyId = await createCompany(tdb.current.sql, { max_concurrent_scans: cap });
  const tag = Math.random().toString(36).slice(2, 8);
  return await queue.enqueueMany(Array.from({ length: n }, (_, i) => ({ companyId, scanType: type, dedupeKey: `${tag}-${i}` })));
}

async function rows(ids: readonly string[]) {
  return await tdb.current.sql<{ id: string; status: string; attempts: number; attempts_waived: number; error: string | null }[]>`
    select id, status, attempts, attempts_waived, error from public.scan_queue where id = any(${ids as string[]}) order by created_at, id`;
}

/** A sink that holds every job it is handed until the test finishes it. */
class HoldingSink implements ClaimSink {
  readonly started: { job: Job; deadline: number | null }[] = [];
  private held = 0;
  get processing(): number {
    return this.held;
  }
  get inFlight(): number {
    return this.held;
  }
  start(job: Job, deadline: number | null): void {
    this.started.push({ job, deadline });
    this.held++;
  }
  finishOne(): void {
    this.held--;
  }
}

function claimer(queue: JobQueue, type: PartType, clock: Clock, log: QueueLog, concurrency: number, q: JobQueue = queue) {
  return new Claimer(q, new Completer(queue), clock, log, {
    workerId: "parts", leaseSeconds: 30, scanTypes: [type], concurrency, pollIntervalMs: 60_000,
  });
}

describe("Claimer alone", () => {
  it("hands a request's jobs out first, claims only what its sink has room for, and claims again when woken, not at the poll", async () => {
    const queue = new JobQueue(tdb.current.db);
    const clock = new HandClock();
    const jobs = await enqueued(queue, "part_hand_out", 6);
    const named = await queue.claimJob({ jobId: jobs[0].id, workerId: "parts" });
    const c = claimer(queue, "part_hand_out", clock, logged().log, 3);
    const sink = new HoldingSink();
    const stop = new AbortController();
    const run = c.run({ deadline: 123, stopClaimingAt: null, untilIdle: false, stop: stop.signal, claimed: [named!] }, sink);

    await eventually(async () => sink.started.length === 3 && clock.waiting.includes(60_000), "the sink full and the claimer waiting for its poll");
    expect(sink.started[0].job.id).toBe(named!.id); // the named job first, without a claim
    expect(sink.started.every((s) => s.deadline === 123)).toBe(true);
    expect((await rows(jobs.map((j) => j.id))).map((r) => r.status).sort()).toEqual(["pending", "pending", "pending", "running", "running", "running"]);
    expect(c.claimed).toBe(3);

    // One slot frees: a wake, not the poll (the clock never moves), brings exactly one more claim.
    sink.finishOne();
    c.wake();
    await eventually(async () => sink.started.length === 4 && clock.waiting.includes(60_000), "one more job claimed");
    expect((await rows(jobs.map((j) => j.id))).filter((r) => r.status === "running")).toHaveLength(4);

    stop.abort();
    c.nudge();
    await run;
    expect(c.claimed).toBe(4);
    expect(sink.started.map((s) => s.job.id)).toHaveLength(new Set(sink.started.map((s) => s.job.id)).size);
  });

  it("untilIdle: ends once a claim comes back short with nothing in flight, without waiting", async () => {
    const queue = new JobQueue(tdb.current.db);
    const clock = new HandClock();
    const jobs = await enqueued(queue, "part_idle", 2);
    const c = claimer(queue, "part_idle", clock, logged().log, 4);
    const sink: ClaimSink & { ids: string[] } = { ids: [], processing: 0, inFlight: 0, start(job) { this.ids.push(job.id); } };
    await c.run({ deadline: null, stopClaimingAt: null, untilIdle: true, stop: new AbortController().signal }, sink);
    expect(sink.ids.sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(c.claimed).toBe(2);
  });

  it("backs off after a failed claim and claims again once the back-off is over, saying why", async () => {
    const queue = new JobQueue(tdb.current.db);
    const clock = new HandClock();
    const [job] = await enqueued(queue, "part_backoff", 1);
    let failures = 1;
    const flaky = Object.create(queue) as JobQueue;
    flaky.claim = async (args) => {
      if (failures-- > 0) throw new Error("connection refused (the database is restarting)");
      return await queue.claim(args);
    };
    const { log, lines } = logged();
    const c = claimer(queue, "part_backoff", clock, log, 1, flaky);
    const sink = new HoldingSink();
    const stop = new AbortController();
    const run = c.run({ deadline: null, stopClaimingAt: null, untilIdle: false, stop: stop.signal }, sink);

    await eventually(async () => clock.waiting.includes(500), "the claim's back-off");
    expect(lines).toContainEqual({ level: "error", message: "claim failed", fields: { workerId: "parts", error: "connection refused (the database is restarting)" } });
    expect(sink.started).toHaveLength(0);
    clock.advance(500);
    await eventually(async () => sink.started.length === 1, "the claim after the back-off");
    expect(sink.started[0].job.id).toBe(job.id);
    stop.abort();
    c.nudge();
    await run;
  });
});

function executor(queue: JobQueue, clock: Clock, processors: Record<string, JobProcessor>, completer = new Completer(queue), heartbeatMs = 10 * 60_000) {
  const jobLog = new JobLog(logged().log, "parts");
  return new Executor({ queue, processors, completer, writeBack: new WriteBack(clock, jobLog), clock, jobLog, heartbeatMs, leaseSeconds: 30 });
}

function entryFor(job: Job, clock: Clock): RunningJob {
  return { job, controller: new AbortController(), done: Promise.resolve(), abandoned: false, processing: true, leaseEndsAt: clock.now() + 30_000, movedAt: clock.now() };
}

/** `n` jobs of `type`, enqueued and claimed by hand (as a claimer would). */
async function claimedJobs(queue: JobQueue, type: PartType, n: number): Promise<Job[]> {
  await enqueued(queue, type, n);
  return await queue.claim({ workerId: "parts", leaseSeconds: 30, scanTypes: [type], limit: n });
}

function runningJobs(ex: Executor, clock: Clock, wake: () => void = () => {}): RunningJobs {
  return new RunningJobs(ex, { wake }, clock, 30, {
    clock, log: logged().log, workerId: "parts", jobTimeoutMs: null, jobTimeoutGraceMs: 30_000, stallMs: 120_000,
  });
}

describe("Executor alone", () => {
  it("process() runs the processor to an outcome and writes nothing; record() writes it and counts it", async () => {
    const queue = new JobQueue(tdb.current.db);
    const clock = new HandClock();
    const [job] = await claimedJobs(queue, "part_process", 1);
    const ex = executor(queue, clock, { part_process: async () => { throw new PermanentJobError("the repository is archived"); } });
    const entry = entryFor(job, clock);
    const outcome = await ex.process(entry, null);
    expect(outcome).toMatchObject({ kind: "fail", retryable: false });
    expect((await rows([job.id]))[0].status).toBe("running");
    expect(ex.outcomes().failed).toBe(0);

    await ex.record(entry, outcome);
    expect(await rows([job.id])).toEqual([expect.objectContaining({ status: "dead", error: expect.stringContaining("the repository is archived") })]);
    expect(ex.outcomes()).toMatchObject({ failed: 1, completed: 0, refused: 0 });
  });

  it("stops a job whose heartbeat answers that a cancel was requested, and writes nothing more for it", async () => {
    const queue = new JobQueue(tdb.current.db);
    const clock = new HandClock();
    const [job] = await claimedJobs(queue, "part_cancel", 1);
    const ex = executor(queue, clock, {
      part_cancel: ({ signal }) => new Promise((resolve) => signal.addEventListener("abort", () => resolve({ stoppedBy: "signal" }), { once: true })),
    }, undefined, 10_000);
    const entry = entryFor(job, clock);
    const processing = ex.process(entry, null);
    await queue.cancel({ jobId: job.id, reason: "the member cancelled it" });
    expect(entry.controller.signal.aborted).toBe(false);
    clock.advance(10_000); // the heartbeat
    const outcome = await processing;
    expect(outcome.kind).toBe("cancelled");
    await ex.record(entry, outcome);
    expect(ex.outcomes()).toMatchObject({ cancelled: 1, completed: 0 });
    expect((await rows([job.id]))[0].status).toBe("cancelled");
    expect(clock.waiting).toEqual([]); // its heartbeat timer is gone with it
  });
});

describe("RunningJobs alone", () => {
  it("frees a job's slot when its processor returns, keeps it in flight until its write-back lands, then forgets it", async () => {
    const queue = new JobQueue(tdb.current.db);
    const clock = new HandClock();
    const [job] = await claimedJobs(queue, "part_slot", 1);
    const completer = new Completer(queue);
    completer.sendWith({ nudge: () => {} }); // completions wait, as while a claimer runs and has not sent them yet
    const ex = executor(queue, clock, { part_slot: async () => ({ ok: true }) }, completer);
    let wakes = 0;
    const jobs = runningJobs(ex, clock, () => wakes++);
    jobs.start(job, null);
    expect([jobs.processing, jobs.inFlight]).toEqual([1, 1]);

    await eventually(async () => jobs.processing === 0, "the processor's return");
    expect(jobs.inFlight).toBe(1);
    expect(wakes).toBe(1); // its slot is free: the claimer may claim again
    expect((await rows([job.id]))[0].status).toBe("running");

    completer.sendWith(null);
    await eventually(async () => jobs.inFlight === 0, "the write-back");
    expect((await rows([job.id]))[0].status).toBe("completed");
    expect(ex.outcomes().completed).toBe(1);
    expect(wakes).toBe(2); // the write-back committed: a company of ours may be under its cap again
    expect(clock.waiting).toEqual([]); // its stall bound is disarmed
  });

  it("settle on shutdown stops what still runs and hands back a job whose processor ignores its signal, spending no attempt", async () => {
    const queue = new JobQueue(tdb.current.db);
    const clock = new HandClock();
    const claimed = await claimedJobs(queue, "part_settle", 2);
    const signals: AbortSignal[] = [];
    const ex = executor(queue, clock, {
      part_settle: ({ job, signal }) => {
        signals.push(signal);
        // The first stops when told (it throws its signal's reason); the second never returns.
        return job.id === claimed[0].id
          ? new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }))
          : new Promise(() => {});
      },
    });
    const jobs = runningJobs(ex, clock);
    for (const job of claimed) jobs.start(job, null);
    await eventually(async () => signals.length === 2, "both processors running");

    const settled = jobs.settle(1_000, "shutdown", 2_000);
    await eventually(async () => clock.waiting.includes(1_000), "the grace");
    clock.advance(1_000); // the grace runs out: both are told to stop
    await eventually(async () => signals.every((s) => s.aborted), "both told to stop");
    expect(signals.map((s) => (s.reason as JobStopped).reason)).toEqual(["shutdown", "shutdown"]);
    await eventually(async () => clock.waiting.includes(2_000), "the time to react");
    clock.advance(2_000); // the second never reacts: handed back without it
    await settled;

    expect(jobs.inFlight).toBe(0);
    const [listened, ignored] = await rows(claimed.map((j) => j.id)).then((rs) => claimed.map((j) => rs.find((r) => r.id === j.id)!));
    for (const r of [listened, ignored]) {
      expect(r).toMatchObject({ status: "pending", attempts: 1, attempts_waived: 1 });
      expect((await eventsOf(tdb.current.sql, r.id)).at(-1)).toMatchObject({ kind: "snoozed", message: "released: the worker is shutting down" });
    }
    expect(ex.outcomes().released).toBe(2);
  });
});
