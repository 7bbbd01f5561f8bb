// Onboarding as a person does it, through the codeguard CLI against a database the migrations built:
// company create, token set, repo add (with its first full scan), member add — each refusing bad
// input with what to do, and each run twice making nothing twice.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CODEGUARD_BIN, REPO_ROOT } from "../harness/processes.ts";
import { useTestDatabase } from "../harness/db.ts";
import { MCP, useLocalGitHub } from "../github/local-github.ts";
import { freePort } from "../../src/local/postgres.ts";

const t = useTestDatabase();

/** Runs `codeguard …args` with `stdin` (if any) and answers its exit code and output. */
async function codeguard(args: string[], stdin?: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [CODEGUARD_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, SUPABASE_DB_URL: t.current.url, CODEGUARD_COMPANY: "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (out += c));
  child.stdin.end(stdin ?? "");
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  return { code, out };
}

const TOKEN = `ghp_${"a1B2".repeat(9)}`;

describe("codeguard company create", () => {
  it("creates a company with its settings over the defaults and prints its id", async () => {
    const r = await codeguard(["company", "create", "Acme Robotics", "--settings", '{"auto_scan_enabled": false}']);
    expect(r.code, r.out).toBe(0);
    const id = /created company Acme Robotics: ([0-9a-f-]{36})/.exec(r.out)?.[1];
    const [c] = await t.current.sql`select name, settings from companies where id = ${id!}`;
    expect(c).toEqual({ name: "Acme Robotics", settings: { risk_threshold: 60, auto_scan_enabled: false, max_concurrent_scans: 2, scan_window_days: 90 } });
  });

  it("refuses a name taken (in any case), naming the company to use instead", async () => {
    const first = await codeguard(["company", "create", "Globex"]);
    const id = /: ([0-9a-f-]{36})/.exec(first.out)![1];
    const again = await codeguard(["company", "create", "GLOBEX"]);
    expect(again.code).toBe(1);
    expect(again.out).toContain(`a company named 'GLOBEX' exists already (${id})`);
    expect(again.out).toContain(`→ Use it: --company ${id}`);
    const [{ n }] = await t.current.sql`select count(*)::int as n from companies where lower(name) = 'globex'`;
    expect(n).toBe(1);
  });

  it("refuses settings that are not a JSON object, and a missing database URL, as usage errors", async () => {
    expect((await codeguard(["company", "create", "X", "--settings", "[1]"])).out).toContain("settings must be a JSON object, not array");
    const noUrl = await codeguard(["company", "create", "X"], undefined, { SUPABASE_DB_URL: "" });
    expect(noUrl.code).toBe(2);
    expect(noUrl.out).toContain("missing SUPABASE_DB_URL");
  });
});

describe("codeguard token set", () => {
  it("stores the token from standard input in Vault, never in a table nor in the output", async () => {
    const id = /: ([0-9a-f-]{36})/.exec((await codeguard(["company", "create", "Initech"])).out)![1];
    const r = await codeguard(["token", "set", "--company", "initech"], `${TOKEN}\n`);
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toContain(TOKEN);
    const [{ secret }] = await t.current.sql`select public.github_token(${id}) as secret`;
    expect(secret).toBe(TOKEN);
  });

  it("refuses a token on the command line and one that is not a token, quoting neither", async () => {
    await codeguard(["company", "create", "Umbrella"]);
    const onArgv = await codeguard(["token", "set", "--company", "Umbrella", TOKEN]);
    expect(onArgv.code).toBe(2);
    expect(onArgv.out).toContain("read from standard input");
    const pasted = await codeguard(["token", "set", "--company", "Umbrella"], `${TOKEN} trailing words\n`);
    expect(pasted.code).toBe(1);
    expect(pasted.out).toMatch(/contains a space, newline or other control character/);
    expect(pasted.out).not.toContain("a1B2");
  });
});

describe("codeguard repo add", () => {
  it("adds the repository and queues its first full scan; run again, it adds and queues nothing more", async () => {
    const id = /: ([0-9a-f-]{36})/.exec((await codeguard(["company", "create", "Hooli"])).out)![1];
    const first = await codeguard(["repo", "add", "hooli/pied-piper", "--branch", "trunk"], undefined, { CODEGUARD_COMPANY: id });
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/added: hooli\/pied-piper/);
    expect(first.out).toMatch(/full scan queued: job/);
    const again = await codeguard(["repo", "add", "Hooli/Pied-Piper"], undefined, { CODEGUARD_COMPANY: id });
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/already watched/);
    const repos = await t.current.sql`select full_name, default_branch, is_active from repositories where company_id = ${id}`;
    expect(repos).toEqual([{ full_name: "hooli/pied-piper", default_branch: "trunk", is_active: true }]);
    const jobs = await t.current.sql`select scan_type, priority, status from scan_queue where company_id = ${id}`;
    expect(jobs).toEqual([{ scan_type: "full_scan", priority: 1, status: "pending" }]);
  });

  it("sets the company's scan window with --window-days, saying what it was, and refuses a window that is no number of days", async () => {
    const id = /: ([0-9a-f-]{36})/.exec((await codeguard(["company", "create", "Archive"])).out)![1];
    const wide = await codeguard(["repo", "add", "archive/old-history", "--window-days", "3650", "--no-scan"], undefined, { CODEGUARD_COMPANY: id });
    expect(wide.code, wide.out).toBe(0);
    expect(wide.out).toContain("the company's scan window: 90 → 3650 days");
    const [c] = await t.current.sql`select settings ->> 'scan_window_days' as days from companies where id = ${id}`;
    expect(c.days).toBe("3650");
    const bad = await codeguard(["repo", "add", "archive/old-history", "--window-days", "ten"], undefined, { CODEGUARD_COMPANY: id });
    expect(bad.code).toBe(2);
    expect(bad.out).toContain("--window-days must be a whole number of days");
    const zero = await codeguard(["repo", "add", "archive/old-history", "--window-days", "0"], undefined, { CODEGUARD_COMPANY: id });
    expect(zero.code).toBe(1);
    expect(zero.out).toContain("0 is not a window in days (1 to 36500)");
  });

  it("refuses what is not owner/name, and an unknown company, saying what there is", async () => {
    await codeguard(["company", "create", "Stark"]);
    const url = await codeguard(["repo", "add", "https://github.com/stark/suit", "--company", "Stark"]);
    expect(url.code).toBe(1);
    expect(url.out).toContain("Give it as owner/name");
    const unknown = await codeguard(["repo", "add", "stark/suit", "--company", "Strak"]);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toMatch(/no company 'Strak'\n→ Companies here: .*Stark \(/);
    const none = await codeguard(["repo", "add", "stark/suit"]);
    expect(none.code).toBe(2);
    expect(none.out).toContain("which company?");
  });
});

