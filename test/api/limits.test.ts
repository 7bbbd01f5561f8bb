// Issue 24 #5 and #7, what remained: the member API's rates per member and per company (429 with
// Retry-After, counted in Postgres: the functions are stateless), the cap on the repositories one
// webhook registration may add (429, nothing written, Redeliver once raised), and a wrong apikey
// refused alike by every function that checks its callers (the gateway, as Supabase's, passes it
// on). Under real Deno behind the local gateway.
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUserJwt } from "../../src/local/keys.ts";
import { useLocalStack } from "../harness/stack.ts";
import { deliver, rowCounts } from "../webhooks/webhook-fixtures.ts";

const stack = useLocalStack();
let sql: postgres.Sql;
const APP_SECRET = "the-github-app-webhook-secret-limits1";

beforeAll(async () => {
  sql = postgres(stack.current.dbUrl, { max: 2, onnotice: () => {} });
  // No dispatch: the jobs stay pending, where the tests count them.
  await sql`delete from vault.secrets where name = 'project_url'`;
  await sql`select public.set_github_webhook_secret(null, ${APP_SECRET})`;
});
afterAll(async () => sql?.end());

/** A company with `settings`, a repository and `members` signed-up members. */
async function company(settings: Record<string, unknown>, members = 1): Promise<{ id: string; repo: string; members: string[] }> {
  const [c] = await sql`insert into companies (name, settings) values (${`Limits ${randomUUID()}`}, ${sql.json(settings as postgres.JSONValue)}) returning id`;
  const repo = `limits/r-${c.id.slice(0, 8)}`;
  await sql`insert into repositories (company_id, full_name) values (${c.id}, ${repo})`;
  const ids = Array.from({ length: members }, () => randomUUID());
  for (const id of ids) {
    await sql`insert into auth.users (id, email) values (${id}, ${`${id}@limits.example`})`;
    await sql`insert into users (id, company_id, email) values (${id}, ${c.id}, ${`${id}@limits.example`})`;
  }
  return { id: c.id, repo, members: ids };
}

const headersOf = (member: string) => ({
  apikey: stack.current.keys.publishableKey,
  authorization: `Bearer ${signUserJwt(stack.current.keys, { sub: member, email: `${member}@limits.example` })}`,
});

async function call(fn: string, member: string, body?: unknown, query = ""): Promise<{ status: number; retryAfter: string | null; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.current.functionsUrl}/${fn}${query}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { ...headersOf(member), "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as Record<string, unknown> };
}

const enqueue = (member: string, repo: string, pr: number) => call("enqueue-scan", member, { repository: repo, scan_type: "pr_analysis", pr_number: pr });
const jobsOf = async (companyId: string) => (await sql`select count(*)::int as n from scan_queue where company_id = ${companyId}`)[0].n as number;

/** `n` calls, `width` at a time; their answers in order. */
async function many<T>(n: number, width: number, one: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await one(i);
    }
  }));
  return out;
}

describe("the member API's rates", () => {
  it("the audit's loop — 300 enqueue-scan calls with distinct pr_number — makes 30 jobs (the default rate of a member), the rest 429 with Retry-After", async () => {
    const c = await company({});
    const started = Date.now();
    const answers = await many(300, 10, (i) => enqueue(c.members[0], c.repo, i + 1));
    const seconds = (Date.now() - started) / 1000;
    const created = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 429);
    console.log(JSON.stringify({ case: "enqueue_loop_300", seconds, created: created.length, refused: refused.length, jobs: await jobsOf(c.id) }));
    // 30 a minute, counted as a sliding window: a run across a minute's end lets in a share of the
    // next minute's (at most ~1 a 2 s).
    expect(created.length).toBeGreaterThanOrEqual(30);
    expect(created.length).toBeLessThanOrEqual(30 + Math.ceil(seconds / 2));
    expect(created.length + refused.length).toBe(300);
    expect(await jobsOf(c.id)).toBe(created.length);
    const r = refused[0];
    expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(r.retryAfter)).toBeLessThanOrEqual(120);
    expect(r.body.error).toMatch(/^too many requests: each member may make 30 scan requests \(enqueue-scan, cancel-scan\) a minute \(companies\.settings\.member_api_writes_per_minute\); try again in \d+ s, or ask an operator to raise it: update public\.companies set settings = settings \|\| '\{"member_api_writes_per_minute": <per minute>\}'/);
    expect(r.body).toMatchObject({ limit: 30, setting: "member_api_writes_per_minute" });
  }, 120_000);

  it("holds a company's members together to company_api_writes_per_minute, each to their own rate, from the company's settings", async () => {
    const c = await company({ member_api_writes_per_minute: 3, company_api_writes_per_minute: 4 }, 2);
    const first = await many(5, 1, (i) => enqueue(c.members[0], c.repo, i + 1));
    expect(first.map((a) => a.status)).toEqual([202, 202, 202, 429, 429]);
    expect(first[3].body.setting).toBe("member_api_writes_per_minute");
    const second = await many(3, 1, (i) => enqueue(c.members[1], c.repo, i + 100));
    expect(second.map((a) => a.status)).toEqual([202, 429, 429]);
    expect(second[1].body).toMatchObject({ limit: 4, setting: "company_api_writes_per_minute" });
    expect(second[1].body.error).toMatch(/^too many requests: your company's members together may make 4 scan requests/);
    expect(await jobsOf(c.id)).toBe(4);
    // cancel-scan counts among the writes.
    const [job] = await sql`select id from scan_queue where company_id = ${c.id} limit 1`;
    expect((await call("cancel-scan", c.members[1], { scanId: job.id })).status).toBe(429);
  });

  it("counts scan-status apart (reads), and a refused call is not counted", async () => {
    const c = await company({ member_api_reads_per_minute: 3 });
    const queued = await enqueue(c.members[0], c.repo, 1);
    expect(queued.status).toBe(202);
    const scanId = queued.body.scanId as string;
    const reads = await many(5, 1, () => call("scan-status", c.members[0], undefined, `?scanId=${scanId}`));
    expect(reads.map((a) => a.status)).toEqual([200, 200, 200, 429, 429]);
    expect(reads[3].body.error).toMatch(/each member may make 3 status requests \(scan-status\) a minute \(companies\.settings\.member_api_reads_per_minute\)/);
    // The reads did not use up the writes.
    expect((await enqueue(c.members[0], c.repo, 2)).status).toBe(202);
    const [{ n }] = await sql`select requests as n from member_api_requests where company_id = ${c.id} and user_id = ${c.members[0]} and kind = 'read'`;
    expect(n).toBe(3);
  });
});

