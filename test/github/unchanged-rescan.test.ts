import { beforeEach, describe, expect, test } from "vitest";
import { PostgresEtagCache } from "../../supabase/functions/_shared/github/etag-cache.ts";
import { scanRepository } from "../../supabase/functions/_shared/github/history.ts";
import { useTestDatabase } from "../harness/db.ts";
import { clientFor, dataSetRepositories, LIZARD, useLocalGitHub } from "./local-github.ts";

const gh = useLocalGitHub();
const database = useTestDatabase();
beforeEach(() => {
  gh.current.clearFaults();
  gh.current.resetStats();
});

async function company(name: string): Promise<string> {
  const [row] = await database.current.sql`insert into public.companies (name) values (${name}) returning id`;
  return row.id;
}

// The lizard repository with its commits limited to a window, so the REST part stays small.
const since = "2024-01-01T00:00:00Z";

describe("an unchanged rescan", () => {
  test("costs only 304s, none counted against the rate limit", async () => {
    const cache = new PostgresEtagCache(database.current.db, await company("Acme"));
    const first = await scanRepository(clientFor(gh.current, { etagCache: cache }), { ...LIZARD, commitsSince: since });
    expect(first.pullRequests.length).toBe(dataSetRepositories()[1].pullRequests.length);
    expect(first.commits.length).toBeGreaterThan(0);

    const http = clientFor(gh.current, { etagCache: cache });
    const again = await scanRepository(http, { ...LIZARD, previous: first.watermark });
    expect(again.unchanged).toBe(true);
    expect(http.counter.counted).toBe(0);
    expect(http.counter.notModified).toBe(http.counter.requests);
    expect(gh.current.stats.notModified).toBeGreaterThan(0);
  });

  test("a rescan after a new PR reads only that PR, and its probe is charged", async () => {
    const cache = new PostgresEtagCache(database.current.db, await company("Beta"));
    const repo = dataSetRepositories()[1];
    const first = await scanRepository(clientFor(gh.current, { etagCache: cache }), { ...LIZARD, commitsSince: since });
    const touched = repo.pullRequests[0];
    const saved = touched.updated_at;
    touched.updated_at = "2030-01-01T00:00:00Z"; // a review arrives on an old PR
    try {
      const http = clientFor(gh.current, { etagCache: cache });
      const again = await scanRepository(http, { ...LIZARD, previous: first.watermark });
      expect(again.pullRequests.map((p) => p.number)).toEqual([touched.number]);
      expect(again.commits).toEqual([]);
      expect(http.counter.counted).toBe(2); // the PR probe (changed) and one GraphQL page
    } finally {
      touched.updated_at = saved;
    }
  });

  test("one company's cached answers are never sent for another company", async () => {
    const a = new PostgresEtagCache(database.current.db, await company("Gamma"));
    const b = new PostgresEtagCache(database.current.db, await company("Delta"));
    await scanRepository(clientFor(gh.current, { etagCache: a }), { ...LIZARD, pullRequestsOnly: true });
    const http = clientFor(gh.current, { etagCache: b });
    await scanRepository(http, { ...LIZARD, pullRequestsOnly: true });
    expect(http.counter.notModified).toBe(0);
  });

  test("a commit's numstat is read once and then served from the cache without a request", async () => {
    const cache = new PostgresEtagCache(database.current.db, await company("Epsilon"));
    const first = await scanRepository(clientFor(gh.current, { etagCache: cache }), { ...LIZARD, commitsSince: since });
    const byRest = gh.current.stats.byRoute["GET /repos/:owner/:repo/commits/:sha"] ?? 0;
    expect(byRest).toBeGreaterThan(0);
    const http = clientFor(gh.current, { etagCache: cache });
    // A fresh scan (no watermark) of the same window: the history is listed again (GraphQL has no
    // conditional requests), and every numstat it needs from REST comes from the cache.
    const again = await scanRepository(http, { ...LIZARD, commitsSince: since });
    expect(again.commits).toEqual(first.commits);
    expect(http.counter.cacheHits).toBe(byRest);
    expect(gh.current.stats.byRoute["GET /repos/:owner/:repo/commits/:sha"] ?? 0).toBe(byRest);
  });
});
