// `npm run bench -- dashboard`: the members' dashboard on the local stack, for a company of 200
// repositories (each with a completed scan, 20 commits of the last 20 days with a file each — 40 %
// attested, 10 % suspected — and 5 pull requests, 3 of them AI, scored twice, its alerts raised).
// Prints one JSON line:
//   {"bench":"dashboard","repositories":200,"overview_p50_ms":…,"overview_p99_ms":…,"repository_p50_ms":…,
//    "repository_p99_ms":…,"report_generation_p50_ms":…,"report_generation_p99_ms":…,"first_paint_ms":…,
//    "first_numbers_ms":…,"overview_kb":…}
// Progress goes to stderr.
//
// What is measured:
//  - overview_*: GET …/dashboard/api/overview with a member's session through the gateway and the
//    function under Deno (the session verified against the JWKS, weekly_report_data, the report's
//    content builder, dashboard_company), 200 calls one after another after 20 to warm up. Goal:
//    p99 < 300 ms.
//  - repository_*: GET …/dashboard/api/repository?id= for the repositories in turn, 100 calls.
//  - report_generation_*: the weekly report of the same company and day generated the way the
//    weekly_report job does (generateWeeklyReport: the same SQL, the content, Markdown, HTML, stored),
//    in this process, 20 times.
//  - first_paint_ms / first_numbers_ms: the page in headless Chromium (Debian's), signed in by the
//    fragment: the first contentful paint, and the moment the company's score is on the page; the
//    median of 5 loads.
import postgres from "postgres";
import { chromium } from "playwright-core";
import { signUserJwt } from "../src/local/keys.ts";
import { dbFromPostgresJs } from "../supabase/functions/_shared/platform/db.ts";
import { generateWeeklyReport } from "../supabase/functions/_shared/reports/weekly-report.ts";
import { median, startBenchStack } from "./lib/pipeline-stack.ts";

const REPOS = Number(process.env.BENCH_DASHBOARD_REPOS ?? 200);
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const log = (m: string) => process.stderr.write(`[bench dashboard] ${m}\n`);
const round1 = (x: number) => Math.round(x * 10) / 10;
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(0.99 * xs.length) - 1)];

const stack = await startBenchStack("cg-bench-dashboard-", [], log);
const sql = postgres(stack.dbUrl, { max: 4, onnotice: () => {} });

