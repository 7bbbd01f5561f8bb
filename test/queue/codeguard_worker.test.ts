import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { JobQueue } from "../../supabase/functions/_shared/queue/client.ts";
import { startWorker } from "../../src/worker/worker.ts";
import { parseWorkerArgs, run } from "../../src/cli/commands/worker.ts";
import { createCompany } from "./fixtures.ts";

const tdb = useTestDatabase({ jobTypes: ["notify_scan"] });

describe("codeguard worker", () => {
  it("is woken by the enqueue notification, not by its poll", async () => {
    const processed: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const worker = await startWorker({
      dbUrl: tdb.current.url, concurrency: 2, workerId: "listener", pollIntervalMs: 3_600_000, // the poll never fires
      processors: { notify_scan: async ({ job }) => { processed.push(job.id); done(); } },
    });
    try {
      await new Promise((r) => setTimeout(r, 50)); // the first (empty) claim has come back
      const job = await new JobQueue(tdb.current.db).enqueue({ companyId: await createCompany(tdb.current.sql), scanType: "notify_scan", dedupeKey: "n" });
      await finished;
      expect(processed).toEqual([job.id]);
    } finally {
      await worker.stop({ graceMs: 5_000 });
    }
  });

  it("reads the database URL from SUPABASE_DB_URL or --db-url, --concurrency and --job-timeout-minutes", () => {
    expect(parseWorkerArgs(["--concurrency", "8"], { SUPABASE_DB_URL: "postgres://env" })).toEqual({ concurrency: 8, dbUrl: "postgres://env", graceSeconds: 30, jobTimeoutMinutes: 60 });
    expect(parseWorkerArgs(["--job-timeout-minutes", "90"], { SUPABASE_DB_URL: "x" })).toMatchObject({ jobTimeoutMinutes: 90 });
    expect(() => parseWorkerArgs(["--job-timeout-minutes", "0"], { SUPABASE_DB_URL: "x" })).toThrow(/--job-timeout-minutes must be a number > 0, got 0/);
    expect(parseWorkerArgs(["--db-url=postgres://flag"], { SUPABASE_DB_URL: "postgres://env" })).toMatchObject({ dbUrl: "postgres://flag", concurrency: 4 });
    expect(() => parseWorkerArgs(["--concurrency", "0"], { SUPABASE_DB_URL: "x" })).toThrow(/--concurrency must be/);
  });

  it("fails with a message naming SUPABASE_DB_URL when no database is given", async () => {
    const saved = process.env.SUPABASE_DB_URL;
    delete process.env.SUPABASE_DB_URL;
    const errors: string[] = [];
    const original = console.error;
    console.error = (m: string) => errors.push(m);
    try {
      expect(await run([])).toBe(2);
    } finally {
      console.error = original;
      if (saved !== undefined) process.env.SUPABASE_DB_URL = saved;
    }
    expect(errors.join("\n")).toMatch(/missing SUPABASE_DB_URL/);
  });
});
