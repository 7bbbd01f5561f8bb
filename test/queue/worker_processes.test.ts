// The long-lived worker as people run it — `codeguard worker` and `npx codeguard worker`, separate
// processes on the local stack, whose pg_cron runs the reaper every 10 s — killed, stopped, and
// with its Postgres restarted under it. Counted from the tables.
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dataSetRepositories, LIZARD, MCP } from "../github/local-github.ts";
import { startPgProxy } from "../harness/pg-proxy.ts";
import { eventually, exitedWithin, processesMentioning, runCodeguard, settledWithin, type CodeguardProcess } from "../harness/processes.ts";
import { useLocalStack } from "../harness/stack.ts";
import { heavyFile } from "../harness/heavy.ts";

heavyFile(); // one heavy file at a time (test/harness/heavy.ts)

const stack = useLocalStack({ localGitHub: () => dataSetRepositories() });
let sql: postgres.Sql;
beforeAll(async () => {
  sql = postgres(stack.current.dbUrl, { max: 4, onnotice: () => {} });
  // Only the workers of these tests claim: without project_url in Vault the dispatch wakes no edge function.
  await sql`delete from vault.secrets where name = 'project_url'`;
});
afterAll(async () => {
  await sql?.end();
});
beforeEach(() => stack.current.github!.clearFaults());

let n = 0;
async function tenant(repos: readonly { owner: string; name: string; branch: string }[]) {
  const [company] = await sql`insert into companies (name, settings) values (${`Proc ${++n}`}, '{"scan_window_days": 7300, "max_concurrent_scans": 10}') returning id`;
  // A token per company: GitHub's rate limit is per token, and each company scans on its own.
  await sql`select public.set_github_token(${company.id}, ${`ghp_processtest${String(n).padStart(25, "0")}`})`;
  const rows = await sql`insert into repositories ${sql(repos.map((r) => ({ company_id: company.id, full_name: `${r.owner}/${r.name}`, default_branch: r.branch })))} returning id`;
  return { companyId: company.id as string, repositoryIds: rows.map((r) => r.id as string) };
}

async function enqueue(companyId: string, repositoryId: string): Promise<string> {
  const [job] = await sql`select id from public.enqueue_scan(p_company_id => ${companyId}, p_repository_id => ${repositoryId}, p_scan_type => 'full_scan')`;
  return job.id;
}

function worker(args: string[] = [], via: "node" | "npx" = "node", dbUrl = stack.current.dbUrl): CodeguardProcess {
  return runCodeguard(["worker", "--concurrency", "2", ...args], {
    via,
    env: { SUPABASE_DB_URL: dbUrl, GITHUB_API_URL: stack.current.github!.url },
  });
}

async function workerId(p: CodeguardProcess): Promise<string> {
  await p.waitFor(/"message":"worker started"/);
  return JSON.parse(p.log().split("\n").find((l) => l.includes('"worker started"'))!).workerId;
}

const events = (jobId: string) => sql<{ kind: string; worker_id: string | null; attempt: number; created_at: Date; message: string | null }[]>`
  select kind, worker_id, attempt, created_at, message from public.scan_job_events where job_id = ${jobId} order by id`;

