import { beforeEach, describe, expect, test } from "vitest";
import { MalformedResponse } from "../../supabase/functions/_shared/github/errors.ts";
import { MemoryEtagCache } from "../../supabase/functions/_shared/github/etag-cache.ts";
import { PermanentJobError } from "../../supabase/functions/_shared/queue/worker/outcomes.ts";
import { sourceErrorFor } from "../../supabase/functions/_shared/github/source.ts";
import { jobErrorFor } from "../../supabase/functions/_shared/scan/repository-scan.ts";
import { scanRepository } from "../../supabase/functions/_shared/github/history.ts";
import { JobQueue } from "../../supabase/functions/_shared/queue/client.ts";
import { useTestDatabase } from "../harness/db.ts";
import { clientFor, MCP, useLocalGitHub } from "./local-github.ts";

const gh = useLocalGitHub();
const database = useTestDatabase();
beforeEach(() => {
  gh.current.clearFaults();
  gh.current.resetStats();
});

describe("malformed pages", () => {
  test("a GraphQL page cut short is a MalformedResponse naming the URL", async () => {
    gh.current.inject({ kind: "malformed-json", match: "graphql" });
    const error = await scanRepository(clientFor(gh.current), { ...MCP, pullRequestsOnly: true }).catch((e) => e);
    expect(error).toBeInstanceOf(MalformedResponse);
    expect(error.message).toMatch(/\/graphql: the body is not JSON/);
  });

  test("a page of the wrong shape yields none of its records and the error names the field", async () => {
    const pages: number[] = [];
    gh.current.inject({ kind: "malformed-shape", match: "graphql" });
    const error = await scanRepository(clientFor(gh.current), {
      ...MCP,
      pullRequestsOnly: true,
      pageSize: 10,
      onPage: (p) => void pages.push(p.pullRequests.length),
    }).catch((e) => e);
    expect(error).toBeInstanceOf(MalformedResponse);
    expect(error.detail).toMatch(/should be/);
    expect(pages).toEqual([]);
  });

  test("a malformed REST page is not written to the ETag cache", async () => {
    const cache = new MemoryEtagCache();
    gh.current.inject({ kind: "malformed-shape", match: /\/pulls$/ });
    const error = await scanRepository(clientFor(gh.current, { etagCache: cache }), { ...MCP, pullRequestsOnly: true }).catch((e) => e);
    expect(error).toBeInstanceOf(MalformedResponse);
    expect([...cache.entries.keys()].filter((k) => k.includes("/pulls"))).toEqual([]);
  });

  test("a malformed page fails the job's attempt with the reason", async () => {
    const { sql, db } = database.current;
    const [company] = await sql`insert into public.companies (name) values ('Acme') returning id`;
    const [repo] = await sql`insert into public.repositories (company_id, full_name) values (${company.id}, 'github/github-mcp-server') returning id`;
    const queue = new JobQueue(db);
    await queue.enqueue({ companyId: company.id, repositoryId: repo.id });
    const job = (await queue.claimNext({ workerId: "test-worker" }))!;

    gh.current.inject({ kind: "malformed-json", match: "graphql" });
    const outcome = jobErrorFor(sourceErrorFor(await scanRepository(clientFor(gh.current), { ...MCP, pullRequestsOnly: true }).catch((e) => e)));
    expect(outcome).toBeInstanceOf(MalformedResponse); // a failed attempt, retried with backoff
    expect(outcome).not.toBeInstanceOf(PermanentJobError);
    await queue.fail({ jobId: job.id, attempt: job.attempts, error: (outcome as Error).message, retryable: true });

    const [row] = await sql`select error, attempts from public.scan_queue where id = ${job.id}`;
    expect(row.attempts).toBe(1);
    expect(row.error).toMatch(/malformed GitHub response from .*\/graphql/);
    const events = await sql`select kind from public.scan_job_events where job_id = ${job.id} order by created_at, kind`;
    expect(events.map((e) => e.kind)).toContain("failed");
  });
});
