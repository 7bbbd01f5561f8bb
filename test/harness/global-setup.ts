// One embedded Postgres for the whole test run, and a template database built once from the
// bootstrap and the migrations; each test file clones it (test/harness/db.ts), the way
// graphile-worker's suite does, so files run in parallel without sharing state.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { startPostgres } from "../../src/local/postgres.ts";
import { prepareDatabase } from "../../src/local/migrate.ts";

export const TEMPLATE_DB = "codeguard_template";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the test cluster's `postgres` database; swap the database name to reach others. */
    pgAdminUrl: string;
    templateDb: string;
  }
}

export default async function setup(project: TestProject) {
  const pg = await startPostgres({ dataDir: mkdtempSync(join(tmpdir(), "codeguard-test-pg-")), fast: true, ephemeral: true });
  try {
    const admin = postgres(pg.url(), { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${TEMPLATE_DB}`);
    await admin.end();
    await prepareDatabase(pg.url(TEMPLATE_DB));
  } catch (e) {
    await pg.stop();
    throw e;
  }
  project.provide("pgAdminUrl", pg.url());
  project.provide("templateDb", TEMPLATE_DB);
  return async () => {
    await pg.stop();
  };
}
