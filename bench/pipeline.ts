// `npm run bench -- pipeline`: the whole pipeline under load — full scans of 200 repositories
// (100 PRs each, 8 per company over 25 companies) enqueued at once and woken the production way:
// the enqueue trigger and the dispatch tick → pg_net → scan-repository under Deno (at most
// pipeline_settings.max_scan_workers = 8 invocations, 2 jobs each) → the local GitHub on the same
// machine → page writes and completions in Postgres. Prints one JSON line:
//   {"bench":"pipeline","repos":200,"scans_per_min":…,"p50_scan_s":…,"cpu_ms_per_scan":…,
//    "requests_per_scan":…,"max_rss_mb":…,"seed_design_scans_per_min":…}
// Progress, and where the time went, go to stderr.
//
// Figures (2 shared cores, 3 rounds each, the median printed; round figures in brackets):
//   {"bench":"pipeline","repos":200,"scans_per_min":372.8,"p50_scan_s":1.09,"cpu_ms_per_scan":181,"requests_per_scan":113.3,"max_rss_mb":293,"seed_design_scans_per_min":1}
//     [320.1, 372.8, 391.3 scans/min; 234, 181, 161 CPU ms a scan]
// Against the seed design's 1 scan/min (computed, below): ~370×. The issue's goal is ≥ 200.
// Since the scores, alerts and the repository-wide suspected tier (one run, 2026-12-01):
//   {"bench":"pipeline","repos":200,"scans_per_min":258.6,"p50_scan_s":1.84,"cpu_ms_per_scan":257,"requests_per_scan":113.3,"max_rss_mb":309,"seed_design_scans_per_min":1}
//     [239.7, 258.6, 266.5 scans/min; 313, 257, 255 CPU ms a scan]
//   Each company is rescored while its scans keep completing (113 calculate_scores and 112
//   generate_alerts runs a round for 25 companies: one each ~5 s debounce; 4.8 s and 0.9 s of
//   Postgres), record_scan_page writes each commit's suspect_inputs (13 ms a page, was ~10), and
//   complete_scan decides over the repository's rows of the window (4.4 s for 199 completions).
// Noise: quiet rounds agree within a few per cent; a round with other work on the machine falls
// 30–40 %, and each run's first round costs Postgres more per scan (complete_scan 19 s in all
// against 3–7 s later, while the tables grow from nearly empty), so the median is the figure.
// Where the time goes (the stderr detail of each round): 95 % of a scan's time is between its
// pages, waiting for the local GitHub (~113 requests a scan, one after another); 8 workers run
// 0.5 s after the enqueue (the enqueue trigger wakes as many as the ready jobs want). The machine
// is ~1.7 of its 2 cores busy: Postgres 0.6–0.85 (record_scan_page ~10 ms a page, complete_scan),
// Deno 0.4, and this process (local GitHub, gateway, executors, not counted) 0.6.
// History: 166–168 scans/min before the local GitHub's history filter used indexes (a Date.parse
// and a file scan per commit per path of every request: 56 % of this process's CPU) and before the
// enqueue trigger fanned out (one worker per enqueue statement, the other 7 after the 10 s tick).
// Against a GitHub with latency (BENCH_PIPELINE_GITHUB_LATENCY_MS=50, one round): 120.9 scans/min,
// p50 3.7 s — 16 job slots of sequential requests bound the throughput there, not CPU. Requests
// stay sequential within a scan on purpose: GitHub asks integrators not to make concurrent requests
// (secondary limits).
//
// What is measured, and how:
//  - scans_per_min: 200 / (last scan_queue.completed_at − the enqueue's time), both from the
//    database's clock.
//  - p50_scan_s: median over the round's scans of public.scans completed_at − started_at (a scan
//    that ran over several claims counts from its first).
//  - cpu_ms_per_scan: CPU (user + system) read from /proc/<pid>/stat before and after the round, of
//    Postgres — the postmaster, its live children, and cutime/cstime for the backends that exited
//    meanwhile — and of the Deno function processes (scan-repository and health), divided by the
//    scans. The bench's own Node process holds the local GitHub, the functions' gateway and the
//    pg_cron / pg_net executors: it is not counted (its CPU is reported apart on stderr).
//  - requests_per_scan: every request the local GitHub answered in the round (its stats) / scans.
//  - max_rss_mb: the highest VmRSS of a Deno function process, sampled every 100 ms.
//  - seed_design_scans_per_min: computed from its schedule, not measured: a pg_cron tick a minute
//    waking one invocation that runs one job is at most 1 scan a minute whatever a scan costs
//    (a scan shorter than the minute leaves the rest of it idle; longer ones overlap), so its 200
//    scans take 200 minutes — measuring that in the same run is not feasible.
//
// The scan window: the companies set no settings.scan_window_days, so full scans use the default
// 90 days. The data sets end months before today (the newest commit is from 2026-08-20), so under
// that window a full scan would read the PRs and not one commit. The bench therefore moves each
// data set's dates forward by whole weeks so that its newest commit falls in the last week (local
// hours and weekdays unchanged): the 90-day window then holds what an active repository's does
// (a full scan reads github-mcp-server's 226 commits, lizard's 38, aider's 44, OpenHands' 463).
// BENCH_PIPELINE_DATES=asis serves the dates as they are (PR-only scans), for comparison.
//
// Rounds: an unmeasured warm-up of 16 scans (Deno's JIT, Postgres's caches), then
// BENCH_PIPELINE_ROUNDS (default 3) measured rounds, each with new companies and repository rows
// (the GitHub repositories are the same: a round's ETag caches start empty, its scans insert new
// rows); each figure is the median over the rounds. Env: BENCH_PIPELINE_REPOS (200),
// BENCH_PIPELINE_ROUNDS (3), BENCH_PIPELINE_DATES (shifted | asis); experiments:
// BENCH_PIPELINE_GITHUB_LATENCY_MS (0). A run takes ~2 minutes.
import { performance } from "node:perf_hooks";
import { readFileSync } from "node:fs";
import postgres from "postgres";
import type { LocalStack } from "../src/local/stack.ts";
import {
  benchRepositories, CLOCK_TICKS_PER_S, createTenants, functionPids, mainThreadCpuMs, median, postmasterPid, processCpuMs, rssMb,
  sleep, startBenchStack, treeCpuMs,
} from "./lib/pipeline-stack.ts";

