// The github-webhook function under real Deno behind the local gateway: GitHub's own example
// payloads (@octokit/webhooks-examples), signed as GitHub signs them, routed to the queue; and
// everything that is not a genuine new delivery refused with a 4xx (or answered 200 for a replay)
// with not one row written anywhere.
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useLocalStack } from "../harness/stack.ts";
import { deliver, examplesOf, rowCounts, type Delivery } from "./webhook-fixtures.ts";

const stack = useLocalStack();
let sql: postgres.Sql;
const SECRET_A = "a-company-webhook-secret-0123456789";
const SECRET_B = "b-company-webhook-secret-9876543210";
const APP_SECRET = "the-github-app-webhook-secret-000111";
let companyA: string;
let companyB: string;

beforeAll(async () => {
  sql = postgres(stack.current.dbUrl, { max: 2, onnotice: () => {} });
  // No dispatch: the jobs stay pending, where the test counts them.
  await sql`delete from vault.secrets where name = 'project_url'`;
  [{ id: companyA }] = await sql`insert into companies (name) values ('Codertocat Inc') returning id`;
  [{ id: companyB }] = await sql`insert into companies (name) values ('Octocat Ltd') returning id`;
  await sql`insert into repositories (company_id, full_name, default_branch) values (${companyA}, 'codertocat/hello-world', 'main')`;
  await sql`insert into repositories (company_id, full_name) values (${companyB}, 'octocat/Hello-World')`;
  await sql`select public.set_github_webhook_secret(${companyA}, ${SECRET_A})`;
  await sql`select public.set_github_webhook_secret(${companyB}, ${SECRET_B})`;
  await sql`select public.set_github_webhook_secret(null, ${APP_SECRET})`;
  // The installations of the examples: 1 (pushes, PRs), 957387 and 16598467 are A's; 2 is B's.
  for (const id of [1, 957387, 16598467]) await sql`select public.link_github_installation(${companyA}, ${id})`;
  await sql`select public.link_github_installation(${companyB}, 2, 'octocat')`;
});
afterAll(async () => sql?.end());

const send = (d: Delivery) => deliver(stack.current.functionsUrl, d);
/** App deliveries (they name an installation) go to the App's hook; the others to company A's. */
const asGitHubSends = (event: string, payload: Record<string, unknown>): Delivery =>
  payload.installation ? { event, body: JSON.stringify(payload), secret: APP_SECRET } : { event, body: JSON.stringify(payload), secret: SECRET_A, company: companyA };

/** Where each example should go (the routing), by event, action and payload. */
function expectedOutcome(event: string, p: Record<string, any>): string[] {
  if (event === "ping") return ["ping"];
  if (event === "push") return p.ref === `refs/heads/${p.repository.default_branch}` && !p.deleted ? ["enqueued", "coalesced"] : ["ignored"];
  if (event === "pull_request") {
    const analysed = ["opened", "synchronize", "reopened"].includes(p.action) || (p.action === "closed" && p.pull_request.merged);
    return analysed ? ["enqueued", "coalesced"] : ["ignored"];
  }
  if (event === "installation") {
    return { created: ["registered"], unsuspend: ["registered"], deleted: ["deactivated"], suspend: ["deactivated"] }[p.action as string] ?? ["ignored"];
  }
  return p.action === "added" ? ["registered"] : ["deactivated"];
}