describe("codeguard repo add, the company's GitHub token stored", () => {
  const gh = useLocalGitHub();

  it("asks GitHub first: refuses a repository it does not have, adding nothing, and adds one it has", async () => {
    const id = /: ([0-9a-f-]{36})/.exec((await codeguard(["company", "create", "Initrode"])).out)![1];
    await t.current.sql`select public.set_github_token(${id}::uuid, ${TOKEN})`;
    const env = { CODEGUARD_COMPANY: id, GITHUB_API_URL: gh.current.url };
    const missing = await codeguard(["repo", "add", "acme/api"], undefined, env);
    expect(missing.code, missing.out).toBe(1);
    expect(missing.out.trim()).toBe(`codeguard repo add: GitHub has no repository acme/api that the company's token can see (404 from ${gh.current.url}/repos/acme/api): ` +
      "check the owner and the name, or give the token read access to it (a fine-grained token lists its repositories); nothing was added");
    const there = await codeguard(["repo", "add", `${MCP.owner}/${MCP.name}`, "--no-scan"], undefined, env);
    expect(there.code, there.out).toBe(0);
    expect(await t.current.sql`select full_name from repositories where company_id = ${id}`).toEqual([{ full_name: `${MCP.owner}/${MCP.name}` }]);
  });

  it("adds it anyway when GitHub does not answer, saying it could not check", async () => {
    const id = /: ([0-9a-f-]{36})/.exec((await codeguard(["company", "create", "Vandelay Industries"])).out)![1];
    await t.current.sql`select public.set_github_token(${id}::uuid, ${TOKEN})`;
    const closed = await freePort(); // nothing listens there
    const r = await codeguard(["repo", "add", "vandelay/latex", "--no-scan"], undefined, { CODEGUARD_COMPANY: id, GITHUB_API_URL: `http://127.0.0.1:${closed}` });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`note: could not check vandelay/latex on GitHub: no answer from http://127.0.0.1:${closed} (ECONNREFUSED); added anyway`);
    expect(r.out).toMatch(/added: vandelay\/latex/);
  });
});

