// A job's source is its repository's (public.scan_job_source): an outage of one source pauses the
// claims of its repositories' jobs only — the same job types over another source's repositories go
// on — and its probe, its answer and its end are that source's. A job without a repository keeps
// its type's source (none, for local_only).
import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { clockedQueue, createCompany, createRepository, seconds } from "./fixtures.ts";

const tdb = useTestDatabase({ jobTypes: ["local_only"] });

beforeEach(async () => {
  await tdb.current.sql`delete from public.scan_queue`;
  await tdb.current.sql`delete from public.scan_source_outages`;
  await tdb.current.sql`delete from public.scan_source_answers`;
  await tdb.current.sql`insert into public.repository_sources (name, full_name_pattern, full_name_form, description)
                        values ('forge', '^[a-z]+(/[a-z0-9-]+)+$', 'group/…/name', 'a second forge') on conflict do nothing`;
});

async function forgeRepository(companyId: string, name: string): Promise<string> {
  const [r] = await tdb.current.sql`insert into public.repositories (company_id, full_name, source) values (${companyId}, ${name}, 'forge') returning id`;
  return r.id;
}

describe("a source outage keyed on the repository's source", () => {
  it("pauses the jobs of that source's repositories only, probes with one of them, and ends when it answers", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql, { max_concurrent_scans: 10 });
    const t0 = new Date("2032-01-01T00:00:00Z");
    const c = await clockedQueue(tdb.current, t0);
    const forge = await c.queue.enqueueMany([
      { companyId: company, repositoryId: await forgeRepository(company, "group/sub/one"), scanType: "full_scan" },
      { companyId: company, repositoryId: await forgeRepository(company, "group/sub/two"), scanType: "full_scan" },
    ]);
    const [first] = await c.queue.claim({ workerId: "w", scanTypes: ["full_scan"], limit: 1 });
    expect(forge.map((j) => j.id)).toContain(first.id);
    await c.queue.reportSourceOutage({ jobId: first.id, attempt: first.attempts, error: "the forge refused the connection" });
    expect((await sql`select source from public.scan_source_outages`).map((r) => r.source)).toEqual(["forge"]);

    // GitHub repositories' full scans are claimed; the forge's are not.
    const github = await c.queue.enqueue({ companyId: company, repositoryId: await createRepository(sql, company), scanType: "full_scan" });
    const local = await c.queue.enqueue({ companyId: company, scanType: "local_only", dedupeKey: "l" });
    expect((await c.queue.claim({ workerId: "w", limit: 10 })).map((j) => j.id).sort()).toEqual([github.id, local.id].sort());
    expect(await c.queue.claimJob({ jobId: forge.find((j) => j.id !== first.id)!.id, workerId: "w" })).toBeNull();

    // The probe, once the wait is over, is one of the forge's jobs; its answer closes the forge's circuit.
    await c.setNow(seconds(t0, 6));
    const probe = await c.queue.claim({ workerId: "w", limit: 10 });
    expect(probe).toHaveLength(1);
    expect(forge.map((j) => j.id)).toContain(probe[0].id);
    expect(await c.queue.sourceAnswered({ jobId: probe[0].id, attempt: probe[0].attempts })).toBe(true);
    expect(await sql`select source from public.scan_source_outages`).toEqual([]);
    expect((await sql`select source from public.scan_source_answers where job_id = ${probe[0].id}`).map((r) => r.source)).toEqual(["forge"]);
    expect(await c.queue.claim({ workerId: "w", limit: 10 })).toHaveLength(1);
  });

  it("refuses an outage report of a job whose type reads no source", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql);
    const c = await clockedQueue(tdb.current, new Date("2032-01-01T00:00:00Z"));
    await c.queue.enqueue({ companyId: company, scanType: "local_only", dedupeKey: "l" });
    const [j] = await c.queue.claim({ workerId: "w", limit: 1 });
    await expect(c.queue.reportSourceOutage({ jobId: j.id, attempt: j.attempts, error: "x" })).rejects.toThrow(/reads no source/);
  });
});
