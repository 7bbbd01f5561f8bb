// A fresh database per test file, cloned from the template the global setup built (bootstrap +
// every migration), so each file starts from exactly what `supabase db push` would give.
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, inject } from "vitest";
import { dbFromPostgresJs, type Db } from "../../supabase/functions/_shared/platform/db.ts";

export interface TestDatabase {
  /** Connection URL of this database (superuser `postgres`, as the edge functions connect). */
  url: string;
  /** A shared postgres.js pool on this database. */
  sql: postgres.Sql;
  /** The core's DB interface over `sql`. */
  db: Db;
  /** A new, separate pool (for concurrent workers); closed by drop(). */
  connect(options?: postgres.Options<Record<string, postgres.PostgresType>>): postgres.Sql;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export interface TestDatabaseOptions {
  /**
   * Job types the file's tests enqueue besides the product's (public.scan_job_types refuses the
   * others): registered with no source and no edge worker.
   */
  jobTypes?: readonly string[];
}

export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const adminUrl = inject("pgAdminUrl");
  const name = `test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name} template ${inject("templateDb")}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const pools: postgres.Sql[] = [];
  const connect = (options = {}) => {
    const sql = postgres(url, { max: 10, onnotice: () => {}, ...options });
    pools.push(sql);
    return sql;
  };
  const sql = connect();
  if (options.jobTypes?.length) {
    // A type the product has already (weekly_report …) is the product's.
    await sql`insert into public.scan_job_types (name, description)
              select t, 'a job type of the tests' from unnest(${options.jobTypes as string[]}::text[]) t
              on conflict (name) do nothing`;
  }
  return {
    url,
    sql,
    db: dbFromPostgresJs(sql),
    connect,
    async drop() {
      await Promise.all(pools.map((p) => p.end({ timeout: 5 })));
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** Registers a database for the current test file: created before all tests, dropped after. */
export function useTestDatabase(options: TestDatabaseOptions = {}): { readonly current: TestDatabase } {
  const holder = {} as { current: TestDatabase };
  beforeAll(async () => {
    holder.current = await createTestDatabase(options);
  });
  afterAll(async () => {
    await holder.current?.drop();
  });
  return holder;
}