describe("codeguard worker processes", () => {
  it("hands a SIGKILLed worker's job to another worker within 60 s, and it completes once", async () => {
    const { companyId, repositoryIds: [repo] } = await tenant([LIZARD]);
    const gh = stack.current.github!;
    gh.inject({ kind: "slow", delayMs: 1_000, times: 1_000 }); // a scan that takes a while
    const a = worker();
    const aId = await workerId(a);
    const job = await enqueue(companyId, repo);
    await eventually(async () => (await events(job)).some((e) => e.kind === "progress" || e.kind === "claimed") && (await sql`select 1 from public.scan_queue where id = ${job} and worker_id = ${aId} and status = 'running'`).length > 0, "worker A to be scanning");
    a.child.kill("SIGKILL");
    const killedAt = Date.now();
    await a.exited;
    gh.clearFaults();
    const b = worker();
    try {
      const bId = await workerId(b);
      const claimed = await eventually(async () => (await events(job)).find((e) => e.kind === "claimed" && e.worker_id === bId), "worker B to claim the job", 90_000);
      const recoverySeconds = (claimed.created_at.getTime() - killedAt) / 1000;
      console.log(JSON.stringify({ sigkill_to_claimed_elsewhere_s: recoverySeconds }));
      expect(recoverySeconds).toBeLessThan(60);
      await eventually(async () => (await sql`select 1 from public.scan_queue where id = ${job} and status = 'completed'`).length > 0, "the job to complete", 60_000);
      const kinds = (await events(job)).map((e) => e.kind);
      expect(kinds.filter((k) => k === "completed")).toHaveLength(1);
      expect(kinds.filter((k) => k === "reaped")).toHaveLength(1);
    } finally {
      b.child.kill("SIGTERM");
      expect(await b.exited, b.log()).toBe(0);
    }
  }, 150_000);

  it("resumes a SIGKILLed worker's scan from its last page: completed once, nothing read twice but the page in flight, no duplicate rows", async () => {
    const { companyId, repositoryIds: [repo] } = await tenant([LIZARD]);
    const gh = stack.current.github!;
    gh.resetStats();
    gh.inject({ kind: "slow", delayMs: 700, match: "graphql", times: 1_000 }); // three pages of pull requests, ~2 s each
    const a = worker();
    await workerId(a);
    const job = await enqueue(companyId, repo);
    await eventually(async () => (await sql`select 1 from public.scans where job_id = ${job} and (timings ->> 'pages')::int >= 1`).length > 0, "a first page written");
    a.child.kill("SIGKILL");
    await a.exited;
    // Pull request pages (and their follow-ups) are what A was reading when it died.
    const prReads = () => (gh.stats.graphqlByOperation.PullRequestPage ?? 0) + (gh.stats.graphqlByOperation.PullRequestConnections ?? 0);
    const readByA = prReads();
    const b = worker();
    try {
      await workerId(b);
      await eventually(async () => (await sql`select 1 from public.scan_queue where id = ${job} and status = 'completed'`).length > 0, "the job to complete", 120_000);
      const [scan] = await sql`select status, timings, summary from public.scans where job_id = ${job}`;
      expect(scan.status).toBe("completed");
      expect(scan.timings.runs).toBe(2);
      // A full read of the pull requests is 5 GraphQL requests (3 for the first page, 1 each for the
      // other two); resumed, B reads only what A had not written, at most the page A was reading.
      const total = prReads();
      expect(readByA).toBeGreaterThanOrEqual(3);
      expect(total - readByA).toBeLessThanOrEqual(3);
      expect(total).toBeLessThanOrEqual(6);
      const [{ rows, distinct }] = await sql`select count(*)::int as rows, count(distinct commit_sha)::int as distinct from public.scan_results where repository_id = ${repo} and path = ''`;
      expect(rows).toBe(distinct);
      expect(rows).toBe(scan.summary.commits_scanned);
      expect((await events(job)).filter((e) => e.kind === "completed")).toHaveLength(1);
    } finally {
      b.child.kill("SIGTERM");
      expect(await b.exited, b.log()).toBe(0);
    }
  }, 150_000);

  it("rides out a Postgres restart mid-run: no job stranded past its lease, no attempt charged", async () => {
    const tenants = [await tenant([MCP, LIZARD]), await tenant([MCP, LIZARD]), await tenant([MCP, LIZARD])];
    const gh = stack.current.github!;
    gh.inject({ kind: "slow", delayMs: 3_000, times: 4 }); // the first requests are in flight during the restart
    const workers = [worker(), worker()];
    const jobs: string[] = [];
    // What the tables and the workers say, when a wait runs out (a hung wait would say nothing).
    const diagnose = async (e: Error) => {
      const state = await settledWithin(
        (async () => `${JSON.stringify(await sql`select status, attempts, attempts_waived, error, worker_id from public.scan_queue where id = any(${jobs})`)}\n${JSON.stringify(await sql`select job_id, kind, attempt, worker_id, message, created_at from public.scan_job_events where job_id = any(${jobs}) order by id`)}`)(),
        10_000, () => "(the database did not answer within 10 s)");
      throw new Error(`${e.message}\n${state}\n${workers.map((w) => w.log()).join("\n----\n")}\n---- postgres:\n${stack.current.postgres.log().slice(-30).join("\n")}`);
    };
    try {
      await Promise.all(workers.map(workerId));
      for (const t of tenants) for (const r of t.repositoryIds) jobs.push(await enqueue(t.companyId, r));
      await eventually(async () => (await sql`select count(*)::int as n from public.scan_queue where id = any(${jobs}) and status = 'running'`)[0].n === 4, "four jobs running", 120_000).catch(diagnose);
      const [before] = await sql`select pg_postmaster_start_time() as t`;
      await settledWithin(stack.current.postgres.restart(), 90_000, () => { throw new Error("no Postgres restart within 90000 ms"); }).catch(diagnose);
      const after = await eventually(async () => (await sql`select pg_postmaster_start_time() as t`)[0], "the test's pool to reach Postgres again", 30_000).catch(diagnose);
      expect(after.t.getTime()).toBeGreaterThan(before.t.getTime());
      await eventually(async () => (await sql`select count(*)::int as n from public.scan_queue where id = any(${jobs}) and status = 'completed'`)[0].n === jobs.length,
        // Six full scans on two workers: a minute on an idle machine, several on a busy one (it
        // failed at 100 s there). A wait on the condition; the bound says what was left when it ran out.
        "every job to complete", 420_000).catch(diagnose);
      const rows = await sql`select attempts - attempts_waived as spent from public.scan_queue where id = any(${jobs})`;
      expect(rows.map((r) => r.spent)).toEqual(jobs.map(() => 1));
      const [{ reaped }] = await sql`select count(*)::int as reaped from public.scan_job_events where job_id = any(${jobs}) and kind = 'reaped'`;
      expect(reaped).toBe(0);
    } finally {
      for (const w of workers) w.child.kill("SIGTERM");
      for (const w of workers) expect(await exitedWithin(w, 45_000), w.log()).toBe(0); // 30 s of grace, then the release
    }
  }, 720_000);

  it("outlives connections lost while they open (postgres.js drops that rejection): it claims on, and the job completes", async () => {
    const proxy = await startPgProxy(stack.current.dbUrl);
    const w = worker([], "node", proxy.url);
    try {
      await workerId(w);
      // Every connection lost at once, and the next three as postgres.js reads their types.
      proxy.failTypeFetches(3);
      proxy.cutAll();
      await eventually(async () => proxy.typeFetchesFailed === 3, "three connections lost while opening", 30_000);
      const t = await tenant([MCP]);
      const job = await enqueue(t.companyId, t.repositoryIds[0]);
      await eventually(async () => (await sql`select 1 from public.scan_queue where id = ${job} and status = 'completed'`).length > 0, "the job to complete", 90_000);
      expect(w.log()).toMatch(/a new database connection was lost while opening/);
    } finally {
      w.child.kill("SIGTERM");
      expect(await w.exited, w.log()).toBe(0);
      await proxy.close();
    }
  }, 150_000);

  it("finishes or releases its jobs on SIGTERM to the npx process, and leaves no process behind", async () => {
    const { companyId, repositoryIds } = await tenant([MCP, LIZARD]);
    const gh = stack.current.github!;
    gh.inject({ kind: "slow", delayMs: 60_000, times: 2 }); // both scans wait on GitHub when the signal comes
    const w = worker(["--grace-seconds", "1"], "npx");
    await workerId(w);
    const jobs = await Promise.all(repositoryIds.map((r) => enqueue(companyId, r)));
    await eventually(async () => (await sql`select count(*)::int as n from public.scan_queue where id = any(${jobs}) and status = 'running'`)[0].n === 2, "both jobs running");
    expect(processesMentioning(w.marker).length).toBeGreaterThan(0);
    w.child.kill("SIGTERM"); // to npm, which exits without passing it on
    await eventually(async () => processesMentioning(w.marker).length === 0, "every process of the worker to exit", 20_000);
    const rows = await sql`select status, attempts - attempts_waived as spent from public.scan_queue where id = any(${jobs})`;
    expect(rows.map((r) => [r.status, r.spent])).toEqual([["pending", 0], ["pending", 0]]);
    for (const job of jobs) expect((await events(job)).at(-1)).toMatchObject({ kind: "snoozed", message: "released: the worker is shutting down" });
  }, 90_000);

  it("says which variable to fix when the database cannot be reached, without a stack trace", async () => {
    const unreachable = runCodeguard(["worker"], { env: { SUPABASE_DB_URL: "postgres://postgres:s3cret@127.0.0.1:9/postgres" } });
    expect(await unreachable.exited).toBe(1);
    expect(unreachable.log()).toMatch(/^codeguard worker: cannot reach the database at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:9\/postgres: .*ECONNREFUSED.*check SUPABASE_DB_URL/);
    expect(unreachable.log()).not.toMatch(/s3cret|\n\s+at /);
    const garbled = runCodeguard(["worker"], { env: { SUPABASE_DB_URL: "localhost:5432" } });
    expect(await garbled.exited).toBe(1);
    expect(garbled.log()).toMatch(/codeguard worker: SUPABASE_DB_URL must be a postgres:\/\/ URL|SUPABASE_DB_URL is not a URL/);
  });
});
