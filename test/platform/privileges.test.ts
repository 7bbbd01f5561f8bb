// The privilege matrix: every table, view, materialized view, sequence and function of `public`,
// found from the catalogs, × anon, a member of company A, a member of company B and service_role,
// × select, insert, update, delete, truncate (usage for sequences, execute for functions) — each
// cell run for real as that role in a rolled-back transaction, and compared with what the rules of
// privilege-rules.ts expect of it, with row counts for what is allowed: a member reads exactly their
// own company's rows and changes none. Every table gets rows of both companies from its catalog
// (test/harness/tenant-rows.ts) first, so an object added later is covered without editing this.
import { join } from "node:path";
import type postgres from "postgres";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../src/local/migrate.ts";
import { useTestDatabase } from "../harness/db.ts";
import { fillTables, publicTables, rowInsert } from "../harness/tenant-rows.ts";
import {
  type CallSites, type Expected, expectedForFunction, expectedForRelation, expectedForSequence, functionsCalledByCode,
  type Relation, type Role, ROLES, type RowCounts, SEQUENCE_OPS, type SqlFunction, TABLE_OPS,
} from "./privilege-rules.ts";

const t = useTestDatabase();

const USER_A = "a0000000-0000-4000-8000-00000000000a";
const USER_B = "b0000000-0000-4000-8000-00000000000b";
let companyA = "";
let companyB = "";

const SESSION: Record<Role, { role: string; claims: Record<string, string> }> = {
  anon: { role: "anon", claims: { role: "anon" } },
  member_a: { role: "authenticated", claims: { sub: USER_A, role: "authenticated" } },
  member_b: { role: "authenticated", claims: { sub: USER_B, role: "authenticated" } },
  service_role: { role: "service_role", claims: { role: "service_role" } },
};

interface Got {
  allow: boolean;
  rows?: number;
  a?: number;
  b?: number;
  error?: string;
}

