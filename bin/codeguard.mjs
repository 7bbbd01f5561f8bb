#!/usr/bin/env node
// The `codeguard` command: registers tsx's loader in this process and runs the TypeScript CLI, so
// no build step is needed. One process, not a wrapper around a child: a signal sent to it reaches
// the command itself, and there is no child to orphan.
await import("tsx");
await import(new URL("../src/cli/main.ts", import.meta.url).href);
