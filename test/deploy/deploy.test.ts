// `npm run deploy`, run as a person runs it: the dry run prints the whole plan and names what is
// missing without running a command or touching the network (here: in a network namespace with no
// network at all); a real run with a piece missing runs nothing; the database part (`--only db`:
// the real Supabase CLI's db push, then the dispatch's Vault secrets) against a blank database.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, inject, it } from "vitest";
import { NEEDS } from "../../src/deploy/deploy.ts";
import { edgeFunctionNames } from "../../src/deploy/edge-functions.ts";
import { migrationFiles } from "../../src/deploy/generated.ts";
import { applyBootstrap, REPO_ROOT } from "../../src/local/migrate.ts";

const SCRIPT = join(REPO_ROOT, "scripts", "deploy.ts");
const HOME = mkdtempSync(join(tmpdir(), "codeguard-deploy-home-")); // no ~/.supabase/access-token
const OFFLINE = spawnSync("unshare", ["-n", "true"]).status === 0;
const created: string[] = [];

async function deploy(args: string[], env: Record<string, string>, offline = false): Promise<{ code: number | null; out: string }> {
  const node = [process.execPath, "--import", "tsx", SCRIPT, ...args];
  const [cmd, ...argv] = offline && OFFLINE ? ["unshare", "-n", ...node] : node;
  const child = spawn(cmd, argv, { cwd: REPO_ROOT, env: { PATH: process.env.PATH!, HOME, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (out += c));
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  return { code, out };
}

/** A blank project's database: the platform's roles, auth and extensions (local faces), nothing of ours. */
async function blankDatabase(): Promise<string> {
  const name = `deploy_${randomBytes(5).toString("hex")}`;
  const admin = postgres(inject("pgAdminUrl"), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  created.push(name);
  const u = new URL(inject("pgAdminUrl"));
  u.pathname = `/${name}`;
  await applyBootstrap(u.toString());
  return u.toString();
}

afterAll(async () => {
  const admin = postgres(inject("pgAdminUrl"), { max: 1, onnotice: () => {} });
  for (const name of created) await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
});

const secretKey = () => `sb_secret_${randomBytes(24).toString("base64url")}`;

describe("npm run deploy -- --dry-run", () => {
  it("prints every step for every function of the tree and names each missing piece, offline, exit 0", async () => {
    const r = await deploy(["--dry-run"], {}, true);
    expect(r.code, r.out).toBe(0);
    for (const name of edgeFunctionNames()) expect(r.out).toContain(`supabase functions deploy ${name} --project-ref $SUPABASE_PROJECT_REF`);
    expect(r.out).toContain("supabase link --project-ref");
    expect(r.out).toContain("supabase db push --db-url $SUPABASE_DB_URL --include-all --yes");
    expect(r.out).toContain(`apply the migrations (${migrationFiles().length},`);
    for (const need of Object.keys(NEEDS)) expect(r.out).toContain(`  - ${need}: `);
    if (OFFLINE) expect(r.out).not.toMatch(/ENETUNREACH|EAI_AGAIN|fetch failed/);
  });

  it("with everything given, shows no password, key or token, and nothing missing", async () => {
    const key = secretKey();
    const r = await deploy(["--dry-run", "--project-ref", "abcdefghijklmnopqrst"], {
      SUPABASE_ACCESS_TOKEN: "sbp_0123456789abcdef0123456789abcdef01234567",
      SUPABASE_DB_URL: "postgresql://postgres.abcdefghijklmnopqrst:Hunter2Hunter2@aws-0-eu-west-1.pooler.supabase.com:5432/postgres",
      SUPABASE_SECRET_KEY: key,
    }, true);
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toMatch(/Hunter2|sbp_0123|missing/);
    expect(r.out).not.toContain(key);
    expect(r.out).toContain("postgres.abcdefghijklmnopqrst:***@aws-0-eu-west-1.pooler.supabase.com");
    expect(r.out).toContain("project_url (https://abcdefghijklmnopqrst.supabase.co) and secret_key (from SUPABASE_SECRET_KEY)");
  });
});

describe("npm run deploy", () => {
  it("runs nothing when a piece is missing, and says what to set", async () => {
    const url = await blankDatabase();
    const r = await deploy([], { SUPABASE_DB_URL: url, SUPABASE_SECRET_KEY: secretKey() });
    expect(r.code, r.out).toBe(2);
    expect(r.out).toContain("  - SUPABASE_PROJECT_REF: ");
    expect(r.out).toContain("nothing was run");
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const [{ history }] = await sql`select to_regclass('supabase_migrations.schema_migrations')::text as history`;
    await sql.end();
    expect(history).toBeNull();
  });

  it("--only db applies the migrations with the CLI and stores the dispatch's secrets; again with a new key, replaces it", { timeout: 90_000 }, async () => {
    const url = await blankDatabase();
    const [first, second] = [secretKey(), secretKey()];
    const env = { SUPABASE_DB_URL: url, SUPABASE_URL: "http://127.0.0.1:54321" };
    const r = await deploy(["--only", "db"], { ...env, SUPABASE_SECRET_KEY: first });
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toContain(first);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const versions = await sql`select version from supabase_migrations.schema_migrations order by version`;
      expect(versions.map((v) => v.version)).toEqual(migrationFiles().map((m) => m.version));
      const secrets = () => sql`select name, decrypted_secret as value from vault.decrypted_secrets where name in ('project_url', 'secret_key') order by name`;
      expect(await secrets()).toEqual([{ name: "project_url", value: "http://127.0.0.1:54321" }, { name: "secret_key", value: first }]);
      const again = await deploy(["--only", "db"], { ...env, SUPABASE_SECRET_KEY: second });
      expect(again.code, again.out).toBe(0);
      expect(await secrets()).toEqual([{ name: "project_url", value: "http://127.0.0.1:54321" }, { name: "secret_key", value: second }]);
    } finally {
      await sql.end();
    }
  });

  it("refuses the publishable key as the dispatch's key, without quoting it", async () => {
    const url = await blankDatabase();
    const publishable = `sb_publishable_${randomBytes(24).toString("base64url")}`;
    const r = await deploy(["--only", "db"], { SUPABASE_DB_URL: url, SUPABASE_URL: "http://127.0.0.1:54321", SUPABASE_SECRET_KEY: publishable });
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain("secret_key must be a secret API key (sb_secret_…); this is the publishable key, which is public and proves nothing");
    expect(r.out).not.toContain(publishable);
  });
});