describe("github-webhook with GitHub's example payloads", () => {
  it("accepts every push, pull_request, installation, installation_repositories and ping example, signed, and routes each", async () => {
    const sent = examplesOf("push", "pull_request", "installation", "installation_repositories", "ping");
    // The examples' only closed PR is unmerged: a merged one, as GitHub sends it, too.
    const closed = sent.find((e) => e.name === "pull_request" && e.payload.action === "closed")!;
    sent.push({ name: "pull_request", payload: { ...closed.payload, pull_request: { ...(closed.payload.pull_request as object), merged: true } } });
    expect(sent.length).toBeGreaterThan(40);
    for (const { name, payload } of sent) {
      const res = await send(asGitHubSends(name, payload));
      const what = `${name}.${String(payload.action ?? "")} ${payload.ref ?? ""}`;
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(name === "ping" ? 200 : 202);
      expect(expectedOutcome(name, payload), `${what}: ${JSON.stringify(res.body)}`).toContain(res.body.outcome);
    }
    // One delivery row per example, and the jobs they asked for, each once.
    const [{ n }] = await sql`select count(*)::int as n from github_webhook_deliveries`;
    expect(n).toBe(sent.length);
    const jobs = await sql`select r.full_name, q.scan_type, q.payload, q.company_id = ${companyA} as of_a, q.status
                           from scan_queue q join repositories r on r.id = q.repository_id order by r.full_name collate "C", q.scan_type`;
    expect(jobs.map((j) => [j.full_name, j.scan_type, j.payload, j.of_a])).toEqual([
      ["Codertocat/Space", "full_scan", {}, true],
      ["codertocat/hello-world", "full_scan", {}, true],
      ["codertocat/hello-world", "incremental_scan", {}, true],
      ["codertocat/hello-world", "pr_analysis", { pr_number: 2 }, true],
    ]);
    // GitHub's default branch won over the one assumed; B's repository, removed from installation 2, is off.
    const repos = await sql`select full_name, default_branch, is_active from repositories order by full_name collate "C"`;
    expect(repos.map((r) => [r.full_name, r.default_branch, r.is_active])).toEqual([
      ["Codertocat/Space", "main", true],
      ["codertocat/hello-world", "master", true],
      ["octocat/Hello-World", "main", false],
    ]);
    const [installation] = await sql`select status from github_installations where installation_id = 2`;
    expect(installation.status).toBe("deleted");
  });

  it("answers a ping of the App's own hook, which concerns no company, and records it", async () => {
    const ping = examplesOf("ping").find((e) => (e.payload.hook as { type?: string }).type === "Organization")!;
    const deliveryId = randomUUID();
    const res = await send({ event: "ping", body: JSON.stringify(ping.payload), secret: APP_SECRET, deliveryId });
    expect(res.status).toBe(200);
    expect(res.body.zen).toBe(ping.payload.zen);
    const [row] = await sql`select company_id, outcome from github_webhook_deliveries where delivery_id = ${deliveryId}`;
    expect(row).toEqual({ company_id: null, outcome: "ping" });
  });

  it("reads a form-encoded delivery's payload field (GitHub's other content type)", async () => {
    const push = examplesOf("push").find((e) => e.payload.ref === "refs/heads/master")!;
    const body = new URLSearchParams({ payload: JSON.stringify(push.payload) }).toString();
    const res = await send({ event: "push", body, secret: SECRET_A, company: companyA, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(res.status).toBe(202);
    expect(res.body.outcome).toBe("coalesced");
  });
});

describe("github-webhook routing", () => {
  let repoId: string;
  beforeAll(async () => {
    [{ id: repoId }] = await sql`insert into repositories (company_id, full_name, default_branch) values (${companyA}, 'acme/routing', 'trunk') returning id`;
  });
  const push = (ref: string, extra: Record<string, unknown> = {}) =>
    send({ event: "push", secret: SECRET_A, company: companyA,
           // Each push another head, as GitHub's are (the same body again would be a replay).
           body: JSON.stringify({ ref, before: "0".repeat(40), after: randomUUID().replaceAll("-", "").padEnd(40, "0"), repository: { full_name: "acme/routing", default_branch: "trunk" }, ...extra }) });

  it("ignores pushes to other branches and to repositories the company does not track, and says why", async () => {
    const other = await push("refs/heads/feature");
    expect([other.status, other.body.outcome, other.body.reason]).toEqual([202, "ignored", "a push to refs/heads/feature, not to the default branch trunk"]);
    const untracked = await send({ event: "push", secret: SECRET_A, company: companyA,
      body: JSON.stringify({ ref: "refs/heads/main", repository: { full_name: "acme/elsewhere", default_branch: "main" } }) });
    expect([untracked.status, untracked.body.outcome, untracked.body.reason]).toEqual([202, "ignored", "acme/elsewhere is not a repository the company tracks"]);
    const starred = await send({ event: "star", secret: SECRET_A, company: companyA, body: JSON.stringify({ action: "created", repository: { full_name: "acme/routing" } }) });
    expect([starred.status, starred.body.outcome, starred.body.reason]).toEqual([202, "ignored", "star events start no scan"]);
    const [{ n }] = await sql`select count(*)::int as n from scan_queue where repository_id = ${repoId}`;
    expect(n).toBe(0);
  });

  it("makes a push during a running scan that scan's follow-up, and one new scan for the next push", async () => {
    const first = await push("refs/heads/trunk");
    expect(first.body.outcome).toBe("enqueued");
    const jobId = first.body.jobs![0].job_id;
    const [claimed] = await sql`select id from public.claim_scan_job(${jobId}, 'test-worker', 3600)`;
    expect(claimed.id).toBe(jobId);
    const during = await push("refs/heads/trunk");
    expect([during.body.outcome, during.body.jobs![0].result, during.body.jobs![0].job_id]).toEqual(["coalesced", "follow_up", jobId]);
    const [job] = await sql`select follow_up from scan_queue where id = ${jobId}`;
    expect(job.follow_up.requests).toBe(1);
  });

  it("records a delivery sent twice at once once, with one job", async () => {
    const deliveryId = randomUUID();
    const body = JSON.stringify({ action: "opened", number: 77, pull_request: { merged: false }, repository: { full_name: "acme/routing" } });
    const answers = await Promise.all(Array.from({ length: 20 }, () => send({ event: "pull_request", body, secret: SECRET_A, company: companyA, deliveryId })));
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(19).fill(200), 202]);
    expect(answers.filter((a) => a.body.duplicate === true)).toHaveLength(19);
    const [{ n }] = await sql`select count(*)::int as n from scan_queue where repository_id = ${repoId} and payload = '{"pr_number": 77}'`;
    expect(n).toBe(1);
  });
});

