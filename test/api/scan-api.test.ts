// The member API (enqueue-scan, scan-status, cancel-scan) under real Deno behind the local gateway,
// called through the typed supabase-js client as an app calls it; and `codeguard scan owner/repo
// --wait` driven in a pseudo-terminal against the same stack, scanning a local GitHub.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CodeGuardApiError, CodeGuardClient } from "../../src/client/codeguard-client.ts";
import { repositoryFromDataSet } from "../../src/local/github/dataset.ts";
import { signUserJwt } from "../../src/local/keys.ts";
import { REPO_ROOT } from "../../src/local/migrate.ts";
import { useLocalStack } from "../harness/stack.ts";

const run = promisify(execFile);
const stack = useLocalStack({ localGitHub: () => [repositoryFromDataSet("terryyin__lizard.jsonl", { defaultBranch: "master" })] });
let sql: postgres.Sql;
const ids = { a: "", b: "", lizard: "", other: "", memberA: randomUUID(), memberB: randomUUID(), stranger: randomUUID(), gone: randomUUID() };

beforeAll(async () => {
  sql = postgres(stack.current.dbUrl, { max: 2, onnotice: () => {} });
  // Until the CLI's tests, no dispatch: the API's jobs stay where the tests put them.
  await sql`delete from vault.secrets where name = 'project_url'`;
  [{ id: ids.a }] = await sql`insert into companies (name, settings) values ('Lizard fans', '{"scan_window_days": 7300}') returning id`;
  [{ id: ids.b }] = await sql`insert into companies (name) values ('Others') returning id`;
  [{ id: ids.lizard }] = await sql`insert into repositories (company_id, full_name, default_branch) values (${ids.a}, 'terryyin/lizard', 'master') returning id`;
  [{ id: ids.other }] = await sql`insert into repositories (company_id, full_name) values (${ids.b}, 'others/private-thing') returning id`;
  // Signed up with Supabase Auth (auth.users), then members of a company (public.users).
  await sql`insert into auth.users (id, email) values (${ids.memberA}, 'a@lizard.example'), (${ids.memberB}, 'b@others.example'), (${ids.gone}, 'gone@lizard.example')`;
  await sql`insert into users (id, company_id, email) values (${ids.memberA}, ${ids.a}, 'a@lizard.example'), (${ids.memberB}, ${ids.b}, 'b@others.example'), (${ids.gone}, ${ids.a}, 'gone@lizard.example')`;
  await sql`select public.set_github_token(${ids.a}, 'ghp_test00000000000000000000000000000000')`;
});
afterAll(async () => sql?.end());

const tokenOf = (sub: string) => signUserJwt(stack.current.keys, { sub, email: `${sub.slice(0, 4)}@example.com` });
const clientOf = (sub: string) => new CodeGuardClient({ url: stack.current.apiUrl, publishableKey: stack.current.keys.publishableKey, accessToken: tokenOf(sub) });
/** The refusal an API call ends in: its status and message. */
async function refusal(call: Promise<unknown>): Promise<[number | null, string]> {
  try {
    await call;
  } catch (e) {
    if (e instanceof CodeGuardApiError) return [e.status, e.message];
    throw e;
  }
  throw new Error("the call succeeded");
}

