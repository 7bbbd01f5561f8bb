// The completer alone (queue/worker/completer.ts), without a loop: who sends the completions.
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { JobQueue } from "../../supabase/functions/_shared/queue/client.ts";
import { Completer } from "../../supabase/functions/_shared/queue/worker/completer.ts";
import { createCompany } from "./fixtures.ts";

const tdb = useTestDatabase({ jobTypes: ["done_scan"] });

async function claimed(queue: JobQueue, n: number) {
  const companyId = await createCompany(tdb.current.sql, { max_concurrent_scans: n });
  await queue.enqueueMany(Array.from({ length: n }, (_, i) => ({ companyId, scanType: "done_scan", dedupeKey: `d${i}` })));
  return await queue.claim({ workerId: "w", leaseSeconds: 30, scanTypes: ["done_scan"], limit: n });
}

const statuses = async (ids: string[]) =>
  (await tdb.current.sql`select status from public.scan_queue where id = any(${ids}) order by status`).map((r) => r.status);

describe("Completer", () => {
  it("sends a completion at once when no sender is handed the completions", async () => {
    const queue = new JobQueue(tdb.current.db);
    const [job] = await claimed(queue, 1);
    const w = await new Completer(queue).complete(job, { ok: true });
    expect([w.accepted, w.status]).toEqual([true, "completed"]);
  });

  it("with a sender, only nudges it, and sends what waits as one batch when the sender hands back", async () => {
    const queue = new JobQueue(tdb.current.db);
    const jobs = await claimed(queue, 3);
    const completer = new Completer(queue);
    let nudges = 0;
    completer.sendWith({ nudge: () => nudges++ });
    const answers = jobs.map((job) => completer.complete(job, null));
    expect(nudges).toBe(3);
    expect(await statuses(jobs.map((j) => j.id))).toEqual(["running", "running", "running"]);
    completer.sendWith(null);
    expect((await Promise.all(answers)).map((w) => w.accepted)).toEqual([true, true, true]);
    expect(await statuses(jobs.map((j) => j.id))).toEqual(["completed", "completed", "completed"]);
  });
});
