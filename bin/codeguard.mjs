#!/usr/bin/env node
// The `codeguard` command: runs the TypeScript CLI with tsx's loader, so no build step is needed.
// Signals are passed on, so `kill <pid>` of this wrapper stops the CLI as gracefully as Ctrl-C.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), main, ...process.argv.slice(2)], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
