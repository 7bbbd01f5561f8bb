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
import { catalog, catalogDifferences } from "../harness/catalog.ts";
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

describe("the schema", () => {
  it("built by the migrations is exactly the one supabase/schemas declares", async () => {
    const [a, b] = [await catalog(migrated.current.sql), await catalog(declared.sql)];
    expect(catalogDifferences(a, b, ["migrations", "schemas"])).toBe("");
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
