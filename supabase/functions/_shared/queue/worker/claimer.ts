/**
 * The claimer (River's producer): claims jobs while there is capacity and hands them to its sink
 * (RunningJobs), waits for work between claims, and sends the batched completions beside its claims.
 *
 * Up to ceil(concurrency / 2) claims (at most 4) run at once, each for the capacity free when it
 * starts: with 4 no-op workers one claimer at a time left the database idle between round trips
 * (1,060 jobs/s against 2,9xx with two; bench/queue.ts). After a claim comes back short the queue
 * is taken as empty until something says otherwise: a wake() (a notification, a job of ours
 * finishing), or the poll interval — unless such a wake came while that claim was on its way (16
 * workers otherwise sat out a 2 s poll in a third of the bench runs: a claim came back short
 * because slots were still held by completions that committed, and woke the claimer, before the
 * short answer arrived).
 */
import type { JobQueue } from "../client.ts";
import type { Clock } from "../clock.ts";
import type { Job } from "../types.ts";
import type { Completer } from "./completer.ts";
import { errorMessage, type QueueLog } from "./outcomes.ts";

export interface ClaimerOptions {
  workerId: string;
  leaseSeconds: number;
  scanTypes: readonly string[] | undefined;
  concurrency: number;
  /** The longest wait between claims without a wake-up. */
  pollIntervalMs: number;
}

/** Where the claimer hands the jobs it claims (RunningJobs), and what it reads to size its claims. */
export interface ClaimSink {
  /** Jobs whose processor is running now (what concurrency bounds). */
  readonly processing: number;
  /** Jobs not yet written back (what an edge drain waits for before it ends). */
  readonly inFlight: number;
  /** Runs a claimed job; `deadline`: the run's (ClaimRun.deadline). */
  start(job: Job, deadline: number | null): void;
}

export interface ClaimRun {
  /** Jobs must be done by then (an edge invocation's budget); null for a long-lived worker. */
  deadline: number | null;
  /** No claim starts after this; null: claim until stopped. */
  stopClaimingAt: number | null;
  /** End once the queue has nothing for us and nothing is in flight (an edge drain). */
  untilIdle: boolean;
  /** Aborted when the loop is asked to stop (shutdown). */
  stop: AbortSignal;
  /** Jobs claimed already (a request named them): handed out first. */
  claimed?: readonly Job[];
}

/** Claim errors back off 0.5 s, 1 s, … up to this: the database may be restarting. */
const MAX_CLAIM_BACKOFF_MS = 5_000;

export class Claimer {
  private waiters: (() => void)[] = [];
  private nudged = false;
  private workMayBeReady = false;
  /** wake() calls so far: a claim that comes back short only idles if none came meanwhile. */
  private wakes = 0;
  /** Jobs claimed in the current run (the report's `claimed`). */
  private claimedJobs = 0;

  constructor(
    private readonly queue: JobQueue,
    private readonly completer: Completer,
    private readonly clock: Clock,
    private readonly log: QueueLog,
    private readonly o: ClaimerOptions,
  ) {}

  /** Jobs claimed (or handed in) since the current run began. */
  get claimed(): number {
    return this.claimedJobs;
  }

  /** New work may be ready (a notification, a slot freed): claim now instead of at the next poll. */
  wake(): void {
    this.wakes++;
    this.workMayBeReady = true;
    this.nudge();
  }

  /** Wakes the claimer without saying anything about the queue (a claim returned, a completion queued). */
  nudge(): void {
    this.nudged = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Waits for a nudge or `ms`; answers whether work may be ready (a wake, a freed slot, the poll). */
  private async waitForNudge(ms: number): Promise<boolean> {
    if (!this.nudged) {
      let timedOut = false;
      let cancel = () => {};
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        cancel = this.clock.timer(ms, () => {
          timedOut = true;
          resolve();
        });
      });
      cancel();
      if (timedOut) this.workMayBeReady = true;
    }
    this.nudged = false;
    const ready = this.workMayBeReady;
    this.workMayBeReady = false;
    return ready;
  }

  /** Hands `o.claimed` to `sink`, then claims for it until stopped, past stopClaimingAt, or (untilIdle) out of work. */
  async run(o: ClaimRun, sink: ClaimSink): Promise<void> {
    const { queue, completer, clock, log } = this;
    const { workerId, leaseSeconds, scanTypes, concurrency, pollIntervalMs } = this.o;
    this.claimedJobs = 0;
    for (const job of o.claimed ?? []) {
      this.claimedJobs++;
      sink.start(job, o.deadline);
    }
    const maxClaims = Math.min(4, Math.ceil(concurrency / 2));
    const claims = new Set<Promise<void>>();
    completer.sendWith(this);
    let reserved = 0;
    let idle = false;
    let claimErrors = 0;
    while (!o.stop.aborted) {
      if (o.stopClaimingAt !== null && clock.now() >= o.stopClaimingAt) break;
      const free = concurrency - sink.processing - reserved;
      if (!idle && free > 0 && claims.size < maxClaims) {
        reserved += free;
        const wakesBefore = this.wakes;
        const claim = (async () => {
          try {
            const jobs = await queue.claim({ workerId, leaseSeconds, scanTypes, limit: free });
            claimErrors = 0;
            this.claimedJobs += jobs.length;
            for (const job of jobs) sink.start(job, o.deadline);
            // Short: nothing more is ready, unless a slot was freed or work announced while the claim
            // was on its way (that wake was spent already; idling now would wait out the poll).
            if (jobs.length < free && this.wakes === wakesBefore) idle = true;
          } catch (e) {
            claimErrors++;
            log("error", "claim failed", { workerId, error: errorMessage(e) });
            await clock.sleep(Math.min(MAX_CLAIM_BACKOFF_MS, 250 * 2 ** Math.min(claimErrors, 5)));
          } finally {
            reserved -= free;
          }
        })();
        claims.add(claim);
        void claim.finally(() => {
          claims.delete(claim);
          this.nudge();
        });
        // The completions go out after the claim, in the same turn of the event loop: the claim's
        // round trip is what the next jobs wait for, the completions' is not.
        completer.send();
        continue;
      }
      completer.send();
      if (o.untilIdle && idle && sink.inFlight === 0 && claims.size === 0) break;
      const wait = o.stopClaimingAt === null ? pollIntervalMs : Math.min(pollIntervalMs, Math.max(0, o.stopClaimingAt - clock.now()));
      if (await this.waitForNudge(wait)) idle = false;
    }
    completer.sendWith(null);
    await Promise.all(claims);
  }
}
