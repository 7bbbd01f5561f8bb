/**
 * The core's handle on one database. Underneath, the whole database dependency is one method (the
 * pg-boss way): run a statement with positional parameters and get its rows. The edge functions
 * (Deno) and the Node side both back it with postgres.js; the core never imports a driver, so it
 * runs unchanged on either runtime.
 */
import { SqlFunctions, type Statements } from "./sql-call.ts";

/**
 * A database: its statements, and the typed client of its SQL functions — the API every store and
 * handler calls (conventions: every state change is a SQL function). The client is made once, with
 * the handle, where the connection is opened (the composition root), so no module builds its own.
 */
export interface Db extends Statements {
  readonly functions: SqlFunctions;
}

/** The slice of a postgres.js `Sql` instance that `dbFromPostgresJs` needs. */
export interface PostgresJsLike {
  unsafe(text: string, params?: unknown[], options?: { prepare?: boolean }): PromiseLike<unknown>;
  readonly options?: { readonly prepare?: boolean };
}

/**
 * Wraps a postgres.js client (`npm:postgres` in Deno, `postgres` in Node). Statements with
 * parameters are prepared unless the client was created with `prepare: false` (Supabase's
 * transaction pooler); postgres.js keeps them per connection, keyed by their text.
 */
export function dbFromPostgresJs(sql: PostgresJsLike): Db {
  const prepares = sql.options?.prepare !== false;
  const prepared = { prepare: true };
  const statements: Statements = {
    prepares,
    async query<T>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      const rows = await sql.unsafe(text, params as unknown[], prepares && params.length > 0 ? prepared : undefined);
      return rows as T[];
    },
  };
  return { ...statements, functions: new SqlFunctions(statements) };
}

/**
 * True when `error` says the database could not be reached or the connection was lost (refused,
 * reset, closed, terminated by a restart, too many connections), rather than that a statement was
 * wrong. Such an error is the database's outage, not the job's failure: the worker retries what it
 * was writing and hands the job back without spending an attempt. Duck-typed on postgres.js's
 * errors (its connection codes, Node's socket codes, SQLSTATE classes 08 and 57P, 53300), so the
 * core needs no driver.
 */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return false;
  return CONNECTION_CODES.has(code) || /^08/.test(code) || /^57P0[123]$/.test(code) || code === "53300";
}

const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT",
  "ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN",
]);

/**
 * True when `reason` is the failure of postgres.js's own array-type query, the one it runs first on
 * every new connection (`fetch_types`). postgres.js 3.4.9 starts that query and drops its promise
 * (connection.js, ReadyForQuery: `return fetchArrayTypes()`), so a connection lost while it runs — a
 * Postgres restart, a reset, a terminated backend — rejects a promise nobody holds, and Node and
 * Deno end the process on an unhandled rejection: one killed a worker mid-scan in CI. The statement
 * that opened the connection gets the same error and is retried as any lost connection is, so that
 * rejection carries nothing to act on. Upstream: porsager/postgres#1192, #1205, #1223 (open).
 * postgres.js tags the error with the statement it interrupted (a non-enumerable `query`), which
 * is how this one is told apart from every other rejection.
 */
export function isDroppedTypeFetch(reason: unknown): boolean {
  const query = (reason as { query?: unknown } | null)?.query;
  return typeof query === "string" && /\bb\.typarray\b/.test(query) && /from pg_catalog\.pg_type a\b/.test(query);
}

/** The warning both runtimes log when they let such a rejection pass. */
export function droppedTypeFetchWarning(reason: unknown): string {
  return `a new database connection was lost while opening: ${(reason as Error).message}`;
}

/**
 * True when `error` is postgres.js 3.4.9's write to a connection that has already closed: a write
 * of under 1 KiB is sent from a setImmediate, and when the connection closes before it runs —
 * a Postgres restart, a terminated backend — `nextWrite` reads `socket.write` of null and throws
 * from the timer, where no caller can catch it, so Node and Deno end the process (seen after
 * repeated restarts in the chaos suite). By then postgres.js has failed the connection's queries
 * (CONNECTION_CLOSED), and those are retried as any lost connection is, so the exception carries
 * nothing to act on. Upstream: porsager/postgres#1066, #1154, #1208; fixes #1168, #1176, #1209
 * (open). Told apart by its message (V8's, or JavaScriptCore's) and its place in the stack.
 */
export function isNullSocketWrite(error: unknown): boolean {
  const e = error as { name?: unknown; message?: unknown; stack?: unknown } | null;
  // Duck-typed: a test runner hands it on serialized (name, message, stack), not as a TypeError.
  if (!(error instanceof TypeError) && e?.name !== "TypeError") return false;
  if (typeof e?.message !== "string" || !/^(Cannot read properties of null \(reading 'write'\)|null is not an object \(evaluating 'socket\.write'\))$/.test(e.message)) return false;
  const stack = typeof e.stack === "string" ? e.stack : "";
  return /\bnextWrite\b/.test(stack) && /postgres[\\/](?:[^\\/\s]+[\\/])?src[\\/]connection\.js/.test(stack);
}

/** The warning both runtimes log when they outlive it. */
export function nullSocketWriteWarning(): string {
  return "a write to a database connection that had closed was dropped (postgres.js: its queries failed as a lost connection and are retried)";
}