const REPOS = Number(process.env.BENCH_PIPELINE_REPOS ?? 200);
const ROUNDS = Math.max(1, Number(process.env.BENCH_PIPELINE_ROUNDS ?? 3));
const SHIFTED = (process.env.BENCH_PIPELINE_DATES ?? "shifted") !== "asis";
const GITHUB_LATENCY_MS = Number(process.env.BENCH_PIPELINE_GITHUB_LATENCY_MS ?? 0);
const COMPANIES = 25;
const PRS_PER_REPO = 100;
const MAX_WORKERS = 8;
const WARMUP = Math.min(16, REPOS);
const SEED_DESIGN_SCANS_PER_MIN = 1; // one tick a minute × one job per invocation (see above)

const log = (m: string) => process.stderr.write(`[bench pipeline] ${m}\n`);
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

/** Machine-wide busy and total CPU ms (/proc/stat), to tell what else ran on the machine. */
function machineCpuMs(): { busy: number; total: number } {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = f[3] + (f[4] ?? 0);
  return { busy: ((total - idle) * 1000) / CLOCK_TICKS_PER_S, total: (total * 1000) / CLOCK_TICKS_PER_S };
}

interface RoundResult {
  scansPerMin: number;
  p50ScanS: number;
  cpuMsPerScan: number;
  requestsPerScan: number;
  maxRssMb: number;
  detail: Record<string, unknown>;
}

