// `npm run replay-readme [-- --worktree] [--npm-ci] [--keep]`: follows the README as a new user
// would, to show it can be followed without guessing. In a clean folder — a clone of HEAD, or with
// --worktree a copy of the working tree's files — it starts the local stack (`npm start`) and runs
// every block the README marks `<!-- replay: local -->` (shell, against that stack, in README
// order, with the exports of one block kept for the next) or `<!-- replay: blank -->` (SQL, on a
// blank project's database: the platform's roles and extensions only, then the dashboard's SQL file
// pasted as the README's dashboard steps say). A placeholder `<…>` is filled only from where the
// README says it comes from (the banner `npm start` prints, a made-up project ref or secret); one the
// replay does not know fails it, naming it. node_modules is linked from this checkout unless
// --npm-ci. Exits 1 if any block failed.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import postgres from "postgres";
import { applyBootstrap, REPO_ROOT } from "../src/local/migrate.ts";
import { redactUrl } from "../src/database-url.ts";

interface Block { kind: "local" | "blank"; lang: string; body: string; line: number }

const args = new Set(process.argv.slice(2));
const dir = mkdtempSync(join(tmpdir(), "codeguard-readme-"));
chmodSync(dir, 0o711); // Postgres runs as its own user and must pass through to its data folder
const clone = join(dir, "codeguard");

/** The README's replay blocks, in order. */
export function replayBlocks(readme: string): Block[] {
  const lines = readme.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*<!-- replay: (local|blank) -->\s*$/.exec(lines[i]);
    if (!m) continue;
    const fence = /^(\s*)```(\w+)\s*$/.exec(lines[i + 1] ?? "");
    if (!fence) throw new Error(`README.md:${i + 1}: a replay marker not followed by a fenced block`);
    const body: string[] = [];
    let j = i + 2;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]); j++) body.push(lines[j].slice(fence[1].length));
    blocks.push({ kind: m[1] as Block["kind"], lang: fence[2], body: body.join("\n"), line: i + 3 });
    i = j;
  }
  return blocks;
}

/** Fills the placeholders a block may hold; throws naming any other. */
function fill(block: Block, values: Record<string, string>): string {
  const code = block.body.split("\n").map((l) => l.replace(/(^|\s)#(?!!).*$/, (c) => (block.lang === "sh" ? "" : c))).join("\n");
  const unknown = [...code.matchAll(/<[a-z][^<>\n]*>/g)].map((m) => m[0]).filter((p) => !(p in values));
  if (unknown.length) throw new Error(`README.md:${block.line}: placeholders the README does not say how to fill: ${[...new Set(unknown)].join(", ")}`);
  return block.body.replace(/<[a-z][^<>\n]*>/g, (p) => values[p] ?? p);
}

function step(title: string) {
  console.log(`\n▶ ${title}`);
}

// 1. The clean folder.
step(`a clean folder: ${clone}`);
if (args.has("--worktree")) {
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: REPO_ROOT }).toString().split("\0").filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(REPO_ROOT, f))) continue;
    mkdirSync(dirname(join(clone, f)), { recursive: true });
    cpSync(join(REPO_ROOT, f), join(clone, f));
  }
  console.log(`  copied the working tree's ${files.length} files`);
} else {
  execFileSync("git", ["clone", "--quiet", REPO_ROOT, clone]);
  console.log(`  cloned ${execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: clone }).toString().trim()}`);
}
if (args.has("--npm-ci")) execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: clone, stdio: "inherit" });
else symlinkSync(join(REPO_ROOT, "node_modules"), join(clone, "node_modules"));

const readme = readFileSync(join(clone, "README.md"), "utf8");
const blocks = replayBlocks(readme);
console.log(`  README.md: ${blocks.length} replay blocks`);

