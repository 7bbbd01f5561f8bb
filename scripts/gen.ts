// `npm run gen`: regenerates the files made from the migrations (src/deploy/generated.ts) — the
// database types and the dashboard's SQL file — on a throwaway local Postgres built the way the
// local stack builds its own (bootstrap, then `supabase migration up`). Run it after adding a
// migration, and commit what it wrote.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DASHBOARD_SQL_PATH, DATABASE_TYPES_PATH, dashboardSql, databaseTypes } from "../src/deploy/generated.ts";
import { prepareDatabase, REPO_ROOT } from "../src/local/migrate.ts";
import { startPostgres } from "../src/local/postgres.ts";

const started = performance.now();
const pg = await startPostgres({ dataDir: mkdtempSync(join(tmpdir(), "codeguard-gen-")), fast: true, ephemeral: true });
let types: string;
try {
  await prepareDatabase(pg.url());
  types = await databaseTypes(pg.url());
} finally {
  await pg.stop();
}
for (const [path, text] of [[DATABASE_TYPES_PATH, types], [DASHBOARD_SQL_PATH, dashboardSql()]] as const) {
  const file = join(REPO_ROOT, path);
  let before = "";
  try {
    before = readFileSync(file, "utf8");
  } catch { /* a new file */ }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  console.log(`${before === text ? "unchanged" : "written  "} ${path}`);
}
console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