describe("enqueue-scan", () => {
  it("answers a member 202 {jobId, status: 'queued'} for their company's repository, by name in any case or by id", async () => {
    const first = await clientOf(ids.memberA).enqueueScan({ repository: "TerryYin/Lizard" });
    expect(first).toMatchObject({ status: "queued", scanType: "full_scan", repository: "terryyin/lizard", repositoryId: ids.lizard, request: "created" });
    const [job] = await sql`select status, priority, company_id from scan_queue where id = ${first.jobId}`;
    expect(job).toEqual({ status: "pending", priority: 3, company_id: ids.a });
    // jobId's old name, the same value, for one release.
    expect(first.scanId).toBe(first.jobId);
    // The same scan asked again while it waits: the queued one covers it.
    const again = await clientOf(ids.memberA).enqueueScan({ repositoryId: ids.lizard });
    expect([again.jobId, again.request]).toEqual([first.jobId, "pending"]);
  });

  it("answers 404 for a repository the member's company does not track, also when another company tracks it", async () => {
    expect(await refusal(clientOf(ids.memberA).enqueueScan({ repository: "nobody/nothing" }))).toEqual([404, "enqueue-scan: no such repository in your company"]);
    expect(await refusal(clientOf(ids.memberA).enqueueScan({ repository: "others/private-thing" }))).toEqual([404, "enqueue-scan: no such repository in your company"]);
    expect(await refusal(clientOf(ids.memberA).enqueueScan({ repositoryId: randomUUID() }))).toEqual([404, "enqueue-scan: no such repository in your company"]);
  });

  it("answers 403 for another company's repository id, and for a signed-in user who is no company's member", async () => {
    expect(await refusal(clientOf(ids.memberA).enqueueScan({ repositoryId: ids.other }))).toEqual([403, "enqueue-scan: this repository belongs to another company"]);
    expect((await refusal(clientOf(ids.stranger).enqueueScan({ repository: "terryyin/lizard" })))[0]).toBe(403);
    const [{ n }] = await sql`select count(*)::int as n from scan_queue where repository_id = ${ids.other}`;
    expect(n).toBe(0);
  });

  it("answers 403 to the public key alone and to the service, 401 to a forged session", async () => {
    const url = `${stack.current.functionsUrl}/enqueue-scan`;
    const body = JSON.stringify({ repository: "terryyin/lizard" });
    const k = stack.current.keys;
    expect((await fetch(url, { method: "POST", body, headers: { apikey: k.publishableKey } })).status).toBe(403);
    expect((await fetch(url, { method: "POST", body, headers: { apikey: k.secretKey } })).status).toBe(403);
    const forged = tokenOf(ids.memberA).replace(/\.[^.]+$/, ".c2lnbmVkIGJ5IG5vYm9keQ");
    expect((await fetch(url, { method: "POST", body, headers: { apikey: k.publishableKey, authorization: `Bearer ${forged}` } })).status).toBe(401);
    // Signed with the project's key, but without exp: a session that would never end.
    const endless = signUserJwt(k, { sub: ids.memberA, expiresInSeconds: null });
    expect((await fetch(url, { method: "POST", body, headers: { apikey: k.publishableKey, authorization: `Bearer ${endless}` } })).status).toBe(401);
    expect((await fetch(`${stack.current.functionsUrl}/scan-status?scan_id=${randomUUID()}`, { headers: { apikey: k.publishableKey, authorization: `Bearer ${endless}` } })).status).toBe(401);
  });

  it("answers 429 once the company has settings.max_pending_jobs scans waiting, and makes no job", async () => {
    await sql`update companies set settings = settings || '{"max_pending_jobs": 1}' where id = ${ids.b}`;
    try {
      const first = await clientOf(ids.memberB).enqueueScan({ repository: "others/private-thing", scanType: "pr_analysis", prNumber: 1 });
      expect(first.request).toBe("created");
      const [status, message] = await refusal(clientOf(ids.memberB).enqueueScan({ repository: "others/private-thing", scanType: "pr_analysis", prNumber: 2 }));
      expect([status, message]).toEqual([429, "enqueue-scan: your company has 1 scans waiting, as many as it may (companies.settings.max_pending_jobs = 1): ask again once they have started"]);
      const [{ n }] = await sql`select count(*)::int as n from scan_queue where company_id = ${ids.b} and status = 'pending'`;
      expect(n).toBe(1);
    } finally {
      await sql`update companies set settings = settings - 'max_pending_jobs' where id = ${ids.b}`;
      await sql`update scan_queue set status = 'cancelled', completed_at = now() where company_id = ${ids.b} and status = 'pending'`;
    }
  });

  it("answers 403 to a member whose Supabase Auth user was deleted, though their session has not expired", async () => {
    const session = clientOf(ids.gone);
    const queued = await session.enqueueScan({ repository: "terryyin/lizard" });
    await sql`delete from auth.users where id = ${ids.gone}`;
    expect((await refusal(session.enqueueScan({ repository: "terryyin/lizard" })))[0]).toBe(403);
    expect((await refusal(session.scanStatus(queued.jobId)))[0]).toBe(403);
  });

  it("answers 400 to a body that does not name one repository properly, saying what it takes", async () => {
    const url = `${stack.current.functionsUrl}/enqueue-scan`;
    const headers = { apikey: stack.current.keys.publishableKey, authorization: `Bearer ${tokenOf(ids.memberA)}` };
    const cases: [unknown, RegExp][] = [
      [{}, /name the repository once/],
      [{ repository: "terryyin/lizard", repository_id: ids.lizard }, /name the repository once/],
      [{ repository: "lizard" }, /owner\/name/],
      [{ repository: "terryyin/lizard", scan_type: "everything" }, /scan_type must be one of full_scan, incremental_scan, pr_analysis/],
      [{ repository: "terryyin/lizard", scan_type: "pr_analysis" }, /pr_analysis needs pr_number/],
    ];
    for (const [body, message] of cases) {
      const res = await fetch(url, { method: "POST", body: JSON.stringify(body), headers });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
  });
});

describe("scan-status and cancel-scan", () => {
  let jobId: string;
  beforeAll(async () => {
    ({ jobId } = await clientOf(ids.memberA).enqueueScan({ repository: "terryyin/lizard", scanType: "incremental_scan" }));
  });
  const asMemberA = () => ({ apikey: stack.current.keys.publishableKey, authorization: `Bearer ${tokenOf(ids.memberA)}` });

  it("shows a member of its company the job: status, progress, events", async () => {
    const s = await clientOf(ids.memberA).scanStatus(jobId);
    expect(s).toMatchObject({ jobId, status: "queued", scanType: "incremental_scan", repository: "terryyin/lizard", progress: 0, error: null, summary: null });
    expect(s.events.map((e) => [e.kind, e.level])).toEqual([["enqueued", "info"]]);
    // GET with the id in the query answers the same.
    const res = await fetch(`${stack.current.functionsUrl}/scan-status?jobId=${jobId}`, { headers: asMemberA() });
    expect(((await res.json()) as { status: string }).status).toBe("queued");
  });

  it("still takes and answers scanId, jobId's old name, for one release", async () => {
    const byQuery = await fetch(`${stack.current.functionsUrl}/scan-status?scanId=${jobId}`, { headers: asMemberA() });
    expect(await byQuery.json()).toMatchObject({ jobId, scanId: jobId, status: "queued" });
    const byBody = await fetch(`${stack.current.functionsUrl}/scan-status`, { method: "POST", headers: asMemberA(), body: JSON.stringify({ scanId: jobId }) });
    expect(await byBody.json()).toMatchObject({ jobId, scanId: jobId, status: "queued" });
    // Both, naming different jobs: which was meant is unknown.
    const both = await fetch(`${stack.current.functionsUrl}/scan-status?jobId=${jobId}&scanId=${randomUUID()}`, { headers: asMemberA() });
    expect([both.status, ((await both.json()) as { error: string }).error]).toEqual([400, "jobId and scanId (its old name) name different jobs: send jobId alone"]);
  });

  it("answers 403 to another company's member and 404 for a scan that does not exist", async () => {
    expect(await refusal(clientOf(ids.memberB).scanStatus(jobId))).toEqual([403, "scan-status: this scan belongs to another company"]);
    expect(await refusal(clientOf(ids.memberB).cancelScan(jobId))).toEqual([403, "cancel-scan: this scan belongs to another company"]);
    expect((await refusal(clientOf(ids.memberA).scanStatus(randomUUID())))[0]).toBe(404);
    const [job] = await sql`select status from scan_queue where id = ${jobId}`;
    expect(job.status).toBe("pending");
  });

  it("cancels it for a member of its company, once", async () => {
    expect(await clientOf(ids.memberA).cancelScan(jobId)).toMatchObject({ jobId, scanId: jobId, status: "cancelled" });
    const s = await clientOf(ids.memberA).scanStatus(jobId);
    expect([s.status, s.error]).toEqual(["cancelled", "cancelled by a@lizard.example"]);
    expect((await refusal(clientOf(ids.memberA).cancelScan(jobId)))[0]).toBe(409);
  });
});

describe("codeguard scan owner/repo --wait", () => {
  const cli = join(REPO_ROOT, "src/cli/main.ts");
  const env = (member: string) => ({
    ...process.env,
    CODEGUARD_URL: stack.current.apiUrl,
    CODEGUARD_PUBLISHABLE_KEY: stack.current.keys.publishableKey,
    CODEGUARD_ACCESS_TOKEN: tokenOf(member),
    TERM: "xterm",
    COLUMNS: "120",
  });
  beforeAll(async () => {
    // The dispatch again, as a project has it: enqueues wake scan-repository through pg_net.
    await sql`select vault.create_secret(${stack.current.apiUrl}, 'project_url', 'set by the test')`;
    await sql`delete from scan_queue where company_id = ${ids.a}`;
  });

  it("shows a progress bar in a terminal until the scan ends, then its summary, and exits 0", async () => {
    // script(1) gives the command a pseudo-terminal and copies what it draws.
    const command = `${process.execPath} --import tsx ${cli} scan terryyin/lizard --wait --interval-ms 100`;
    const { stdout } = await run("/usr/bin/script", ["-qfec", command, "/dev/null"], { cwd: REPO_ROOT, env: env(ids.memberA), timeout: 90_000 });
    const screen = stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
    // The bar as cli-progress draws it, at its start and at its end.
    expect(screen).toMatch(/terryyin\/lizard \[[█░]{30}\] \d+% \| (queued|running)/);
    expect(screen).toMatch(/terryyin\/lizard \[█{30}\] 100% \| completed/);
    expect(screen).toMatch(/terryyin\/lizard: full_scan completed in [\d.]+ s \(job [0-9a-f-]{36}\)/);
    expect(screen).toMatch(/commits scanned\s+\d{3,}/);
    expect(screen).toMatch(/AI LOC\s+[\d.]+% of \d+ counted lines \(recorded [\d.]+%, attested [\d.]+%\), [\d.]+% with suspected/);
    expect(screen).toMatch(/coverage\s+recorded [\d.]+%, attested [\d.]+%, suspected [\d.]+%, unknown [\d.]+% of the counted lines/);
    expect(screen).toMatch(/suspected\s+(\d+ commit\(s\), [\d.]+% of the lines|none: )/);
    expect(screen).toMatch(/by agent\s+cursor/);
    // Its 7300-day window reaches the newest commit: no warning about what it left out.
    expect(screen).not.toMatch(/warning: the scan window/);
    const [row] = await sql`select count(*)::int as n from scans where repository_id = ${ids.lizard} and status = 'completed'`;
    expect(row.n).toBe(1);
  }, 120_000);

  it("prints the final status as JSON with --json, and no bar when it is no terminal", async () => {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", cli, "scan", "terryyin/lizard", "--wait", "--json", "--type", "incremental_scan"],
      { cwd: REPO_ROOT, env: env(ids.memberA), timeout: 90_000 });
    const final = JSON.parse(stdout) as { status: string; scanType: string; summary: { commits_scanned: number } };
    expect([final.status, final.scanType]).toEqual(["completed", "incremental_scan"]);
    expect(stderr).not.toMatch(/█/);
  }, 120_000);

  it("exits 1 when the scan fails, with the error", async () => {
    // Company B has no GitHub token in Vault: its scan cannot read GitHub.
    const err = await run(process.execPath, ["--import", "tsx", cli, "scan", "others/private-thing", "--wait", "--interval-ms", "100"],
      { cwd: REPO_ROOT, env: env(ids.memberB), timeout: 110_000 }).then(() => null, (e: { code: number; stdout: string }) => e);
    expect(err?.code).toBe(1);
    expect(err?.stdout).toMatch(/others\/private-thing: full_scan failed/);
    expect(err?.stdout).toMatch(/error: .*GitHub token/);
  }, 120_000);

  it("prints the warning, with the newest commit's date and the setting, when the window leaves out all the history", async () => {
    // A company on the default 90-day window; lizard's history ends in August 2026, months before.
    const member = randomUUID();
    const [{ id: company }] = await sql`insert into companies (name) values ('Window of 90 days') returning id`;
    await sql`insert into repositories (company_id, full_name, default_branch) values (${company}, 'terryyin/lizard', 'master')`;
    await sql`insert into auth.users (id, email) values (${member}, 'w@window.example')`;
    await sql`insert into users (id, company_id, email) values (${member}, ${company}, 'w@window.example')`;
    await sql`select public.set_github_token(${company}, 'ghp_test00000000000000000000000000000000')`;
    const { stdout } = await run(process.execPath, ["--import", "tsx", cli, "scan", "terryyin/lizard", "--wait", "--interval-ms", "100"],
      { cwd: REPO_ROOT, env: env(member), timeout: 90_000 });
    expect(stdout).toMatch(/terryyin\/lizard: full_scan completed/);
    expect(stdout).toMatch(/warning: the scan window of 90 days starts \d{4}-\d{2}-\d{2}, after the newest commit of master \(2026-08-\d{2}\): no commit of its history was read\. Widen the company's scan_window_days to \d+ or more \(codeguard repo add terryyin\/lizard --window-days \d+\)/);
  }, 120_000);

  it("exits 2 for a repository the member's company does not track, saying so", async () => {
    const err = await run(process.execPath, ["--import", "tsx", cli, "scan", "nobody/nothing", "--wait"], { cwd: REPO_ROOT, env: env(ids.memberA) })
      .then(() => null, (e: { code: number; stderr: string }) => e);
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/no such repository in your company/);
  });
});
