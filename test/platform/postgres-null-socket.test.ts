// postgres.js 3.4.9 sends a small write from a setImmediate; when the connection closes before it
// runs, `nextWrite` reads `socket.write` of null and throws from the timer, where no caller can
// catch it (porsager/postgres#1154, #1208): Node and Deno end the process. Repeated Postgres
// restarts met it in the chaos suite (restarts.chaos.ts). Reproduced here deterministically as
// upstream's #1208 does — a reserved connection whose backend is terminated, then two statements —
// in Node as a real process: bare postgres.js dies (the control: when it stops failing, the guard
// can go), ours lives and its pool answers. (Deno met the same sequence with ECONNRESET and no
// throw: its isolate's guard, connectPostgres, is not exercised here.)
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { isNullSocketWrite } from "../../supabase/functions/_shared/platform/db.ts";
import { useTestDatabase } from "../harness/db.ts";
import { REPO_ROOT } from "../harness/processes.ts";

const t = useTestDatabase();
const dir = mkdtempSync(join(tmpdir(), "cg-null-socket-"));
const NODE_POSTGRES = JSON.stringify(pathToFileURL(join(REPO_ROOT, "node_modules", "postgres", "src", "index.js")).href);

/** After `sql` and `killer` are opened: the reserved connection's backend terminated, then two statements. */
const BODY = `
const answer = (q) => Promise.race([q.then(() => "ok", (e) => e.code ?? e.message), new Promise((r) => setTimeout(() => r("no answer"), 1000))]);
const reserved = await sql.reserve();
const [{ pid }] = await reserved\`select pg_backend_pid() as pid\`;
await killer\`select pg_terminate_backend(\${pid})\`;
const first = await answer(reserved\`select 1\`);
const second = await answer(reserved\`select 1\`);
reserved.release();
const third = await answer(sql\`select 3\`); // the pool may hand on the connection that closed
await new Promise((r) => setTimeout(r, 300)); // room for the throw from the timer
// The process goes on: a new client answers. (A write postgres.js dropped leaves its statement
// unanswered — "no answer" above; upstream's #1209 would settle it.)
const fresh = postgres(DB_URL, { max: 1, onnotice: () => {} });
const [{ n }] = await fresh\`select 2 as n\`;
console.log(JSON.stringify({ first, second, third, n }));
process.exit(0);
`;

async function run(name: string, head: string, command: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const file = join(dir, name);
  writeFileSync(file, `${head}\n${BODY}`);
  const child = spawn(command, [...args, file], {
    cwd: REPO_ROOT,
    env: { ...process.env, DB_URL: t.current.url, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_TLS_CA_STORE: process.env.DENO_TLS_CA_STORE ?? "system,mozilla" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (out += c));
  const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  clearTimeout(killer);
  return { code, out };
}

describe("postgres.js's write to a closed connection", () => {
  it("is told apart by its message and its place in postgres.js's stack", () => {
    const thrown = new TypeError("Cannot read properties of null (reading 'write')");
    thrown.stack = `TypeError: Cannot read properties of null (reading 'write')\n    at Immediate.nextWrite (file:///app/node_modules/postgres/src/connection.js:255:22)\n    at process.processImmediate (node:internal/timers:483:21)`;
    expect(isNullSocketWrite(thrown)).toBe(true);
    // Deno's npm cache keeps the version in the path; a test runner hands it on serialized.
    expect(isNullSocketWrite({ name: "TypeError", message: thrown.message, stack: thrown.stack.replace("node_modules/postgres/src", "deno/npm/registry.npmjs.org/postgres/3.4.9/src") })).toBe(true);
    const ours = new TypeError("Cannot read properties of null (reading 'write')");
    ours.stack = "TypeError: Cannot read properties of null (reading 'write')\n    at flush (file:///app/src/report.ts:10:3)";
    expect(isNullSocketWrite(ours)).toBe(false);
    expect(isNullSocketWrite(new Error("write CONNECT_TIMEOUT 127.0.0.1:5432"))).toBe(false);
    expect(isNullSocketWrite(null)).toBe(false);
  });

  it("ends a bare Node process (the upstream bug, still there)", async () => {
    const { code, out } = await run("bare.mjs", `import postgres from ${NODE_POSTGRES};
const DB_URL = process.env.DB_URL;
const sql = postgres(DB_URL, { max: 2, onnotice: () => {} });
const killer = postgres(DB_URL, { max: 1, onnotice: () => {} });`, process.execPath, []);
    expect(code, out).not.toBe(0);
    expect(out).toMatch(/Cannot read properties of null \(reading 'write'\)/);
  }, 30_000);

  it("does not end a codeguard process (the CLI's guard), which goes on with a new connection", async () => {
    const { code, out } = await run("guarded.mts", `import postgres from ${NODE_POSTGRES};
import { outliveDroppedTypeFetches } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, "src", "cli", "unhandled-rejections.ts")).href)};
outliveDroppedTypeFetches();
const DB_URL = process.env.DB_URL;
const sql = postgres(DB_URL, { max: 2, onnotice: () => {} });
const killer = postgres(DB_URL, { max: 1, onnotice: () => {} });`, process.execPath, ["--import", "tsx"]);
    expect(code, out).toBe(0);
    expect(out).toMatch(/"level":"warn","message":"a write to a database connection that had closed was dropped/);
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toMatchObject({ n: 2 });
  }, 30_000);

  it("lets any other uncaught exception end a codeguard process, as Node's default does", async () => {
    const file = join(dir, "other.mts");
    writeFileSync(file, `import { outliveDroppedTypeFetches } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, "src", "cli", "unhandled-rejections.ts")).href)};
outliveDroppedTypeFetches();
setImmediate(() => { const socket: any = null; socket.write("x"); });
setTimeout(() => console.log("still running"), 500);`);
    const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    expect(code, out).toBe(1);
    expect(out).toMatch(/Cannot read properties of null \(reading 'write'\)/);
    expect(out).not.toMatch(/still running/);
  }, 30_000);
});
