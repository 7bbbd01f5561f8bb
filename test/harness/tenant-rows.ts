// Rows for any table of `public`, made from the catalogs alone: so a test that must see every table
// hold rows of two companies (the privilege matrix, the secret-leak scan) covers a table added
// later without being edited. A row is built from the table's own rules: the company's id in its
// company column, an existing row of the same company for each required foreign key, and for each
// other required column without a default a value of its type — the literals its CHECK or domain
// names first (`value in ('a', 'b')` gives 'a'), else plain ones ('matrix_<hex>', 'matrix/<hex>' for
// a name like "owner/repo", 1, false, '{}', now()). Each row is tried as the owner in a savepoint:
// a refusal naming a column moves that column to its next candidate, so the first valid row wins.
import { randomBytes } from "node:crypto";
import type postgres from "postgres";

export interface TableColumn {
  name: string;
  attnum: number;
  type: string;
  base: string;
  isArray: boolean;
  notNull: boolean;
  hasDefault: boolean;
  generated: boolean;
  /** Names of the CHECK constraints (the table's and the column's domain's) that mention it. */
  constraints: string[];
  /** Their definitions. */
  checks: string[];
}

export interface ForeignKey {
  columns: string[];
  refTable: string;
  refColumns: string[];
}

export interface PublicTable {
  name: string;
  columns: TableColumn[];
  foreignKeys: ForeignKey[];
  /** The column that names the row's company (`company_id`; `id` of companies), or null. */
  companyKey: string | null;
}

/** The company column of a table: company_id, or the id of companies itself. */
export function companyKeyOf(table: string, columns: readonly string[]): string | null {
  if (table === "companies") return "id";
  return columns.includes("company_id") ? "company_id" : null;
}

/** Every ordinary table of public with its columns and foreign keys. */
export async function publicTables(sql: postgres.Sql): Promise<PublicTable[]> {
  const cols = await sql<(TableColumn & { table: string })[]>`
    select c.relname as table, a.attname as name, a.attnum, format_type(a.atttypid, a.atttypmod) as type,
           coalesce(et.typname, bt.typname, t.typname) as base, (t.typcategory = 'A' or bt.typcategory = 'A') as "isArray",
           a.attnotnull as "notNull", (a.atthasdef or a.attidentity <> '') as "hasDefault", a.attgenerated <> '' as generated,
           coalesce((select array_agg(k.conname order by k.conname) from pg_constraint k
                     where (k.contypid = a.atttypid and k.contype = 'c') or (k.conrelid = c.oid and k.contype = 'c' and a.attnum = any (k.conkey))), '{}') as constraints,
           coalesce((select array_agg(pg_get_constraintdef(k.oid) order by k.conname) from pg_constraint k
                     where (k.contypid = a.atttypid and k.contype = 'c') or (k.conrelid = c.oid and k.contype = 'c' and a.attnum = any (k.conkey))), '{}') as checks
    from pg_class c
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    join pg_type t on t.oid = a.atttypid
    left join pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
    left join pg_type et on et.oid = coalesce(nullif(bt.typelem, 0), nullif(t.typelem, 0)) and (t.typcategory = 'A' or bt.typcategory = 'A')
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
    order by c.relname, a.attnum`;
  const fks = await sql<{ table: string; columns: string[]; ref_table: string; ref_columns: string[] }[]>`
    select c.relname as table, r.relname as ref_table,
           (select array_agg(a.attname order by k.i) from unnest(f.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = f.conrelid and a.attnum = k.n) as columns,
           (select array_agg(a.attname order by k.i) from unnest(f.confkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = f.confrelid and a.attnum = k.n) as ref_columns
    from pg_constraint f join pg_class c on c.oid = f.conrelid join pg_class r on r.oid = f.confrelid
    where f.contype = 'f' and c.relnamespace = 'public'::regnamespace`;
  const byTable = new Map<string, PublicTable>();
  for (const { table, ...col } of cols) {
    if (!byTable.has(table)) byTable.set(table, { name: table, columns: [], foreignKeys: [], companyKey: null });
    byTable.get(table)!.columns.push(col);
  }
  for (const t of byTable.values()) t.companyKey = companyKeyOf(t.name, t.columns.map((c) => c.name));
  for (const f of fks) byTable.get(f.table)?.foreignKeys.push({ columns: f.columns, refTable: f.ref_table, refColumns: f.ref_columns });
  return [...byTable.values()];
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Plain values of a type, then the literals its checks name. */
function candidates(col: TableColumn, n: number): string[] {
  const hex = randomBytes(4).toString("hex");
  const literals = [...new Set(col.checks.flatMap((c) => [...c.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1].replace(/''/g, "'"))))];
  const numbers = [...new Set(col.checks.flatMap((c) => [...c.matchAll(/(?<![\w'])(-?\d+(?:\.\d+)?)(?![\w'])/g)].map((m) => m[1])))];
  if (col.isArray) return ["'{}'"];
  switch (col.base) {
    case "text": case "varchar": case "bpchar": case "citext": case "name":
      return [`matrix_${hex}`, `matrix/${hex}`, ...literals, `https://example.invalid/${hex}`, "x"].map(quote);
    case "uuid": return ["gen_random_uuid()"];
    case "int2": case "int4": case "int8":
      return [String(n), "1", ...numbers, "0"];
    case "numeric": case "float4": case "float8": return ["1", "0.5", ...numbers, "0"];
    case "bool": return ["false", "true"];
    case "json": case "jsonb": return ["'{}'", "'[]'", "'1'", ...literals.map(quote)];
    // Values of their own (n), for a key of a date (governance_reports' company and week), recent
    // enough for the views of the last weeks.
    case "timestamptz": case "timestamp": return [`now() - interval '${n % 86400} seconds'`, "now()", "now() - interval '1 day'"];
    case "date": return [`current_date - ${n % 7}`, "current_date", "current_date - 7"];
    case "interval": return ["interval '1 hour'"];
    case "bytea": return ["'\\x00'"];
    case "inet": return ["'127.0.0.1'"];
    default: return literals.length ? literals.map(quote) : ["''"];
  }
}

