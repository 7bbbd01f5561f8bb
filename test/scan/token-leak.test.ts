// A company's GitHub token never reaches an error, a job event, a log line or pg_net's record, even
// when the stored token is malformed (pasted with its newline, stored before set_github_token
// checked): the scan-repository function under real Deno, against the local GitHub.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryFromDataSet } from "../../src/local/github/dataset.ts";
import { eventually } from "../harness/processes.ts";
import { useLocalStack } from "../harness/stack.ts";
import { finishedJob } from "./finished-job.ts";

const TOKEN = "ghp_leakcanary0000000000000000000000000001";
const lines: string[] = [];
const stack = useLocalStack({
  localGitHub: () => [repositoryFromDataSet("terryyin__lizard.jsonl", { defaultBranch: "master" })],
  onEvent: (m) => lines.push(m),
});
let sql: postgres.Sql;
beforeAll(() => {
  sql = postgres(stack.current.dbUrl, { max: 2, onnotice: () => {} });
});
afterAll(async () => sql?.end());

describe("a malformed GitHub token", () => {
  it("is refused by set_github_token, the error not quoting it", async () => {
    const [company] = await sql`insert into companies (name) values ('Paste') returning id`;
    for (const pasted of [`${TOKEN}\n`, ` ${TOKEN}`, "my token", "ghp_short"]) {
      const err = (await sql`select public.set_github_token(${company.id}, ${pasted})`.catch((e) => e)) as Error & { hint?: string };
      expect(err.message).toMatch(/^set_github_token: (the token contains a space, newline or other control character|this does not look like a GitHub token)/);
      expect(`${err.message} ${err.hint}`).not.toContain(TOKEN);
      expect(`${err.message} ${err.hint}`).not.toContain("short");
    }
  });

  it("stored in Vault anyway makes the scan fail for good, saying what to do, with the token in no error, event, log line or response", async () => {
    const [company] = await sql`insert into companies (name, settings) values ('Leaky', '{"scan_window_days": 7300}') returning id`;
    const [repo] = await sql`insert into repositories (company_id, full_name, default_branch) values (${company.id}, 'terryyin/lizard', 'master') returning id`;
    await sql`select vault.create_secret(${`${TOKEN}\n`}, ${`github_token:${company.id}`})`;
    const [job] = await sql`select id from public.enqueue_scan(p_company_id => ${company.id}, p_repository_id => ${repo.id}, p_scan_type => 'full_scan')`;
    const row = await finishedJob(sql, job.id);
    expect(row.status).toBe("dead"); // not an outage of GitHub: the company's credentials
    expect(row.error).toMatch(/the GitHub credentials cannot be used \(the stored GitHub token has 43 characters, among them a space, a line break or another character a token cannot hold\); store a valid token with public.set_github_token/);
    const [{ outages }] = await sql`select count(*)::int as outages from public.scan_source_outages`;
    expect(outages).toBe(0);
    const stored = await sql`
      select coalesce(string_agg(error, ' '), '') || ' ' || coalesce((select string_agg(coalesce(message, '') || coalesce(data::text, ''), ' ') from public.scan_job_events), '')
             || ' ' || coalesce((select string_agg(coalesce(content, '') || coalesce(error_msg, ''), ' ') from net._http_response), '') as text
      from public.scan_queue`;
    expect(stored[0].text).not.toContain(TOKEN);
    // The function's log line can arrive after its write-back committed.
    await eventually(async () => /the GitHub credentials cannot be used/.test(lines.join("\n")), "the function to log why the scan failed", 10_000);
    expect(lines.join("\n")).not.toContain(TOKEN);
  });
});
