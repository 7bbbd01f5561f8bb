// `npm run bench -- dispatch`: how long a job waits to be claimed when jobs arrive one at a time —
// the enqueue trigger → net.http_post → the pg_net executor → the gateway → scan-repository under
// Deno → begin_scan_worker → claim — and that the fan-out never exceeds max_scan_workers. Prints
// one JSON line:
//   {"bench":"dispatch","enqueue_to_claim_p50_ms":…,"p99_ms":…,"workers_max":…}
// Progress and the breakdown go to stderr. Exits 1, saying so, if more edge workers than
// pipeline_settings.max_scan_workers were ever running at once.
//
// Figures (2 shared cores, one enqueue every 200 ms; the first two before the enqueue trigger
// fanned out, the third after — the steady case wakes one worker either way):
//   {"bench":"dispatch","enqueue_to_claim_p50_ms":5.5,"p99_ms":11.2,"workers_max":8}
//   {"bench":"dispatch","enqueue_to_claim_p50_ms":6,"p99_ms":12.4,"workers_max":8}
//   {"bench":"dispatch","enqueue_to_claim_p50_ms":4.9,"p99_ms":9.6,"workers_max":8}
// Rounds' p50 5.4–6.1 ms, p99 9.8–14.5 ms (max 28.9 ms): within ±10 % run to run. Every steady job
// woke its own worker (a scan ends before the next enqueue, and a drained worker exits): enqueue →
// seat ~4.4 ms (trigger, NOTIFY at commit, the pg_net executor, the gateway, begin_scan_worker),
// seat → claim ~1 ms; at most 2 workers at once. Every 100 ms: p50 5.5 ms, p99 10.4 ms. The goal
// (p50 < 500 ms) is met ~90 times over; the seed design's wake-up, a cron tick a minute, waits
// 30 s on average (computed from its schedule). The burst (400 jobs in ~1.4 s) reaches 8 workers and
// never more; 0–2 wake-ups were turned away by begin_scan_worker; its jobs wait p50 ~1.5 s behind
// the 16 job slots.
//
// How: a running local stack (startStack with a local GitHub); jobs enqueued one at a time through
// public.enqueue_scan, one every BENCH_DISPATCH_INTERVAL_MS (default 200 ms, i.e. 5 a second,
// sent on a fixed timetable so a slow enqueue does not slow the rate), each a full scan with its
// own dedupe key over 50 small repositories of 25 companies (3 PRs each, the data sets' dates as
// they are: the 90-day default window holds no commit, so a scan is a probe, one PR page and an
// empty history — a few GitHub requests — and the latency measured is the dispatch's, not the
// scan's). A job's wait is its `claimed` event's created_at − its `enqueued` event's, both
// public.scan_job_events (each is its transaction's now(): the enqueue's and the claim's).
// An unmeasured warm-up of 20 jobs, then BENCH_DISPATCH_ROUNDS (3) rounds of BENCH_DISPATCH_JOBS
// (100) jobs; p50 and p99 are the medians of the rounds' own. Then a burst of BENCH_DISPATCH_BURST
// (400) jobs from 8 connections at once, so that the cap is tested where it binds (its latency is
// on stderr only). A run takes ~70 s.
//
// workers_max: the edge workers running at once, exactly — a trigger added by the bench (on its
// throwaway database only) logs every insert into and delete from public.scan_workers with
// clock_timestamp(), and the most seats held at once is the peak of that running count; besides,
// public.scan_workers is sampled every 20 ms, and the larger of the two is reported.
// The stderr breakdown splits each wait at the seat its worker took: enqueue → seat (the trigger,
// pg_net, the gateway, the function's begin_scan_worker) and seat → claim (the worker's setup and
// first claim); a job claimed by a worker that was already running has no such split.
import postgres from "postgres";
import { buildRepository, loadCommits } from "../src/local/github/dataset.ts";
import { createTenants, median, quantile, sleep, startBenchStack } from "./lib/pipeline-stack.ts";

const INTERVAL_MS = Number(process.env.BENCH_DISPATCH_INTERVAL_MS ?? 200);
const JOBS = Number(process.env.BENCH_DISPATCH_JOBS ?? 100);
const ROUNDS = Math.max(1, Number(process.env.BENCH_DISPATCH_ROUNDS ?? 3));
const WARMUP = 20;
const BURST = Number(process.env.BENCH_DISPATCH_BURST ?? 400);
const COMPANIES = 25;
const REPOS = 50;

const log = (m: string) => process.stderr.write(`[bench dispatch] ${m}\n`);
const r1 = (x: number) => Math.round(x * 10) / 10;