let counter = 1000;

/** An `insert` of one valid row of `table` for `companyId`, checked by inserting it (and rolling back). */
export async function rowInsert(sql: postgres.Sql | postgres.TransactionSql, tables: readonly PublicTable[], table: PublicTable, companyId: string | null, depth = 0): Promise<string> {
  const values = new Map<string, string>();
  const choice = new Map<string, number>();
  const pending: { col: TableColumn; options: string[] }[] = [];
  // Which row of each referenced table to point at: the next one (made when there is none) after a
  // unique key of this table was taken by a row pointing at the same.
  let fkOffset = 0;
  const referTo = async () => {
    for (const fk of table.foreignKeys) {
      const required = fk.columns.some((c) => table.columns.find((x) => x.name === c)!.notNull);
      if (!required || (fk.columns.length === 1 && fk.columns[0] === table.companyKey)) continue;
      const ref = tables.find((t) => t.name === fk.refTable);
      const scoped = ref?.companyKey && companyId ? `where ${ident(ref.companyKey)} = ${quote(companyId)}` : "";
      const lookup = `select ${fk.refColumns.map(ident).join(", ")} from public.${ident(fk.refTable)} ${scoped} order by 1 offset ${fkOffset} limit 1`;
      let [row] = await sql.unsafe(lookup);
      if (!row && ref && ref !== table && depth < 3) {
        await sql.unsafe(await rowInsert(sql, tables, ref, companyId, depth + 1));
        [row] = await sql.unsafe(lookup);
      }
      if (!row) throw new Error(`${table.name}: no row of ${fk.refTable}${scoped ? ` for company ${companyId}` : ""} to refer to (make it first)`);
      fk.columns.forEach((c, i) => values.set(c, row[fk.refColumns[i]] === null ? "null" : quote(String(row[fk.refColumns[i]]))));
    }
  };
  await referTo();
  if (table.companyKey && table.companyKey !== "id" && companyId) values.set(table.companyKey, quote(companyId));
  for (const col of table.columns) {
    if (col.generated || values.has(col.name) || !col.notNull || col.hasDefault) continue;
    pending.push({ col, options: candidates(col, counter++) });
    choice.set(col.name, 0);
  }
  let lastError = "";
  for (let tries = 0; tries < 60; tries++) {
    const cols = [...values.keys(), ...pending.map((p) => p.col.name)];
    const vals = [...values.values(), ...pending.map((p) => p.options[choice.get(p.col.name)!])];
    const text = cols.length
      ? `insert into public.${ident(table.name)} (${cols.map(ident).join(", ")}) values (${vals.join(", ")})`
      : `insert into public.${ident(table.name)} default values`;
    const err = await tryInSavepoint(sql, text);
    if (!err) return text;
    lastError = `${err.code}: ${err.message}`;
    const culprit = pending.find((p) => p.col.name === err.column_name || (!!err.constraint_name && p.col.constraints.includes(err.constraint_name)));
    if (err.code === "23505") { // a unique key taken: fresh plain values, and the next referenced rows
      // A key column with a default (alerts.subject '') gets values of its own too.
      for (const col of table.columns) {
        if (col.generated || values.has(col.name) || !col.hasDefault || col.base !== "text" || pending.some((p) => p.col.name === col.name)) continue;
        pending.push({ col, options: [] });
        choice.set(col.name, 0);
      }
      for (const p of pending) p.options = candidates(p.col, counter++);
      fkOffset++;
      await referTo();
      continue;
    }
    const next = culprit ?? pending.find((p) => choice.get(p.col.name)! + 1 < p.options.length && err.message.includes(p.col.base));
    if (!next || choice.get(next.col.name)! + 1 >= next.options.length) break;
    choice.set(next.col.name, choice.get(next.col.name)! + 1);
  }
  // A table of one row (scan_queue_reaper: its key can take one value) takes no second: an insert
  // that does nothing on its key stands for it, so each role is still tried at inserting.
  if (lastError.startsWith("23505") && table.columns.every((c) => c.hasDefault || !c.notNull)) {
    const text = `insert into public.${ident(table.name)} default values on conflict do nothing`;
    if (!(await tryInSavepoint(sql, text))) return text;
  }
  throw new Error(`could not make a row of public.${table.name}${companyId ? ` for company ${companyId}` : ""} from its catalog (${lastError}); give it one in the test's seed`);
}

