#!/usr/bin/env node
// The `codeguard` command. It runs the CLI as built by `npm run build` (dist/cli: npm ci and npm
// install build it, through npm's `prepare`) when that build is of the sources as they are now — in
// plain Node, a fraction of a second —, and otherwise the TypeScript sources themselves through
// tsx's loader, saying so once on stderr (a developer's edit is never hidden behind an old build).
// One process, not a wrapper around a child: a signal sent to it reaches the command itself, and
// there is no child to orphan.
import { staleReason } from "../scripts/build-cli.mjs";

const stale = staleReason();
if (stale === null) {
  process.setSourceMapsEnabled(true); // stack traces name the .ts lines
  await import(new URL("../dist/cli/main.mjs", import.meta.url).href);
} else {
  process.stderr.write(`codeguard: running the sources through tsx (${stale}; \`npm run build\` compiles them for a fast start)\n`);
  await import("tsx");
  await import(new URL("../src/cli/main.ts", import.meta.url).href);
}
