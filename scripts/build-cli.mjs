// `npm run build` (and npm's `prepare`, so `npm ci` and `npm install` run it): compiles the CLI
// (src/cli/main.ts and each src/cli/commands/*.ts, with what they import from src/ and
// supabase/functions/_shared) once, with esbuild, into dist/cli — so that `codeguard` starts in
// plain Node instead of compiling TypeScript through tsx at every call (2–5 s on a busy machine).
// Packages stay in node_modules (not bundled). Plain JavaScript: it must run before anything is built.
//
// dist/cli/inputs.json lists every source file the build read, with its size and modification
// time, and the commands folder's listing: bin/codeguard.mjs runs the build only while all of them
// are as recorded (staleReason below), and otherwise the sources themselves through tsx, saying so.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DIST = join(REPO_ROOT, "dist", "cli");
const COMMANDS = join(REPO_ROOT, "src", "cli", "commands");

/** The command modules' names (src/cli/commands/<name>.ts). */
function commandNames() {
  return readdirSync(COMMANDS).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort();
}

/** Builds into `outdir` (default dist/cli): into a fresh folder first, then swapped in, so a `codeguard` starting meanwhile never reads half a build. */
export async function buildCli(outdir = DIST) {
  const { build } = await import("esbuild");
  const commands = commandNames();
  const tmp = `${outdir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: ["src/cli/main.ts", ...commands.map((c) => `src/cli/commands/${c}.ts`)],
    outbase: "src/cli",
    outdir: tmp,
    bundle: true,
    splitting: true, // what commands share is one chunk, loaded once
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    chunkNames: "chunks/[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    sourcemap: "linked", // stack traces name the .ts lines
    metafile: true,
    logLevel: "warning",
  });
  const inputs = {};
  for (const path of Object.keys(result.metafile.inputs)) {
    if (path.includes("node_modules")) continue;
    const s = statSync(join(REPO_ROOT, path));
    inputs[path] = [s.size, s.mtimeMs];
  }
  writeFileSync(join(tmp, "inputs.json"), JSON.stringify({ commands, inputs }));
  // The help's command list, so that `codeguard help` loads no command module (src/cli/main.ts).
  const summaries = {};
  for (const c of commands) summaries[c] = (await import(pathToFileURL(join(tmp, "commands", `${c}.mjs`)).href)).summary;
  writeFileSync(join(tmp, "summaries.json"), JSON.stringify(summaries, null, 2));
  mkdirSync(dirname(outdir), { recursive: true });
  const old = `${outdir}.old-${process.pid}`;
  try {
    renameSync(outdir, old);
  } catch {
    // no previous build
  }
  try {
    renameSync(tmp, outdir);
  } catch (e) {
    // Another build (a second test run starting beside this one) swapped its own in meanwhile: it
    // is of the same sources; this one goes.
    if (e.code !== "ENOTEMPTY" && e.code !== "EEXIST") throw e;
    rmSync(tmp, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
  return { commands: commands.length, inputs: Object.keys(inputs).length };
}

/**
 * Why the build in `outdir` cannot stand for the sources, or null when it can: missing, a source it
 * read changed (size or time) or gone, or a command added or removed since.
 */
export function staleReason(outdir = DIST) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(outdir, "inputs.json"), "utf8"));
  } catch {
    return `no build in ${relative(process.cwd(), outdir) || outdir}`;
  }
  if (commandNames().join(",") !== manifest.commands.join(",")) return "src/cli/commands changed";
  for (const [path, [size, mtimeMs]] of Object.entries(manifest.inputs)) {
    let s;
    try {
      s = statSync(join(REPO_ROOT, path));
    } catch {
      return `${path} is gone`;
    }
    if (s.size !== size || s.mtimeMs !== mtimeMs) return `${path} changed`;
  }
  return null;
}

/** Builds dist/cli unless it is current; answers why it built, or null. */
export async function buildCliIfStale() {
  const stale = staleReason();
  if (stale !== null) await buildCli();
  return stale;
}

// `node scripts/build-cli.mjs [--if-stale] [--outdir DIR]`
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  const args = process.argv.slice(2);
  const at = args.indexOf("--outdir");
  const outdir = at >= 0 && args[at + 1] ? args[at + 1] : DIST;
  if (args.includes("--if-stale") && staleReason(outdir) === null) process.exit(0);
  const built = await buildCli(outdir);
  console.log(`codeguard CLI built into ${relative(REPO_ROOT, outdir) || outdir}: ${built.commands} commands from ${built.inputs} source files in ${Math.round(performance.now() - t0)} ms`);
}
