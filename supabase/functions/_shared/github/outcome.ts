/**
 * How a scan's failure steers its job: GitHub's "come back later" becomes a snooze (no attempt
 * spent, no sleeping in an edge function); everything else is a failed attempt with the reason,
 * retryable or not. The pipeline maps these onto snooze_scan_job / fail_scan_job.
 */
import { GitHubError, RateLimited } from "./errors.ts";

export type JobOutcome =
  | { kind: "snooze"; until: Date; reason: string }
  | { kind: "fail"; error: string; retryable: boolean };

export function jobOutcomeForError(error: unknown): JobOutcome {
  if (error instanceof RateLimited) return { kind: "snooze", until: error.resetAt, reason: error.message };
  if (error instanceof GitHubError) return { kind: "fail", error: error.message, retryable: error.retryable };
  const message = error instanceof Error ? error.message : String(error);
  return { kind: "fail", error: `unexpected error: ${message}`, retryable: true };
}
