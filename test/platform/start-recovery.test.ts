// What is left after a kill nobody could answer (SIGKILL, the OOM killer, a CI time limit): a
// SIGKILLed `npm start` or test run must leave no Postgres, no Deno behind, and the next start on the
// same data folder must work. And what `npm start` does without the demo's data sets: no repository
// served, and api.github.com never asked.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { heavyFile } from "../harness/heavy.ts";
import { exitedWithin, processesMentioning, REPO_ROOT, runCodeguard } from "../harness/processes.ts";
import { tempStateDir } from "../harness/stack.ts";

heavyFile(); // each test brings up a stack or a test run's Postgres: one heavy file at a time

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function argvOf(pid: number): string[] {
  try {
    if (/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"))) return [];
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** The postmasters (not their backends) serving `dataDir`. */
function postmastersOf(dataDir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = argvOf(Number(entry));
    const d = argv.indexOf("-D");
    if (/(^|\/)postgres$/.test(argv[0] ?? "") && d >= 0 && resolve(argv[d + 1] ?? "") === dataDir) found.push(Number(entry));
  }
  return found;
}

/**
 * A run's processes: Postgres and the sentinel carry its marker; the functions' Deno (given a clean
 * environment of their own) carry its database URL, whose port the banner prints.
 */
function processesOf(run: { marker: string; log(): string }): number[] {
  const port = /DB URL\s+postgres:\/\/[^@]+@127\.0\.0\.1:(\d+)\//.exec(run.log())?.[1];
  if (!port) throw new Error(`no DB URL in the banner:\n${run.log()}`);
  return [...new Set([...processesMentioning(run.marker), ...processesMentioning(`127.0.0.1:${port}/`)])];
}

/** Our environment without what vitest gives its workers. */
function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|__VITEST|TEST$|NODE_ENV$)/.test(k)));
}

/** Until `check` holds, polled every 100 ms, or false after `ms` (a bounded cleanup is the claim under test). */
async function within(ms: number, check: () => boolean): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) return false;
    await sleep(100);
  }
  return true;
}

describe("a SIGKILLed npm start", { timeout: 600_000 }, () => {
  const stateDir = tempStateDir("cg-killed-");
  const pgdata = join(stateDir, "pgdata");
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it("takes its Postgres and its functions with it within 10 s (Postgres's sentinel, the functions' pdeathsig), and the next start is clean", async () => {
    const first = runCodeguard(["start"], { env: { CODEGUARD_DATA_DIR: stateDir } });
    await first.waitFor(/Press Ctrl-C to stop/, 300_000);
    expect(postmastersOf(pgdata)).toHaveLength(1);
    first.child.kill("SIGKILL");
    await first.exited;
    const left = () => processesOf(first);
    expect(await within(10_000, () => left().length === 0), `left: ${left().map((p) => argvOf(p).join(" "))}`).toBe(true);
    expect(postmastersOf(pgdata)).toEqual([]);

    const second = runCodeguard(["start"], { env: { CODEGUARD_DATA_DIR: stateDir } });
    await second.waitFor(/Press Ctrl-C to stop/, 300_000);
    expect(second.log()).not.toMatch(/left running|stale postmaster\.pid|lock file/);
    second.child.kill("SIGINT");
    expect(await exitedWithin(second, 60_000), second.log()).toBe(0);
    expect(await within(10_000, () => processesOf(second).length === 0)).toBe(true);
  });

  it("whose Postgres outlived it (its sentinel killed too): the next start stops that Postgres, says so, and runs with one Postgres, no lock error", async () => {
    const first = runCodeguard(["start"], { env: { CODEGUARD_DATA_DIR: stateDir } });
    await first.waitFor(/Press Ctrl-C to stop/, 300_000);
    const [orphan] = postmastersOf(pgdata);
    // Everything of the run but its Postgres, at once: the command, and the sentinel that would stop it.
    const sentinels = processesMentioning(first.marker).filter((p) => argvOf(p).includes("codeguard-postgres-sentinel"));
    expect(sentinels).toHaveLength(1);
    for (const pid of [first.child.pid!, ...sentinels]) process.kill(pid, "SIGKILL");
    await first.exited;
    // The functions go (pdeathsig); the Postgres stays, re-parented: what a start before this fix then refused.
    expect(await within(10_000, () => processesOf(first).every((p) => !/deno/.test(argvOf(p).join(" "))))).toBe(true);
    expect(postmastersOf(pgdata)).toEqual([orphan]);

    const second = runCodeguard(["start"], { env: { CODEGUARD_DATA_DIR: stateDir } });
    await second.waitFor(/Press Ctrl-C to stop/, 300_000);
    expect(second.log()).toMatch(new RegExp(`· Postgres \\(pid ${orphan}, port \\d+\\) left running on ${pgdata} by a start that was killed .*: stopped it`));
    expect(second.log()).not.toMatch(/lock file|Another Postgres is running/);
    const now = postmastersOf(pgdata);
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(orphan);
    second.child.kill("SIGINT");
    expect(await exitedWithin(second, 60_000), second.log()).toBe(0);
    expect(await within(10_000, () => processesOf(second).length + processesOf(first).length === 0)).toBe(true);
  });
});

