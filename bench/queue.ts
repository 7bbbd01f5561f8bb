// `npm run bench -- queue`: no-op jobs, claim + complete, CodeGuard's scan_queue against
// graphile-worker and pg-boss, each at 1, 4 and 16 workers, all on one embedded Postgres in one
// run. Prints one JSON line:
//   {"bench":"queue","jobs":N,"workers":[1,4,16],"codeguard_jobs_per_s":{…},
//    "graphile_worker_jobs_per_s":{…},"pg_boss_jobs_per_s":{…},"claim_p99_ms":{…}}
// Progress goes to stderr.
//
// "Workers" = jobs in flight at once in one Node process, each system driven the way its docs
// recommend: CodeGuard's WorkerLoop with that concurrency (the same loop `codeguard worker` runs, on a
// direct connection, so its statements are prepared);
// graphile-worker's run() with concurrency N (pool ≥ concurrency, as it warns otherwise, default
// poll interval; no local queue or batched completion, which are opt-in); pg-boss's work() called
// N times (v10 removed teamSize) with batchSize 50 and its minimum polling interval of 0.5 s. A
// pg-boss v10 worker waits out the polling interval after every batch, so its ceiling is
// batchSize / interval per worker (100 jobs/s here); with its defaults (batchSize 1, 2 s) it
// would be 0.5 jobs/s, not worth measuring.
// A run's clock stops when the database shows every job finished. At each worker count CodeGuard and
// graphile-worker first run an unmeasured tenth of the jobs, then alternate for BENCH_QUEUE_ROUNDS
// measured runs (default 3; which goes first swaps each round), and each figure is the median of its
// runs: the machines are shared, and a single pair of runs minutes apart differed by up to ±25 % on
// the same code. pg-boss runs once per worker count: its figure is set by its polling interval.
//
// CodeGuard's jobs are spread over 32 companies with the default cap of 2 running scans each, so
// the claim pays for its per-company cap exactly as in production. Env: BENCH_QUEUE_JOBS (5000, the
// size of the drain test; the whole run takes ~3 min, most of it pg-boss at 1 worker) and
// BENCH_QUEUE_ROUNDS (3).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { Logger, makeWorkerUtils, run as runGraphile } from "graphile-worker";
import PgBoss from "pg-boss";
import { startPostgres } from "../src/local/postgres.ts";
import { prepareDatabase } from "../src/local/migrate.ts";
import { dbFromPostgresJs } from "../supabase/functions/_shared/platform/db.ts";
import { JobQueue } from "../supabase/functions/_shared/queue/client.ts";
import { WorkerLoop } from "../supabase/functions/_shared/queue/worker/worker-loop.ts";

const JOBS = Number(process.env.BENCH_QUEUE_JOBS ?? 5000);
// Each system first runs a smaller batch that is not measured, with the same worker count: the one
// measured first would otherwise pay for warming up the JIT and the shared code of the process.
const WARMUP = Math.max(100, Math.round(JOBS / 10));
const ROUNDS = Math.max(1, Number(process.env.BENCH_QUEUE_ROUNDS ?? 3));
const WORKERS = [1, 4, 16] as const;
// For experiments: BENCH_QUEUE_WORKERS=1,4 runs only those (the JSON line then lacks the others).
const RUN_WORKERS = process.env.BENCH_QUEUE_WORKERS ? WORKERS.filter((w) => process.env.BENCH_QUEUE_WORKERS!.split(",").includes(String(w))) : WORKERS;
const COMPANIES = 32;
// For experiments: BENCH_QUEUE_ONLY=codeguard (or graphile, pgboss) runs one system.
const ONLY = process.env.BENCH_QUEUE_ONLY;
const wanted = (system: string) => !ONLY || ONLY.split(",").includes(system);

