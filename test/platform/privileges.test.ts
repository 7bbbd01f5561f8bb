// What the API roles may do in `public`, read from the catalogs, so that a table, sequence or
// function added later is covered without editing this test. The anon key is public and RLS
// governs neither TRUNCATE nor TRIGGER, REFERENCES or MAINTAIN: those stay with the owner.
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";

const t = useTestDatabase();

/** What a member (authenticated) may execute: the RLS helper and their company's queue figures. */
const MEMBER_FUNCTIONS = ["current_company_id()", "member_scan_queue_stats(interval)"];

describe("privileges in public", () => {
  it("gives anon and authenticated no TRUNCATE, TRIGGER, REFERENCES or MAINTAIN on any table, and no sequence", async () => {
    const rows = await t.current.sql<{ role: string; object: string; privilege: string }[]>`
      select r.role, c.relname as object, p.privilege
      from pg_class c
      cross join unnest(array['anon', 'authenticated']) r (role)
      cross join unnest(array['TRUNCATE', 'TRIGGER', 'REFERENCES', 'MAINTAIN']) p (privilege)
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
        and has_table_privilege(r.role, c.oid, p.privilege)
      union all
      select r.role, c.relname, p.privilege
      from pg_class c
      cross join unnest(array['anon', 'authenticated']) r (role)
      cross join unnest(array['USAGE', 'SELECT', 'UPDATE']) p (privilege)
      where c.relnamespace = 'public'::regnamespace and c.relkind = 'S' and has_sequence_privilege(r.role, c.oid, p.privilege)`;
    expect(rows).toEqual([]);
  });

  it("lets anon reach nothing in public, and authenticated only read the tenants' tables (row-level security decides which rows)", async () => {
    const rows = await t.current.sql<{ role: string; object: string; privilege: string }[]>`
      select r.role, c.relname as object, p.privilege
      from pg_class c
      cross join unnest(array['anon', 'authenticated']) r (role)
      cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p (privilege)
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
        and has_table_privilege(r.role, c.oid, p.privilege)
      order by 1, 2, 3`;
    expect(rows.filter((r) => r.role === "anon")).toEqual([]);
    expect(rows.filter((r) => r.privilege !== "SELECT")).toEqual([]);
    const readable = rows.map((r) => r.object);
    const [{ without_rls }] = await t.current.sql`
      select coalesce(array_agg(relname order by relname), '{}') as without_rls from pg_class
      where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and not relrowsecurity`;
    expect(without_rls).toEqual([]);
    expect(readable).toEqual(["companies", "pull_requests", "repositories", "scan_job_events", "scan_job_types", "scan_queue", "scan_results",
      "scans", "team_metrics", "users"]);
  });

  it("owns nothing in public as an API role, and lets anon execute no function and authenticated only those meant for members", async () => {
    const owned = await t.current.sql`
      select c.relname from pg_class c where c.relnamespace = 'public'::regnamespace
        and pg_get_userbyid(c.relowner) in ('anon', 'authenticated', 'service_role')
      union all
      select p.proname from pg_proc p where p.pronamespace = 'public'::regnamespace
        and pg_get_userbyid(p.proowner) in ('anon', 'authenticated', 'service_role')`;
    expect(owned).toEqual([]);
    const executable = await t.current.sql<{ role: string; fn: string }[]>`
      select r.role, regexp_replace(p.oid::regprocedure::text, '^public\\.', '') as fn
      from pg_proc p cross join unnest(array['anon', 'authenticated']) r (role)
      where p.pronamespace = 'public'::regnamespace and has_function_privilege(r.role, p.oid, 'EXECUTE')
      order by 1, 2`;
    expect(executable.filter((e) => e.role === "anon")).toEqual([]);
    expect(executable.filter((e) => e.role === "authenticated").map((e) => e.fn)).toEqual(MEMBER_FUNCTIONS);
  });

  it("starts a table or function that a later migration adds closed to every API role", async () => {
    const sql = t.current.sql;
    await sql.begin(async (tx) => {
      await tx`create table public.added_later (id int)`;
      await tx`create function public.added_later_fn() returns int language sql as 'select 1'`;
      const [r] = await tx`
        select has_table_privilege('anon', 'public.added_later', 'SELECT') or has_table_privilege('authenticated', 'public.added_later', 'TRUNCATE')
                 or has_table_privilege('service_role', 'public.added_later', 'SELECT') as table_open,
               has_function_privilege('anon', 'public.added_later_fn()', 'EXECUTE')
                 or has_function_privilege('service_role', 'public.added_later_fn()', 'EXECUTE') as function_open`;
      expect(r).toEqual({ table_open: false, function_open: false });
      await tx`rollback`.catch(() => {});
      throw new Error("rollback");
    }).catch((e) => {
      if ((e as Error).message !== "rollback") throw e;
    });
  });

  it("refuses anon and authenticated the table and sequence operations that bypass row-level security", async () => {
    const sql = t.current.sql;
    const [{ before }] = await sql`select pg_relation_filenode('public.users') as before`;
    for (const role of ["anon", "authenticated"]) {
      for (const statement of [
        "truncate public.users",
        "truncate public.scan_queue",
        "lock table public.users in access exclusive mode",
        "reindex table public.users",
        "cluster public.users using users_pkey",
        "create trigger t after insert on public.companies for each statement execute function public.current_company_id()",
        "select setval('public.scan_job_events_id_seq', 9223372036854775807)",
        "select nextval('public.scan_job_events_id_seq')",
      ]) {
        const err = await sql.begin(async (tx) => {
          await tx.unsafe(`set local role ${role}`);
          await tx.unsafe(statement);
        }).catch((e) => e);
        expect((err as Error).message, `${role}: ${statement}`).toMatch(/permission denied|must be owner/);
      }
      // VACUUM skips a table it may not vacuum (with a warning): the table is not rewritten.
      const warned: string[] = [];
      const own = t.current.connect({ max: 1, onnotice: (n) => warned.push(String(n.message)) });
      await own.unsafe(`set role ${role}`);
      await own.unsafe("vacuum full public.users");
      await own.end();
      expect(warned.join("\n"), role).toMatch(/permission denied to vacuum "users"|skipping "users"/);
    }
    const [{ after }] = await sql`select pg_relation_filenode('public.users') as after`;
    expect(after).toBe(before);
  });
});
