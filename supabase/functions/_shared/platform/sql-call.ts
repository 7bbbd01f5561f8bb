/**
 * Calls of the SQL functions that are the database's API, with named arguments, over the core's
 * `Db` (as `db.functions`): the one way TypeScript reaches SQL (each store — the queue's client, the GitHub store, the
 * scan store, the health store — is a list of typed methods over this).
 *
 * Arguments are passed by name (`p_x => …::type`), leaving out the ones the caller did not give so
 * the SQL defaults apply. Each value travels as text that Postgres casts to the argument's type,
 * so no driver-side encoding can change it. Where the driver prepares statements (a direct
 * connection: `codeguard worker`), the values are parameters and the statement's text is the same
 * on every call: prepared once per connection, then one round trip (Bind/Execute) with no parse or
 * plan — with 4 no-op workers, 0.85–0.93× graphile-worker's throughput became ~1.0–1.04×
 * (bench/queue.ts). Where it does not (`prepare: false`, Supabase's transaction pooler), a
 * statement with parameters would cost two round trips (Parse/Describe, wait, then Bind/Execute),
 * so the values are quoted literals inside the text instead: one simple Query, one round trip.
 * Quoting is `E'…'` with backslashes and quotes doubled, which reads the same whatever
 * standard_conforming_strings says. A NUL (which Postgres text cannot hold) is refused either way.
 */
import type { Database } from "./database.types.ts";

/** What the driver gives: one statement at a time. */
export interface Statements {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /**
   * True when a statement with parameters is prepared once per connection and then costs one round
   * trip (Bind/Execute) with no parse or plan; false behind a transaction pooler, where every
   * statement with parameters costs two round trips (Parse/Describe, then Bind/Execute).
   */
  readonly prepares?: boolean;
}

/**
 * The name of a SQL function of `public`, from the types generated from the migrations
 * (database.types.ts, `npm run gen`): a misspelt or removed function fails the type-check, not a job.
 */
export type SqlFunctionName = keyof Database["public"]["Functions"] & string;

/** One argument: its SQL name, its value (undefined: left out, so the default applies), its type. */
export type SqlArg = readonly [name: string, value: unknown, cast: string];

/** A row as the driver returns it. */
export type SqlRow = Record<string, unknown>;

/** Thrown for an argument Postgres cannot store, or an answer this client does not understand. */
export class SqlCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SqlCallError";
  }
}

/** A Postgres array literal of texts: `{"a","b"}` with quotes and backslashes escaped. */
export function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, "\\$&")}"`).join(",")}}`;
}

/** Postgres text cannot hold a NUL: refuse it here rather than let it cut the value short. */
function refuseNul(fn: string, name: string, s: string): void {
  if (s.includes("\0")) {
    throw new SqlCallError(`${name} of public.${fn} contains a NUL character, which Postgres text cannot store: remove it`);
  }
}

/** A Postgres string literal that reads back as exactly `s`, whatever standard_conforming_strings is. */
export function sqlLiteral(s: string): string {
  return `E'${s.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/** The text Postgres casts to `cast` (null stays null). */
function argText(value: unknown, cast: string): string | null {
  if (value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `\\x${Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("")}`; // bytea's hex form
  if (cast === "jsonb") return JSON.stringify(value);
  if (cast === "text[]") return textArrayLiteral(value as string[]);
  return typeof value === "string" ? value : String(value);
}

/**
 * `public.fn(p_a => …::t, …)` for the given args, leaving out undefined ones. With `params`, each
 * value is a text parameter (`$n::t`), so the statement's text is the same on every call and the
 * driver prepares it once; without, each value is a quoted literal in the text.
 */
function callText(fn: SqlFunctionName, args: readonly SqlArg[], params: string[] | null): string {
  const parts: string[] = [];
  for (const [name, value, cast] of args) {
    if (value === undefined) continue;
    const text = argText(value, cast);
    if (text === null) {
      parts.push(`${name} => null::${cast}`);
      continue;
    }
    refuseNul(fn, name, text);
    if (params) {
      params.push(text);
      // Typed text, then cast: the driver then sends the text as it is (it would encode a jsonb
      // or an array parameter itself).
      parts.push(cast === "text" ? `${name} => $${params.length}::text` : `${name} => $${params.length}::text::${cast}`);
    } else parts.push(`${name} => ${sqlLiteral(text)}::${cast}`);
  }
  return `public.${fn}(${parts.join(", ")})`;
}

/**
 * The SQL functions of one database, called by name. One per database handle: reach it as
 * `db.functions` (platform/db.ts makes it with the handle) rather than constructing another.
 */
export class SqlFunctions {
  constructor(private readonly db: Statements) {}

  /** Runs `statement(call)`, where call is `public.fn(…args)`, with parameters when the driver prepares. */
  private async run<T>(statement: (call: string) => string, fn: SqlFunctionName, args: readonly SqlArg[]): Promise<T[]> {
    if (!this.db.prepares) return await this.db.query<T>(statement(callText(fn, args, null)));
    const params: string[] = [];
    const text = statement(callText(fn, args, params));
    return await this.db.query<T>(text, params);
  }

  /** The rows of a set-returning (or composite-returning) function: `select * from public.fn(…) r`. */
  async rows<T = SqlRow>(fn: SqlFunctionName, args: readonly SqlArg[], where = ""): Promise<T[]> {
    return await this.run<T>((call) => `select * from ${call} r${where}`, fn, args);
  }

  /** The value of a scalar function: `select public.fn(…)`. */
  async value<T>(fn: SqlFunctionName, args: readonly SqlArg[]): Promise<T> {
    const [row] = await this.run<{ value: T }>((call) => `select ${call} as value`, fn, args);
    if (!row) throw new SqlCallError(`public.${fn} answered no row`);
    return row.value;
  }
}
