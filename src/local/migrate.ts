// Prepares a database the way the Supabase platform has it, then applies our migrations with the
// real Supabase CLI, so the folder that deploys with `supabase db push` is exactly what runs here.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import postgres from "postgres";
import { LocalStackError } from "./errors.ts";
import { redactUrlsIn } from "../database-url.ts";

const run = promisify(execFile);
/**
 * The repository: the nearest folder above this module with a package.json. Not a fixed "../..":
 * this module runs from src/local under tsx and from a chunk of dist/cli once built (npm run build).
 */
export const REPO_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();
const BOOTSTRAP = join(REPO_ROOT, "src", "local", "bootstrap");

/** Platform pieces: the real extension where the server has it, else our SQL face. */
const PLATFORM_PIECES = [
  { schema: "cron", extension: "pg_cron", face: "20_cron.sql" },
  { schema: "net", extension: "pg_net", face: "30_net.sql" },
  { schema: "vault", extension: "supabase_vault", face: "40_vault.sql" },
] as const;

function bootstrapFile(name: string): string {
  return readFileSync(join(BOOTSTRAP, name), "utf8");
}

/**
 * Gives a plain Postgres what Supabase provides: roles, `extensions`, `auth.*`, and pg_cron,
 * pg_net and Vault — each created only where the real one is absent. Safe to run again.
 */
export async function applyBootstrap(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(bootstrapFile("00_roles.sql"));
    await sql.unsafe(`alter role postgres set search_path = "$user", public, extensions`);
    await sql.unsafe(`alter role authenticator set search_path = "$user", public, extensions`);
    await sql.unsafe(bootstrapFile("10_auth.sql"));
    for (const piece of PLATFORM_PIECES) {
      const [{ has_schema, available }] = await sql<{ has_schema: boolean; available: boolean }[]>`
        select to_regnamespace(${piece.schema}) is not null as has_schema,
               exists (select 1 from pg_available_extensions where name = ${piece.extension}) as available`;
      if (has_schema) continue;
      if (available) await sql.unsafe(`create extension if not exists ${piece.extension}`);
      else await sql.begin((tx) => tx.unsafe(bootstrapFile(piece.face)));
    }
  } finally {
    await sql.end();
  }
}

/** Applies supabase/migrations with `supabase migration up` (the real CLI, no Docker needed). */
export async function applyMigrations(url: string): Promise<string> {
  const bin = join(REPO_ROOT, "node_modules", ".bin", "supabase");
  try {
    const { stdout, stderr } = await run(bin, ["migration", "up", "--db-url", url, "--include-all"], {
      cwd: REPO_ROOT,
      env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
      maxBuffer: 16 * 1024 * 1024,
    });
    return `${stdout}${stderr}`;
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    const out = `${err.stdout ?? ""}${err.stderr ?? ""}`.trim() || err.message;
    throw new LocalStackError(`A migration failed to apply:\n${redactUrlsIn(out)}`,
      "Fix the migration named above (migrations that have landed are never edited: add a new one).");
  }
}

/** Bootstrap, then migrations. */
export async function prepareDatabase(url: string): Promise<void> {
  await applyBootstrap(url);
  await applyMigrations(url);
}

/** The first migration of the schema baseline (supabase/schemas, delivered on 2026-12-01). */
export const BASELINE_VERSION = "20261201000000";

/**
 * Versions the database's migration history holds from before the schema baseline: the history the
 * baseline replaced, which no migration file describes any more. Empty for a new database.
 */
export async function preBaselineVersions(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [{ exists }] = await sql<{ exists: boolean }[]>`select to_regclass('supabase_migrations.schema_migrations') is not null as exists`;
    if (!exists) return [];
    const rows = await sql<{ version: string }[]>`
      select version from supabase_migrations.schema_migrations where version < ${BASELINE_VERSION} order by version`;
    return rows.map((r) => r.version);
  } finally {
    await sql.end();
  }
}

/**
 * A local database built before the schema baseline cannot be migrated (its history names
 * migrations that no longer exist, and its schema is the baseline's ancestor): it is set aside,
 * renamed `<name>_pre_baseline`, and a new empty database takes its name, which the migrations
 * then build. Nothing is deleted. Answers the old database's new name.
 */
export async function setAsidePreBaseline(url: string): Promise<string> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1)) || "postgres";
  const kept = `${name}_pre_baseline`;
  u.pathname = "/template1";
  const admin = postgres(u.toString(), { max: 1, onnotice: () => {} });
  try {
    const [{ taken }] = await admin<{ taken: boolean }[]>`select exists (select 1 from pg_database where datname = ${kept}) as taken`;
    if (taken) {
      throw new LocalStackError(`The local database ${name} predates the schema baseline, and ${kept} (a database set aside earlier) is in the way.`,
        `Drop the older copy if you no longer need it (psql: drop database ${kept}), or start fresh with rm -rf on the data folder.`);
    }
    await admin.unsafe(`alter database ${escapeIdentifier(name)} rename to ${escapeIdentifier(kept)}`);
    await admin.unsafe(`create database ${escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  return kept;
}

function escapeIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
