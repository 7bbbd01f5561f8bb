// The declarative schema (supabase/schemas, one file per concern) is the truth, and the migrations
// deliver it: a database built by the migrations must be the database the schema files declare —
// every function's definition, every table, column, constraint, index, trigger, policy, grant,
// domain, comment, schedule and seeded row. A migration that redefines a function without its
// schema file following (or the other way round) fails here, naming what differs.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { applyBootstrap, REPO_ROOT } from "../../src/local/migrate.ts";
import { useTestDatabase } from "../harness/db.ts";

const SCHEMAS = join(REPO_ROOT, "supabase", "schemas");
const files = readdirSync(SCHEMAS).filter((f) => f.endsWith(".sql")).sort();
const migrated = useTestDatabase();
let declared: { url: string; sql: postgres.Sql };
let adminUrl: string;
const dbName = `declared_${randomBytes(5).toString("hex")}`;

function urlOf(name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

beforeAll(async () => {
  adminUrl = inject("pgAdminUrl");
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${dbName}`);
  await admin.end();
  const url = urlOf(dbName);
  await applyBootstrap(url);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  for (const f of files) await sql.begin((tx) => tx.unsafe(readFileSync(join(SCHEMAS, f), "utf8")));
  declared = { url, sql };
}, 60_000);

afterAll(async () => {
  await declared?.sql.end();
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.end();
});

/** Everything of the schema a database holds, as named entries (sorted), from the catalogs. */
async function catalog(sql: postgres.Sql): Promise<Map<string, string>> {
  const rows = await sql<{ key: string; value: string }[]>`
    with public_ns as (select oid from pg_namespace where nspname = 'public')
    select 'function ' || p.oid::regprocedure::text as key,
           pg_get_functiondef(p.oid) || ' acl ' || coalesce(p.proacl::text, 'default') as value
    from pg_proc p where p.pronamespace = (select oid from public_ns)
    union all
    select 'relation ' || c.relname, c.relkind::text || ' rls ' || c.relrowsecurity || ' acl ' || coalesce(c.relacl::text, 'default')
           || ' options ' || coalesce(c.reloptions::text, '') || ' comment ' || coalesce(obj_description(c.oid, 'pg_class'), '')
    from pg_class c where c.relnamespace = (select oid from public_ns)
    union all
    select 'column ' || c.relname || '.' || a.attname,
           format_type(a.atttypid, a.atttypmod) || ' notnull ' || a.attnotnull || ' default ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
           || ' identity ' || a.attidentity::text || ' #' || a.attnum || ' comment ' || coalesce(col_description(c.oid, a.attnum), '')
    from pg_attribute a join pg_class c on c.oid = a.attrelid left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where c.relnamespace = (select oid from public_ns) and a.attnum > 0 and not a.attisdropped
    union all
    select 'constraint ' || coalesce(c.relname, t.typname) || '.' || k.conname, pg_get_constraintdef(k.oid)
    from pg_constraint k left join pg_class c on c.oid = k.conrelid left join pg_type t on t.oid = k.contypid
    where k.connamespace = (select oid from public_ns)
    union all
    select 'index ' || i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    from pg_index i join pg_class c on c.oid = i.indrelid where c.relnamespace = (select oid from public_ns)
    union all
    select 'trigger ' || c.relname || '.' || g.tgname, pg_get_triggerdef(g.oid)
    from pg_trigger g join pg_class c on c.oid = g.tgrelid where c.relnamespace = (select oid from public_ns) and not g.tgisinternal
    union all
    select 'policy ' || tablename || '.' || policyname, cmd || ' ' || roles::text || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '')
    from pg_policies where schemaname = 'public'
    union all
    select 'type ' || t.typname, t.typtype::text || ' ' || coalesce(format_type(t.typbasetype, t.typtypmod), '') || ' acl ' || coalesce(t.typacl::text, 'default')
    from pg_type t where t.typnamespace = (select oid from public_ns) and t.typtype in ('d', 'c', 'e')
      and not exists (select 1 from pg_class c where c.reltype = t.oid and c.relkind <> 'c')
    union all
    select 'default acl ' || d.defaclrole::regrole::text || ' ' || d.defaclobjtype::text, d.defaclacl::text
    from pg_default_acl d where d.defaclnamespace = (select oid from public_ns)
    union all
    select 'schedule ' || jobname, schedule || ' ' || command || ' ' || active from cron.job
    union all
    select 'publication table ' || schemaname || '.' || tablename, pubname from pg_publication_tables where schemaname = 'public'
    union all
    select 'scan job type ' || name, coalesce(source, '-') || ' ' || coalesce(worker, '-') || ' ' || description from public.scan_job_types`;
  return new Map(rows.map((r) => [r.key, r.value]));
}

describe("the schema", () => {
  it("built by the migrations is exactly the one supabase/schemas declares", async () => {
    const [a, b] = [await catalog(migrated.current.sql), await catalog(declared.sql)];
    const differences: string[] = [];
    for (const key of new Set([...a.keys(), ...b.keys()])) {
      if (a.get(key) === b.get(key)) continue;
      differences.push(`${key}\n  migrations: ${a.get(key) ?? "(missing)"}\n  schemas:    ${b.get(key) ?? "(missing)"}`);
    }
    expect(differences.join("\n\n")).toBe("");
    expect(a.size).toBeGreaterThan(150);
  });

  it("defines each function, table, index, domain, type, trigger and policy once, in one file", () => {
    const seen = new Map<string, string[]>();
    for (const f of files) {
      const text = readFileSync(join(SCHEMAS, f), "utf8").replace(/--[^\n]*/g, "");
      for (const m of text.matchAll(/\bcreate\s+(?:or\s+replace\s+)?(function|table|(?:unique\s+)?index|domain|type|trigger|policy)\s+(?:if\s+not\s+exists\s+)?([\w."]+)/gi)) {
        const key = `${m[1].toLowerCase().replace(/\s+/g, " ").replace("unique ", "")} ${m[2].replace(/^public\./, "")}`;
        seen.set(key, [...(seen.get(key) ?? []), f]);
      }
      expect(text, `${f} redefines or drops what it declares`).not.toMatch(/\bcreate\s+or\s+replace\b|\bdrop\s+(function|table|index|type|domain|trigger|policy)\b/i);
    }
    const twice = [...seen].filter(([, where]) => where.length > 1).map(([k, where]) => `${k}: ${where.join(", ")}`);
    expect(twice).toEqual([]);
    expect(seen.size).toBeGreaterThan(50);
  });
});
