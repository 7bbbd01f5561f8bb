// The queue's maintenance runs on pg_cron: the migrations register each schedule once, by name.
// (Who may read and call what of the queue is the privilege matrix's: test/platform/privileges.test.ts.)
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";

const tdb = useTestDatabase();

describe("scan_queue schedules", () => {
  it("registers the dispatch tick, the reaper, the pruners and the governance jobs with cron", async () => {
    const jobs = await tdb.current.sql<{ jobname: string; schedule: string }[]>`
      select jobname, schedule from cron.job where jobname like 'codeguard-%' order by jobname`;
    expect(jobs).toEqual([
      { jobname: "codeguard-daily-auto-scan", schedule: "0 3 * * *" },
      { jobname: "codeguard-dispatch-scan-workers", schedule: "10 seconds" },
      { jobname: "codeguard-job-alerts", schedule: "*/5 * * * *" },
      { jobname: "codeguard-prune-ai-debt-scores", schedule: "53 3 * * *" },
      { jobname: "codeguard-prune-github-etag-cache", schedule: "23 * * * *" },
      { jobname: "codeguard-prune-github-webhook-deliveries", schedule: "29 * * * *" },
      { jobname: "codeguard-prune-platform-history", schedule: "17 * * * *" },
      { jobname: "codeguard-prune-scan-queue", schedule: "41 3 * * *" },
      { jobname: "codeguard-reap-expired-scan-jobs", schedule: "10 seconds" },
      { jobname: "codeguard-refresh-views", schedule: "*/15 * * * *" },
      { jobname: "codeguard-slack-digests", schedule: "0 9 * * 1" },
      { jobname: "codeguard-weekly-reports", schedule: "0 2 * * 1" },
    ]);
  });
});
