// Deno tests of the health function's core, in the runtime the function deploys to.
import postgres from "npm:postgres@3.4.9";
import { ConfigError, readCallerKeys, readConfig } from "../_shared/platform/config.ts";
import { dbFromPostgresJs } from "../_shared/platform/db.ts";
import { handleHealth } from "../_shared/http/health.ts";
import { supabaseCallers } from "../_shared/http/supabase-callers.ts";

const SECRET = "sb_secret_healthtest";
const verifyCaller = supabaseCallers(readCallerKeys({ SUPABASE_URL: "http://127.0.0.1:1", SUPABASE_SECRET_KEYS: JSON.stringify({ default: SECRET }) }));

function assertEquals(actual: unknown, expected: unknown, msg?: string) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${msg ?? "not equal"}: ${JSON.stringify(actual)} !== ${JSON.stringify(expected)}`);
  }
}

Deno.test("readConfig names the missing variable and how to get it", () => {
  try {
    readConfig({ SUPABASE_URL: "http://x" });
    throw new Error("expected a ConfigError");
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    assertEquals(/missing SUPABASE_DB_URL.*npm start/.test(e.message), true, e.message);
  }
});

Deno.test("readConfig returns a frozen configuration", () => {
  const c = readConfig({ SUPABASE_URL: "http://x", SUPABASE_DB_URL: "postgres://y" });
  assertEquals(Object.isFrozen(c), true);
  assertEquals(c.dbUrl, "postgres://y");
});

Deno.test("readConfig reads every value a function needs, the GitHub API and the keys included", () => {
  const c = readConfig({
    SUPABASE_URL: "http://x", SUPABASE_DB_URL: "postgres://y", GITHUB_API_URL: "http://127.0.0.1:9/api",
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: "sb_publishable_a" }), SUPABASE_ANON_KEY: "eyJ.anon",
  });
  assertEquals(c.githubApiUrl, "http://127.0.0.1:9/api");
  assertEquals(c.callerKeys.publishableKey, "sb_publishable_a");
  assertEquals(Object.isFrozen(c.callerKeys), true);
  assertEquals(readConfig({ SUPABASE_URL: "http://x", SUPABASE_DB_URL: "postgres://y", GITHUB_API_URL: "" }).githubApiUrl, undefined);
  // Without a publishable key the page falls back to the legacy anon key.
  assertEquals(readCallerKeys({ SUPABASE_ANON_KEY: "eyJ.anon" }).publishableKey, "eyJ.anon");
});

Deno.test("readConfig fails fast on a malformed key set, naming it", () => {
  for (const [name, value] of [["SUPABASE_SECRET_KEYS", "{not json"], ["SUPABASE_JWKS", "{\"kid\":\"x\"}"], ["SUPABASE_PUBLISHABLE_KEYS", "[1]"]]) {
    try {
      readConfig({ SUPABASE_URL: "http://x", SUPABASE_DB_URL: "postgres://y", [name]: value });
      throw new Error(`expected a ConfigError for ${name}`);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      assertEquals(e.message.startsWith(name), true, e.message);
    }
  }
});

Deno.test("health answers 503 'down' naming the error when the database is unreachable", async () => {
  const sql = postgres("postgres://postgres:postgres@127.0.0.1:1/postgres", { max: 1, connect_timeout: 2 });
  try {
    const res = await handleHealth(new Request("http://local/functions/v1/health", { headers: { apikey: SECRET } }), { db: dbFromPostgresJs(sql), verifyCaller });
    assertEquals(res.status, 503);
    const body = await res.json();
    assertEquals(body.status, "down");
    assertEquals(body.database.reachable, false);
    assertEquals(/ECONNREFUSED|refused/i.test(body.database.error), true, body.database.error);
  } finally {
    await sql.end();
  }
});

Deno.test("health refuses methods other than GET and POST", async () => {
  const sql = postgres("postgres://127.0.0.1:1/none", { max: 1 });
  const res = await handleHealth(new Request("http://local/health", { method: "DELETE" }), { db: dbFromPostgresJs(sql), verifyCaller });
  assertEquals(res.status, 405);
  assertEquals(res.headers.get("allow"), "GET, POST");
  await sql.end();
});

Deno.test("health tells a caller without credentials only that the pipeline is down, not why", async () => {
  const sql = postgres("postgres://postgres:postgres@127.0.0.1:1/postgres", { max: 1, connect_timeout: 2 });
  try {
    const res = await handleHealth(new Request("http://local/functions/v1/health"), { db: dbFromPostgresJs(sql), verifyCaller });
    assertEquals(res.status, 503);
    const body = await res.json();
    assertEquals(Object.keys(body).sort(), ["checked_at", "status"]);
    assertEquals(body.status, "down");
  } finally {
    await sql.end();
  }
});
