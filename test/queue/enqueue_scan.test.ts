import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { dbFromPostgresJs } from "../../supabase/functions/_shared/platform/db.ts";
import { JobQueue } from "../../supabase/functions/_shared/queue/client.ts";
import { createCompany, createRepository } from "./fixtures.ts";

const tdb = useTestDatabase({ jobTypes: ["quoting", "weekly_report"] });

describe("enqueue_scan", () => {
  // Prepared (parameters, the default) and behind a transaction pooler (prepare: false: literals).
  it.each([["prepared", true], ["unprepared", false]] as const)("stores quotes, backslashes and other text in its arguments exactly as given (%s statements)", async (_mode, prepare) => {
    const company = await createCompany(tdb.current.sql);
    const db = dbFromPostgresJs(tdb.current.connect({ max: 1, prepare }));
    expect(db.prepares).toBe(prepare);
    const queue = new JobQueue(db);
    const tricky = `it's \\ a "key"'); drop table public.scan_queue; -- \u00e9 \n`;
    const job = await queue.enqueue({ companyId: company, scanType: "quoting", dedupeKey: tricky, payload: { note: tricky, list: ["'", "\\"] } });
    expect(job.dedupeKey).toBe(tricky);
    expect(job.payload).toEqual({ note: tricky, list: ["'", "\\"] });
    const claimed = await queue.claimNext({ workerId: tricky, scanTypes: ["quoting"] });
    expect(claimed?.workerId).toBe(tricky);
    const done = await queue.completeMany([{ jobId: claimed!.id, attempt: claimed!.attempts, result: { echo: tricky } }]);
    expect(done[0].accepted).toBe(true);
    const [row] = await tdb.current.sql<{ result: unknown }[]>`select result from public.scan_queue where id = ${claimed!.id}`;
    expect(row.result).toEqual({ echo: tricky });
    await expect(queue.enqueue({ companyId: company, scanType: "quoting", dedupeKey: "nul\u0000" })).rejects.toThrow(/NUL/);
  });

  it("answers the live job instead of a duplicate for the same repository and scan type", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql);
    const repo = await createRepository(sql, company);
    const queue = new JobQueue(tdb.current.db);
    const first = await queue.enqueue({ companyId: company, repositoryId: repo, scanType: "full_scan", priority: 1 });
    const again = await queue.enqueue({ companyId: company, repositoryId: repo, scanType: "full_scan", priority: 1 });
    const other = await queue.enqueue({ companyId: company, repositoryId: repo, scanType: "incremental_scan" });
    expect(again.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from public.scan_queue where repository_id = ${repo}`;
    expect(n).toBe(2);

    // Still deduplicated while running; a new job once the live one has finished.
    const claimed = (await queue.claimNext({ workerId: "w", scanTypes: ["full_scan"] }))!;
    expect(claimed.id).toBe(first.id);
    expect((await queue.enqueue({ companyId: company, repositoryId: repo, scanType: "full_scan" })).id).toBe(first.id);
    await queue.complete({ jobId: first.id, attempt: claimed.attempts });
    expect((await queue.enqueue({ companyId: company, repositoryId: repo, scanType: "full_scan" })).id).not.toBe(first.id);
  });

  it("deduplicates a bulk enqueue within itself and against live jobs, answering in input order", async () => {
    const company = await createCompany(tdb.current.sql);
    const queue = new JobQueue(tdb.current.db);
    const live = await queue.enqueue({ companyId: company, scanType: "pr_analysis", payload: { pr_number: 7 }, dedupeKey: "pr-7" });
    const jobs = await queue.enqueueMany([
      { companyId: company, scanType: "pr_analysis", payload: { pr_number: 8 }, dedupeKey: "pr-8" },
      { companyId: company, scanType: "pr_analysis", payload: { pr_number: 7 }, dedupeKey: "pr-7" },
      { companyId: company, scanType: "pr_analysis", payload: { pr_number: 8 }, dedupeKey: "pr-8" },
      { companyId: company, scanType: "pr_analysis", payload: { pr_number: 9 }, dedupeKey: "pr-9" },
    ]);
    expect(jobs.map((j) => j.dedupeKey)).toEqual(["pr-8", "pr-7", "pr-8", "pr-9"]);
    expect(jobs[1].id).toBe(live.id);
    expect(jobs[2].id).toBe(jobs[0].id);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(3);
  });

  it("keeps dedupe keys apart between companies", async () => {
    const queue = new JobQueue(tdb.current.db);
    const a = await queue.enqueue({ companyId: await createCompany(tdb.current.sql), scanType: "weekly_report", dedupeKey: "week-48" });
    const b = await queue.enqueue({ companyId: await createCompany(tdb.current.sql), scanType: "weekly_report", dedupeKey: "week-48" });
    expect(a.id).not.toBe(b.id);
  });

  it("refuses a repository of another company", async () => {
    const { sql } = tdb.current;
    const mine = await createCompany(sql);
    const theirs = await createRepository(sql, await createCompany(sql));
    const queue = new JobQueue(tdb.current.db);
    await expect(queue.enqueue({ companyId: mine, repositoryId: theirs })).rejects.toThrow(/does not belong to company/);
  });

  it("stores the defaults of the product: full_scan, priority 5, 3 attempts", async () => {
    const queue = new JobQueue(tdb.current.db);
    const job = await queue.enqueue({ companyId: await createCompany(tdb.current.sql) });
    expect(job).toMatchObject({ scanType: "full_scan", priority: 5, maxAttempts: 3, status: "pending", attempts: 0, payload: {} });
  });

  it("refuses out-of-range values, naming the rule, and keeps the row rules on direct writes", async () => {
    const { sql } = tdb.current;
    const company = await createCompany(sql);
    const queue = new JobQueue(tdb.current.db);
    await expect(queue.enqueue({ companyId: company, priority: 11 })).rejects.toThrow(/domain public.scan_priority violates check constraint "scan_priority_between_1_and_10"/);
    await expect(queue.enqueue({ companyId: company, maxAttempts: 0 })).rejects.toThrow(/scan_max_attempts_between_1_and_100/);
    await expect(queue.enqueue({ companyId: company, scanType: "Full Scan" })).rejects.toThrow(/unknown scan type Full Scan: the known types are calculate_scores, full_scan, generate_alerts, incremental_scan, pr_analysis/);
    await expect(queue.enqueueMany([{ companyId: company, dedupeKey: "ok" }, { companyId: company, scanType: "ful_scan", dedupeKey: "typo" }]))
      .rejects.toThrow(/unknown scan type ful_scan/);
    await expect(queue.enqueueMany([{ companyId: company, dedupeKey: "ok" }, { companyId: company, priority: 0, dedupeKey: "bad" }])).rejects.toThrow(/scan_priority/);
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from public.scan_queue where company_id = ${company}`;
    expect(n).toBe(0); // the bulk enqueue wrote nothing

    // Rules that only the functions' own bugs could break, held by the table itself.
    const job = await queue.enqueue({ companyId: company });
    await expect(sql`update public.scan_queue set status = 'running' where id = ${job.id}`).rejects.toThrow(/scan_queue_row_consistent/);
    await expect(sql`update public.scan_queue set attempts_waived = 1 where id = ${job.id}`).rejects.toThrow(/scan_queue_row_consistent/);
    await expect(sql`update public.scan_queue set status = 'paused' where id = ${job.id}`).rejects.toThrow(/scan_job_status_known/);
    await expect(sql`update public.scan_queue set progress = 101 where id = ${job.id}`).rejects.toThrow(/scan_progress_between_0_and_100/);
    await expect(sql`update public.scan_queue set scan_type = 'Full Scan' where id = ${job.id}`).rejects.toThrow(/scan_type_name_format/);
    await expect(sql`insert into public.scan_job_events (job_id, company_id, kind, attempt) values (${job.id}, ${company}, 'started', 0)`)
      .rejects.toThrow(/scan_job_event_kind_known/);
  });
});
