// postgres.js 3.4.9 drops the promise of the array-type query it runs on each new connection; a
// connection lost during it rejects that promise with nobody to catch it (porsager/postgres#1192),
// which ends a Node process or a Deno isolate. Each runtime is run here as a real process through
// a proxy that resets the connection at that query: bare postgres.js dies (the bug is still there
// upstream — when this control fails, the guards can go), ours lives and retries; any other
// unhandled rejection still ends the process.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDroppedTypeFetch } from "../../supabase/functions/_shared/platform/db.ts";
import { useTestDatabase } from "../harness/db.ts";
import { startPgProxy, type PgProxy } from "../harness/pg-proxy.ts";
import { REPO_ROOT } from "../harness/processes.ts";

const t = useTestDatabase();
let proxy: PgProxy;
beforeAll(async () => {
  proxy = await startPgProxy(t.current.url);
});
afterAll(async () => {
  await proxy?.close();
});

const DENO = join(REPO_ROOT, "node_modules", ".bin", "deno");
const dir = mkdtempSync(join(tmpdir(), "cg-type-fetch-"));

/** The script's body after `sql` is opened: a statement that meets the reset, then one that works. */
const BODY = `
let first = "ok";
try { await sql\`select 1\`; } catch (e) { first = e.code ?? e.message; }
const [{ n }] = await sql\`select 2 as n\`;
await new Promise((r) => setTimeout(r, 300)); // room for the dropped rejection to surface
console.log(JSON.stringify({ first, n }));
await sql.end();
`;

function script(name: string, head: string): string {
  const file = join(dir, name);
  writeFileSync(file, `${head}\n${BODY}`);
  return file;
}

async function run(command: string, args: string[]): Promise<{ code: number | null; out: string }> {
  proxy.failTypeFetches(1);
  const before = proxy.typeFetchesFailed;
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, DB_URL: proxy.url, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_TLS_CA_STORE: process.env.DENO_TLS_CA_STORE ?? "system,mozilla" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (out += c));
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  expect(proxy.typeFetchesFailed - before, out).toBe(1);
  return { code, out };
}

describe("postgres.js's dropped type-fetch rejection", () => {
  it("is told apart by the statement postgres.js tags its error with", () => {
    const lost = Object.defineProperty(new Error("read ECONNRESET"), "query", {
      value: "\n      select b.oid, b.typarray\n      from pg_catalog.pg_type a\n      left join pg_catalog.pg_type b on b.oid = a.typelem\n      where a.typcategory = 'A'\n",
    });
    expect(isDroppedTypeFetch(lost)).toBe(true);
    expect(isDroppedTypeFetch(Object.defineProperty(new Error("read ECONNRESET"), "query", { value: "select * from public.claim_scan_job($1)" }))).toBe(false);
    expect(isDroppedTypeFetch(new Error("read ECONNRESET"))).toBe(false);
    expect(isDroppedTypeFetch(null)).toBe(false);
  });

  it("ends a bare Node process (the upstream bug, still there)", async () => {
    const file = script("bare.mjs", `import postgres from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, "node_modules", "postgres", "src", "index.js")).href)};
const sql = postgres(process.env.DB_URL, { max: 1, onnotice: () => {} });`);
    const { code, out } = await run(process.execPath, [file]);
    expect(code, out).not.toBe(0);
    expect(out).toMatch(/ECONNRESET/);
  }, 30_000);

  it("does not end a codeguard process (the CLI's guard), and the statement retried works", async () => {
    const file = script("guarded.mts", `import postgres from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, "node_modules", "postgres", "src", "index.js")).href)};
import { outliveDroppedTypeFetches } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, "src", "cli", "unhandled-rejections.ts")).href)};
outliveDroppedTypeFetches();
const sql = postgres(process.env.DB_URL, { max: 1, onnotice: () => {} });`);
    const { code, out } = await run(process.execPath, ["--import", "tsx", file]);
    expect(code, out).toBe(0);
    expect(out).toMatch(/"level":"warn","message":"a new database connection was lost while opening: read ECONNRESET"/);
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual({ first: "ECONNRESET", n: 2 });
  }, 30_000);

  it("lets any other unhandled rejection end a codeguard process, as Node's default does", async () => {
    const file = join(dir, "other.mts");
    writeFileSync(file, `import { outliveDroppedTypeFetches } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, "src", "cli", "unhandled-rejections.ts")).href)};
outliveDroppedTypeFetches();
void Promise.reject(Object.assign(new Error("a bug of ours"), { query: "select 1" }));
setTimeout(() => console.log("still running"), 500);`);
    const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    expect(code, out).toBe(1);
    expect(out).toMatch(/a bug of ours/);
    expect(out).not.toMatch(/still running/);
  }, 30_000);

  it("ends a bare Deno isolate (the upstream bug, still there)", async () => {
    const file = script("bare.ts", `import postgres from "npm:postgres@3.4.9";
const sql = postgres(Deno.env.get("DB_URL")!, { max: 1, onnotice: () => {} });`);
    const { code, out } = await run(DENO, ["run", "--allow-all", "--no-prompt", "--config", join(REPO_ROOT, "supabase", "functions", "deno.json"), file]);
    expect(code, out).not.toBe(0);
    expect(out).toMatch(/ECONNRESET/);
  }, 60_000);

  it("does not end an edge function's isolate: connectPostgres keeps it, and the statement retried works", async () => {
    const file = script("guarded.ts", `import { connectPostgres } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, "supabase", "functions", "_shared", "platform", "postgres.ts")).href)};
const sql = connectPostgres(Deno.env.get("DB_URL")!, { max: 1, onnotice: () => {} });`);
    const { code, out } = await run(DENO, ["run", "--allow-all", "--no-prompt", "--config", join(REPO_ROOT, "supabase", "functions", "deno.json"), file]);
    expect(code, out).toBe(0);
    expect(out).toMatch(/a new database connection was lost while opening: .*ECONNRESET/);
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual({ first: "ECONNRESET", n: 2 });
  }, 60_000);
});
