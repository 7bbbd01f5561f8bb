import { beforeEach, describe, expect, test } from "vitest";
import { RateLimited } from "../../supabase/functions/_shared/github/errors.ts";
import { SnoozeJob } from "../../supabase/functions/_shared/queue/worker/outcomes.ts";
import { sourceErrorFor } from "../../supabase/functions/_shared/github/source.ts";
import { jobErrorFor } from "../../supabase/functions/_shared/scan/repository-scan.ts";
import { probeRepository } from "../../supabase/functions/_shared/github/probe.ts";
import { fetchPullRequestPage } from "../../supabase/functions/_shared/github/pull-requests.ts";
import { JobQueue } from "../../supabase/functions/_shared/queue/client.ts";
import { useTestDatabase } from "../harness/db.ts";
import { clientFor, MCP, useLocalGitHub } from "./local-github.ts";

const gh = useLocalGitHub({ tokens: ["ghp_localtesttoken0000000000000000000000"] });
const database = useTestDatabase();
beforeEach(() => {
  gh.current.clearFaults();
  gh.current.resetStats();
  gh.current.setRemaining(5000, "core");
  gh.current.setRemaining(5000, "graphql");
});

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("primary rate limit", () => {
  test("an exhausted REST budget becomes RateLimited at x-ratelimit-reset", async () => {
    await probeRepository(clientFor(gh.current), MCP); // opens the token's rate window
    gh.current.setRemaining(0, "core");
    const error = await caught(probeRepository(clientFor(gh.current, { etagCache: null }), MCP));
    expect(error).toBeInstanceOf(RateLimited);
    expect((error as RateLimited).kind).toBe("primary");
    expect((error as RateLimited).resetAt.getTime()).toBe(gh.current.resetAt());
  });

  test("an exhausted GraphQL budget (200 with RATE_LIMITED) becomes RateLimited", async () => {
    await fetchPullRequestPage(clientFor(gh.current), { ...MCP, pageSize: 1 });
    gh.current.setRemaining(0, "graphql");
    const error = await caught(fetchPullRequestPage(clientFor(gh.current), { ...MCP, pageSize: 1 }));
    expect(error).toBeInstanceOf(RateLimited);
    expect((error as RateLimited).resource).toBe("graphql");
    expect((error as RateLimited).resetAt.getTime()).toBe(gh.current.resetAt());
  });

  test("after an answer with x-ratelimit-remaining 0 the client sends nothing until the reset", async () => {
    const http = clientFor(gh.current, { etagCache: null });
    await probeRepository(http, MCP);
    gh.current.setRemaining(1, "core");
    // The first request spends the last unit and is answered; the second is never sent.
    const error = await caught(probeRepository(http, MCP));
    expect(error).toBeInstanceOf(RateLimited);
    expect(gh.current.stats.requests).toBe(3);
  });
});

describe("secondary rate limit", () => {
  test("a 403 with retry-after becomes RateLimited retry-after seconds from now", async () => {
    const now = Date.parse("2026-11-24T10:00:00Z");
    gh.current.inject({ kind: "secondary-limit", retryAfterSeconds: 90 });
    const error = await caught(probeRepository(clientFor(gh.current, { now: () => now }), MCP));
    expect(error).toBeInstanceOf(RateLimited);
    expect((error as RateLimited).kind).toBe("secondary");
    expect((error as RateLimited).resetAt.toISOString()).toBe("2026-11-24T10:01:30.000Z");
  });

  test("a 429 naming the secondary limit without retry-after waits a minute", async () => {
    const now = Date.parse("2026-11-24T10:00:00Z");
    gh.current.inject({ kind: "secondary-limit", retryAfterSeconds: null, status: 429, match: "graphql" });
    const error = await caught(fetchPullRequestPage(clientFor(gh.current, { now: () => now }), { ...MCP, pageSize: 1 }));
    expect(error).toBeInstanceOf(RateLimited);
    expect((error as RateLimited).resetAt.toISOString()).toBe("2026-11-24T10:01:00.000Z");
  });

  test("a secondary limit is not retried inside the scan", async () => {
    const http = clientFor(gh.current);
    gh.current.inject({ kind: "secondary-limit", retryAfterSeconds: 30 });
    await caught(probeRepository(http, MCP));
    expect(http.slept).toEqual([]);
    expect(gh.current.stats.requests).toBe(1);
  });
});

describe("a rate limit steers the job", () => {
  test("RateLimited snoozes the claimed scan job to the reset time without spending an attempt", async () => {
    const { sql, db } = database.current;
    const [company] = await sql`insert into public.companies (name) values ('Acme') returning id`;
    const [repo] = await sql`insert into public.repositories (company_id, full_name) values (${company.id}, 'github/github-mcp-server') returning id`;
    const queue = new JobQueue(db);
    await queue.enqueue({ companyId: company.id, repositoryId: repo.id, scanType: "full_scan" });
    const job = (await queue.claimNext({ workerId: "test-worker" }))!;

    await probeRepository(clientFor(gh.current), MCP);
    gh.current.setRemaining(0, "graphql");
    const outcome = jobErrorFor(sourceErrorFor(await caught(fetchPullRequestPage(clientFor(gh.current), { ...MCP, pageSize: 1 }))));
    expect(outcome).toBeInstanceOf(SnoozeJob);
    if (!(outcome instanceof SnoozeJob)) return;
    const write = await queue.snooze({ jobId: job.id, attempt: job.attempts, until: outcome.until, reason: outcome.reason });
    expect(write.accepted).toBe(true);

    const [row] = await sql`select status, run_after, attempts - attempts_waived as spent from public.scan_queue where id = ${job.id}`;
    expect(row.status).toBe("pending");
    expect(new Date(row.run_after).getTime()).toBe(gh.current.resetAt());
    expect(row.spent).toBe(0);
  });
});
