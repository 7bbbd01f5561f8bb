// The migrations on a database that lacks what they need: they stop at once, naming what is
// missing and how to get it, and apply nothing (supabase/schemas/00_platform.sql). On Supabase
// they create pg_cron, pg_net and Vault themselves where the server offers them.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { describe, expect, inject, it } from "vitest";
import { LocalStackError } from "../../src/local/errors.ts";
import { applyMigrations } from "../../src/local/migrate.ts";

const BOOTSTRAP = join(import.meta.dirname, "..", "..", "src", "local", "bootstrap");

async function blankDatabase(setUp?: (sql: postgres.Sql) => Promise<void>): Promise<{ url: string; sql: postgres.Sql }> {
  const admin = postgres(inject("pgAdminUrl"), { max: 1, onnotice: () => {} });
  const name = `blank_${randomBytes(5).toString("hex")}`;
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const u = new URL(inject("pgAdminUrl"));
  u.pathname = `/${name}`;
  const sql = postgres(u.toString(), { max: 1, onnotice: () => {} });
  await setUp?.(sql);
  return { url: u.toString(), sql };
}

async function nothingApplied(sql: postgres.Sql): Promise<void> {
  const [{ tables }] = await sql`select count(*)::int as tables from pg_tables where schemaname = 'public'`;
  expect(tables).toBe(0);
  const [{ history }] = await sql`select to_regclass('supabase_migrations.schema_migrations') is not null as history`;
  if (history) expect((await sql`select version from supabase_migrations.schema_migrations`)).toEqual([]);
  const [{ extensions }] = await sql`select to_regnamespace('extensions') is not null as extensions`;
  expect(extensions).toBe(false);
}

describe("the migrations on a database without the platform's pieces", () => {
  it("stop at once, naming pg_cron, pg_net and Vault, when neither the extensions nor the local faces exist", async () => {
    const { url, sql } = await blankDatabase();
    try {
      const err = (await applyMigrations(url).catch((e) => e)) as LocalStackError;
      expect(err).toBeInstanceOf(LocalStackError);
      expect(err.message).toMatch(/CodeGuard needs pg_cron \(schema cron\), pg_net \(schema net\), supabase_vault \(schema vault\) on this database, and the server offers none of them/);
      expect(err.message).toMatch(/enable them under Database → Extensions/);
      await nothingApplied(sql);
    } finally {
      await sql.end();
    }
  });

  it("stop, naming pg_net, when only pg_cron is there (every enqueue would fail later otherwise)", async () => {
    const { url, sql } = await blankDatabase(async (s) => {
      await s.begin((tx) => tx.unsafe(readFileSync(join(BOOTSTRAP, "20_cron.sql"), "utf8")));
    });
    try {
      const err = (await applyMigrations(url).catch((e) => e)) as LocalStackError;
      expect(err.message).toMatch(/CodeGuard needs pg_net \(schema net\), supabase_vault \(schema vault\)/);
      expect(err.message).not.toMatch(/needs pg_cron/);
      await nothingApplied(sql);
    } finally {
      await sql.end();
    }
  });
});
