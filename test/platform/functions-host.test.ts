import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FunctionsHost } from "../../src/local/functions-host.ts";
import { makeLocalKeys, signJwt } from "../../src/local/keys.ts";

const fixtures = join(import.meta.dirname, "..", "fixtures", "functions");
const keys = makeLocalKeys();
let host: FunctionsHost;

beforeAll(async () => {
  host = new FunctionsHost({
    keys,
    functionsDir: fixtures,
    configPath: join(fixtures, "config.toml"),
    env: { SUPABASE_URL: "http://127.0.0.1:1", SUPABASE_DB_URL: "postgres://x", SUPABASE_ANON_KEY: keys.anonKey, SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey },
  });
  await host.start();
}, 90_000);
afterAll(async () => host?.stop());

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe("functions host", () => {
  it("serves each function under real Deno with the environment Supabase gives functions", async () => {
    const res = await fetch(`${host.url}/echo/sub/path?x=1`, { method: "POST", body: "hello" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      method: "POST",
      path: "/functions/v1/echo/sub/path",
      body: "hello",
      env: { SUPABASE_URL: "http://127.0.0.1:1", has_db_url: true, has_service_role_key: true, has_anon_key: true },
    });
  });

  it("answers 401 to a call without a token when verify_jwt is on", async () => {
    const res = await fetch(`${host.url}/crashy`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toMatch(/Missing authorization header/);
  });

  it("answers 401 to a token signed with another secret", async () => {
    const forged = signJwt({ role: "service_role", exp: Math.floor(Date.now() / 1000) + 60 }, "not-the-secret-of-this-stack");
    const res = await fetch(`${host.url}/crashy`, { headers: bearer(forged) });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toMatch(/invalid signature/);
  });

  it("answers 401 to an expired token signed with the right secret", async () => {
    const expired = signJwt({ role: "service_role", exp: Math.floor(Date.now() / 1000) - 60 }, keys.jwtSecret);
    const res = await fetch(`${host.url}/crashy`, { headers: bearer(expired) });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toMatch(/expired/);
  });

  it("accepts the service-role key", async () => {
    const res = await fetch(`${host.url}/crashy`, { headers: bearer(keys.serviceRoleKey) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { alive: boolean }).alive).toBe(true);
  });

  it("answers 404 for a function that does not exist", async () => {
    const res = await fetch(`${host.url}/nope`);
    expect(res.status).toBe(404);
  });

  it("restarts a function that crashed, and shows the failure", async () => {
    const before = (await (await fetch(`${host.url}/crashy`, { headers: bearer(keys.serviceRoleKey) })).json()) as { pid: number };
    await fetch(`${host.url}/crashy/crash`, { headers: bearer(keys.serviceRoleKey) });
    let after: { pid: number } | undefined;
    for (let i = 0; i < 200 && !after; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const res = await fetch(`${host.url}/crashy`, { headers: bearer(keys.serviceRoleKey) });
      if (res.status === 200) after = (await res.json()) as { pid: number };
      // 502 while the crashed process's socket still takes the request, 503 once the host knows it is down.
      else expect([502, 503]).toContain(res.status);
    }
    expect(after?.pid).toBeDefined();
    expect(after!.pid).not.toBe(before.pid);
    const status = host.status().find((f) => f.name === "crashy")!;
    expect(status.restarts).toBe(1);
    expect(status.lastError).toMatch(/exited with code 3/);
  });
});
