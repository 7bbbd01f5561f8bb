/**
 * The jobs a loop has in flight, from the claimer's hand-over to their write-back. One job's way:
 *
 *   Claimer.run ─ claim ─► RunningJobs.start(job) ─► Executor.process (heartbeats, the processor)
 *     ─► processed(): its slot is free, the claimer is woken ─► Executor.record (the outcome's
 *     write: Completer batch, or snooze / fail / … through WriteBack) ─► forgotten here.
 *
 * This part owns the table and the count of jobs whose processor still runs (what `concurrency`
 * bounds), arms each job's bounds (bounds.ts), and at the end of a run stops and hands back what
 * is left (settle). The claimer reads its capacity through ClaimSink; the executor never calls back.
 */
import type { Clock } from "../clock.ts";
import type { Job } from "../types.ts";
import { armStallBound, armTimeLimit, type JobBounds } from "./bounds.ts";
import type { ClaimSink } from "./claimer.ts";
import type { Executor } from "./executor.ts";
import { JobStopped, type JobOutcome } from "./outcomes.ts";
import type { RunningJob } from "./running-job.ts";

/** What RunningJobs wakes when a slot frees or a write-back lands (the claimer). */
export interface Wakeable {
  wake(): void;
}

/**
 * The reason given when the loop aborts its own timers. `abort()` without a reason builds a
 * DOMException with a stack trace each time: ~8 % of the loop's CPU per no-op job in a profile of
 * bench/queue.ts (1 worker), on a 2-core machine where Postgres needs that CPU.
 */
const timerDone = Object.freeze({ reason: "timer no longer needed" });

export class RunningJobs implements ClaimSink {
  private readonly table = new Map<string, RunningJob>();
  private running = 0;

  constructor(
    private readonly executor: Executor,
    private readonly claimer: Wakeable,
    private readonly clock: Clock,
    private readonly leaseSeconds: number,
    private readonly bounds: JobBounds,
  ) {}

  /** Jobs whose processor runs now. */
  get processing(): number {
    return this.running;
  }

  /** Jobs not yet written back. */
  get inFlight(): number {
    return this.table.size;
  }

  /** Runs a claimed job to its write-back; `deadline`: an edge invocation's budget, else null. */
  start(job: Job, deadline: number | null): void {
    const now = this.clock.now();
    const entry: RunningJob = {
      job, controller: new AbortController(), done: Promise.resolve(), abandoned: false, processing: true,
      leaseEndsAt: now + this.leaseSeconds * 1000, movedAt: now,
    };
    this.running++;
    this.table.set(job.id, entry);
    let disarmLimit = () => {};
    if (deadline === null && this.bounds.jobTimeoutMs !== null) {
      deadline = this.clock.now() + this.bounds.jobTimeoutMs;
      disarmLimit = armTimeLimit(entry, this.bounds, this);
    }
    const disarmStall = armStallBound(entry, this.bounds, this);
    entry.done = (async () => {
      const outcome = await this.executor.process(entry, deadline);
      if (entry.abandoned) return; // its outcome was written already (released, timed out)
      this.processed(entry);
      await this.executor.record(entry, outcome);
    })().finally(() => {
      disarmLimit();
      disarmStall();
      this.processed(entry);
      this.forget(entry);
      this.claimer.wake(); // the write-back committed: a company of ours may be under its cap again
    });
  }

  /** Writes an outcome for a job whose processor still runs, and lets the processor go. */
  async abandon(entry: RunningJob, outcome: JobOutcome): Promise<void> {
    entry.abandoned = true;
    this.processed(entry);
    await this.executor.record(entry, outcome);
    this.forget(entry);
  }

  /**
   * The job's processor is done: its capacity is free while the write-back is still on its way, so
   * the next claim overlaps the completion instead of waiting a round trip for it. With 1 no-op
   * worker that took the loop from claim + complete in series to both at once (bench/queue.ts).
   * settle() still waits for the write-back (the job stays in the table until then).
   */
  private processed(entry: RunningJob): void {
    if (!entry.processing) return;
    entry.processing = false;
    this.running--;
    this.claimer.wake();
  }

  private forget(entry: RunningJob): void {
    if (this.table.get(entry.job.id) === entry) this.table.delete(entry.job.id);
  }

  /** Waits up to `ms` for the jobs in flight, then stops the rest with `reason` and hands them back. */
  async settle(ms: number, reason: "deadline" | "shutdown", reactMs: number): Promise<void> {
    const all = () => Promise.all([...this.table.values()].map((f) => f.done));
    if (this.table.size === 0) return;
    const timer = new AbortController();
    await Promise.race([all(), this.clock.sleep(Math.max(0, ms), timer.signal)]);
    timer.abort(timerDone);
    if (this.table.size === 0) return;
    const message = reason === "deadline" ? "the time budget ran out" : "the worker is shutting down";
    for (const f of this.table.values()) f.controller.abort(new JobStopped(reason, message));
    const react = new AbortController();
    await Promise.race([all(), this.clock.sleep(reactMs, react.signal)]);
    react.abort(timerDone);
    await Promise.all(
      [...this.table.values()].map(async (f) => {
        if (f.abandoned) return; // its time limit's outcome is being written; its processor may never return
        if (!f.processing) return await f.done; // only its write-back is left: let it land
        await this.abandon(f, reason === "shutdown"
          ? { kind: "release", reason: `released: ${message}` }
          : { kind: "fail", error: "did not finish within the time budget", retryable: true });
      }),
    );
  }
}
