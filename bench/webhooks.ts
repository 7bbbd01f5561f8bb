// `npm run bench -- webhooks`: GitHub's side of the webhook ingress — 2,000 signed deliveries, 10 %
// of them duplicates (GitHub's redeliveries: the same X-GitHub-Delivery and body), over 50
// concurrent connections to the github-webhook function of a local stack (gateway → Deno →
// Postgres). Prints one JSON line:
//   {"bench":"webhooks","deliveries":2000,"unique_events":…,"jobs_created":…,"errors":…,"p50_ms":…,"p99_ms":…}
// Goal: 0 errors, exactly one job per unique event, p99 < 1 s. Exits 1, saying why, when a
// delivery was answered wrongly or the jobs are not one per unique event.
//
// What "one job per unique event" means here. The queue dedupes by design: a second push to a
// repository while its incremental scan is pending is covered by that scan (no new job), and one
// that arrives while it runs becomes its follow-up. So the 1,800 unique events each name their own
// subject — a push to the default branch of its own repository (600 of 600 repositories), or a
// pull_request event (opened, synchronize, reopened, closed-and-merged) of its own PR number (1,200
// PRs, two per repository) — and each must make exactly one job: no event lost, none doubled by
// its redelivery racing it. (Coalescing itself is tested in test/webhooks/github-webhook.test.ts.)
// errors counts network failures, statuses other than 202 for a first delivery and 200 for a
// duplicate (a duplicate that overtakes its original is answered 202 and the original 200: per
// delivery id exactly one 202 is the rule), and delivery ids answered 202 other than once.
//
// Payloads are GitHub's own examples (@octokit/webhooks-examples: a push of ~7 KB, a pull_request of
// ~23 KB) with the repository, ref and number replaced; half arrive through companies' hooks
// (?company=, each company's secret) and half through the GitHub App's hook (its secret, the
// installation linked to the company), 20 companies of 30 repositories. Bodies are signed before
// the clock starts; a request's time is from its first byte sent to its answer's last byte read.
// 100 pings first warm the function up (not measured, no jobs). No dispatch is configured, so the
// jobs stay pending: this measures the ingress, not the scans.
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { createRequire } from "node:module";
import { sign } from "@octokit/webhooks-methods";
import postgres from "postgres";
import { startStack } from "../src/local/stack.ts";
import { tempStateDir } from "./lib/pipeline-stack.ts";

const DELIVERIES = Number(process.env.BENCH_WEBHOOKS_DELIVERIES ?? 2000);
const CONNECTIONS = Number(process.env.BENCH_WEBHOOKS_CONNECTIONS ?? 50);
const DUPLICATE_SHARE = 0.1;
const COMPANIES = 20;
const REPOS_PER_COMPANY = 30;
const log = (msg: string) => process.stderr.write(`${msg}\n`);

type Example = { name: string; examples: Record<string, any>[] };
const examples = createRequire(import.meta.url)("@octokit/webhooks-examples") as Example[];
const pushExample = examples.find((e) => e.name === "push")!.examples.find((p) => p.ref === "refs/heads/master")!;
const prExample = examples.find((e) => e.name === "pull_request")!.examples.find((p) => p.action === "opened")!;
const pingExample = examples.find((e) => e.name === "ping")!.examples[0];

interface Delivery {
  path: string;
  event: string;
  id: string;
  body: string;
  signature: string;
  duplicate: boolean;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

/** One POST on the keep-alive agent: status and milliseconds, or the error. */
function post(agent: Agent, port: number, d: Delivery): Promise<{ status: number; ms: number } | { error: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = request({
      agent, host: "127.0.0.1", port, method: "POST", path: d.path,
      headers: {
        "content-type": "application/json", "content-length": Buffer.byteLength(d.body), "user-agent": "GitHub-Hookshot/bench",
        "x-github-event": d.event, "x-github-delivery": d.id, "x-hub-signature-256": d.signature,
      },
    }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    req.on("error", (e) => resolve({ error: e.message, ms: performance.now() - t0 }));
    req.end(d.body);
  });
}

