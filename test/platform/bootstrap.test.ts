import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";

const t = useTestDatabase();

describe("bootstrap and migrations on a fresh database", () => {
  it("creates the Supabase API roles, with service_role bypassing row-level security", async () => {
    const roles = await t.current.sql<{ rolname: string; rolbypassrls: boolean }[]>`
      select rolname, rolbypassrls from pg_roles where rolname in ('anon', 'authenticated', 'service_role') order by rolname`;
    expect(roles).toEqual([
      { rolname: "anon", rolbypassrls: false },
      { rolname: "authenticated", rolbypassrls: false },
      { rolname: "service_role", rolbypassrls: true },
    ]);
  });

  it("keeps pgcrypto in the extensions schema", async () => {
    const [row] = await t.current.sql`select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pgcrypto'`;
    expect(row.nspname).toBe("extensions");
  });

  it("reads auth.uid(), auth.role() and auth.jwt() from the request's JWT claims", async () => {
    const sub = "6f1a4c6e-2d0b-4c1e-9a57-3a1f0c2b9d11";
    const [row] = await t.current.sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub, role: "authenticated", email: "a@b.c" })}, true)`;
      return tx`select auth.uid() as uid, auth.role() as role, auth.jwt() ->> 'email' as email`;
    });
    expect(row).toEqual({ uid: sub, role: "authenticated", email: "a@b.c" });
  });

  it("records every migration as applied by the Supabase CLI", async () => {
    const { readdirSync } = await import("node:fs");
    const files = readdirSync(new URL("../../supabase/migrations", import.meta.url)).filter((f) => f.endsWith(".sql"));
    const versions = files.map((f) => f.split("_")[0]).sort();
    const rows = await t.current.sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations order by version`;
    expect(rows.map((r) => r.version)).toEqual(versions);
  });

  it("lets a member read only their own company's repositories (row-level security)", async () => {
    const sql = t.current.sql;
    const [a] = await sql`insert into companies (name) values ('Acme') returning id`;
    const [b] = await sql`insert into companies (name) values ('Globex') returning id`;
    const alice = "0b7e2f4c-5f9a-4a84-8d2c-000000000001";
    await sql`insert into auth.users (id, email) values (${alice}, 'alice@acme.test')`;
    await sql`insert into users (id, company_id, email, role) values (${alice}, ${a.id}, 'alice@acme.test', 'owner')`;
    await sql`insert into repositories (company_id, full_name) values (${a.id}, 'acme/api'), (${b.id}, 'globex/web')`;
    const seen = await sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: alice, role: "authenticated" })}, true)`;
      await tx`set local role authenticated`;
      return tx<{ full_name: string }[]>`select full_name from repositories order by full_name`;
    });
    expect(seen.map((r) => r.full_name)).toEqual(["acme/api"]);
  });

  it("refuses vault secrets to the anon role", async () => {
    await expect(
      t.current.sql.begin(async (tx) => {
        await tx`set local role anon`;
        return tx`select decrypted_secret from vault.decrypted_secrets`;
      }),
    ).rejects.toThrow(/permission denied/);
  });

  // What the README's "Who can do what" says of Vault (issue 24 #7): the service reads every
  // company's secrets through Vault itself and can rewrite one past the set_* functions' checks;
  // a member and anon cannot read them.
  it("gives service_role every company's secrets through vault.decrypted_secrets, and vault.update_secret; members none", async () => {
    const sql = t.current.sql;
    const [a] = await sql`insert into companies (name) values ('Vault A') returning id`;
    const [b] = await sql`insert into companies (name) values ('Vault B') returning id`;
    await sql`select public.set_github_token(${a.id}, 'ghp_vaultA000000000000000000000000000000')`;
    await sql`select public.set_github_webhook_secret(${b.id}, 'vault-b-webhook-secret-0123456789')`;
    const asService = await sql.begin(async (tx) => {
      await tx`set local role service_role`;
      const rows = await tx<{ name: string; decrypted_secret: string }[]>`select name, decrypted_secret from vault.decrypted_secrets
        where name like ${"%" + a.id} or name like ${"%" + b.id} order by name`;
      const [{ id }] = await tx`select id from vault.decrypted_secrets where name = ${"github_webhook_secret:" + b.id}`;
      await tx`select vault.update_secret(${id}, 'short')`; // set_github_webhook_secret would refuse it (under 16)
      const [after] = await tx`select decrypted_secret from vault.decrypted_secrets where id = ${id}`;
      return { rows, after: after.decrypted_secret as string };
    });
    expect(asService.rows.map((r) => r.decrypted_secret).sort()).toEqual(["ghp_vaultA000000000000000000000000000000", "vault-b-webhook-secret-0123456789"]);
    expect(asService.after).toBe("short");
    const alice = "0b7e2f4c-5f9a-4a84-8d2c-0000000000a2";
    await sql`insert into auth.users (id, email) values (${alice}, 'alice@vault.test')`;
    await sql`insert into users (id, company_id, email) values (${alice}, ${a.id}, 'alice@vault.test')`;
    await expect(sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: alice, role: "authenticated" })}, true)`;
      await tx`set local role authenticated`;
      return tx`select decrypted_secret from vault.decrypted_secrets`;
    })).rejects.toThrow(/permission denied/);
  });
});
