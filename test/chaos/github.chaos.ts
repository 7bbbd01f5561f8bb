// GitHub's side broken while the pipeline scans, on the local stack: GitHub cut off for 30 s (its
// port closed, open connections cut) mid-scan, and every webhook delivered twice (the copies racing
// each other, and a redelivery after the scan). Counted from the tables.
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { sign } from "@octokit/webhooks-methods";
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eventually } from "../harness/processes.ts";
import { useLocalStack } from "../harness/stack.ts";
import { chaosRepositories, chaosTenant, dbNow, enqueueFullScans, report, settled, WHOLE, wholeTally } from "./harness.ts";

const cutRepos = chaosRepositories("cut", 6);
const hookRepos = chaosRepositories("hook", 6);
const stack = useLocalStack({ localGitHub: () => [...cutRepos, ...hookRepos] });
const CUT_MS = Number(process.env.CHAOS_GITHUB_CUT_MS ?? 30_000);
let sql: postgres.Sql;
beforeAll(async () => {
  sql = postgres(stack.current.dbUrl, { max: 4, onnotice: () => {} });
});
afterAll(async () => sql?.end());
beforeEach(() => stack.current.github!.clearFaults());

type Example = { name: string; examples: Record<string, unknown>[] };
const pushExample = (createRequire(import.meta.url)("@octokit/webhooks-examples") as Example[])
  .find((e) => e.name === "push")!.examples.find((p) => p.ref === "refs/heads/master")!;

describe("chaos: GitHub", () => {
  it("GitHub cut off for 30 s mid-scan: no attempt spent on the outage, every job completes once after it", async () => {
    const gh = stack.current.github!;
    gh.inject({ kind: "slow", delayMs: 500, times: 400 });
    const jobs = await enqueueFullScans(sql, await chaosTenant(sql, cutRepos));
    await eventually(async () => {
      const [r] = await sql`select count(*)::int as n from public.scans where job_id = any(${jobs}::uuid[]) and (timings ->> 'pages')::int >= 1`;
      return r.n >= 2;
    }, "two scans with a page written", 60_000);
    const [{ running }] = await sql`select count(*)::int as running from public.scan_queue where id = any(${jobs}::uuid[]) and status = 'running'`;
    await gh.goDown();
    gh.clearFaults();
    await new Promise((r) => setTimeout(r, CUT_MS));
    const [{ outages }] = await sql`select count(*)::int as outages from public.scan_source_outages where source = 'github'`;
    await gh.comeBack();
    const upAt = await dbNow(sql);
    expect(await settled(sql, jobs, 150_000), "every job finished").not.toBeNull();
    const t = await report(sql, "github_cut_off_30s", jobs, upAt, { running_when_cut: running, cut_s: CUT_MS / 1000 });
    expect(wholeTally(t)).toEqual(WHOLE);
    expect(t.completed).toBe(jobs.length);
    expect(outages).toBe(1); // the outage was seen as GitHub's, not as the jobs' failures
    expect(t.attemptsSpent).toBe(jobs.length); // one charged attempt each: the outage cost none
  }, 240_000);

  it("every webhook delivered twice (racing copies, then a redelivery): one job per push, each completed once", async () => {
    const tenant = await chaosTenant(sql, hookRepos);
    const secret = `whsec-chaos-${randomUUID()}`;
    await sql`select public.set_github_webhook_secret(${tenant.companyId}, ${secret})`;
    const url = `${stack.current.functionsUrl}/github-webhook?company=${tenant.companyId}`;
    const deliveries = await Promise.all(hookRepos.map(async (r) => {
      const { installation: _none, ...payload } = pushExample;
      const body = JSON.stringify({ ...payload, repository: { ...(pushExample.repository as object), full_name: `${r.owner}/${r.name}`, name: r.name, default_branch: "master" },
        after: r.commits[0].sha });
      return { id: randomUUID(), body, signature: await sign(secret, body) };
    }));
    const deliver = (d: (typeof deliveries)[number]) => fetch(url, {
      method: "POST", body: d.body,
      headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": d.id, "x-hub-signature-256": d.signature },
    }).then(async (res) => ({ status: res.status, body: await res.text() }));
    const sentAt = await dbNow(sql);
    const racing = await Promise.all(deliveries.flatMap((d) => [deliver(d), deliver(d)]));
    // Per delivery id exactly one copy is taken (202) and the other answered as a duplicate (200).
    for (let i = 0; i < deliveries.length; i++) {
      expect([racing[2 * i].status, racing[2 * i + 1].status].sort(), racing[2 * i].body + racing[2 * i + 1].body).toEqual([200, 202]);
    }
    // The scans the pushes asked for (the scores and alerts that follow them are jobs of their own).
    const scansOf = () => sql`select id from public.scan_queue where company_id = ${tenant.companyId} and scan_type = 'incremental_scan'`;
    const jobs = (await scansOf()).map((r) => r.id as string);
    expect(jobs).toHaveLength(hookRepos.length);
    expect(await settled(sql, jobs, 150_000), "every job finished").not.toBeNull();
    // GitHub's redelivery of the same ids after the scans: nothing new.
    const again = await Promise.all(deliveries.map(deliver));
    expect(again.map((a) => a.status)).toEqual(deliveries.map(() => 200));
    const [{ recorded }] = await sql`select count(*)::int as recorded from public.github_webhook_deliveries where delivery_id = any(${deliveries.map((d) => d.id)}::uuid[])`;
    expect(recorded).toBe(deliveries.length);
    expect(await scansOf()).toHaveLength(hookRepos.length);
    const t = await report(sql, "webhooks_delivered_twice", jobs, sentAt, { deliveries: deliveries.length * 3, unique_deliveries: deliveries.length });
    expect(wholeTally(t)).toEqual(WHOLE);
    expect(t.completed).toBe(jobs.length);
  }, 240_000);
});
