// What `npm start -- --once` runs on the fresh stack. Each issue that adds a stage of the
// pipeline adds its step here, so the demo always shows the whole flow as far as it goes.
import { existsSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { dbFromPostgresJs } from "../../supabase/functions/_shared/platform/db.ts";
import { ScanQueue } from "../../supabase/functions/_shared/queue/mod.ts";
import type { ScanSummary } from "../../supabase/functions/_shared/scan/summary.ts";
import { repositoryFromDataSet, SHARED_DATA_DIR, type LocalRepository } from "./github/dataset.ts";
import type { LocalStack } from "./stack.ts";

/** The demo tenant; a fixed id so that runs on a kept database reuse it. */
const DEMO_COMPANY = "de000000-0000-4000-8000-000000000001";
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

    if (!stack.github) {
      print("  - repository scans skipped: no local GitHub (the data sets in ../shared/data were not found)");
    } else {
      const [{ id: repositoryId }] = await sql.begin(async (tx) => {
        // The data set's history is older than the default 90-day lookback: the demo company looks back ten years.
        await tx`insert into companies (id, name, settings) values (${DEMO_COMPANY}, 'Demo Inc',
          '{"risk_threshold": 60, "auto_scan_enabled": false, "max_concurrent_scans": 2, "scan_window_days": 3650}')
          on conflict (id) do nothing`;
        // Setting a token clears the company's ETag cache (another token may see other data): only the first time.
        const [{ has }] = await tx`select exists (select 1 from vault.secrets where name = ${"github_token:" + DEMO_COMPANY}) as has`;
        if (!has) await tx`select public.set_github_token(${DEMO_COMPANY}, 'ghp_localdemotoken0000000000000000000000')`;
        return tx<{ id: string }[]>`
          insert into repositories (company_id, full_name, default_branch) values (${DEMO_COMPANY}, 'github/github-mcp-server', 'main')
          on conflict (company_id, full_name) do update set is_active = true returning id`;
      });
      const queue = new ScanQueue(dbFromPostgresJs(sql));
      // Enqueue and wait: the enqueue trigger wakes the scan-repository function through pg_net.
      const scan = async (scanType: string) => {
        const job = await queue.enqueue({ companyId: DEMO_COMPANY, repositoryId, scanType, priority: 1 });
        const deadline = Date.now() + 120_000;
        for (;;) {
          const [row] = await sql<{ status: string; error: string | null; worker_id: string | null; result: { summary: ScanSummary; unchanged: boolean } | null }[]>`
            select status, error, worker_id, result from scan_queue where id = ${job.id}`;
          if (row.status === "completed") return { ...row.result!, worker: row.worker_id };
          if (row.status === "dead" || row.status === "cancelled") throw new Error(`job ${job.id} is ${row.status}: ${row.error}`);
          if (Date.now() > deadline) throw new Error(`job ${job.id} still ${row.status} after 120 s (${row.error ?? "no error"})`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await step("full scan of github/github-mcp-server: enqueue → pg_net → scan-repository function → local GitHub", async () => {
        const r = await scan("full_scan");
        const s = r.summary;
        const agents = Object.entries(s.per_agent).map(([a, v]) => `${a} ${v.share_pct}%`).join(", ");
        return `by ${r.worker}: ${s.prs_scanned} PRs, ${s.commits_scanned} commits; AI wrote ${s.ai_loc_percentage}% of ${s.total_loc} lines (${agents}); ` +
          `${s.ai_prs_detected} AI PRs, ${s.unreviewed_ai_merges} merged without human review (coverage ${s.review_coverage_percentage}%); ` +
          `${s.api_requests.counted} GitHub requests`;
      });
      await step("incremental scan of the unchanged repository", async () => {
        const r = await scan("incremental_scan");
        if (!r.unchanged || r.summary.api_requests.counted !== 0) throw new Error(`expected an unchanged, free rescan: ${JSON.stringify(r.summary.api_requests)}`);
        return `unchanged; ${r.summary.api_requests.not_modified} conditional requests answered 304, 0 counted against the rate limit`;
      });
    }
  } finally {
    await sql.end();
  }
  return failures === 0 ? 0 : 1;
}
