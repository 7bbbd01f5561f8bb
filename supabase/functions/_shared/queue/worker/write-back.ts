/**
 * A job's write-backs (its outcome, a release), retried while its lease lasts. Every write-back is
 * fenced in SQL (job id + attempt + status), so a repeat is refused, never doubled: retrying is
 * always safe. Why until the lease ends: a Postgres restart takes seconds, and a write that gave
 * up after ~2 s forgot its job, stranding it and its company's slot for a whole lease; once the
 * lease is over the reaper hands the job on anyway, so trying longer changes nothing.
 */
import { isConnectionError } from "../../platform/db.ts";
import type { Clock } from "../clock.ts";
import type { Job, JobWrite } from "../types.ts";
import type { JobLog } from "./job-log.ts";
import { errorMessage } from "./outcomes.ts";

/** Statement errors (not the connection): a few tries, then give up. */
const STATEMENT_ERROR_TRIES = 4;

export class WriteBack {
  constructor(private readonly clock: Clock, private readonly jobLog: JobLog) {}

  /**
   * Runs `write` until the database answers, retrying lost connections until `leaseEndsAt()`
   * (ms) and other errors a few times. Answers the database's answer (a refusal is logged here and
   * counted by the executor), or null when it gave up (the reaper hands the job on when its lease
   * runs out).
   */
  async write(job: Job, leaseEndsAt: () => number, write: () => Promise<JobWrite>): Promise<JobWrite | null> {
    const { clock, jobLog } = this;
    for (let i = 0; ; i++) {
      try {
        const w = await write();
        if (!w.accepted) jobLog.line("warn", w.message ?? "write refused", job);
        return w;
      } catch (e) {
        const connection = isConnectionError(e);
        const delay = Math.min(2_000, 100 * 2 ** i);
        if (connection ? clock.now() + delay >= leaseEndsAt() : i + 1 >= STATEMENT_ERROR_TRIES) {
          jobLog.line("error", `write-back failed, the reaper will hand the job on when its lease runs out: ${errorMessage(e)}`, job);
          return null;
        }
        if (i === 0) jobLog.line("warn", `write-back failed, retrying${connection ? " while the lease lasts" : ""}: ${errorMessage(e)}`, job);
        await clock.sleep(delay);
      }
    }
  }
}
