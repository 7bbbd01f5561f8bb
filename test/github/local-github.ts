// Test fixture: a local GitHub serving the data sets, and a client pointed at it. No stubs of our
// own code: the client speaks HTTP to a server that speaks GitHub.
import { afterAll, beforeAll } from "vitest";
import { repositoryFromDataSet, type LocalRepository } from "../../src/local/github/dataset.ts";
import { startLocalGitHub, type LocalGitHub, type LocalGitHubOptions } from "../../src/local/github/server.ts";
import { staticToken, type TokenSource } from "../../supabase/functions/_shared/github/auth.ts";
import type { EtagCache } from "../../supabase/functions/_shared/github/etag-cache.ts";
import { GitHubHttp, type GitHubHttpOptions } from "../../supabase/functions/_shared/github/http.ts";

export const MCP = { owner: "github", name: "github-mcp-server", branch: "main" } as const;
export const LIZARD = { owner: "terryyin", name: "lizard", branch: "master" } as const;

let cached: LocalRepository[] | null = null;
/** The data sets as repositories (built once per test file; tests that mutate must copy). */
export function dataSetRepositories(): LocalRepository[] {
  cached ??= [
    repositoryFromDataSet("github__github-mcp-server.jsonl"),
    repositoryFromDataSet("terryyin__lizard.jsonl", { defaultBranch: "master" }),
  ];
  return cached;
}

/** Starts a local GitHub for the file's tests; faults are cleared and counters reset before each use. */
export function useLocalGitHub(options: Partial<LocalGitHubOptions> = {}): { readonly current: LocalGitHub } {
  const holder = {} as { current: LocalGitHub };
  beforeAll(async () => {
    holder.current = await startLocalGitHub({ repositories: dataSetRepositories(), ...options });
  });
  afterAll(async () => {
    await holder.current?.stop();
  });
  return holder;
}

export interface ClientOptions extends Partial<GitHubHttpOptions> {
  etagCache?: EtagCache | null;
  token?: TokenSource;
}

/** A client on the local GitHub with no real sleeping: the backoff delays are recorded instead. */
export function clientFor(gh: LocalGitHub, options: ClientOptions = {}): GitHubHttp & { slept: number[] } {
  const slept: number[] = [];
  const http = new GitHubHttp({
    token: staticToken("ghp_localtesttoken0000000000000000000000"),
    baseUrl: gh.url,
    sleep: async (ms) => {
      slept.push(ms);
    },
    ...options,
  });
  return Object.assign(http, { slept });
}