try {
  let t = performance.now();
  const [{ id: companyId }] = await sql`insert into companies (name, settings) values ('Bench dashboard', '{"risk_threshold": 60, "auto_scan_enabled": false}') returning id`;
  const userId = crypto.randomUUID();
  await sql`insert into auth.users (id, email) values (${userId}, 'bench@dashboard.example')`;
  await sql`insert into users (id, company_id, email) values (${userId}, ${companyId}, 'bench@dashboard.example')`;
  await sql`insert into repositories (company_id, full_name) select ${companyId}, 'bench/repo-' || r from generate_series(1, ${REPOS}) r`;
  await sql`insert into scans (company_id, repository_id, job_id, scan_type, status, progress, attempt, started_at, completed_at)
            select r.company_id, r.id, gen_random_uuid(), 'full_scan', 'completed', 100, 1, now() - interval '1 hour', now() - interval '50 minutes'
            from repositories r where r.company_id = ${companyId}`;
  await sql`insert into scan_results (repository_id, commit_sha, path, company_id, scan_id, verdict, agents, confidence, lines_added, lines_deleted,
                                      ai_lines, counted_lines, is_merge, author_name, author_email, authored_at, committed_at)
            select s.repository_id, md5(s.id::text || g), p.path, s.company_id, s.id, v.verdict,
                   case when v.verdict = 'attested' then array[case when g % 3 = 0 then 'copilot' else 'claude-code' end] else '{}' end,
                   1, 40 + g, 3,
                   case when p.path = '' and v.verdict = 'attested' then 40 + g end, case when p.path = '' then 40 + g end, false,
                   'dev' || (g % 4), 'dev' || (g % 4) || '@example.com', now() - make_interval(days => g, hours => g), now() - make_interval(days => g, hours => g)
            from scans s, generate_series(1, 20) g,
                 lateral (select case when g % 10 < 4 then 'attested' when g % 10 < 9 then 'human' else 'suspected' end as verdict) v,
                 lateral (values (''), ('src/file-' || (g % 5) || '.ts')) p (path)
            where s.company_id = ${companyId}`;
  await sql`insert into pull_requests (company_id, repository_id, github_pr_id, title, state, ai_generated, verdict, agents, confidence,
                                       human_reviewed, additions, pr_created_at, pr_merged_at, unreviewed_ai_merge, scan_id)
            select s.company_id, s.repository_id, n, 'PR ' || n, 'MERGED', n <= 3, case when n <= 3 then 'attested' else 'human' end,
                   case when n <= 3 then '{claude-code}'::text[] else '{}' end, 1, n = 1, 100 * n, now() - make_interval(days => n + 1),
                   now() - make_interval(days => n), n in (2, 3), s.id
            from scans s, generate_series(1, 5) n where s.company_id = ${companyId}`;
  await sql`select public.calculate_ai_debt_score(${companyId})`;
  await sql`select public.calculate_ai_debt_score(${companyId})`;
  await sql`select public.evaluate_company_alerts(${companyId})`;
  await sql`analyze`;
  log(`data: 1 company × ${REPOS} repositories in ${Math.round(performance.now() - t)} ms`);

  const token = signUserJwt(stack.keys, { sub: userId, email: "bench@dashboard.example", expiresInSeconds: 3600 });
  const headers = { authorization: `Bearer ${token}`, apikey: stack.keys.publishableKey };
  const base = `${stack.functionsUrl}/dashboard`;
  const timed = async (url: string): Promise<[number, number]> => {
    const t0 = performance.now();
    const res = await fetch(url, { headers });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${body.slice(0, 200)}`);
    return [performance.now() - t0, body.length];
  };

  for (let i = 0; i < 20; i++) await timed(`${base}/api/overview`);
  const overview: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 200; i++) {
    const [ms, size] = await timed(`${base}/api/overview`);
    overview.push(ms);
    bytes = size;
  }
  log(`overview: p50 ${round1(median(overview))} ms, p99 ${round1(p99(overview))} ms, ${round1(bytes / 1024)} KB`);
  const repoIds = (await sql<{ id: string }[]>`select id from repositories where company_id = ${companyId} order by full_name`).map((r) => r.id);
  const repository: number[] = [];
  for (let i = 0; i < 100; i++) repository.push((await timed(`${base}/api/repository?id=${repoIds[i % repoIds.length]}`))[0]);
  log(`repository: p50 ${round1(median(repository))} ms, p99 ${round1(p99(repository))} ms`);

  const db = dbFromPostgresJs(sql);
  const today = new Date().toISOString().slice(0, 10);
  const generation: number[] = [];
  for (let i = 0; i < 20; i++) {
    t = performance.now();
    await generateWeeklyReport(db, { companyId, periodEnd: today });
    generation.push(performance.now() - t);
  }
  log(`report generation: p50 ${round1(median(generation))} ms`);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run"],
  });
  const paints: number[] = [];
  const numbers: number[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${base}#access_token=${token}&token_type=bearer&expires_in=3600`);
      await page.waitForSelector("#company-score");
      const [fcp, shown] = await page.evaluate(() => [
        performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
        performance.getEntriesByName("codeguard:figures")[0]?.startTime ?? NaN,
      ]);
      paints.push(fcp);
      numbers.push(shown);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  log(`page: first paint ${round1(median(paints))} ms, the score shown at ${round1(median(numbers))} ms`);

  console.log(JSON.stringify({
    bench: "dashboard", repositories: REPOS,
    overview_p50_ms: round1(median(overview)), overview_p99_ms: round1(p99(overview)),
    repository_p50_ms: round1(median(repository)), repository_p99_ms: round1(p99(repository)),
    report_generation_p50_ms: round1(median(generation)), report_generation_p99_ms: round1(p99(generation)),
    first_paint_ms: round1(median(paints)), first_numbers_ms: round1(median(numbers)), overview_kb: round1(bytes / 1024),
  }));
} finally {
  await sql.end({ timeout: 1 });
  await stack.stop();
}