// 50 small repositories: github-mcp-server's history with its 3 most recent PRs, served under 50 names.
const base = buildRepository({ owner: "base", name: "small", commits: loadCommits("github__github-mcp-server.jsonl"), maxPullRequests: 3 });
const repositories = Array.from({ length: REPOS }, (_, i) => ({ ...base, id: 600_000_000 + i, owner: `dispatch-co${i % COMPANIES}`, name: `small-${i}` }));

const stack = await startBenchStack("cg-bench-dispatch-", repositories, log);
let exitCode = 0;
try {
  const sql = postgres(stack.dbUrl, { max: 3, onnotice: () => {} });
  const sampler = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
  try {
    const [{ cap }] = await sql<{ cap: number }[]>`select public.pipeline_setting_int('max_scan_workers', 8) as cap`;
    log(`stack up in ${stack.readyMs} ms; max_scan_workers = ${cap}; one enqueue every ${INTERVAL_MS} ms`);
    // The bench's own audit of the seats (its throwaway database only): every seat taken and given back.
    await sql.unsafe(`
      create table public.bench_scan_worker_log (worker_id text not null, taken boolean not null, at timestamptz not null default clock_timestamp());
      create function public.bench_log_scan_worker() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then insert into public.bench_scan_worker_log (worker_id, taken) values (new.worker_id, true);
        else insert into public.bench_scan_worker_log (worker_id, taken) values (old.worker_id, false); end if;
        return null;
      end $$;
      create trigger bench_log_scan_worker after insert or delete on public.scan_workers
        for each row execute function public.bench_log_scan_worker();`);
    const { jobs } = await createTenants(sql, repositories, COMPANIES, (i) => i % COMPANIES, "dispatch");

    let sampledMax = 0;
    let sampling = true;
    const sampleLoop = (async () => {
      while (sampling) {
        const [{ n }] = await sampler<{ n: number }[]>`select count(*)::int as n from public.scan_workers`;
        sampledMax = Math.max(sampledMax, n);
        await sleep(20);
      }
    })();

    let seq = 0;
    const runRound = async (label: string, count: number) => {
      const ids: string[] = [];
      const t0 = performance.now();
      const pending: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        const due = t0 + i * INTERVAL_MS;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const j = jobs[seq % jobs.length];
        const key = `bench-dispatch-${seq++}`;
        pending.push((async () => {
          const [row] = await sql<{ id: string }[]>`
            select id from public.enqueue_scan(p_company_id => ${j.company_id}::uuid, p_repository_id => ${j.repository_id}::uuid,
                                               p_scan_type => 'full_scan', p_dedupe_key => ${key})`;
          ids.push(row.id);
        })());
      }
      await Promise.all(pending);
      // Every job claimed and finished before the next round.
      for (let tries = 0; ; tries++) {
        const [s] = await sql<{ open: number; failed: number }[]>`
          select count(*) filter (where status in ('pending', 'running'))::int as open,
                 count(*) filter (where status in ('dead', 'cancelled'))::int as failed
          from public.scan_queue where id = any(${ids}::uuid[])`;
        if (s.failed > 0) throw new Error(`bench: ${s.failed} jobs of ${label} did not complete`);
        if (s.open === 0) break;
        if (tries > 1200) throw new Error(`bench: ${s.open} jobs of ${label} still open 5 minutes after the last enqueue`);
        await sleep(250);
      }
      const rows = await sql<{ wait_ms: number; seat_ms: number | null; setup_ms: number | null }[]>`
        with j as (
          select e.job_id,
                 min(e.created_at) filter (where e.kind = 'enqueued') as enqueued_at,
                 min(e.created_at) filter (where e.kind = 'claimed') as claimed_at,
                 (array_agg(e.worker_id order by e.id) filter (where e.kind = 'claimed'))[1] as worker_id
          from public.scan_job_events e where e.job_id = any(${ids}::uuid[]) group by e.job_id)
        select extract(epoch from j.claimed_at - j.enqueued_at)::float8 * 1000 as wait_ms,
               -- The worker's seat was taken after the enqueue: that worker was started for this job (or one just before).
               case when s.at >= j.enqueued_at then extract(epoch from s.at - j.enqueued_at)::float8 * 1000 end as seat_ms,
               case when s.at >= j.enqueued_at then extract(epoch from j.claimed_at - s.at)::float8 * 1000 end as setup_ms
        from j left join public.bench_scan_worker_log s on s.worker_id = j.worker_id and s.taken`;
      const waits = rows.map((r) => r.wait_ms);
      const fresh = rows.filter((r) => r.seat_ms !== null);
      const p50 = median(waits);
      const p99 = quantile(waits, 0.99);
      log(`${label}: ${count} jobs, enqueue → claim p50 ${r1(p50)} ms, p90 ${r1(quantile(waits, 0.9))} ms, p99 ${r1(p99)} ms, max ${r1(Math.max(...waits))} ms; ` +
        `${fresh.length} claimed by a worker started after their enqueue (enqueue → seat p50 ${r1(median(fresh.map((r) => r.seat_ms!)))} ms, ` +
        `seat → claim p50 ${r1(median(fresh.map((r) => r.setup_ms!)))} ms), ${count - fresh.length} by a worker already running`);
      return { p50, p99 };
    };

    // The most seats held at once so far, from the audit log (a seat given back at the instant
    // another is taken counts once: false sorts first), and the seats taken.
    const peak = async () => {
      const [r] = await sql<{ peak: number; workers: number }[]>`
        select coalesce(max(held), 0)::int as peak, count(*) filter (where taken)::int as workers
        from (select taken, sum(case when taken then 1 else -1 end) over (order by at, taken) as held
              from public.bench_scan_worker_log) h`;
      return r;
    };

    await runRound("warm-up", WARMUP);
    const results: { p50: number; p99: number }[] = [];
    for (let r = 1; r <= ROUNDS; r++) results.push(await runRound(`round ${r}`, JOBS));
    const steady = await peak();
    const steadySampled = sampledMax;

    // The cap under pressure: BURST jobs from 8 connections at once, each enqueue its own statement
    // (its own trigger): concurrent triggers cannot see each other's wake-ups, so more are sent
    // than there are seats, and begin_scan_worker must turn the extra ones away.
    const burstSql = postgres(stack.dbUrl, { max: 8, onnotice: () => {} });
    const [{ before }] = await sql<{ before: Date }[]>`select clock_timestamp() as before`;
    const burstIds: string[] = [];
    const t = performance.now();
    await Promise.all(Array.from({ length: 8 }, async (_, w) => {
      for (let i = w; i < BURST; i += 8) {
        const j = jobs[(seq + i) % jobs.length];
        const [row] = await burstSql<{ id: string }[]>`
          select id from public.enqueue_scan(p_company_id => ${j.company_id}::uuid, p_repository_id => ${j.repository_id}::uuid,
                                             p_scan_type => 'full_scan', p_dedupe_key => ${`bench-dispatch-burst-${i}`})`;
        burstIds.push(row.id);
      }
    }));
    const enqueueMs = performance.now() - t;
    await burstSql.end();
    for (let tries = 0; ; tries++) {
      const [{ open }] = await sql<{ open: number }[]>`select count(*) filter (where status in ('pending', 'running'))::int as open from public.scan_queue where id = any(${burstIds}::uuid[])`;
      if (open === 0) break;
      if (tries > 2400) throw new Error(`bench: ${open} burst jobs still open after 10 minutes`);
      await sleep(250);
    }
    sampling = false;
    await sampleLoop;
    const all = await peak();
    const [{ refused }] = await sql<{ refused: number }[]>`
      select count(*)::int as refused from net._http_response where created >= ${before} and content like '%"not started"%'`;
    const [{ bp50, bmax }] = await sql<{ bp50: number; bmax: number }[]>`
      select percentile_cont(0.5) within group (order by w)::float8 * 1000 as bp50, max(w)::float8 * 1000 as bmax from (
        select extract(epoch from min(e.created_at) filter (where e.kind = 'claimed') - min(e.created_at) filter (where e.kind = 'enqueued')) as w
        from public.scan_job_events e where e.job_id = any(${burstIds}::uuid[]) group by e.job_id) x`;
    const workersMax = Math.max(all.peak, sampledMax);
    log(`steady rounds: at most ${steady.peak} workers at once (audit log; ${steadySampled} in the 20 ms samples); rounds p50 ${results.map((r) => r1(r.p50)).join(", ")} ms, p99 ${results.map((r) => r1(r.p99)).join(", ")} ms`);
    log(`burst: ${BURST} jobs enqueued from 8 connections in ${Math.round(enqueueMs)} ms; at most ${all.peak} workers at once (audit log; ${sampledMax} sampled), ` +
      `${refused} wake-ups turned away by begin_scan_worker; enqueue → claim p50 ${r1(bp50)} ms, max ${r1(bmax)} ms; ${all.workers} invocations took a seat in the whole run`);
    console.log(JSON.stringify({
      bench: "dispatch",
      enqueue_to_claim_p50_ms: r1(median(results.map((r) => r.p50))),
      p99_ms: r1(median(results.map((r) => r.p99))),
      workers_max: workersMax,
    }));
    if (workersMax > cap) {
      log(`FAILED: ${workersMax} edge workers ran at once, more than max_scan_workers = ${cap}`);
      exitCode = 1;
    }
  } finally {
    await sampler.end();
    await sql.end();
  }
} catch (e) {
  log((e as Error).stack ?? String(e));
  exitCode = 1;
} finally {
  await stack.stop();
}
process.exit(exitCode);