async function runRound(stack: LocalStack, sql: postgres.Sql, label: string, count: number): Promise<RoundResult> {
  const repos = stack.github!.repositories.slice(0, count);
  const { jobs } = await createTenants(sql, repos, COMPANIES, (i) => i % COMPANIES, label);
  await sql.unsafe("vacuum analyze public.scan_queue, public.scan_job_events, public.scans, public.scan_results, public.pull_requests, public.repositories, public.companies, public.scan_queue_company_slots");
  await sql`select pg_stat_reset()`;

  const pgRoot = postmasterPid(stack.postgres.dataDir);
  const deno = functionPids(stack);
  const scanPid = deno.get("scan-repository")!;
  const cpu0 = { pg: treeCpuMs(pgRoot), deno: [...deno.values()].reduce((n, p) => n + processCpuMs(p), 0), denoMain: mainThreadCpuMs(scanPid), node: process.cpuUsage(), nodeMain: mainThreadCpuMs(process.pid), machine: machineCpuMs() };
  const elu0 = performance.eventLoopUtilization();
  stack.github!.resetStats();
  stack.github!.clearFaults();
  // GitHub's own latency, for experiments: every request answered this much later.
  if (GITHUB_LATENCY_MS > 0) stack.github!.inject({ kind: "slow", delayMs: GITHUB_LATENCY_MS, times: Infinity });

  // Samplers: Deno's memory every 100 ms; the queue and the seats every 250 ms.
  let maxRss = 0;
  let sampling = true;
  const rssLoop = (async () => {
    while (sampling) {
      for (const pid of deno.values()) maxRss = Math.max(maxRss, rssMb(pid));
      await sleep(100);
    }
  })();
  const samples: { t: number; running: number; pending: number; seats: number; done: number }[] = [];
  const started = Date.now();
  let lastLog = 0;

  // All at once, in one statement: the enqueue trigger fires once and starts one worker; the
  // dispatch tick (every 10 s) starts the others.
  const [{ enqueued_at, ids }] = await sql<{ enqueued_at: Date; ids: string[] }[]>`
    select min(q.created_at) as enqueued_at, array_agg(q.id) as ids
    from public.enqueue_scans(${sql.json(jobs.map((j) => ({ ...j, scan_type: "full_scan" })))}::jsonb) q`;
  // Experiment: what a trigger that fanned out to every free seat would give — the tick's work, at once.
  for (;;) {
    const [s] = await sql<{ running: number; pending: number; seats: number; done: number; failed: number }[]>`
      select count(*) filter (where status = 'running')::int as running, count(*) filter (where status = 'pending')::int as pending,
             count(*) filter (where status = 'completed')::int as done, count(*) filter (where status in ('dead', 'cancelled'))::int as failed,
             (select count(*)::int from public.scan_workers) as seats
      from public.scan_queue where id = any(${ids}::uuid[])`;
    samples.push({ t: (Date.now() - started) / 1000, ...s });
    if (s.failed > 0) {
      const bad = await sql`select status, error from public.scan_queue where id = any(${ids}::uuid[]) and status in ('dead', 'cancelled') limit 3`;
      throw new Error(`bench: ${s.failed} scans did not complete: ${bad.map((b) => `${b.status}: ${b.error}`).join("; ")}`);
    }
    if (Date.now() - lastLog > 5000) {
      lastLog = Date.now();
      log(`${label}: ${Math.round((Date.now() - started) / 1000)} s: ${s.done}/${count} done, ${s.running} running, ${s.pending} pending, ${s.seats} workers`);
    }
    if (s.done === count) break;
    if (Date.now() - started > 30 * 60_000) throw new Error("bench: the round did not finish within 30 minutes");
    await sleep(250);
  }
  sampling = false;
  await rssLoop;
  const wallMs = Date.now() - started;
  const node = process.cpuUsage(cpu0.node);
  const elu = performance.eventLoopUtilization(elu0);
  const machine = machineCpuMs();
  const cpu = {
    pg: treeCpuMs(pgRoot) - cpu0.pg,
    deno: [...deno.values()].reduce((n, p) => n + processCpuMs(p), 0) - cpu0.deno,
    denoMain: mainThreadCpuMs(scanPid) - cpu0.denoMain,
    node: (node.user + node.system) / 1000,
    nodeMain: mainThreadCpuMs(process.pid) - cpu0.nodeMain,
    machineBusy: machine.busy - cpu0.machine.busy,
  };
  const gh = stack.github!.stats;

  // What the database says of the round.
  const [m] = await sql<{ span_s: number; p50: number; p90: number; wait_p50: number; wait_max: number; first_claim_s: number; runs: number; pages: number; github_ms: number; scan_ms: number; commits: number; prs: number; workers: number }[]>`
    with j as (
      select q.id, q.completed_at, s.started_at as scan_started, s.completed_at as scan_completed, s.timings, s.summary,
             (select min(e.created_at) from public.scan_job_events e where e.job_id = q.id and e.kind = 'claimed') as claimed_at
      from public.scan_queue q join public.scans s on s.job_id = q.id where q.id = any(${ids}::uuid[]))
    select extract(epoch from max(completed_at) - ${enqueued_at}::timestamptz)::float8 as span_s,
           percentile_cont(0.5) within group (order by extract(epoch from scan_completed - scan_started))::float8 as p50,
           percentile_cont(0.9) within group (order by extract(epoch from scan_completed - scan_started))::float8 as p90,
           percentile_cont(0.5) within group (order by extract(epoch from claimed_at - ${enqueued_at}::timestamptz))::float8 as wait_p50,
           max(extract(epoch from claimed_at - ${enqueued_at}::timestamptz))::float8 as wait_max,
           min(extract(epoch from claimed_at - ${enqueued_at}::timestamptz))::float8 as first_claim_s,
           sum((timings ->> 'runs')::int)::int as runs, sum((timings ->> 'pages')::int)::int as pages,
           sum((timings ->> 'github_ms')::float8)::float8 as github_ms,
           sum(extract(epoch from scan_completed - scan_started) * 1000)::float8 as scan_ms,
           sum((summary ->> 'commits_scanned')::int)::int as commits, sum((summary ->> 'prs_scanned')::int)::int as prs,
           (select count(distinct e.worker_id)::int from public.scan_job_events e where e.job_id = any(${ids}::uuid[]) and e.kind = 'claimed') as workers
    from j`;
  const bySet = await sql<{ data_set: string; p50: number; mean: number; commits: number }[]>`
    select substring(r.full_name from '/(.*)-[0-9]+$') as data_set,
           percentile_cont(0.5) within group (order by extract(epoch from s.completed_at - s.started_at))::float8 as p50,
           avg(extract(epoch from s.completed_at - s.started_at))::float8 as mean, avg((s.summary ->> 'commits_scanned')::int)::float8 as commits
    from public.scans s join public.repositories r on r.id = s.repository_id where s.job_id = any(${ids}::uuid[]) group by 1 order by 1`;
  const fns = await sql<{ funcname: string; calls: number; total_ms: number; self_ms: number }[]>`
    select funcname, calls::int, total_time::float8 as total_ms, self_time::float8 as self_ms from pg_stat_user_functions
    where schemaname = 'public' order by total_time desc limit 8`;
  // Seats and running jobs over the run: how much of the 8 × 2 job capacity was in use.
  const busy = samples.filter((s) => s.done < count);
  const full8 = samples.find((s) => s.seats >= MAX_WORKERS);
  const meanRunning = busy.reduce((n, s) => n + s.running, 0) / Math.max(1, busy.length);
  const meanSeats = busy.reduce((n, s) => n + s.seats, 0) / Math.max(1, busy.length);
  const lowSeats = busy.filter((s) => s.seats < MAX_WORKERS && s.pending > 0).length * 0.25;

  const scans = count;
  const detail = {
    wall_s: r1(m.span_s),
    scan_p90_s: r1(m.p90),
    scan_mean_s: r1(m.scan_ms / 1000 / scans),
    scan_s_by_data_set: Object.fromEntries(bySet.map((b) => [b.data_set, { p50: r1(b.p50), mean: r1(b.mean), commits: Math.round(b.commits) }])),
    wait_for_claim_p50_s: r1(m.wait_p50),
    wait_for_claim_max_s: r1(m.wait_max),
    first_claim_s: r2(m.first_claim_s),
    eight_workers_after_s: full8 ? r1(full8.t) : null,
    seconds_with_work_waiting_and_fewer_than_8_workers: r1(lowSeats),
    mean_workers: r1(meanSeats),
    mean_running_jobs: r1(meanRunning),
    distinct_workers: m.workers,
    runs_per_scan: r2(m.runs / scans),
    pages_per_scan: r2(m.pages / scans),
    commits_per_scan: r1(m.commits / scans),
    prs_per_scan: r1(m.prs / scans),
    // github_ms is the time between pages (GitHub's answers, reading and scoring them); the rest of
    // a scan's time is its SQL: begin, page writes, the completion, ETag-cache reads and writes.
    github_share_of_scan_time: r2(m.github_ms / m.scan_ms),
    cpu_ms_per_scan: { postgres: Math.round(cpu.pg / scans), deno: Math.round(cpu.deno / scans), deno_main_thread: Math.round(cpu.denoMain / scans), node_not_counted: Math.round(cpu.node / scans) },
    cores_busy: { postgres: r2(cpu.pg / wallMs), deno: r2(cpu.deno / wallMs), deno_main_thread: r2(cpu.denoMain / wallMs), node_github_gateway_executors: r2(cpu.node / wallMs), node_event_loop_utilization: r2(elu.utilization), whole_machine: r2(cpu.machineBusy / wallMs), other_processes: r2((cpu.machineBusy - cpu.pg - cpu.deno - cpu.node) / wallMs) },
    github: { requests: gh.requests, counted: gh.counted, not_modified: gh.notModified, graphql: gh.graphqlByOperation, rest: Object.fromEntries(Object.entries(gh.byRoute).filter(([k]) => !k.includes("graphql"))) },
    postgres_functions_ms: Object.fromEntries(fns.map((f) => [f.funcname, { calls: f.calls, total: Math.round(f.total_ms), self: Math.round(f.self_ms) }])),
  };
  return {
    scansPerMin: (scans / m.span_s) * 60,
    p50ScanS: m.p50,
    cpuMsPerScan: (cpu.pg + cpu.deno) / scans,
    requestsPerScan: gh.requests / scans,
    maxRssMb: maxRss,
    detail,
  };
}

