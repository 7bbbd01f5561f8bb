/**
 * One job a loop runs, as the parts that handle it share it: RunningJobs makes and forgets it, the
 * executor runs and writes it back, the bounds (bounds.ts) watch it. Its shape only (RunningJobs
 * makes each), so that none of them imports another for it.
 */
import type { Job } from "../types.ts";

/** One job being run: what the executor, the bounds and the settle read and set about it. */
export interface RunningJob {
  readonly job: Job;
  readonly controller: AbortController;
  /** Settles once the job is written back (or given up) and forgotten. */
  done: Promise<void>;
  /** Set when its outcome was written without its processor (released, timed out): ignore the processor. */
  abandoned: boolean;
  /** True while the processor runs; false once only the job's write-back is left. */
  processing: boolean;
  /** When the lease ends (ms) by the last accepted claim or heartbeat: how long a write-back may retry. */
  leaseEndsAt: number;
  /**
   * When the processor last showed the job moving (ms): its claim, a progress report, an answer
   * from its source. Heartbeats prove only that the worker lives; this is what the stall bound reads.
   */
  movedAt: number;
}
