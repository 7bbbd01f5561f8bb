// Who may call the functions, through the real gateway and Deno: decided from the verified caller,
// not from the presence of a valid token (the anon and publishable keys are public). And what a
// function does with a body it cannot use.
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeLocalKeys, signJwt, signUserJwt } from "../../src/local/keys.ts";
import { REPO_ROOT } from "../../src/local/migrate.ts";
import { useLocalStack } from "../harness/stack.ts";

const stack = useLocalStack();
let sql: postgres.Sql;
let pendingJob: string;
beforeAll(async () => {
  sql = postgres(stack.current.dbUrl, { max: 2, onnotice: () => {} });
  // A job a worker would claim, and no dispatch: any worker that runs shows up on it.
  await sql`delete from vault.secrets where name = 'project_url'`;
  const [company] = await sql`insert into companies (name) values ('Callers') returning id`;
  const [repo] = await sql`insert into repositories (company_id, full_name) values (${company.id}, 'callers/repo') returning id`;
  [{ id: pendingJob }] = await sql`select id from public.enqueue_scan(p_company_id => ${company.id}, p_repository_id => ${repo.id})`;
});
afterAll(async () => sql?.end());

const url = (name: string, query = "") => `${stack.current.functionsUrl}/${name}${query}`;
const keys = () => stack.current.keys;
const aMember = () => signUserJwt(keys(), { sub: "0b7e2f4c-5f9a-4a84-8d2c-00000000c0de", email: "m@example.com" });

/** The credentials a caller can present, by who they are. */
function credentials(): Record<string, Record<string, string>> {
  const k = keys();
  return {
    "no credentials": {},
    "the publishable key": { apikey: k.publishableKey },
    "the legacy anon key": { authorization: `Bearer ${k.anonKey}`, apikey: k.anonKey },
    "a signed-in member": { authorization: `Bearer ${aMember()}`, apikey: k.publishableKey },
    "a member with the legacy anon key beside": { authorization: `Bearer ${aMember()}`, apikey: k.anonKey },
  };
}

async function jobUntouched(): Promise<boolean> {
  const [job] = await sql`select status, attempts from public.scan_queue where id = ${pendingJob}`;
  return job.status === "pending" && job.attempts === 0;
}

describe("scan-repository", () => {
  for (const who of ["no credentials", "the publishable key", "the legacy anon key", "a signed-in member", "a member with the legacy anon key beside"]) {
    it(`answers 403 to ${who}, and no worker runs`, async () => {
      const res = await fetch(url("scan-repository", "?wait=1"), { method: "POST", headers: credentials()[who], body: "{}" });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: string }).error).toMatch(/scan-repository starts a worker only for the platform's dispatch or a server of the project/);
      expect(await jobUntouched()).toBe(true);
    });
  }

  it("answers 403 to a hundred public calls at once, and no worker runs", async () => {
    const answers = await Promise.all(Array.from({ length: 100 }, () =>
      fetch(url("scan-repository", "?wait=1"), { method: "POST", headers: { apikey: keys().publishableKey } }).then((r) => r.status)));
    expect(new Set(answers)).toEqual(new Set([403]));
    expect(await jobUntouched()).toBe(true);
  });

  it("answers 401 to credentials that do not verify: a made-up secret key, a user token signed by another project, a forged service_role token", async () => {
    const other = makeLocalKeys();
    const refused: Record<string, string>[] = [
      { apikey: "sb_secret_madeUpByAnAttacker000000000000" },
      { authorization: `Bearer ${signUserJwt(other, { sub: "0b7e2f4c-5f9a-4a84-8d2c-000000000bad" })}` },
      { authorization: `Bearer ${signJwt({ role: "service_role", exp: Math.floor(Date.now() / 1000) + 60 }, "someone-elses-secret-of-32-chars-at-least")}` },
    ];
    for (const headers of refused) {
      const res = await fetch(url("scan-repository", "?wait=1"), { method: "POST", headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(await jobUntouched()).toBe(true);
    }
  });

  it("starts a worker for the secret key and for the legacy service_role key", async () => {
    const service: Record<string, string>[] = [{ apikey: keys().secretKey }, { authorization: `Bearer ${keys().serviceRoleKey}` }];
    for (const headers of service) {
      const res = await fetch(url("scan-repository", "?wait=1"), { method: "POST", headers, body: JSON.stringify({ budget_ms: 2000 }) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { worker_id: string }).worker_id).toMatch(/^edge-/);
    }
  });

  it("answers 400 to a body that is not a JSON object, saying what it expects, and 413 to a body past 16 KiB", async () => {
    const call = (body: BodyInit, extra: Record<string, string> = {}) =>
      fetch(url("scan-repository"), { method: "POST", headers: { apikey: keys().secretKey, ...extra }, body, duplex: "half" } as RequestInit);
    for (const [body, got] of [["null", "null"], ["[]", "an array"], ["5", "a number"], ['"go"', "a string"]]) {
      const res = await call(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe(`the body must be a JSON object, like {"budget_ms": 60000}; got ${got}`);
    }
    const big = await call("x".repeat(10 * 1024 * 1024));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toMatch(/larger than 16384 bytes/);
    // Without a declared length, the reading stops at the limit.
    let sent = 0;
    const stream = new ReadableStream({
      pull(c) {
        if ((sent += 64 * 1024) > 1024 * 1024) c.close();
        else c.enqueue(new TextEncoder().encode("{".repeat(64 * 1024)));
      },
    });
    const streamed = await call(stream);
    expect(streamed.status).toBe(413);
  });
});

describe("health", () => {
  it("tells anyone but the service only whether the pipeline is up", async () => {
    for (const [who, headers] of Object.entries(credentials())) {
      const res = await fetch(url("health"), { headers });
      const body = (await res.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort(), who).toEqual(["checked_at", "status"]);
    }
  });

  it("gives the service the whole report", async () => {
    const res = await fetch(url("health"), { headers: { apikey: keys().secretKey } });
    const body = (await res.json()) as { migrations: { applied: number }; schedules: unknown[]; queue: unknown };
    expect(body.migrations.applied).toBe(readdirSync(join(REPO_ROOT, "supabase", "migrations")).filter((f) => f.endsWith(".sql")).length);
    expect(body.schedules.length).toBeGreaterThan(0);
    expect(body.queue).toBeTruthy();
  });
});

describe("the local functions", () => {
  it("listen on no TCP port, only on a socket in a folder no other user can enter", () => {
    for (const f of stack.current.functions.status()) {
      const inodes = new Set<string>();
      for (const fd of readdirSync(`/proc/${f.pid}/fd`)) {
        try {
          const link = readlinkSync(`/proc/${f.pid}/fd/${fd}`);
          const m = /^socket:\[(\d+)\]$/.exec(link);
          if (m) inodes.add(m[1]);
        } catch {
          // closed meanwhile
        }
      }
      const listening = ["/proc/net/tcp", "/proc/net/tcp6"].flatMap((file) =>
        readFileSync(file, "utf8").split("\n").slice(1).map((l) => l.trim().split(/\s+/)).filter((c) => c[3] === "0A" && inodes.has(c[9])));
      expect(listening, f.name).toEqual([]);
      expect(statSync(dirname(f.socket)).mode & 0o077, f.name).toBe(0);
    }
  });
});