const log = (m: string) => process.stderr.write(`[bench queue] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 300_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(5);
  }
}

function p99(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)];
}

const round = (x: number) => Math.round(x);
// graphile-worker logs a line per job by default; a benchmark of a no-op job would measure the console.
const silentGraphileLogger = new Logger(() => () => {});

const pg = await startPostgres({ dataDir: mkdtempSync(join(tmpdir(), "codeguard-bench-pg-")), fast: true, ephemeral: true });
try {
  const admin = postgres(pg.url(), { max: 1, onnotice: () => {} });
  await admin.unsafe("create database bench");
  await admin.end();
  const url = pg.url("bench");
  log("preparing the database (bootstrap + migrations)");
  await prepareDatabase(url);
  const sql = postgres(url, { max: 4, onnotice: () => {} });

  // ---- CodeGuard
  await sql`insert into public.scan_job_types (name, description) values ('noop', 'the benchmark''s no-op job')`;
  const companies = await sql<{ id: string }[]>`
    insert into public.companies (name) select 'bench ' || g from generate_series(1, ${COMPANIES}) g returning id`;
  const codeguard: Record<string, number> = {};
  const claimP99: Record<string, number> = {};
  async function runCodeguard(workers: number, jobCount: number): Promise<{ seconds: number; claims: number[] }> {
    await sql`truncate public.scan_queue, public.scan_job_events`;
    await sql.unsafe("vacuum analyze public.companies, public.scan_queue, public.scan_job_events, public.scan_queue_company_slots");
    const jobs = Array.from({ length: jobCount }, (_, i) => ({
      company_id: companies[i % COMPANIES].id, scan_type: "noop", dedupe_key: `bench-${i}`,
    }));
    for (let i = 0; i < jobs.length; i += 1000) {
      await sql`select count(*) from public.enqueue_scans(${sql.json(jobs.slice(i, i + 1000))}::jsonb)`;
    }
    const pool = postgres(url, { max: workers + 1, onnotice: () => {} });
    const queue = new JobQueue(dbFromPostgresJs(pool));
    const claims: number[] = [];
    const timed = Object.create(queue) as JobQueue;
    timed.claim = async (args) => {
      const t = performance.now();
      const r = await queue.claim(args);
      claims.push(performance.now() - t);
      return r;
    };
    let processed = 0;
    const loop = new WorkerLoop({ queue: timed, workerId: `bench-${workers}`, concurrency: workers, processors: { noop: async () => void processed++ } });
    const started = performance.now();
    void loop.start();
    await waitFor(async () => processed >= jobCount, "CodeGuard processors");
    await waitFor(async () => {
      const [r] = await sql<{ n: number }[]>`select count(*)::int as n from public.scan_queue where status <> 'completed'`;
      return r.n === 0;
    }, "CodeGuard jobs");
    const seconds = (performance.now() - started) / 1000;
    await loop.stop({ graceMs: 1000 });
    await pool.end();
    return { seconds, claims };
  }
  // ---- graphile-worker
  const graphile: Record<string, number> = {};
  const utils = await makeWorkerUtils({ connectionString: url, logger: silentGraphileLogger });
  await utils.migrate();
  async function runGraphileWorker(workers: number, jobCount: number): Promise<number> {
    await sql.unsafe("vacuum analyze graphile_worker._private_jobs");
    for (let i = 0; i < jobCount; i += 1000) {
      await utils.addJobs(Array.from({ length: Math.min(1000, jobCount - i) }, () => ({ identifier: "noop", payload: {} })));
    }
    let processed = 0;
    const started = performance.now();
    const runner = await runGraphile({
      connectionString: url,
      concurrency: workers,
      maxPoolSize: Math.max(10, workers + 2),
      noHandleSignals: true,
      taskList: { noop: async () => void processed++ },
      logger: silentGraphileLogger,
    });
    await waitFor(async () => processed >= jobCount, "graphile-worker tasks");
    await waitFor(async () => {
      const [r] = await sql<{ n: number }[]>`select count(*)::int as n from graphile_worker._private_jobs`;
      return r.n === 0;
    }, "graphile-worker jobs");
    const seconds = (performance.now() - started) / 1000;
    await runner.stop();
    return seconds;
  }
  // ---- CodeGuard and graphile-worker, alternating at each worker count
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  for (const workers of RUN_WORKERS) {
    const cg: number[] = [], gw: number[] = [], claims: number[] = [];
    const runs: (() => Promise<void>)[] = [];
    if (wanted("codeguard")) {
      runs.push(async () => {
        const r = await runCodeguard(workers, JOBS);
        cg.push(JOBS / r.seconds);
        claims.push(...r.claims);
      });
      await runCodeguard(workers, WARMUP);
    }
    if (wanted("graphile")) {
      runs.push(async () => void gw.push(JOBS / (await runGraphileWorker(workers, JOBS))));
      await runGraphileWorker(workers, WARMUP);
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const run of r % 2 ? [...runs].reverse() : runs) await run();
    }
    if (cg.length) {
      codeguard[workers] = round(median(cg));
      claimP99[workers] = Number(p99(claims).toFixed(2));
      log(`codeguard  workers=${workers}: ${codeguard[workers]} jobs/s (runs ${cg.map(round).join(", ")}), ${claims.length} claims, p99 ${claimP99[workers]} ms`);
    }
    if (gw.length) {
      graphile[workers] = round(median(gw));
      log(`graphile   workers=${workers}: ${graphile[workers]} jobs/s (runs ${gw.map(round).join(", ")})`);
    }
  }
  await utils.release();

  // ---- pg-boss
  const pgBoss: Record<string, number> = {};
  const boss = new PgBoss({ connectionString: url, max: 20 });
  boss.on("error", (e) => log(`pg-boss error: ${e.message}`));
  await boss.start();
  async function runPgBoss(queueName: string, workers: number, jobCount: number): Promise<number> {
    await boss.createQueue(queueName);
    for (let i = 0; i < jobCount; i += 1000) {
      await boss.insert(Array.from({ length: Math.min(1000, jobCount - i) }, () => ({ name: queueName, data: {} })));
    }
    await sql.unsafe("vacuum analyze pgboss.job");
    let processed = 0;
    const started = performance.now();
    for (let w = 0; w < workers; w++) {
      await boss.work(queueName, { batchSize: 50, pollingIntervalSeconds: 0.5 }, async (jobs) => void (processed += jobs.length));
    }
    await waitFor(async () => processed >= jobCount, "pg-boss handlers");
    await waitFor(async () => {
      const [r] = await sql<{ n: number }[]>`select count(*)::int as n from pgboss.job where name = ${queueName} and state <> 'completed'`;
      return r.n === 0;
    }, "pg-boss jobs");
    const seconds = (performance.now() - started) / 1000;
    await boss.offWork(queueName);
    return seconds;
  }
  for (const workers of RUN_WORKERS.filter(() => wanted("pgboss"))) {
    await runPgBoss(`warmup_${workers}`, workers, WARMUP);
    pgBoss[workers] = round(JOBS / (await runPgBoss(`noop_${workers}`, workers, JOBS)));
    log(`pg-boss    workers=${workers}: ${pgBoss[workers]} jobs/s`);
  }
  await boss.stop({ graceful: false, wait: true });
  await sql.end();

  console.log(JSON.stringify({
    bench: "queue",
    jobs: JOBS,
    workers: WORKERS,
    codeguard_jobs_per_s: codeguard,
    graphile_worker_jobs_per_s: graphile,
    pg_boss_jobs_per_s: pgBoss,
    claim_p99_ms: claimP99,
  }));
} finally {
  await pg.stop();
}
process.exit(0); // pg-boss and pools may keep timers alive; the figures are printed
