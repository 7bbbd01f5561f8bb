// Real processes for the tests that kill, stop and restart things: `codeguard` run as a user runs
// it (`node bin/codeguard.mjs …` or `npx codeguard …`), its log, and the processes left behind.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "..", "..");
export const CODEGUARD_BIN = join(REPO_ROOT, "bin", "codeguard.mjs");

/** Whether a process is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line or environment mention `needle` (as root we can read both). */
export function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const text = readFileSync(`/proc/${entry}/cmdline`, "utf8") + readFileSync(`/proc/${entry}/environ`, "utf8");
      // A zombie has neither: it is gone, waiting for its parent to read its exit status.
      if (text.includes(needle) && !/^State:\s+Z/m.test(readFileSync(`/proc/${entry}/status`, "utf8"))) found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

export interface CodeguardProcess {
  readonly child: ChildProcess;
  /** An environment variable value only this process and its children carry. */
  readonly marker: string;
  /** Everything it wrote to stdout and stderr so far. */
  log(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Waits until the log matches `pattern`, or throws with the log after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
}

/** Runs `codeguard <args>` through node (or through npx: `via: "npx"`), with `env` on top of ours. */
export function runCodeguard(args: string[], options: { env?: Record<string, string>; via?: "node" | "npx" } = {}): CodeguardProcess {
  const marker = `cg-test-${randomBytes(6).toString("hex")}`;
  const [command, argv] = options.via === "npx" ? ["npx", ["codeguard", ...args]] : [process.execPath, [CODEGUARD_BIN, ...args]];
  const child = spawn(command, argv, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env, CODEGUARD_TEST_MARKER: marker },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (c) => (out += c));
  child.stderr!.on("data", (c) => (out += c));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return {
    child,
    marker,
    log: () => out,
    exited,
    async waitFor(pattern, ms = 30_000) {
      const until = Date.now() + ms;
      while (!pattern.test(out)) {
        if (Date.now() > until) throw new Error(`no ${pattern} in the log within ${ms} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

/**
 * What `p` settles to, or, when it has not settled within `ms`, what `late()` answers (or throws):
 * every bounded wait of the tests, in one place.
 */
export async function settledWithin<T, F>(p: Promise<T>, ms: number, late: () => F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<F>((resolve, reject) => (timer = setTimeout(() => {
      try {
        resolve(late());
      } catch (e) {
        reject(e);
      }
    }, Math.max(0, ms))))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Its exit code, or "still running" (then SIGKILLed) when it has not exited within `ms`. */
export async function exitedWithin(p: CodeguardProcess, ms: number): Promise<number | null | "still running"> {
  const code = await settledWithin(p.exited, ms, () => "still running" as const);
  if (code === "still running") p.child.kill("SIGKILL");
  return code;
}

/**
 * Polls `check` every 50 ms until it answers something truthy, or throws `what` after `ms`. A check
 * that throws (the database restarting under it) counts as "not yet", its error kept for the
 * message; one that hangs past `ms` ends the wait too, instead of the test's timeout saying nothing.
 */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, what: string, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  const HUNG = Symbol("hung");
  let last: unknown;
  for (;;) {
    const answered = check().catch((e: unknown) => {
      last = e;
      return undefined;
    });
    const v = await settledWithin(answered, until - Date.now(), (): typeof HUNG => HUNG);
    if (v === HUNG) throw new Error(`timed out after ${ms} ms waiting for ${what} (the last check never returned)`);
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