describe("a SIGKILLed test run", { timeout: 600_000 }, () => {
  it("leaves no process behind within 10 s: its global setup's Postgres (the template database built) stops with it", async () => {
    // What vitest's main process runs first (test/harness/global-setup.ts), in a process of its own.
    const marker = `cg-test-run-${process.pid}-${Date.now()}`;
    const script = `import setup from ${JSON.stringify(join(REPO_ROOT, "test/harness/global-setup.ts"))};
      await setup({ provide() {} }); console.log("setup done"); setInterval(() => {}, 1 << 30);`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: REPO_ROOT, env: { ...process.env, CODEGUARD_TEST_MARKER: marker }, stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    const exited = new Promise((r) => child.on("exit", r));
    expect(await within(300_000, () => out.includes("setup done") || child.exitCode !== null), out).toBe(true);
    expect(out).toContain("setup done");
    const running = processesMentioning(marker).filter((p) => /(^|\/)postgres$/.test(argvOf(p)[0] ?? ""));
    expect(running.length, "its Postgres runs").toBe(1);
    child.kill("SIGKILL");
    await exited;
    expect(await within(10_000, () => processesMentioning(marker).length === 0), `left: ${processesMentioning(marker).map((p) => argvOf(p).join(" "))}`).toBe(true);
  });
});

describe("a SIGKILLed vitest", { timeout: 600_000 }, () => {
  // Its own run, in a folder of its own (inside the repository, so that it finds vitest), with the
  // suite's global setup and setup file, on one test that waits: vitest's main process (the
  // global setup's Postgres) and its worker (a fork, in the test) both up when the SIGKILL comes.
  const dir = join(REPO_ROOT, ".codeguard", `killed-run-${process.pid}`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("leaves no process behind within 10 s: its worker exits (test/harness/orphaned-worker.ts), its Postgres stops", async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "vitest.config.ts"), `export default { test: { include: ["*.check.ts"], pool: "forks", ` +
      `globalSetup: [${JSON.stringify(join(REPO_ROOT, "test/harness/global-setup.ts"))}], setupFiles: [${JSON.stringify(join(REPO_ROOT, "test/harness/orphaned-worker.ts"))}] } };\n`);
    writeFileSync(join(dir, "waits.check.ts"), `import { test } from "vitest";\n` +
      `test("waits", async () => { console.log("worker up"); await new Promise((r) => setTimeout(r, 300_000)); }, 400_000);\n`);
    const marker = `cg-killed-vitest-${process.pid}-${Date.now()}`;
    // As a person starts it: none of this test's own vitest variables (VITEST_POOL_ID …), its output
    // to a file (as CI's log), in a process group of its own.
    const logFile = join(dir, "run.log");
    const vitest = join(REPO_ROOT, "node_modules", ".bin", "vitest");
    const child = spawn("bash", ["-c", `exec ${vitest} run --root ${dir} --config ${join(dir, "vitest.config.ts")} > ${logFile} 2>&1`], {
      cwd: dir, env: { ...userEnv(), NO_COLOR: "1", CODEGUARD_TEST_MARKER: marker }, stdio: "ignore", detached: true,
    });
    let out = "";
    const exited = new Promise((r) => child.on("exit", r));
    const read = () => (out = existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
    expect(await within(300_000, () => read().includes("worker up") || child.exitCode !== null), out).toBe(true);
    expect(out).toContain("worker up");
    const before = processesMentioning(marker);
    expect(before.some((p) => /(^|\/)postgres$/.test(argvOf(p)[0] ?? "")), "its Postgres runs").toBe(true);
    expect(before.filter((p) => p !== child.pid && /node/.test(argvOf(p)[0] ?? "")).length, "its worker runs").toBeGreaterThan(0);
    child.kill("SIGKILL");
    await exited;
    // By hand (vitest started from a shell, its output to a file or a pipe) a worker without the setup
    // file ran on under init until its test ended; started from this test it exits without it too
    // (why is not known), so this test guards the outcome, it does not show the before.
    expect(await within(10_000, () => processesMentioning(marker).length === 0), `left: ${processesMentioning(marker).map((p) => argvOf(p).join(" ").slice(0, 120))}`).toBe(true);
  });
});

