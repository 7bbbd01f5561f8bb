// `codeguard schedules`, run as a user runs it against a database with the migrations applied.
import { describe, expect, it } from "vitest";
import { nextRun } from "../../src/local/schedule.ts";
import { useTestDatabase } from "../harness/db.ts";
import { runCodeguard } from "../harness/processes.ts";

const t = useTestDatabase();

describe("codeguard schedules", () => {
  it("lists every schedule with its next run and how its last run went", async () => {
    const sql = t.current.sql;
    await sql`
      insert into cron.job_run_details (jobid, status, return_message, start_time, end_time)
      select jobid, 'failed', 'ERROR: something broke
      CONTEXT: …', now() - interval '1 minute', now() - interval '1 minute' from cron.job where jobname = 'codeguard-prune-scan-queue'`;
    const p = runCodeguard(["schedules", "--db-url", t.current.url]);
    expect(await p.exited, p.log()).toBe(0);
    const lines = p.log().trim().split("\n");
    expect(lines[0]).toMatch(/^SCHEDULE\s+WHEN\s+NEXT RUN \(UTC\)\s+LAST RUN \(UTC\)\s+LAST STATUS$/);
    const line = (name: string) => lines.find((l) => l.startsWith(name)) ?? "";
    const next3am = nextRun("0 3 * * *", new Date())!.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
    expect(line("codeguard-daily-auto-scan")).toMatch(new RegExp(`0 3 \\* \\* \\*\\s+${next3am.replace(/[-:]/g, "\\$&")}\\s+—\\s+never run$`));
    expect(line("codeguard-prune-scan-queue")).toMatch(/failed: ERROR: something broke$/);
    expect(line("codeguard-reap-expired-scan-jobs")).toMatch(/10 seconds/);
    expect(lines).toHaveLength(1 + 12);
  });

  it("runs an 'N seconds' schedule N seconds after its last run", () => {
    const now = new Date("2031-05-05T10:00:00Z");
    expect(nextRun("10 seconds", now, new Date("2031-05-05T09:59:55Z"))?.toISOString()).toBe("2031-05-05T10:00:05.000Z");
    expect(nextRun("10 seconds", now, null)?.toISOString()).toBe("2031-05-05T10:00:10.000Z");
    expect(nextRun("0 0 $ * *", now)?.toISOString()).toBe("2031-05-31T00:00:00.000Z");
  });
});
