import { beforeEach, describe, expect, test } from "vitest";
import { GitHubUnavailable } from "../../supabase/functions/_shared/github/errors.ts";
import { SourceUnavailable } from "../../supabase/functions/_shared/queue/worker/outcomes.ts";
import { sourceErrorFor } from "../../supabase/functions/_shared/github/source.ts";
import { jobErrorFor } from "../../supabase/functions/_shared/scan/repository-scan.ts";
import { probeRepository } from "../../supabase/functions/_shared/github/probe.ts";
import { fetchPullRequestPage } from "../../supabase/functions/_shared/github/pull-requests.ts";
import { clientFor, MCP, useLocalGitHub } from "./local-github.ts";

const gh = useLocalGitHub();
beforeEach(() => {
  gh.current.clearFaults();
  gh.current.resetStats();
});

describe("5xx and timeouts", () => {
  test("a 5xx is retried with backoff and the page still arrives", async () => {
    const http = clientFor(gh.current);
    gh.current.inject({ kind: "server-error", match: "graphql", times: 2 });
    const page = await fetchPullRequestPage(http, { ...MCP, pageSize: 3 });
    expect(page.pullRequests).toHaveLength(3);
    expect(http.slept).toEqual([1000, 2000]);
    expect(http.counter.retries).toBe(2);
  });

  test("a 5xx that outlasts the retry budget is GitHubUnavailable: an outage of the source, not a failed attempt", async () => {
    const http = clientFor(gh.current);
    gh.current.inject({ kind: "server-error", times: 10 });
    const error = await probeRepository(http, MCP).catch((e) => e);
    expect(error).toBeInstanceOf(GitHubUnavailable);
    expect(error.retryable).toBe(true);
    expect(gh.current.stats.requests).toBe(3);
    expect(jobErrorFor(sourceErrorFor(error))).toBeInstanceOf(SourceUnavailable);
  });

  test("an answer slower than the timeout is retried", async () => {
    // The timeout scales with what an answer takes on this machine now: a fixed 100 ms let a busy
    // machine time out the retry too (two retries, or none left).
    const t0 = performance.now();
    await fetchPullRequestPage(clientFor(gh.current), { ...MCP, pageSize: 2 });
    const timeoutMs = Math.max(200, Math.round(5 * (performance.now() - t0)));
    const http = clientFor(gh.current, { timeoutMs });
    gh.current.inject({ kind: "slow", delayMs: 4 * timeoutMs, match: "graphql" });
    const page = await fetchPullRequestPage(http, { ...MCP, pageSize: 2 });
    expect(page.pullRequests).toHaveLength(2);
    expect(http.counter.retries).toBe(1);
  });
});
