/**
 * What a source's answer means for the job (source/errors.ts onto queue/worker/outcomes.ts):
 * "come back at" snoozes it (no attempt spent), a source that is down waits for the source (no
 * attempt spent, claims of the source's jobs paused), a refusal is a permanent failure. Anything
 * else is returned as it is: a failed attempt, retried with backoff.
 */
import { PermanentJobError, SnoozeJob, SourceUnavailable } from "../queue/worker/outcomes.ts";
import { SourceDown, SourceRateLimited, SourceRefused } from "../source/errors.ts";

export function jobErrorFor(error: unknown): unknown {
  if (error instanceof SourceRateLimited) return new SnoozeJob(error.until, error.message);
  if (error instanceof SourceDown) return new SourceUnavailable(error.message, { cause: error, timedOut: error.timedOut });
  if (error instanceof SourceRefused) return new PermanentJobError(error.message, { cause: error });
  return error;
}
