// What `npm start -- --once` runs on the fresh stack. Each issue that adds a stage of the
// pipeline adds its step here, so the demo always shows the whole flow as far as it goes.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import postgres from "postgres";
import { dbFromPostgresJs } from "../../supabase/functions/_shared/platform/db.ts";
import { JobQueue } from "../../supabase/functions/_shared/queue/mod.ts";
import type { ScanSummary } from "../../supabase/functions/_shared/scan/summary.ts";
import { repositoryFromDataSet, SHARED_DATA_DIR, type LocalRepository } from "./github/dataset.ts";
import { REPO_ROOT } from "./migrate.ts";
import type { LocalStack } from "./stack.ts";

/** The demo tenant, seeded by supabase/seed.sql; a fixed id so that runs on a kept database reuse it. */
export const DEMO_COMPANY = "de000000-0000-4000-8000-000000000001";
export const SEED_SQL = join(REPO_ROOT, "supabase", "seed.sql");
/** What the local GitHub serves: real histories from ../shared/data, with PRs derived from them. */
export const DEMO_DATA_SETS = ["github__github-mcp-server.jsonl", "terryyin__lizard.jsonl"];

/** The data sets as local repositories, or null when they are not beside the repository. */
export function demoRepositories(): LocalRepository[] | null {
  if (!DEMO_DATA_SETS.every((f) => existsSync(join(SHARED_DATA_DIR, f)))) return null;
  return [
    repositoryFromDataSet(DEMO_DATA_SETS[0]),
    repositoryFromDataSet(DEMO_DATA_SETS[1], { defaultBranch: "master" }),
  ];
}