const stack = await startStack({ stateDir: tempStateDir("cg-bench-webhooks-"), ephemeral: true, onEvent: (m) => { if (/"level":"(warn|error)"/.test(m)) log(m); } });
const sql = postgres(stack.dbUrl, { max: 4, onnotice: () => {} });
try {
  await sql`delete from vault.secrets where name = 'project_url'`;
  const appSecret = `app-${randomUUID()}`;
  await sql`select public.set_github_webhook_secret(null, ${appSecret})`;
  const tenants: { id: string; secret: string; installation: number; repos: string[] }[] = [];
  for (let c = 0; c < COMPANIES; c++) {
    const secret = `company-${c}-${randomUUID()}`;
    const [{ id }] = await sql`insert into companies (name) values (${`Bench ${c}`}) returning id`;
    const repos = Array.from({ length: REPOS_PER_COMPANY }, (_, r) => `bench-org-${c}/repo-${r}`);
    await sql`insert into repositories (company_id, full_name, default_branch) select ${id}, n, 'master' from unnest(${repos}::text[]) n`;
    await sql`select public.set_github_webhook_secret(${id}, ${secret})`;
    await sql`select public.link_github_installation(${id}, ${1000 + c})`;
    tenants.push({ id, secret, installation: 1000 + c, repos });
  }

  // The unique events: one push per repository, then two PRs per repository, their actions in turn.
  const actions = ["opened", "synchronize", "reopened", "closed"];
  const unique: Delivery[] = [];
  const uniqueCount = Math.round(DELIVERIES * (1 - DUPLICATE_SHARE));
  const subjects = tenants.flatMap((t) => t.repos.map((full_name) => ({ t, full_name })));
  for (let i = 0; unique.length < uniqueCount; i++) {
    const { t, full_name } = subjects[i % subjects.length];
    const round = Math.floor(i / subjects.length);
    const viaApp = i % 2 === 1;
    const repository = { ...pushExample.repository, full_name, name: full_name.split("/")[1], default_branch: "master" };
    const installation = viaApp ? { id: t.installation, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u" } : undefined;
    let event: string;
    let payload: Record<string, unknown>;
    if (round === 0) {
      event = "push";
      payload = { ...pushExample, repository, installation, after: randomUUID().replace(/-/g, "").padEnd(40, "0") };
    } else {
      event = "pull_request";
      const number = round; // 1, 2, … per repository: its own PR each
      const action = actions[i % actions.length];
      payload = { ...prExample, action, number, repository, installation,
                  pull_request: { ...prExample.pull_request, number, merged: action === "closed" } };
    }
    const body = JSON.stringify(payload);
    unique.push({
      path: viaApp ? "/functions/v1/github-webhook" : `/functions/v1/github-webhook?company=${t.id}`,
      event, id: randomUUID(), body, signature: await sign(viaApp ? appSecret : t.secret, body), duplicate: false,
    });
  }
  // Redeliveries of random unique events, placed shortly after (sometimes before) their original,
  // so that many race it on another connection.
  const sequence: Delivery[] = [...unique];
  for (let k = 0; k < DELIVERIES - uniqueCount; k++) {
    const at = Math.floor(Math.random() * unique.length);
    const copy = { ...unique[at], duplicate: true };
    sequence.splice(Math.max(0, Math.min(sequence.length, sequence.indexOf(unique[at]) + Math.floor(Math.random() * 2 * CONNECTIONS) - 10)), 0, copy);
  }

  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const port = Number(new URL(stack.apiUrl).port);
  const warm = sequence.slice(0, 100).map((_, i) => i);
  const pingBody = JSON.stringify(pingExample);
  const pingSig = await sign(tenants[0].secret, pingBody);
  await Promise.all(warm.map(() => post(agent, port, { path: `/functions/v1/github-webhook?company=${tenants[0].id}`, event: "ping", id: randomUUID(), body: pingBody, signature: pingSig, duplicate: false })));

  const answers: { d: Delivery; status?: number; error?: string; ms: number }[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (next < sequence.length) {
      const d = sequence[next++];
      const r = await post(agent, port, d);
      answers.push({ d, ...r });
    }
  }));
  const wallMs = performance.now() - t0;
  agent.destroy();

  const accepted = new Map<string, number>();
  let errors = 0;
  const byStatus: Record<string, number> = {};
  for (const a of answers) {
    const key = a.error ? `error ${a.error}` : String(a.status);
    byStatus[key] = (byStatus[key] ?? 0) + 1;
    if (a.error || (a.status !== 202 && a.status !== 200)) errors++;
    if (a.status === 202) accepted.set(a.d.id, (accepted.get(a.d.id) ?? 0) + 1);
  }
  const wrongOnce = unique.filter((d) => accepted.get(d.id) !== 1).length;
  errors += wrongOnce;
  const [{ jobs }] = await sql`select count(*)::int as jobs from scan_queue`;
  const outcomes = await sql`select outcome, count(*)::int as n from github_webhook_deliveries where event <> 'ping' group by 1 order by 1`;
  const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
  log(`statuses ${JSON.stringify(byStatus)}; delivery ids not answered 202 exactly once: ${wrongOnce}`);
  log(`deliveries recorded by outcome: ${outcomes.map((o) => `${o.outcome} ${o.n}`).join(", ")}`);
  log(`${sequence.length} deliveries in ${(wallMs / 1000).toFixed(2)} s (${Math.round(sequence.length / (wallMs / 1000))}/s), max ${ms[ms.length - 1].toFixed(1)} ms`);
  console.log(JSON.stringify({
    bench: "webhooks",
    deliveries: sequence.length,
    unique_events: unique.length,
    jobs_created: jobs,
    errors,
    p50_ms: Number(percentile(ms, 0.5).toFixed(1)),
    p99_ms: Number(percentile(ms, 0.99).toFixed(1)),
  }));
  if (errors > 0 || jobs !== unique.length) {
    log(`FAILED: ${errors} errors, ${jobs} jobs for ${unique.length} unique events`);
    process.exitCode = 1;
  }
} finally {
  await sql.end();
  await stack.stop();
}
