// supabase/seed.sql is the demo company of `npm start` (src/local/demo.ts applies it): it must seed
// the repositories the demo's local GitHub serves, with their branches, and be safe to run again.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEMO_COMPANY, DEMO_DATA_SETS, demoRepositories, SEED_SQL } from "../../src/local/demo.ts";
import { useTestDatabase } from "../harness/db.ts";

const t = useTestDatabase();
const seed = async () => await t.current.sql.unsafe(readFileSync(SEED_SQL, "utf8"));
const seeded = async () => ({
  companies: await t.current.sql`select id, name, settings from companies`,
  repositories: await t.current.sql`select full_name, default_branch, is_active from repositories where company_id = ${DEMO_COMPANY} order by full_name`,
  tokens: await t.current.sql`select name from vault.secrets where name like 'github_token:%'`,
});

describe("supabase/seed.sql", () => {
  it("seeds the demo company with the repositories the demo scans", async () => {
    await seed();
    const s = await seeded();
    expect(s.companies).toEqual([{ id: DEMO_COMPANY, name: "Demo Inc", settings: expect.objectContaining({ auto_scan_enabled: false, scan_window_days: 3650 }) }]);
    expect(s.repositories.map((r) => r.full_name)).toEqual(DEMO_DATA_SETS.map((f) => f.replace(/\.jsonl$/, "").replace("__", "/")).sort());
    expect(s.tokens).toEqual([{ name: `github_token:${DEMO_COMPANY}` }]);
    // With the data sets beside the repository, the branches too are the local GitHub's.
    const served = demoRepositories();
    if (served) {
      expect(s.repositories.map((r) => `${r.full_name}@${r.default_branch}`))
        .toEqual(served.map((r) => `${r.owner}/${r.name}@${r.default_branch}`).sort());
    }
  });

  it("run again, adds nothing and keeps the ETag cache (the token is not set twice)", async () => {
    await t.current.sql`insert into github_etag_cache (company_id, request_key, etag, shape, value, bytes) values (${DEMO_COMPANY}, '/x', 'e', 's', '\\x00', 1)`;
    await t.current.sql`update repositories set is_active = false where company_id = ${DEMO_COMPANY}`;
    const before = await seeded();
    await seed();
    const after = await seeded();
    expect(after.companies).toEqual(before.companies);
    expect(after.tokens).toEqual(before.tokens);
    expect(after.repositories.every((r) => r.is_active)).toBe(true);
    const [{ n }] = await t.current.sql`select count(*)::int as n from github_etag_cache where company_id = ${DEMO_COMPANY}`;
    expect(n).toBe(1);
  });
});