log(`building ${REPOS} repositories (${PRS_PER_REPO} PRs each; dates ${SHIFTED ? "moved to end this week" : "as in the data sets"})`);
const repositories = benchRepositories(REPOS, (i) => `bench-co${i % COMPANIES}`, { maxPullRequests: PRS_PER_REPO, shifted: SHIFTED });
const stack = await startBenchStack("cg-bench-pipeline-", repositories, log);
let exitCode = 0;
try {
  log(`stack up in ${stack.readyMs} ms`);
  const sql = postgres(stack.dbUrl, { max: 2, onnotice: () => {} });
  try {
    await sql.unsafe("alter system set track_functions = 'pl'");
    await sql`select pg_reload_conf()`;
    await sql`update public.pipeline_settings set value = ${String(MAX_WORKERS)}::jsonb where name = 'max_scan_workers'`;
    const [{ v }] = await sql<{ v: number }[]>`select public.pipeline_setting_int('max_scan_workers', 8) as v`;
    if (v !== MAX_WORKERS) throw new Error(`bench: max_scan_workers reads ${v}, expected ${MAX_WORKERS}`);

    log(`warm-up: ${WARMUP} scans`);
    const w = await runRound(stack, sql, "warmup", WARMUP);
    log(`warm-up: ${r1(w.scansPerMin)} scans/min, p50 ${r1(w.p50ScanS)} s`);
    const results: RoundResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Let the workers of the previous round end (they drain until idle), so each round starts from none.
      for (let i = 0; i < 400; i++) {
        const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from public.scan_workers`;
        if (n === 0) break;
        await sleep(250);
      }
      const r = await runRound(stack, sql, `round${round}`, REPOS);
      results.push(r);
      log(`round ${round}: ${r1(r.scansPerMin)} scans/min, p50 ${r1(r.p50ScanS)} s, ${Math.round(r.cpuMsPerScan)} CPU ms/scan, ${r1(r.requestsPerScan)} requests/scan, max RSS ${Math.round(r.maxRssMb)} MB`);
      log(`round ${round} detail: ${JSON.stringify(r.detail)}`);
    }
    const pick = (f: (r: RoundResult) => number) => median(results.map(f));
    log(`rounds: scans/min ${results.map((r) => r1(r.scansPerMin)).join(", ")}; p50 s ${results.map((r) => r1(r.p50ScanS)).join(", ")}; CPU ms/scan ${results.map((r) => Math.round(r.cpuMsPerScan)).join(", ")}`);
    console.log(JSON.stringify({
      bench: "pipeline",
      repos: REPOS,
      scans_per_min: r1(pick((r) => r.scansPerMin)),
      p50_scan_s: r2(pick((r) => r.p50ScanS)),
      cpu_ms_per_scan: Math.round(pick((r) => r.cpuMsPerScan)),
      requests_per_scan: r1(pick((r) => r.requestsPerScan)),
      max_rss_mb: Math.round(Math.max(...results.map((r) => r.maxRssMb))),
      seed_design_scans_per_min: SEED_DESIGN_SCANS_PER_MIN,
    }));
  } finally {
    await sql.end();
  }
} catch (e) {
  log((e as Error).stack ?? String(e));
  exitCode = 1;
} finally {
  await stack.stop();
}
process.exit(exitCode);
