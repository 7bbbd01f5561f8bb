/**
 * The whole database dependency of the core, one method (the pg-boss way): run a statement with
 * positional parameters and get its rows. The edge functions (Deno) and the Node side both back it
 * with postgres.js; the core never imports a driver, so it runs unchanged on either runtime.
 */
export interface Db {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

/** The slice of a postgres.js `Sql` instance that `dbFromPostgresJs` needs. */
export interface PostgresJsLike {
  unsafe(text: string, params?: unknown[], options?: { prepare?: boolean }): PromiseLike<unknown>;
}

/**
 * Wraps a postgres.js client (`npm:postgres` in Deno, `postgres` in Node). Statements are prepared
 * by postgres.js unless the client was created with `prepare: false` (Supabase's transaction pooler).
 */
export function dbFromPostgresJs(sql: PostgresJsLike): Db {
  return {
    async query<T>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      const rows = await sql.unsafe(text, params as unknown[]);
      return rows as T[];
    },
  };
}
