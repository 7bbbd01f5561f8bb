// A command on the database (--db-url, else SUPABASE_DB_URL): the command line parsed, one
// connection, and errors shown as Postgres raised them, with the hint that says what to do. The
// onboarding commands (company, repo, member, token) and the report run through it.
import postgres from "postgres";
import { dbFromPostgresJs, type Db } from "../../supabase/functions/_shared/platform/db.ts";
import { Onboarding } from "../onboarding/onboarding.ts";
import { reachDatabase, redactUrl } from "../database-url.ts";
import { databaseUrl, type ParsedArgs, parseArgs, Refused, UsageError, usageMessage } from "./args.ts";

export interface CommandSpec {
  /** "company create", "repo add", …: how errors name the command. */
  name: string;
  usage: string;
  /** Options that take a value (besides --db-url), and flags. */
  valued?: readonly string[];
  flags?: readonly string[];
}

/**
 * Parses `args`, connects to the database and runs `fn` with the onboarding API over one
 * connection. Exit codes: 0 done, 2 usage (printed with the usage line), 1 what the database
 * refused (its message and its hint, which says what to do) or a database it cannot reach.
 */
export async function runDbCommand(spec: CommandSpec, args: string[], fn: (parsed: ParsedArgs, api: Onboarding, db: Db) => Promise<void>): Promise<number> {
  let parsed: ParsedArgs;
  let url: string;
  try {
    parsed = parseArgs(args, ["db-url", ...(spec.valued ?? [])], spec.flags);
    url = databaseUrl(parsed);
  } catch (e) {
    console.error(usageMessage(spec.name, e as Error, spec.usage));
    return 2;
  }
  // No prepared statements: a project's transaction pooler (port 6543) refuses them, and a command
  // makes a handful of calls (SqlFunctions then sends each as one simple query).
  const sql = postgres(url, { max: 1, prepare: false, onnotice: () => {}, connect_timeout: 10 });
  try {
    await reachDatabase(sql, url);
    const db = dbFromPostgresJs(sql);
    await fn(parsed, new Onboarding(db), db);
    return 0;
  } catch (e) {
    const err = e as { message: string; hint?: string; severity?: string };
    if (e instanceof UsageError) {
      console.error(`codeguard ${spec.name}: ${err.message}\n${spec.usage}`);
      return 2;
    }
    if (e instanceof Refused) {
      console.error(`codeguard ${spec.name}: ${err.message}`);
      return 1;
    }
    if (err.severity) {
      // Postgres refused: its message names the problem and its hint the fix (the function's own prefix dropped).
      console.error(`codeguard ${spec.name}: ${err.message.replace(/^[a-z_]+: /, "")}${err.hint ? `\n→ ${err.hint}` : ""}`);
    } else {
      console.error(`codeguard ${spec.name}: cannot reach the database at ${redactUrl(url)}: ${err.message}`);
    }
    return 1;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

