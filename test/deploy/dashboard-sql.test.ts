// The dashboard path: supabase/dashboard/codeguard.sql, pasted in the SQL editor of a blank project,
// must give the database `supabase db push` gives — the same schema, to the catalog entry — and
// leave the migration history the CLI reads, so the two ways can take turns on one project.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DASHBOARD_SQL_PATH, migrationFiles } from "../../src/deploy/generated.ts";
import { applyBootstrap, applyMigrations, REPO_ROOT } from "../../src/local/migrate.ts";
import { catalog, catalogDifferences } from "../harness/catalog.ts";
import { useTestDatabase } from "../harness/db.ts";

const migrated = useTestDatabase();
const pasted = `dashboard_${randomBytes(5).toString("hex")}`;
let adminUrl: string;
let url: string;
let sql: postgres.Sql;
/** As the SQL editor sends it: the whole file as one simple query. */
const paste = async () => await sql.unsafe(readFileSync(join(REPO_ROOT, DASHBOARD_SQL_PATH), "utf8"));
const notices: string[] = [];

beforeAll(async () => {
  adminUrl = inject("pgAdminUrl");
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${pasted}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${pasted}`;
  url = u.toString();
  // A blank project: the platform's roles, auth and extensions (here their local faces), nothing of ours.
  await applyBootstrap(url);
  sql = postgres(url, { max: 1, onnotice: (n) => notices.push(n.message) });
  await paste();
}, 60_000);

afterAll(async () => {
  await sql?.end();
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${pasted} with (force)`);
  await admin.end();
});

describe("the dashboard's SQL file", () => {
  it("builds exactly the schema the migrations build", async () => {
    const [a, b] = [await catalog(migrated.current.sql), await catalog(sql)];
    expect(catalogDifferences(a, b, ["migrations", "dashboard file"])).toBe("");
    expect(a.size).toBeGreaterThan(150);
  });

  it("records every migration in the CLI's history, so supabase migration up finds nothing to apply", async () => {
    const rows = await sql<{ version: string; name: string }[]>`select version, name from supabase_migrations.schema_migrations order by version`;
    expect(rows).toEqual(migrationFiles().map((m) => ({ version: m.version, name: m.name })));
    const before = await catalog(sql);
    const out = await applyMigrations(url);
    expect(out).toMatch(/up to date/i);
    expect(catalogDifferences(before, await catalog(sql), ["pasted", "then migrated"])).toBe("");
  });

  it("pasted again, applies nothing and changes nothing", async () => {
    const before = await catalog(sql);
    notices.length = 0;
    await paste();
    expect(notices.filter((n) => /is applied already/.test(n))).toHaveLength(migrationFiles().length);
    expect(catalogDifferences(before, await catalog(sql), ["first paste", "second paste"])).toBe("");
  });

  it("applies nothing when a migration fails: the whole file is one transaction", async () => {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    const name = `dashboard_fail_${randomBytes(4).toString("hex")}`;
    await admin.unsafe(`create database ${name}`);
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    const other = postgres(u.toString(), { max: 1, onnotice: () => {} });
    try {
      await applyBootstrap(u.toString());
      // A table of ours already there under another shape: the baseline's create table fails.
      await other.unsafe("create table public.companies (id int)");
      await expect(other.unsafe(readFileSync(join(REPO_ROOT, DASHBOARD_SQL_PATH), "utf8"))).rejects.toThrow(/already exists/);
      const [{ history, cron }] = await other<{ history: string | null; cron: number }[]>`
        select to_regclass('supabase_migrations.schema_migrations')::text as history,
               (select count(*)::int from cron.job) as cron`;
      expect({ history, cron }).toEqual({ history: null, cron: 0 });
    } finally {
      await other.end();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