// 2. The README's quick start: npm start, until it prints the banner.
step("npm start (the README's quick start)");
const env: Record<string, string> = {
  PATH: process.env.PATH!, HOME: process.env.HOME ?? dir, NO_COLOR: "1",
  CODEGUARD_DATA_DIR: join(clone, ".codeguard", "local"),
  // The company's token, as the README asks for one (the local stack's GitHub is not GitHub: any well-formed token).
  GITHUB_TOKEN: `ghp_${randomBytes(18).toString("hex")}`,
};
const start = spawn("npm", ["start"], { cwd: clone, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
let banner = "";
start.stdout.on("data", (c) => (banner += c));
start.stderr.on("data", (c) => (banner += c));
const stopStack = async () => {
  if (start.exitCode !== null) return;
  process.kill(-start.pid!, "SIGTERM");
  await new Promise((r) => start.once("exit", r));
};
let failures = 0;
try {
  const deadline = Date.now() + 120_000;
  while (!/ready in [\d.]+ s/.test(banner)) {
    if (start.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${banner}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const printed = (label: string) => new RegExp(`^  ${label}\\s+(\\S+)`, "m").exec(banner)?.[1] ?? "";
  const dbUrl = printed("DB URL");
  console.log(`  up: DB URL ${redactUrl(dbUrl)}`);
  const values: Record<string, string> = {
    "<the DB URL npm start prints>": dbUrl,
    // What the dashboard steps ask for, made up here: a project's ref and a secret key of it.
    "<project-ref>": "abcdefghijklmnopqrst",
    "<your secret key>": randomBytes(24).toString("base64url"),
    "<the webhook secret>": randomBytes(32).toString("hex"),
  };

  // 3. The blocks, in order.
  let shellEnv = { ...env };
  for (const [n, block] of blocks.entries()) {
    step(`block ${n + 1} (README.md:${block.line}, ${block.kind}, ${block.lang})\n${block.body.replace(/^/gm, "    ")}`);
    try {
      const text = fill(block, values);
      if (block.kind === "local") {
        if (block.lang !== "sh") throw new Error("a local block is a shell block");
        const envFile = join(dir, `env-${n}`);
        const out = execFileSync("bash", ["-euo", "pipefail", "-c", `${text}\nenv -0 > ${envFile}`], { cwd: clone, env: shellEnv, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        console.log(out.trimEnd().replace(/^/gm, "  | "));
        shellEnv = Object.fromEntries(readFileSync(envFile, "utf8").split("\0").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
      } else {
        if (block.lang !== "sql") throw new Error("a blank-project block is SQL");
        const u = new URL(dbUrl);
        const name = `blank_${randomBytes(4).toString("hex")}`;
        const admin = postgres(dbUrl, { max: 1, onnotice: () => {} });
        await admin.unsafe(`create database ${name}`);
        await admin.end();
        u.pathname = `/${name}`;
        await applyBootstrap(u.toString());
        const sql = postgres(u.toString(), { max: 1, onnotice: () => {} });
        try {
          await sql.unsafe(readFileSync(join(clone, "supabase", "dashboard", "codeguard.sql"), "utf8"));
          console.log("  | pasted supabase/dashboard/codeguard.sql into a blank project's database");
          const answer = await sql.unsafe(text);
          console.log(`  | ${JSON.stringify(answer).slice(0, 200)}`);
        } finally {
          await sql.end();
        }
      }
      console.log("  ✓");
    } catch (e) {
      failures++;
      const err = e as { message: string; stdout?: string; stderr?: string };
      console.log(`  ✗ ${(err.stderr || err.stdout || err.message).toString().trim().replace(/\n/g, "\n    ")}`);
    }
  }
} finally {
  await stopStack();
}
console.log(`\n${blocks.length - failures} blocks passed, ${failures} failed${args.has("--keep") ? `; kept ${dir}` : ""}`);
if (!args.has("--keep")) rmSync(dir, { recursive: true, force: true });
process.exitCode = failures ? 1 : 0;
