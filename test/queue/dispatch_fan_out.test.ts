// How many workers an enqueue and the tick wake (dispatch_scan_workers), read from what they leave
// for pg_net: with no dispatcher running in this database, every wake-up stays in
// net.http_request_queue, which is also what the function counts as "being woken".
import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { createCompany, createRepository } from "./fixtures.ts";

const t = useTestDatabase();
const WORKER_URL = "https://project.example.supabase.co/functions/v1/scan-repository";

beforeEach(async () => {
  const sql = t.current.sql;
  await sql`delete from scan_queue`;
  await sql`delete from scan_workers`;
  await sql`delete from net.http_request_queue`;
  await sql`delete from vault.secrets where name in ('project_url', 'secret_key')`;
  await sql`select vault.create_secret('https://project.example.supabase.co', 'project_url')`;
  await sql`select vault.create_secret('sb_secret_fanouttest0000000000000000', 'secret_key')`;
  await sql`update pipeline_settings set value = '8' where name = 'max_scan_workers'`;
  await sql`update pipeline_settings set value = '12' where name = 'max_edge_workers'`;
});

async function waking(): Promise<number> {
  const [{ n }] = await t.current.sql`select count(*)::int as n from net.http_request_queue where url = ${WORKER_URL}`;
  return n;
}

async function repositories(n: number): Promise<{ companyId: string; ids: string[] }> {
  const companyId = await createCompany(t.current.sql);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await createRepository(t.current.sql, companyId));
  return { companyId, ids };
}

describe("the dispatch's fan-out", () => {
  it("wakes up to max_scan_workers at once for a bulk enqueue, and no more on the next tick while they are being woken", async () => {
    const { companyId, ids } = await repositories(40);
    const jobs = ids.map((id) => ({ company_id: companyId, repository_id: id, scan_type: "full_scan" }));
    await t.current.sql`select count(*) from public.enqueue_scans(${t.current.sql.json(jobs)})`;
    expect(await waking()).toBe(8);
    const [{ started }] = await t.current.sql`select public.dispatch_scan_workers() as started`;
    expect(started).toBe(0);
    expect(await waking()).toBe(8);
    const [request] = await t.current.sql`select headers, convert_from(body, 'utf8')::jsonb as body from net.http_request_queue limit 1`;
    expect(request.headers).toMatchObject({ apikey: "sb_secret_fanouttest0000000000000000" });
    expect(request.body).toEqual({ reason: "enqueue" });
  });

  it("wakes one worker per two ready jobs, less those being woken, within the seats left by running workers", async () => {
    const { companyId, ids } = await repositories(12);
    for (const id of ids.slice(0, 3)) {
      await t.current.sql`select public.enqueue_scan(${companyId}, ${id}, 'full_scan')`;
    }
    expect(await waking()).toBe(2); // ceil(3 / 2): the second enqueue found one worker being woken for two jobs
    await t.current.sql`delete from net.http_request_queue`; // sent; those two now run
    await t.current.sql`select public.begin_scan_worker('w-' || i, 'scan-repository', 60) from generate_series(1, 6) i`;
    const jobs = ids.slice(3).map((id) => ({ company_id: companyId, repository_id: id, scan_type: "full_scan" }));
    await t.current.sql`select count(*) from public.enqueue_scans(${t.current.sql.json(jobs)})`;
    expect(await waking()).toBe(2); // 12 ready want 6, but 6 of the 8 seats are taken
  });

  it("seats no more than max_edge_workers invocations across all worker functions, whatever each function's own seats", async () => {
    const sql = t.current.sql;
    await sql`update pipeline_settings set value = '3' where name = 'max_edge_workers'`;
    const seat = async (worker: string, fn: string) => (await sql`select public.begin_scan_worker(${worker}, ${fn}, 60) as ok`)[0].ok;
    expect(await seat("report-1", "generate-report")).toBe(true);
    expect(await seat("scores-1", "calculate-scores")).toBe(true);
    expect(await seat("scan-1", "scan-repository")).toBe(true);
    expect(await seat("scan-2", "scan-repository")).toBe(false); // 1 of its 8 taken, but 3 of the project's 3
    await sql`select public.end_scan_worker('report-1')`;
    expect(await seat("scan-2", "scan-repository")).toBe(true);
  });

  it("wakes only the seats left under max_edge_workers, counting other functions' workers and wake-ups", async () => {
    const sql = t.current.sql;
    await sql`update pipeline_settings set value = '5' where name = 'max_edge_workers'`;
    await sql`select public.begin_scan_worker('report-' || i, 'generate-report', 60) from generate_series(1, 2) i`;
    await sql`select net.http_post(url := 'https://project.example.supabase.co/functions/v1/calculate-scores', body := '{}'::jsonb)`;
    const { companyId, ids } = await repositories(40);
    const jobs = ids.map((id) => ({ company_id: companyId, repository_id: id, scan_type: "full_scan" }));
    await sql`select count(*) from public.enqueue_scans(${sql.json(jobs)})`;
    expect(await waking()).toBe(2); // 5, less 2 running and 1 being woken elsewhere; not scan-repository's 8
    const [{ started }] = await sql`select public.dispatch_scan_workers() as started`;
    expect(started).toBe(0);
    await sql`select public.end_scan_worker('report-1')`;
    const [{ again }] = await sql`select public.dispatch_scan_workers() as again`;
    expect(again).toBe(1);
  });

  it("wakes nobody without the project's URL and key in Vault", async () => {
    await t.current.sql`delete from vault.secrets where name in ('project_url', 'secret_key')`;
    const { companyId, ids } = await repositories(2);
    await t.current.sql`select public.enqueue_scan(${companyId}, ${ids[0]}, 'full_scan')`;
    expect(await waking()).toBe(0);
  });
});