export async function runDemo(stack: LocalStack, print: (line: string) => void): Promise<number> {
  let failures = 0;
  const step = async (title: string, fn: () => Promise<string>) => {
    const t = performance.now();
    try {
      const detail = await fn();
      print(`  ✓ ${title} (${Math.round(performance.now() - t)} ms): ${detail}`);
    } catch (e) {
      failures++;
      print(`  ✗ ${title}: ${(e as Error).message}`);
    }
  };
  print("demo:");

  await step("health function, called with the secret key", async () => {
    const res = await fetch(`${stack.functionsUrl}/health`, { headers: { apikey: stack.keys.secretKey } });
    const body = (await res.json()) as { status: string; migrations: { applied: number }; schedules: unknown[]; problems: string[] };
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${body.problems?.join("; ")}`);
    return `${body.status}, ${body.migrations.applied} migrations, ${body.schedules.length} schedules`;
  });

  await step("health function tells the public key only whether the pipeline is up", async () => {
    const res = await fetch(`${stack.functionsUrl}/health`, { headers: { apikey: stack.keys.publishableKey } });
    const body = (await res.json()) as Record<string, unknown>;
    if (Object.keys(body).sort().join() !== "checked_at,status") throw new Error(`expected only status and checked_at, got ${JSON.stringify(body)}`);
    return `${res.status} ${JSON.stringify(body.status)}, nothing more`;
  });

  await step("scan-repository refuses the public key: nothing runs", async () => {
    const res = await fetch(`${stack.functionsUrl}/scan-repository?wait=1`, { method: "POST", headers: { apikey: stack.keys.publishableKey } });
    if (res.status !== 403) throw new Error(`expected 403, got ${res.status}`);
    return "403";
  });

  const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
  try {
    await step("pg_cron schedules a pg_net call to the health function", async () => {
      const [{ since }] = await sql<{ since: Date }[]>`select clock_timestamp() as since`;
      const [{ jobid }] = await sql<{ jobid: string }[]>`
        select cron.schedule('demo-health-ping', '1 seconds', $$
          select net.http_post(
            url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') || '/functions/v1/health',
            headers := jsonb_build_object('apikey', (select decrypted_secret from vault.decrypted_secrets where name = 'secret_key')))
        $$)::text as jobid`;
      try {
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          const [r] = await sql<{ status_code: number | null; error_msg: string | null; content: string | null }[]>`
            select r.status_code, r.error_msg, r.content from net._http_response r
            where r.created > ${since} and exists (select 1 from cron.job_run_details d where d.jobid = ${jobid} and d.status = 'succeeded')
            order by r.created limit 1`;
          if (r) {
            if (r.status_code !== 200) throw new Error(`the function answered ${r.status_code ?? r.error_msg}: ${r.content}`);
            return "cron → net.http_post → /functions/v1/health → 200 recorded in net._http_response";
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error("no response within 10 s");
      } finally {
        await sql`select cron.unschedule('demo-health-ping')`;
      }
    });

    // `codeguard start` always runs a local GitHub (never api.github.com unasked), with no repository
    // when the data sets are missing.
    if (!stack.github || stack.github.repositories.length === 0) {
      print(`  - repository scans skipped: the local GitHub serves no repository (the data sets were not found in ${SHARED_DATA_DIR})`);
    } else {
      const repositories = stack.github.repositories.map((r) => ({ fullName: `${r.owner}/${r.name}`, branch: r.default_branch }));
      // The demo company and its repositories are supabase/seed.sql (what `supabase db reset` seeds),
      // so the seed and the demo cannot drift apart.
      const repositoryIds = await sql.begin(async (tx) => {
        await tx.unsafe(readFileSync(SEED_SQL, "utf8"));
        const ids: string[] = [];
        for (const r of repositories) {
          const [row] = await tx<{ id: string; default_branch: string }[]>`
            select id, default_branch from repositories where company_id = ${DEMO_COMPANY} and full_name = ${r.fullName}`;
          if (row?.default_branch !== r.branch) throw new Error(`supabase/seed.sql does not seed ${r.fullName} (branch ${r.branch}), which the local GitHub serves: add it there`);
          ids.push(row.id);
        }
        return ids;
      });
      const queue = new JobQueue(dbFromPostgresJs(sql));
      // Enqueue and watch the scans: the enqueue trigger wakes the scan-repository function through
      // pg_net, and each scan's row shows its progress as its pages are written.
      const scanAll = async (scanType: string) => {
        const jobs = await queue.enqueueMany(repositoryIds.map((repositoryId) => ({ companyId: DEMO_COMPANY, repositoryId, scanType, priority: 1 })));
        const ids = jobs.map((j) => j.id);
        const shown = new Map<string, string>();
        const deadline = Date.now() + 180_000;
        for (;;) {
          const rows = await sql<{ job_id: string; full_name: string; status: string; progress: number; message: string | null; job_status: string; error: string | null; worker_id: string | null; summary: ScanSummary | null; unchanged: boolean | null }[]>`
            select q.id as job_id, r.full_name, coalesce(s.status, 'queued') as status, coalesce(s.progress, 0) as progress,
                   s.progress_message as message, q.status as job_status, q.error, q.worker_id, s.summary,
                   (q.result ->> 'unchanged')::boolean as unchanged
            from scan_queue q join repositories r on r.id = q.repository_id left join scans s on s.job_id = q.id
            where q.id = any(${ids}) order by r.full_name`;
          for (const r of rows) {
            const line = `${r.status} ${r.progress}%${r.message ? ` — ${r.message}` : ""}`;
            if (shown.get(r.job_id) !== line && scanType === "full_scan") print(`      ${r.full_name.padEnd(28)} ${line}`);
            shown.set(r.job_id, line);
            if (r.job_status === "dead" || r.job_status === "cancelled") throw new Error(`the scan of ${r.full_name} is ${r.job_status}: ${r.error}`);
          }
          if (rows.every((r) => r.job_status === "completed")) return rows;
          if (Date.now() > deadline) throw new Error(`scans still running after 180 s: ${rows.filter((r) => r.job_status !== "completed").map((r) => r.full_name).join(", ")}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      };
      await step(`full scans of ${repositories.map((r) => r.fullName).join(" and ")}: enqueue → pg_net → scan-repository function → local GitHub`, async () => {
        const rows = await scanAll("full_scan");
        return rows.map((r) => {
          const s = r.summary!;
          const agents = Object.entries(s.per_agent).map(([a, v]) => `${a} ${v.share_pct}%`).join(", ") || "none";
          return `\n      ${r.full_name} (by ${r.worker_id}): ${s.prs_scanned} PRs, ${s.commits_scanned} commits; AI wrote ${s.ai_loc_percentage}% of ${s.total_loc} lines ` +
            `(${agents}); ${s.ai_prs_detected} AI PRs, ${s.unreviewed_ai_merges} merged without human review (coverage ${s.review_coverage_percentage}%); ` +
            `${s.api_requests.counted} GitHub requests`;
        }).join("");
      });
      await step("incremental scans of the unchanged repositories", async () => {
        const rows = await scanAll("incremental_scan");
        const counted = rows.reduce((n, r) => n + r.summary!.api_requests.counted, 0);
        const notModified = rows.reduce((n, r) => n + r.summary!.api_requests.not_modified, 0);
        if (rows.some((r) => !r.unchanged) || counted !== 0) throw new Error(`expected unchanged, free rescans: ${counted} counted requests`);
        return `unchanged; ${notModified} conditional requests answered 304, 0 counted against the rate limit`;
      });
      await step("the company's score and alerts: complete_scan → calculate_scores (calculate-scores) → generate_alerts (generate-alerts)", async () => {
        // The scans enqueued calculate_scores (due 5 s after them), which enqueues generate_alerts;
        // the dispatch tick wakes each job's function. Done when neither is waiting any more.
        const deadline = Date.now() + 90_000;
        for (;;) {
          const [w] = await sql<{ waiting: number; alerted: number }[]>`
            select count(*) filter (where status in ('pending', 'running'))::int as waiting,
                   count(*) filter (where scan_type = 'generate_alerts' and status = 'completed')::int as alerted
            from scan_queue where company_id = ${DEMO_COMPANY} and scan_type in ('calculate_scores', 'generate_alerts')`;
          if (w.waiting === 0 && w.alerted > 0) break;
          const [bad] = await sql`select scan_type, error from scan_queue where company_id = ${DEMO_COMPANY} and status = 'dead' and scan_type in ('calculate_scores', 'generate_alerts')`;
          if (bad) throw new Error(`${bad.scan_type} is dead: ${bad.error}`);
          if (Date.now() > deadline) throw new Error("calculate_scores and generate_alerts did not finish within 90 s (is codeguard-dispatch-scan-workers running?)");
          await new Promise((r) => setTimeout(r, 250));
        }
        const scores = await sql<{ full_name: string | null; score: string; risk_zone: string; score_with_suspected: string }[]>`
          select distinct on (s.repository_id) r.full_name, s.score, s.risk_zone, s.breakdown ->> 'score_with_suspected' as score_with_suspected
          from ai_debt_scores s left join repositories r on r.id = s.repository_id
          where s.company_id = ${DEMO_COMPANY} order by s.repository_id nulls first, s.calculated_at desc`;
        const alerts = await sql<{ severity: string; title: string; full_name: string | null }[]>`
          select a.severity, a.title, r.full_name from alerts a left join repositories r on r.id = a.repository_id
          where a.company_id = ${DEMO_COMPANY} and a.status = 'open' order by a.severity, a.title`;
        return scores.map((s) => `\n      ${(s.full_name ?? "the company").padEnd(28)} AI-debt score ${s.score} (${s.risk_zone}); ${s.score_with_suspected} with the suspected lines`).join("") +
          `\n      open alerts: ${alerts.length ? alerts.map((a) => `\n        [${a.severity}] ${a.title}${a.full_name ? ` — ${a.full_name}` : ""}`).join("") : "none"}`;
      });
      await step("the weekly report: a weekly_report job → generate-report function → governance_reports", async () => {
        // The week of the newest commit (the data sets are history), so the report has a week of work to read.
        const [{ newest }] = await sql<{ newest: Date }[]>`select max(authored_at) as newest from scan_results where company_id = ${DEMO_COMPANY} and path = ''`;
        const monday = new Date(Date.UTC(newest.getUTCFullYear(), newest.getUTCMonth(), newest.getUTCDate() - ((newest.getUTCDay() + 6) % 7)));
        const periodStart = monday.toISOString().slice(0, 10);
        const periodEnd = new Date(monday.getTime() + 6 * 86_400_000).toISOString().slice(0, 10);
        const job = await queue.enqueue({ companyId: DEMO_COMPANY, scanType: "weekly_report", priority: 1, payload: { period_start: periodStart, period_end: periodEnd }, dedupeKey: `weekly_report:${periodStart}` });
        const deadline = Date.now() + 60_000;
        for (;;) {
          const [j] = await sql<{ status: string; error: string | null }[]>`select status, error from scan_queue where id = ${job.id}`;
          if (j.status === "completed") break;
          if (j.status === "dead" || j.status === "cancelled") throw new Error(`the report job is ${j.status}: ${j.error}`);
          if (Date.now() > deadline) throw new Error("the report job did not finish within 60 s");
          await new Promise((r) => setTimeout(r, 250));
        }
        const [report] = await sql<{ markdown: string; html: string; score: string | null; open_alerts: number }[]>`
          select markdown, html, content -> 'risk_summary' ->> 'debt_score' as score, (content -> 'risk_summary' ->> 'open_alert_count')::int as open_alerts
          from governance_reports where company_id = ${DEMO_COMPANY} and period_start = ${periodStart}`;
        // The report is one snapshot of the live state: its score is the latest company score and
        // its open-alert count the alerts open now (nothing was scored or alerted since it ran).
        const [live] = await sql<{ score: string | null; open_alerts: number }[]>`
          select (select score::text from ai_debt_scores where company_id = ${DEMO_COMPANY} and repository_id is null order by calculated_at desc limit 1) as score,
                 (select count(*)::int from alerts where company_id = ${DEMO_COMPANY} and status = 'open') as open_alerts`;
        if (Number(report.score) !== Number(live.score) || report.open_alerts !== live.open_alerts) {
          throw new Error(`the report disagrees with the live state: score ${report.score} (live ${live.score}), open alerts ${report.open_alerts} (live ${live.open_alerts})`);
        }
        const page = join(REPO_ROOT, ".codeguard", "demo-report.html");
        mkdirSync(dirname(page), { recursive: true });
        // Whole or not at all: two demos side by side (two test runs in one checkout) write the same page.
        writeFileSync(`${page}.${process.pid}`, report.html);
        renameSync(`${page}.${process.pid}`, page);
        return `week ${periodStart} – ${periodEnd}; the page: ${page}\n` +
          `      the report's score ${Number(report.score)} = the latest company score ${Number(live.score)}; its open alerts ${report.open_alerts} = the alerts open ${live.open_alerts}` +
          `\n\n${report.markdown.split("\n").map((l) => `      ${l}`).join("\n")}`;
      });
    }
  } finally {
    await sql.end();
  }
  return failures === 0 ? 0 : 1;
}