/** Runs `text`; answers the error, if any, having rolled the statement back either way. */
export async function tryInSavepoint(sql: postgres.Sql | postgres.TransactionSql, text: string): Promise<postgres.PostgresError | null> {
  const run = async (tx: postgres.TransactionSql) => {
    await tx.unsafe(text);
    throw new RolledBack();
  };
  try {
    if ("savepoint" in sql) await (sql as postgres.TransactionSql).savepoint(run);
    else await (sql as postgres.Sql).begin(run);
  } catch (e) {
    if (e instanceof RolledBack) return null;
    return e as postgres.PostgresError;
  }
  return null;
}
class RolledBack extends Error {}

/**
 * Gives every table rows of each company (tenant tables) or at least one row (the others), in the
 * order the foreign keys need. Answers how many rows it added per table.
 */
export async function fillTables(sql: postgres.Sql, companies: readonly string[]): Promise<Map<string, number>> {
  const tables = await publicTables(sql);
  const added = new Map<string, number>();
  let left = tables.slice();
  const blocked = new Map<string, string>();
  while (left.length) {
    const next: PublicTable[] = [];
    for (const t of left) {
      try {
        for (const company of t.companyKey ? companies : [null]) {
          const key = t.companyKey;
          const [{ n }] = await sql.unsafe(`select count(*)::int as n from public.${ident(t.name)}${key && company ? ` where ${ident(key)} = ${quote(company)}` : ""}`);
          if (n > 0) continue;
          await sql.unsafe(await rowInsert(sql, tables, t, company));
          added.set(t.name, (added.get(t.name) ?? 0) + 1);
        }
      } catch (e) {
        blocked.set(t.name, (e as Error).message);
        next.push(t);
      }
    }
    if (next.length === left.length) {
      throw new Error(`rows could not be made for ${next.map((t) => `${t.name} (${blocked.get(t.name)})`).join("; ")}`);
    }
    left = next;
  }
  return added;
}
