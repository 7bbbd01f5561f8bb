// Who may do what to each object of `public`, as rules over what the catalogs and our code say of
// the object — not as a list of objects — so that a table, view, sequence or function added later
// gets its expectation without anyone editing the privilege matrix (test/platform/privileges.test.ts).
// The rules are those of supabase/schemas/90_privileges.sql:
//   anon           nothing (the publishable/anon key is public);
//   a member       reads, of a table with a member policy (or a security_invoker view, or a view that
//                  filters by current_company_id()), exactly the
//                  rows of their own company (all rows where the table names no company), writes
//                  nothing, truncates nothing; executes the functions the policies use and the
//                  security-definer functions that scope themselves to the caller (they call
//                  current_company_id(), auth.uid() or auth.jwt()), nothing else;
//   service_role   reads every row of every table and view; writes only the tables onboarding
//                  writes directly (SERVICE_WRITES), the rest through the functions; truncates
//                  nothing; executes the functions our code, our schedules or the policies call —
//                  a helper that only other SQL functions call needs no grant (they run as owner);
//   nobody         holds a sequence, or executes a trigger function.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export type Role = "anon" | "member_a" | "member_b" | "service_role";
export const ROLES: readonly Role[] = ["anon", "member_a", "member_b", "service_role"];

export type TableOp = "select" | "insert" | "update" | "delete" | "truncate";
export type SequenceOp = "select" | "usage" | "update";
export const TABLE_OPS: readonly TableOp[] = ["select", "insert", "update", "delete", "truncate"];
export const SEQUENCE_OPS: readonly SequenceOp[] = ["select", "usage", "update"];

/** What onboarding and operators write straight to tables with the secret key; everything else goes through functions. */
export const SERVICE_WRITES: Readonly<Record<string, readonly TableOp[]>> = {
  companies: ["insert", "update", "delete"],
  users: ["insert", "update", "delete"],
  repositories: ["insert", "update", "delete"],
  pipeline_settings: ["update"],
};

export interface Relation {
  name: string;
  /** r table, p partitioned, v view, m materialized view, f foreign table, S sequence. */
  kind: "r" | "p" | "v" | "m" | "f" | "S";
  companyKey: string | null;
  /** A policy for SELECT (or ALL) that applies to authenticated. */
  memberPolicy: boolean;
  securityInvoker: boolean;
  /** A view that keeps a member to their company's rows itself (current_company_id() in its definition), over what they may not read (a materialized view). */
  scopedToCaller: boolean;
}

export interface SqlFunction {
  /** name(argtypes) as regprocedure prints it, without the schema. */
  signature: string;
  name: string;
  isTrigger: boolean;
  securityDefiner: boolean;
  body: string;
}

/** The expected outcome of a cell: denied, or allowed — with how many rows for reads and writes where that is known. */
export type Expected = { allow: false } | { allow: true; rows?: number; ownRows?: boolean };

export interface RowCounts {
  /** All rows of the relation, and per company. */
  total: number;
  a: number;
  b: number;
}

const isMember = (r: Role) => r === "member_a" || r === "member_b";

export function expectedForRelation(rel: Relation, role: Role, op: TableOp, counts: RowCounts): Expected {
  if (role === "anon") return { allow: false };
  if (isMember(role)) {
    if (op !== "select") return { allow: false };
    const readable = rel.kind === "r" || rel.kind === "p" ? rel.memberPolicy : rel.kind === "v" ? rel.securityInvoker || rel.scopedToCaller : false;
    if (!readable) return { allow: false };
    if (!rel.companyKey) return { allow: true, rows: counts.total };
    return { allow: true, rows: role === "member_a" ? counts.a : counts.b, ownRows: true };
  }
  // service_role
  if (op === "select") return { allow: true, rows: counts.total };
  if (op === "truncate") return { allow: false };
  if ((SERVICE_WRITES[rel.name] ?? []).includes(op)) return { allow: true, rows: op === "insert" ? 1 : counts.total };
  return { allow: false };
}

export function expectedForSequence(): Expected {
  return { allow: false };
}

/** Function names our TypeScript calls (`"name"`, a SQL call by name, or `public.name(`), and those the README has operators call. */
export function functionsCalledByCode(roots: readonly string[]): Set<string> {
  const names = new Set<string>();
  const read = (path: string) => {
    const text = readFileSync(path, "utf8");
    // README: an operator's `select public.fn(…)`; TypeScript: a SQL call by name too.
    if (!path.endsWith(".md")) for (const m of text.matchAll(/["'`]([a-z][a-z0-9_]*)["'`]/g)) names.add(m[1]);
    for (const m of text.matchAll(/public\.([a-z][a-z0-9_]*)\s*\(/g)) names.add(m[1]);
  };
  const walk = (path: string) => {
    if (!statSync(path).isDirectory()) return read(path);
    for (const entry of readdirSync(path)) {
      if (entry === "node_modules" || entry.startsWith(".")) continue;
      const child = join(path, entry);
      if (statSync(child).isDirectory()) walk(child);
      else if (entry.endsWith(".ts") && !entry.endsWith("_test.ts") && !entry.endsWith(".types.ts")) read(child);
    }
  };
  for (const r of roots) walk(r);
  return names;
}

export interface CallSites {
  /** Called from TypeScript (the functions, the CLI, the worker, the benches). */
  code: Set<string>;
  /** Named in a pg_cron command. */
  schedules: Set<string>;
  /** Named in a row-level security policy. */
  policies: Set<string>;
}

const SCOPES_TO_CALLER = /public\.current_company_id\s*\(|auth\.uid\s*\(|auth\.jwt\s*\(/;

export function expectedForFunction(fn: SqlFunction, role: Role, calls: CallSites): Expected {
  if (role === "anon" || fn.isTrigger) return { allow: false };
  if (isMember(role)) {
    return calls.policies.has(fn.name) || (fn.securityDefiner && SCOPES_TO_CALLER.test(fn.body)) ? { allow: true } : { allow: false };
  }
  const called = calls.code.has(fn.name) || calls.schedules.has(fn.name) || calls.policies.has(fn.name);
  return called ? { allow: true } : { allow: false };
}
