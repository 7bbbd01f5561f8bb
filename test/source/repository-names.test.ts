// A repository's name must be one its source can have (repository_sources.full_name_pattern,
// checked by the trigger repositories_full_name_fits_source): GitHub's owner/name within GitHub's
// bounds; a source that is not known is refused by the foreign key.
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";

const t = useTestDatabase();

describe("a repository's name", () => {
  it("refuses a repository name its source cannot have, naming the source's form", async () => {
    const sql = t.current.sql;
    const [company] = await sql`insert into companies (name) values ('Names') returning id`;
    await expect(sql`insert into repositories (company_id, full_name) values (${company.id}, '-acme/widgets')`).rejects.toThrow(/'-acme\/widgets' is not a github repository name/);
    await expect(sql`insert into repositories (company_id, full_name) values (${company.id}, 'acme/..')`).rejects.toThrow(/not a github repository name/);
    await expect(sql`insert into repositories (company_id, full_name, source) values (${company.id}, 'acme/widgets', 'gitlab')`).rejects.toThrow(/repository_sources|foreign key/);
    const [ok] = await sql`insert into repositories (company_id, full_name) values (${company.id}, 'acme-co/widgets.js') returning source`;
    expect(ok.source).toBe("github");
  });
});