describe("github-webhook refuses what is not a new genuine delivery, writing nothing", () => {
  const pr = examplesOf("pull_request").find((e) => e.payload.action === "opened")!.payload;
  const prBody = JSON.stringify({ ...pr, installation: undefined });
  const good = (overrides: Partial<Delivery> = {}): Delivery => ({ event: "pull_request", body: prBody, secret: SECRET_A, company: companyA, ...overrides });

  const cases: [string, () => Promise<Delivery | Response>, number, RegExp][] = [
    ["truncated JSON", async () => good({ body: prBody.slice(0, prBody.length / 2) }), 400, /the payload is not JSON/],
    ["wrong types", async () => good({ body: JSON.stringify({ ...pr, number: "2" }) }), 400, /number: Invalid input: expected number, received string/],
    ["a repository name GitHub cannot have", async () => good({ body: JSON.stringify({ ...pr, repository: { full_name: "no slash" } }) }), 400, /repository.full_name: expected owner\/name/],
    ["an array for a payload", async () => good({ body: "[1,2]" }), 400, /must be a JSON object/],
    ["a repository name longer than GitHub allows", async () => good({ body: JSON.stringify({ ...pr, repository: { full_name: `octo/${"x".repeat(20_000)}` } }) }), 400, /a name of at most 100, as GitHub allows/],
    ["an owner longer than GitHub allows", async () => good({ body: JSON.stringify({ ...pr, repository: { full_name: `${"o".repeat(40)}/repo` } }) }), 400, /an owner of at most 39 characters/],
    ["no signature", async () => good({ secret: null }), 401, /X-Hub-Signature-256 is missing/],
    ["a signature of another body", async () => good({ headers: { "x-hub-signature-256": `sha256=${"ab".repeat(32)}` } }), 401, /signature does not match/],
    ["a signature that is not one", async () => good({ headers: { "x-hub-signature-256": "sha1=deadbeef" } }), 401, /not sha256=/],
    ["a valid signature with another company's secret", async () => good({ secret: SECRET_B }), 401, /signature does not match/],
    ["the App's secret on a company's hook", async () => good({ secret: APP_SECRET }), 401, /signature does not match/],
    ["a hook of a company that has no secret", async () => good({ company: randomUUID() }), 401, /signature does not match/],
    ["a company parameter that is no id", async () => good({ company: "acme" }), 400, /company's id/],
    ["an unknown event", async () => good({ event: "pull_requests" }), 400, /not a GitHub webhook event/],
    ["no delivery id", async () => good({ headers: { "x-github-delivery": "" } }), 400, /X-GitHub-Delivery/],
    ["an installation no company has", async () => ({ event: "pull_request", body: JSON.stringify({ ...pr, installation: { id: 424242 } }), secret: APP_SECRET }), 404, /installation 424242 is not linked/],
    ["an App delivery naming no installation", async () => ({ event: "pull_request", body: prBody, secret: APP_SECRET }), 404, /names no installation/],
    ["a GET", async () => fetch(`${stack.current.functionsUrl}/github-webhook`), 405, /method not allowed/],
    ["a body past 25 MB", async () => good({ body: " ".repeat(25 * 1024 * 1024 + 1) }), 413, /larger than 26214400 bytes/],
    ["a body past 25 MB without a length", async () => {
      let sent = 0;
      const stream = new ReadableStream({
        pull(c) {
          if ((sent += 1 << 20) > 30 << 20) c.close();
          else c.enqueue(new Uint8Array(1 << 20).fill(32));
        },
      });
      return await fetch(`${stack.current.functionsUrl}/github-webhook?company=${companyA}`, {
        method: "POST", body: stream, duplex: "half",
        headers: { "x-github-event": "push", "x-github-delivery": randomUUID(), "x-hub-signature-256": `sha256=${"0".repeat(64)}` },
      } as RequestInit);
    }, 413, /larger than/],
  ];

  for (const [what, make, status, message] of cases) {
    it(`answers ${status} to ${what}, saying why, and writes no row`, async () => {
      const before = await rowCounts(sql);
      const made = await make();
      const res = made instanceof Response ? { status: made.status, body: (await made.json()) as { error?: string } } : await send(made);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.error).toMatch(message);
      expect(await rowCounts(sql)).toEqual(before);
    });
  }

  it("refuses a company's hook naming another company's installation (404), and changes nothing of it", async () => {
    const installationOfB = async () => (await sql`select company_id, status, account_login, updated_at from github_installations where installation_id = 2`)[0];
    const linksOfB = async () => (await sql`select count(*)::int as n from github_installation_repositories where installation_id = 2`)[0].n;
    const [b, links] = [await installationOfB(), await linksOfB()];
    const before = await rowCounts(sql);
    // Signed with A's own secret on A's own hook: genuine as A's, but installation 2 is B's.
    for (const payload of [
      { action: "suspend", installation: { id: 2 } },
      { action: "deleted", installation: { id: 2, account: { login: "mallory" } } },
      { action: "created", installation: { id: 2, account: { login: "mallory" } }, repositories: [{ full_name: "codertocat/hello-world" }] },
    ]) {
      const res = await send({ event: "installation", body: JSON.stringify(payload), secret: SECRET_A, company: companyA });
      expect([res.status, res.body.error], payload.action).toEqual([404, "installation 2 is not linked to this company: link it (link_github_installation), then redeliver"]);
    }
    expect(await installationOfB()).toEqual(b);
    expect(await linksOfB()).toBe(links);
    expect(await rowCounts(sql)).toEqual(before);
  });

  it("refuses a company's hook naming an installation nobody linked with 404, not 500, writing nothing", async () => {
    const before = await rowCounts(sql);
    const res = await send({ event: "installation", secret: SECRET_A, company: companyA,
      body: JSON.stringify({ action: "created", installation: { id: 9090909, account: { login: "codertocat" } }, repositories: [{ full_name: "codertocat/new-one" }] }) });
    expect([res.status, res.body.error]).toEqual([404, "installation 9090909 is not linked to this company: link it (link_github_installation), then redeliver"]);
    expect(await rowCounts(sql)).toEqual(before);
  });

  it("refuses a signed body resent under a new delivery id (409), making no new job", async () => {
    const body = JSON.stringify({ ...pr, installation: undefined, number: 41 });
    const first = await send(good({ body }));
    expect([first.status, first.body.outcome]).toEqual([202, "enqueued"]);
    const before = await rowCounts(sql);
    for (let i = 0; i < 3; i++) {
      const replay = await send(good({ body, deliveryId: randomUUID() }));
      expect([replay.status, replay.body.error]).toEqual([409, expect.stringMatching(/delivered before under another X-GitHub-Delivery id: a replay/)]);
    }
    expect(await rowCounts(sql)).toEqual(before);
  });

  it("answers a replayed delivery 200 with what the first did, and writes no row", async () => {
    const deliveryId = randomUUID();
    const first = await send(good({ deliveryId, body: JSON.stringify({ ...pr, installation: undefined, number: 31 }) }));
    expect([first.status, first.body.outcome]).toEqual([202, "enqueued"]);
    const before = await rowCounts(sql);
    for (let i = 0; i < 3; i++) {
      const again = await send(good({ deliveryId, body: JSON.stringify({ ...pr, installation: undefined, number: 31 }) }));
      expect([again.status, again.body.duplicate, again.body.outcome, again.body.jobs]).toEqual([200, true, "enqueued", first.body.jobs]);
    }
    // Even with another body: the delivery id is GitHub's word that it is the same delivery.
    const changed = await send(good({ deliveryId, body: JSON.stringify({ ...pr, installation: undefined, number: 32 }) }));
    expect([changed.status, changed.body.duplicate]).toEqual([200, true]);
    expect(await rowCounts(sql)).toEqual(before);
  });
});