describe("a webhook registration's cap on repositories", () => {
  const added = (installation: number, names: string[]) => JSON.stringify({
    action: "added", installation: { id: installation },
    repositories_added: names.map((full_name) => ({ full_name })), repositories_removed: [],
  });

  it("answers 429 to a registration of more repositories than settings.max_repositories_per_registration, writes nothing, and takes GitHub's Redeliver once it is raised", async () => {
    const c = await company({ max_repositories_per_registration: 3 });
    await sql`select public.link_github_installation(${c.id}, 424242)`;
    const names = Array.from({ length: 5 }, (_, i) => `bulk-org/repo-${i}`);
    const deliveryId = randomUUID();
    const before = await rowCounts(sql);
    const refused = await deliver(stack.current.functionsUrl, { event: "installation_repositories", body: added(424242, names), secret: APP_SECRET, deliveryId });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ delivery: deliveryId, repositories: 5, maxRepositoriesPerRegistration: 3 });
    expect(refused.body.error).toMatch(/registers 5 repositories \(a full scan each\), more than the company's settings\.max_repositories_per_registration \(3\): nothing was registered\. To accept it: update public\.companies set settings = settings \|\| '\{"max_repositories_per_registration": 5\}'/);
    expect(await rowCounts(sql)).toEqual(before);
    await sql`update companies set settings = settings || '{"max_repositories_per_registration": 5}' where id = ${c.id}`;
    const redelivered = await deliver(stack.current.functionsUrl, { event: "installation_repositories", body: added(424242, names), secret: APP_SECRET, deliveryId });
    expect(redelivered.status).toBe(202);
    expect(redelivered.body.outcome).toBe("registered");
    expect(redelivered.body.jobs).toHaveLength(5);
  });

  it("holds an installation of 3,000 repositories (the audit's) to the default of 200", async () => {
    const c = await company({});
    await sql`select public.link_github_installation(${c.id}, 434343)`;
    const names = Array.from({ length: 3000 }, (_, i) => `huge-org/repo-${i}`);
    const before = await rowCounts(sql);
    const refused = await deliver(stack.current.functionsUrl, {
      event: "installation", secret: APP_SECRET,
      body: JSON.stringify({ action: "created", installation: { id: 434343, account: { login: "huge-org" } }, repositories: names.map((full_name) => ({ full_name })) }),
    });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ repositories: 3000, maxRepositoriesPerRegistration: 200 });
    expect(await rowCounts(sql)).toEqual(before);
    // 200 is allowed.
    const ok = await deliver(stack.current.functionsUrl, { event: "installation_repositories", body: added(434343, names.slice(0, 200)), secret: APP_SECRET });
    expect([ok.status, ok.body.jobs?.length]).toEqual([202, 200]);
  });
});

describe("a wrong apikey", () => {
  it("gets 401 from every function that checks its callers, a member's valid session beside it or not, as from health", async () => {
    const c = await company({});
    const wrong = "sb_publishable_notThisProjectsKey0000000000";
    const session = headersOf(c.members[0]).authorization;
    const calls: [string, RequestInit][] = [
      ["health", { headers: { apikey: wrong } }],
      ["enqueue-scan", { method: "POST", headers: { apikey: wrong, authorization: session }, body: JSON.stringify({ repository: c.repo }) }],
      ["scan-status", { method: "POST", headers: { apikey: wrong, authorization: session }, body: JSON.stringify({ scanId: randomUUID() }) }],
      ["cancel-scan", { method: "POST", headers: { apikey: wrong, authorization: session }, body: JSON.stringify({ scanId: randomUUID() }) }],
      ["enqueue-scan", { method: "POST", headers: { apikey: wrong }, body: JSON.stringify({ repository: c.repo }) }],
      ["queue-metrics", { headers: { apikey: "sb_secret_notThisProjectsKey000000000000000" } }],
    ];
    for (const [fn, init] of calls) {
      const res = await fetch(`${stack.current.functionsUrl}/${fn}`, init);
      expect(res.status, fn).toBe(401);
      expect(((await res.json()) as { error: string }).error, fn).toMatch(/^the credentials were refused/);
    }
    expect(await jobsOf(c.id)).toBe(0);
    // The right key with the same session: through.
    expect((await call("enqueue-scan", c.members[0], { repository: c.repo })).status).toBe(202);
  });

  it("is passed on by the local gateway to a verify_jwt = false function, as Supabase's gateway does: github-webhook, GitHub's door, answers by the signature alone", async () => {
    const res = await deliver(stack.current.functionsUrl, {
      event: "ping", secret: APP_SECRET, body: JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 }),
      headers: { apikey: "sb_publishable_notThisProjectsKey0000000000" },
    });
    expect(res.status).toBe(200);
  });
});
