// The edge functions as the tree has them: every folder supabase/functions/<name> whose name does
// not start with "_" (_shared is the core, _deno_tests its tests). What `npm run deploy` uploads,
// and what test/deploy/edge-functions.test.ts checks before anything is uploaded: a config.toml block
// with verify_jwt and the entrypoint, a Deno type-check, and a bundle of a closed module graph.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse as parseToml } from "smol-toml";
import { REPO_ROOT } from "../local/migrate.ts";

const run = promisify(execFile);
export const FUNCTIONS_DIR = join(REPO_ROOT, "supabase", "functions");
const CONFIG_TOML = join(REPO_ROOT, "supabase", "config.toml");
const DENO = join(REPO_ROOT, "node_modules", ".bin", "deno");
const DENO_ENV = { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_TLS_CA_STORE: process.env.DENO_TLS_CA_STORE ?? "system,mozilla" };

/** The names of the edge functions, sorted. */
export function edgeFunctionNames(): string[] {
  return readdirSync(FUNCTIONS_DIR)
    .filter((n) => !n.startsWith("_") && !n.startsWith(".") && statSync(join(FUNCTIONS_DIR, n)).isDirectory())
    .sort();
}

/** What supabase/config.toml says of each function. */
export function functionBlocks(): Record<string, { verify_jwt?: unknown; entrypoint?: unknown }> {
  const config = parseToml(readFileSync(CONFIG_TOML, "utf8")) as { functions?: Record<string, { verify_jwt?: unknown; entrypoint?: unknown }> };
  return config.functions ?? {};
}

/** What is wrong with the function's folder and config.toml block, one sentence each; empty when nothing. */
export function configProblems(name: string): string[] {
  const problems: string[] = [];
  const block = functionBlocks()[name];
  const entry = `./functions/${name}/index.ts`;
  if (!existsSync(join(FUNCTIONS_DIR, name, "index.ts"))) problems.push(`supabase/functions/${name} has no index.ts`);
  if (!block) {
    problems.push(`supabase/config.toml has no [functions.${name}] block: add one with verify_jwt = false (the function checks its callers) and entrypoint = "${entry}"`);
    return problems;
  }
  if (typeof block.verify_jwt !== "boolean") problems.push(`[functions.${name}] in supabase/config.toml sets no verify_jwt (true or false; ours check their callers themselves: false)`);
  if (block.entrypoint !== entry) problems.push(`[functions.${name}] in supabase/config.toml has entrypoint ${JSON.stringify(block.entrypoint)}, not "${entry}"`);
  const denoJson = join(FUNCTIONS_DIR, name, "deno.json");
  if (!existsSync(denoJson)) problems.push(`supabase/functions/${name} has no deno.json (with "nodeModulesDir": "none")`);
  else if ((JSON.parse(readFileSync(denoJson, "utf8")) as { nodeModulesDir?: unknown }).nodeModulesDir !== "none") {
    problems.push(`supabase/functions/${name}/deno.json does not say "nodeModulesDir": "none" (the deploy bundler resolves npm: itself)`);
  }
  return problems;
}

/** `deno check` of the function's entrypoint with its own deno.json, as the deploy bundler reads it. */
export async function denoCheck(name: string): Promise<void> {
  const dir = join(FUNCTIONS_DIR, name);
  try {
    await run(DENO, ["check", "--quiet", "--config", join(dir, "deno.json"), join(dir, "index.ts")], { cwd: REPO_ROOT, env: DENO_ENV, maxBuffer: 16 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`supabase/functions/${name} does not type-check under Deno:\n${(err.stderr || err.stdout || err.message).trim()}`);
  }
}

interface DenoInfo {
  modules: { specifier: string; error?: string; dependencies?: { specifier: string; code?: { specifier?: string }; type?: { specifier?: string } }[] }[];
}

/**
 * The imports of the function's module graph that the deploy bundler may not resolve: any
 * specifier but `npm:…` and a relative path, and any file outside supabase/functions. One line each.
 */
export async function foreignImports(name: string): Promise<string[]> {
  const dir = join(FUNCTIONS_DIR, name);
  const { stdout } = await run(DENO, ["info", "--json", "--config", join(dir, "deno.json"), join(dir, "index.ts")], { cwd: REPO_ROOT, env: DENO_ENV, maxBuffer: 64 << 20 });
  const info = JSON.parse(stdout) as DenoInfo;
  const problems: string[] = [];
  for (const m of info.modules) {
    if (!m.specifier.startsWith("file:")) continue; // npm packages: resolved by the bundler from the registry
    const from = relative(REPO_ROOT, fileURLToPath(m.specifier));
    if (!fileURLToPath(m.specifier).startsWith(`${FUNCTIONS_DIR}/`)) problems.push(`${from} is outside supabase/functions (the deploy bundler does not reliably follow it)`);
    if (m.error) problems.push(`${from}: ${m.error}`);
    for (const d of m.dependencies ?? []) {
      if (d.specifier.startsWith("npm:") || d.specifier.startsWith("./") || d.specifier.startsWith("../")) continue;
      problems.push(`${from} imports "${d.specifier}": only npm: specifiers and relative paths resolve on our machines and in the deploy bundle`);
    }
  }
  return problems;
}

/** `deno bundle` of the function into `outFile` (no remote modules): it must succeed. */
export async function denoBundle(name: string, outFile: string): Promise<void> {
  const dir = join(FUNCTIONS_DIR, name);
  try {
    await run(DENO, ["bundle", "--quiet", "--no-remote", "--platform", "deno", "--config", join(dir, "deno.json"), "-o", outFile, join(dir, "index.ts")], { cwd: REPO_ROOT, env: DENO_ENV, maxBuffer: 16 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`supabase/functions/${name} does not bundle:\n${(err.stderr || err.stdout || err.message).trim()}`);
  }
}