describe("codeguard member add", () => {
  it("makes a signed-up user a member by email or by user id, and changes the role when run again", async () => {
    const id = /: ([0-9a-f-]{36})/.exec((await codeguard(["company", "create", "Wayne"])).out)![1];
    const [uid, uid2] = [randomUUID(), randomUUID()];
    await t.current.sql`insert into auth.users (id, email) values (${uid}, 'Bruce@Wayne.example'), (${uid2}, 'alfred@wayne.example')`;
    const byEmail = await codeguard(["member", "add", "bruce@wayne.example", "--company", id, "--role", "owner"]);
    expect(byEmail.code, byEmail.out).toBe(0);
    expect(byEmail.out).toContain(`added: Bruce@Wayne.example (${uid}) is an owner`);
    const byId = await codeguard(["member", "add", uid2, "--company", id]);
    expect(byId.out).toMatch(/added: alfred@wayne.example .* is a member/);
    const demoted = await codeguard(["member", "add", uid, "--company", id, "--role", "admin"]);
    expect(demoted.out).toMatch(/updated: .* is an admin/);
    const rows = await t.current.sql`select id, email, role from users where company_id = ${id} order by lower(email)`;
    expect(rows).toEqual([{ id: uid2, email: "alfred@wayne.example", role: "member" }, { id: uid, email: "Bruce@Wayne.example", role: "admin" }]);
  });

  it("refuses someone who has not signed up, a member of another company, and an unknown role", async () => {
    const a = /: ([0-9a-f-]{36})/.exec((await codeguard(["company", "create", "Oscorp"])).out)![1];
    const b = /: ([0-9a-f-]{36})/.exec((await codeguard(["company", "create", "LexCorp"])).out)![1];
    const missing = await codeguard(["member", "add", "nobody@oscorp.example", "--company", a]);
    expect(missing.code).toBe(1);
    expect(missing.out).toContain("→ Invite them first");
    const uid = randomUUID();
    await t.current.sql`insert into auth.users (id, email) values (${uid}, 'norman@oscorp.example')`;
    expect((await codeguard(["member", "add", uid, "--company", a])).code).toBe(0);
    const elsewhere = await codeguard(["member", "add", uid, "--company", b]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.out).toContain(`is a member of another company (${a})`);
    expect((await codeguard(["member", "add", uid, "--company", a, "--role", "boss"])).out).toContain("role 'boss' is not one of owner, admin, member");
  });

  it("lets a member read their company's rows and no other's (what the membership is for)", async () => {
    const a = /: ([0-9a-f-]{36})/.exec((await codeguard(["company", "create", "Cyberdyne"])).out)![1];
    await codeguard(["company", "create", "Tyrell"]);
    const uid = randomUUID();
    await t.current.sql`insert into auth.users (id, email) values (${uid}, 'miles@cyberdyne.example')`;
    await codeguard(["member", "add", "miles@cyberdyne.example", "--company", "Cyberdyne"]);
    const seen = await t.current.sql.begin(async (tx) => {
      await tx.unsafe(`set local role authenticated; set local request.jwt.claims = '{"sub": "${uid}", "role": "authenticated"}'`);
      return await tx`select id from companies`;
    });
    expect(seen).toEqual([{ id: a }]);
  });
});

describe("the onboarding functions", () => {
  it("are the service's only: anon and members cannot call them", async () => {
    const rows = await t.current.sql`
      select p.proname, has_function_privilege('anon', p.oid, 'execute') as anon,
             has_function_privilege('authenticated', p.oid, 'execute') as member,
             has_function_privilege('service_role', p.oid, 'execute') as service, p.prosecdef, p.proconfig
      from pg_proc p where p.pronamespace = 'public'::regnamespace
        and p.proname in ('resolve_company', 'create_company', 'add_repository', 'add_company_member', 'set_company_scan_window') order by p.proname`;
    expect(rows).toEqual(["add_company_member", "add_repository", "create_company", "resolve_company", "set_company_scan_window"].map((proname) => ({
      proname, anon: false, member: false, service: true, prosecdef: true, proconfig: ['search_path=""'],
    })));
  });
});

describe("codeguard sql", () => {
  it("runs the statements as one query and prints what the last answered, from an argument or standard input", async () => {
    const r = await codeguard(["sql", "create temp table t (a int); insert into t values (1), (2); select a, a * 10 as ten from t order by a"]);
    expect(r.code, r.out).toBe(0);
    expect(r.out.trim().split("\n")).toEqual(["a  ten", "1  10", "2  20"]);
    const piped = await codeguard(["sql"], "select public.resolve_company('nobody')");
    expect(piped.code).toBe(1);
    expect(piped.out).toMatch(/codeguard sql: resolve_company: no company 'nobody'\n→ /);
  });
});
