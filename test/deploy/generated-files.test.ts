// The committed files generated from the migrations must be what the tree makes now: the database
// types (made from a database built by the migrations, as `npm run gen` builds one) and the
// dashboard's SQL file. A migration added without regenerating fails here, naming the command.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DASHBOARD_SQL_PATH, DATABASE_TYPES_PATH, dashboardSql, databaseTypes, GENERATE_COMMAND } from "../../src/deploy/generated.ts";
import { REPO_ROOT } from "../../src/local/migrate.ts";
import { useTestDatabase } from "../harness/db.ts";

const db = useTestDatabase();
const committed = (path: string) => {
  try {
    return readFileSync(join(REPO_ROOT, path), "utf8");
  } catch {
    return "(no such file)";
  }
};
const stale = (path: string) => `${path} is not what the migrations make: run \`${GENERATE_COMMAND}\` and commit it`;

describe("generated files", () => {
  it("the database types are current", async () => {
    const made = await databaseTypes(db.current.url);
    expect(made).toMatch(/export type Database = \{/);
    expect(committed(DATABASE_TYPES_PATH) === made, stale(DATABASE_TYPES_PATH)).toBe(true);
  });

  it("the dashboard's SQL file is current", () => {
    expect(committed(DASHBOARD_SQL_PATH) === dashboardSql(), stale(DASHBOARD_SQL_PATH)).toBe(true);
  });
});
