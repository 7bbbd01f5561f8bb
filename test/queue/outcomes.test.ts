// How a job's run ending maps onto the write that records it (queue/worker/outcomes.ts): pure.
import { describe, expect, it } from "vitest";
import {
  CompletedJob,
  JobStopped,
  outcomeOf,
  PermanentJobError,
  SnoozeJob,
  SourceUnavailable,
} from "../../supabase/functions/_shared/queue/worker/outcomes.ts";
import type { JobWrite } from "../../supabase/functions/_shared/queue/types.ts";

const until = new Date("2031-01-01T00:00:00Z");
const connection = (code: string, message = "connection lost") => Object.assign(new Error(message), { code });

describe("outcomeOf", () => {
  it("completes with the processor's value, and snoozes when it returns or throws a SnoozeJob", () => {
    expect(outcomeOf({ ok: true, value: { n: 1 } }, null)).toEqual({ kind: "complete", result: { n: 1 } });
    expect(outcomeOf({ ok: true, value: new SnoozeJob(until, "rate limit") }, null)).toEqual({ kind: "snooze", until, reason: "rate limit" });
    expect(outcomeOf({ ok: false, error: new SnoozeJob(until, "rate limit") }, null)).toEqual({ kind: "snooze", until, reason: "rate limit" });
  });

  it("fails retryably, or for good on a PermanentJobError, naming the time budget when that stopped it", () => {
    expect(outcomeOf({ ok: false, error: new Error("boom") }, null)).toEqual({ kind: "fail", error: "boom", retryable: true });
    expect(outcomeOf({ ok: false, error: new PermanentJobError("gone") }, null)).toEqual({ kind: "fail", error: "gone", retryable: false });
    expect(outcomeOf({ ok: false, error: new Error("aborted") }, new JobStopped("deadline", "the time budget ran out")))
      .toEqual({ kind: "fail", error: "stopped at the time budget: aborted", retryable: true });
  });

  it("waits for a source that is down, and hands a job back without an attempt when the database connection was lost", () => {
    expect(outcomeOf({ ok: false, error: new SourceUnavailable("GitHub did not answer") }, null)).toEqual({ kind: "source_outage", error: "GitHub did not answer" });
    for (const code of ["ECONNREFUSED", "ECONNRESET", "CONNECTION_CLOSED", "CONNECTION_ENDED", "57P01", "57P03", "08006", "53300"]) {
      expect(outcomeOf({ ok: false, error: connection(code) }, null), code).toMatchObject({ kind: "release" });
    }
    // A statement's own error (a constraint, a syntax error) is the job's failure, not an outage.
    expect(outcomeOf({ ok: false, error: connection("23505", "duplicate key") }, null)).toMatchObject({ kind: "fail", retryable: true });
  });

  it("writes nothing for a job cancelled at its heartbeat or lost to the reaper, and releases one stopped for a shutdown", () => {
    expect(outcomeOf({ ok: false, error: new Error("x") }, new JobStopped("cancelled", "a cancel was requested"))).toEqual({ kind: "cancelled" });
    expect(outcomeOf({ ok: true, value: null }, new JobStopped("lease_lost", "stale"))).toEqual({ kind: "lost", message: "stale" });
    expect(outcomeOf({ ok: false, error: new Error("x") }, new JobStopped("shutdown", "bye"))).toEqual({ kind: "release", reason: "released: the worker is shutting down" });
  });
  it("counts a job the processor completed itself as completed, even when a heartbeat refused after that completion stopped it", () => {
    // The heartbeat waited on the completion's row lock, then found the job completed: refused.
    const write = (accepted: boolean): JobWrite => ({ accepted, jobId: "j", attempt: 1, status: accepted ? "completed" : "running", runAfter: null, leaseExpiresAt: null, cancelRequested: false, message: accepted ? null : "stale attempt" });
    const done = new CompletedJob(write(true));
    expect(outcomeOf({ ok: true, value: done }, new JobStopped("lease_lost", "job is completed"))).toEqual({ kind: "completed_by_processor", accepted: true, message: null });
    expect(outcomeOf({ ok: true, value: done }, new JobStopped("cancelled", "a cancel was requested"))).toEqual({ kind: "completed_by_processor", accepted: true, message: null });
    // A completion the database refused (the job was reaped and handed on) stays lost.
    expect(outcomeOf({ ok: true, value: new CompletedJob(write(false)) }, new JobStopped("lease_lost", "stale"))).toEqual({ kind: "lost", message: "stale" });
  });

  it("hands back without an attempt a job stopped for making no progress, and one whose write met a lock past its lock_timeout", () => {
    expect(outcomeOf({ ok: false, error: new Error("aborted") }, new JobStopped("stalled", "no progress for 120 s")))
      .toEqual({ kind: "release", reason: "released: no progress for 120 s" });
    expect(outcomeOf({ ok: false, error: connection("55P03", "canceling statement due to lock timeout") }, null))
      .toEqual({ kind: "release", reason: "released: a lock held elsewhere kept the job's write waiting past its lock_timeout (canceling statement due to lock timeout)" });
    expect(outcomeOf({ ok: false, error: new SourceUnavailable("no answer within 15000 ms", { timedOut: true }) }, null))
      .toEqual({ kind: "source_outage", error: "no answer within 15000 ms", timedOut: true });
  });
});