interface Cell {
  object: string;
  role: Role;
  op: string;
  expected: Expected;
  got: Got;
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Runs `text` as `role` in a transaction that is rolled back; the rows it answered, or its error. */
async function runAs(conn: postgres.ReservedSql, role: Role, text: string): Promise<{ rows?: postgres.Row[]; error?: postgres.PostgresError }> {
  await conn.unsafe("begin");
  try {
    await conn.unsafe("set local statement_timeout = '5s'");
    await conn.unsafe("set local lock_timeout = '2s'");
    await conn`select set_config('request.jwt.claims', ${JSON.stringify(SESSION[role].claims)}, true)`;
    await conn.unsafe(`set local role ${SESSION[role].role}`);
    return { rows: [...(await conn.unsafe(text))] };
  } catch (e) {
    return { error: e as postgres.PostgresError };
  } finally {
    await conn.unsafe("rollback");
  }
}

/** Allowed when it ran, or failed for a reason other than a privilege while the catalog grants it. */
function outcome(r: { rows?: postgres.Row[]; error?: postgres.PostgresError }, granted: boolean, counted: (rows: postgres.Row[]) => Omit<Got, "allow">): Got {
  if (!r.error) return { allow: true, ...counted(r.rows!) };
  if (r.error.code === "42501") return { allow: false };
  return { allow: granted, error: `${r.error.code}: ${r.error.message}` };
}

function matches(e: Expected, g: Got): boolean {
  if (e.allow !== g.allow) return false;
  if (!e.allow) return true;
  if (g.error) return false;
  if (e.rows !== undefined && g.rows !== e.rows) return false;
  // A member's rows are their company's only: none of the other's.
  if (e.ownRows && (g.a ?? 0) > 0 && (g.b ?? 0) > 0) return false;
  return true;
}

let cells: Cell[] = [];

beforeAll(async () => {
  const sql = t.current.sql;
  [{ id: companyA }] = await sql`insert into public.companies (name) values ('Company A') returning id`;
  [{ id: companyB }] = await sql`insert into public.companies (name) values ('Company B') returning id`;
  await sql`insert into auth.users (id, email) values (${USER_A}, 'a@a.example'), (${USER_B}, 'b@b.example')`;
  await sql`insert into public.users (id, company_id, email) values (${USER_A}, ${companyA}, 'a@a.example'), (${USER_B}, ${companyB}, 'b@b.example')`;
  await fillTables(sql, [companyA, companyB]);
  for (const { name } of await sql`select relname as name from pg_class where relnamespace = 'public'::regnamespace and relkind = 'm'`) {
    await sql.unsafe(`refresh materialized view public.${ident(name)}`);
  }

  const tables = await publicTables(sql);
  const relations = await sql<Relation[]>`
    select c.relname as name, c.relkind as kind,
           case when c.relname = 'companies' then 'id'
                when exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'company_id' and not a.attisdropped) then 'company_id' end as "companyKey",
           exists (select 1 from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname and p.cmd in ('SELECT', 'ALL')
                     and (p.roles && array['authenticated', 'public']::name[])) as "memberPolicy",
           coalesce(c.reloptions @> array['security_invoker=true'] or c.reloptions @> array['security_invoker=on'], false) as "securityInvoker",
           c.relkind = 'v' and pg_get_viewdef(c.oid) ~ 'current_company_id[(]' as "scopedToCaller"
    from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and not c.relispartition
    order by c.relname`;
  const functions = await sql<SqlFunction[]>`
    select regexp_replace(p.oid::regprocedure::text, '^public\\.', '') as signature, p.proname as name,
           p.prorettype in ('trigger'::regtype, 'event_trigger'::regtype) as "isTrigger", p.prosecdef as "securityDefiner",
           p.prosrc as body
    from pg_proc p where p.pronamespace = 'public'::regnamespace and p.prokind in ('f', 'p') order by 1`;
  const argTypes = new Map((await sql<{ signature: string; call: string; kind: string; set: boolean }[]>`
    select regexp_replace(p.oid::regprocedure::text, '^public\\.', '') as signature, p.prokind as kind, p.proretset as set,
           'public.' || quote_ident(p.proname) || '(' || coalesce((select string_agg('null::' || format_type(a, null), ', ' order by i)
             from unnest(p.proargtypes::oid[]) with ordinality x(a, i)), '') || ')' as call
    from pg_proc p where p.pronamespace = 'public'::regnamespace`).map((r) => [r.signature, r.kind === "p" ? `call ${r.call}` : `select * from ${r.call}`]));
  const policyText = (await sql<{ expr: string }[]>`
    select coalesce(qual, '') || ' ' || coalesce(with_check, '') as expr from pg_policies where schemaname = 'public'`).map((r) => r.expr).join("\n");
  const calls: CallSites = {
    code: functionsCalledByCode(["src", "supabase/functions", "bench"].map((d) => join(REPO_ROOT, d)).concat(join(REPO_ROOT, "README.md"))),
    schedules: new Set((await sql<{ command: string }[]>`select command from cron.job`).flatMap((j) => [...j.command.matchAll(/public\.([a-z0-9_]+)\s*\(/g)].map((m) => m[1]))),
    policies: new Set(functions.map((f) => f.name).filter((n) => new RegExp(`\\b${n}\\s*\\(`).test(policyText))),
  };

  // Inserts first: making one may add a row to the table it refers to, and the counts come after.
  const inserts = new Map<string, string>();
  for (const table of tables) inserts.set(table.name, await rowInsert(sql, tables, table, table.companyKey ? companyA : null));
  const counts = new Map<string, RowCounts>();
  // A view that keeps a member to their company's rows shows each member theirs, and the owner and the service none.
  const countAs = (name: string, sub: string | null) => sql.begin(async (tx) => {
    if (sub) await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub, role: "authenticated" })}, true)`;
    const [r] = await tx.unsafe(`select count(*)::int as n from public.${ident(name)}`);
    return r.n as number;
  });
  for (const rel of relations.filter((r) => r.kind !== "S")) {
    const key = rel.companyKey;
    if (rel.scopedToCaller) {
      counts.set(rel.name, { total: await countAs(rel.name, null), a: await countAs(rel.name, USER_A), b: await countAs(rel.name, USER_B) });
      continue;
    }
    const [c] = await sql.unsafe(`select count(*)::int as total${key ? `, count(*) filter (where ${ident(key)} = '${companyA}')::int as a, count(*) filter (where ${ident(key)} = '${companyB}')::int as b` : ", 0 as a, 0 as b"} from public.${ident(rel.name)}`);
    counts.set(rel.name, c as unknown as RowCounts);
  }
  const privilege = async (role: string, object: string, kind: "table" | "sequence" | "function", priv: string) => {
    const [{ ok }] = await sql.unsafe(`select has_${kind}_privilege($1, $2, $3) as ok`, [role, object, priv]);
    return ok as boolean;
  };

  const conn = await sql.reserve();
  try {
    const out: Cell[] = [];
    for (const rel of relations) {
      const q = `public.${ident(rel.name)}`;
      if (rel.kind === "S") {
        for (const op of SEQUENCE_OPS) {
          const text = { select: `select last_value from ${q}`, usage: `select nextval('${q}')`, update: `select setval('${q}', (select last_value from ${q}), true)` }[op];
          for (const role of ROLES) {
            const granted = await privilege(SESSION[role].role, q, "sequence", op.toUpperCase());
            out.push({ object: `sequence ${rel.name}`, role, op, expected: expectedForSequence(), got: outcome(await runAs(conn, role, text), granted, () => ({})) });
          }
        }
        continue;
      }
      const key = rel.companyKey;
      const c = counts.get(rel.name)!;
      const table = tables.find((x) => x.name === rel.name);
      const insert = inserts.get(rel.name) ?? `insert into ${q} select * from ${q} limit 0`;
      const setColumn = key ?? table?.columns.find((col) => !col.generated)?.name ?? "ctid";
      const split = key ? ` returning ${ident(key)} as k` : " returning 1 as k";
      const texts: Record<string, string> = {
        select: `select count(*)::int as n${key ? `, count(*) filter (where ${ident(key)} = '${companyA}')::int as a, count(*) filter (where ${ident(key)} = '${companyB}')::int as b` : ""} from ${q}`,
        insert: insert + split,
        update: `update ${q} set ${ident(setColumn)} = ${ident(setColumn)}${split}`,
        delete: `delete from ${q}${split}`,
        truncate: `truncate ${q}`,
      };
      const kindName = { r: "table", p: "table", v: "view", m: "materialized view", f: "foreign table" }[rel.kind];
      for (const op of TABLE_OPS) {
        for (const role of ROLES) {
          const granted = await privilege(SESSION[role].role, q, "table", op.toUpperCase());
          const got = outcome(await runAs(conn, role, texts[op]), granted, (rows) => op === "select"
            ? { rows: rows[0].n, a: rows[0].a, b: rows[0].b }
            : op === "truncate" ? {} : { rows: rows.length, a: rows.filter((r) => r.k === companyA).length, b: rows.filter((r) => r.k === companyB).length });
          out.push({ object: `${kindName} ${rel.name}`, role, op, expected: expectedForRelation(rel, role, op, c), got });
        }
      }
    }
    for (const fn of functions) {
      for (const role of ROLES) {
        const granted = await privilege(SESSION[role].role, `public.${fn.signature}`, "function", "EXECUTE");
        // A trigger function cannot be called directly: the catalog's grant is the answer.
        // Called with nulls, an allowed function may refuse its arguments: it ran past the privilege
        // check, which is all this cell asks.
        const got: Got = fn.isTrigger ? { allow: granted } : { allow: outcome(await runAs(conn, role, argTypes.get(fn.signature)!), granted, () => ({})).allow };
        out.push({ object: `function ${fn.signature}`, role, op: "execute", expected: expectedForFunction(fn, role, calls), got });
      }
    }
    cells = out;
  } finally {
    conn.release();
  }
}, 120_000);

describe("the privilege matrix of public", () => {
  it("allows and denies every cell as the rules say, with a member reading exactly their own company's rows", () => {
    const wrong = cells.filter((c) => !matches(c.expected, c.got))
      .map((c) => `${c.object} · ${c.role} · ${c.op}: expected ${JSON.stringify(c.expected)}, got ${JSON.stringify(c.got)}`);
    const byRole = Object.fromEntries(ROLES.map((r) => [r, { allowed: cells.filter((c) => c.role === r && c.got.allow).length, denied: cells.filter((c) => c.role === r && !c.got.allow).length }]));
    console.log(JSON.stringify({ matrix_cells: cells.length, objects: new Set(cells.map((c) => c.object)).size, by_role: byRole }));
    expect(wrong).toEqual([]);
  });

  it("covers every relation and function of public, each with every role and operation", async () => {
    const [{ relations, functions }] = await t.current.sql`
      select (select count(*)::int from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p', 'v', 'm', 'f', 'S') and not relispartition) as relations,
             (select count(*)::int from pg_proc where pronamespace = 'public'::regnamespace and prokind in ('f', 'p')) as functions`;
    expect(new Set(cells.map((c) => c.object)).size).toBe(relations + functions);
    for (const object of new Set(cells.map((c) => c.object))) {
      const ops = object.startsWith("function") ? 1 : object.startsWith("sequence") ? 3 : 5;
      expect(cells.filter((c) => c.object === object), object).toHaveLength(ops * ROLES.length);
    }
    // Every tenant table held rows of both companies, so "only their own" was tested, not vacuous.
    const tenantSelects = cells.filter((c) => c.op === "select" && c.role === "member_a" && c.expected.allow && "ownRows" in c.expected && c.expected.ownRows);
    expect(tenantSelects.length).toBeGreaterThan(0);
    for (const c of tenantSelects) expect(c.got.rows, c.object).toBeGreaterThan(0);
  });

  it("has row-level security on every table of public", async () => {
    const rows = await t.current.sql`
      select relname from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and not relrowsecurity`;
    expect(rows).toEqual([]);
  });

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

  it("lets no API role own anything in public", async () => {
    const owned = await t.current.sql`
      select c.relname from pg_class c where c.relnamespace = 'public'::regnamespace
        and pg_get_userbyid(c.relowner) in ('anon', 'authenticated', 'service_role')
      union all
      select p.proname from pg_proc p where p.pronamespace = 'public'::regnamespace
        and pg_get_userbyid(p.proowner) in ('anon', 'authenticated', 'service_role')`;
    expect(owned).toEqual([]);
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