describe("npm start -- --once without the demo's data sets", { timeout: 600_000 }, () => {
  // A proxy the functions' Deno is pointed at (HTTPS_PROXY): it records every host a function asks
  // for and tunnels it on. Local addresses bypass it (NO_PROXY), as they do for a user behind one.
  let proxy: Server;
  const asked: string[] = [];
  beforeAll(async () => {
    proxy = createServer((client) => {
      client.once("data", (head) => {
        const line = head.toString("latin1").split("\r\n")[0];
        const target = /^CONNECT ([^ ]+) /.exec(line)?.[1] ?? /^\w+ https?:\/\/([^/ ]+)/.exec(line)?.[1] ?? line;
        asked.push(target);
        const [host, port] = target.split(":");
        if (!line.startsWith("CONNECT")) return client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
        const upstream = connect(Number(port) || 443, host, () => {
          client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
          upstream.pipe(client).pipe(upstream);
        });
        upstream.on("error", () => client.destroy());
        client.on("error", () => upstream.destroy());
      });
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  });
  afterAll(() => proxy.close());

  it("says the local GitHub serves no repository, skips the scans, exits 0, and nothing asks api.github.com", async () => {
    const stateDir = tempStateDir("cg-nodata-");
    const empty = mkdtempSync(join(tmpdir(), "cg-no-shared-data-"));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    try {
      const run = runCodeguard(["start", "--once"], {
        env: {
          CODEGUARD_DATA_DIR: stateDir, CODEGUARD_SHARED_DATA_DIR: empty,
          HTTPS_PROXY: proxyUrl, HTTP_PROXY: proxyUrl, https_proxy: proxyUrl, http_proxy: proxyUrl, NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost",
        },
      });
      await run.waitFor(/ready in \d/, 300_000);
      // Every function's GitHub is the local one.
      const githubs = processesOf(run).filter((p) => /deno/.test(argvOf(p).join(" "))).flatMap((p) => {
        try {
          return [readFileSync(`/proc/${p}/environ`, "utf8").split("\0").find((e) => e.startsWith("GITHUB_API_URL="))];
        } catch {
          return []; // gone meanwhile
        }
      });
      const code = await exitedWithin(run, 300_000);
      const log = run.log();
      expect(log).toMatch(/✓ github\s+up .*local GitHub at http:\/\/127\.0\.0\.1:\d+ \(no repository\)/);
      expect(log).toContain(`(the local GitHub serves no repository: github__github-mcp-server.jsonl, terryyin__lizard.jsonl not found in ${empty};`);
      expect(log).toContain(`- repository scans skipped: the local GitHub serves no repository (the data sets were not found in ${empty})`);
      expect(log).toMatch(/✓ health function, called with the secret key/);
      expect(code, log).toBe(0);
      expect(githubs.length, "the functions' processes, read while the demo ran").toBeGreaterThan(0);
      for (const g of githubs) expect(g).toMatch(/^GITHUB_API_URL=http:\/\/127\.0\.0\.1:\d+$/);
      expect(asked.filter((h) => /github\.com/.test(h))).toEqual([]);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
