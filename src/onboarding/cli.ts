// What the onboarding commands share: the database they talk to (--db-url, else SUPABASE_DB_URL:
// the local stack's, which `npm start` prints, or a hosted project's connection string), the
// company they act for (--company, else CODEGUARD_COMPANY), and errors shown as Postgres raised them,
// with the hint that says what to do.
import postgres from "postgres";
import { dbFromPostgresJs, type Db } from "../../supabase/functions/_shared/platform/db.ts";
import { dbUrlProblem, reachDatabase, redactUrl } from "../database-url.ts";
import { Onboarding } from "./onboarding.ts";

export interface ParsedArgs {
  positional: string[];
  options: Map<string, string | true>;
}

/** `--name value`, `--name=value` and `--flag` (for names in `flags`); the rest is positional. */
export function parseArgs(args: string[], valued: readonly string[], flags: readonly string[] = []): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (flags.includes(name) && eq < 0) options.set(name, true);
    else if (valued.includes(name)) {
      const value = eq >= 0 ? a.slice(eq + 1) : args[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      options.set(name, value);
    } else throw new UsageError(`unknown option ${a}`);
  }
  return { positional, options };
}

export class UsageError extends Error {}

/** The command refuses what it was given, for a reason found outside the database (exit 1, no usage). */
export class Refused extends Error {}

/** A database URL that is no postgres:// URL: one line says so, without the usage. */
export class DatabaseUrlError extends UsageError {}

/** How a command shows a UsageError: its message, and the usage unless the URL was the problem. */
export function usageMessage(command: string, e: Error, usage: string): string {
  return e instanceof DatabaseUrlError ? `codeguard ${command}: ${e.message}` : `codeguard ${command}: ${e.message}\n${usage}`;
}

/** The database URL: --db-url, else SUPABASE_DB_URL; a clear error when neither is there. */
export function databaseUrl(parsed: ParsedArgs): string {
  const url = (parsed.options.get("db-url") as string | undefined) || process.env.SUPABASE_DB_URL;
  if (!url) {
    throw new UsageError("missing SUPABASE_DB_URL: set it or pass --db-url postgres://… (`npm start` prints the local one; " +
      "a hosted project's is under Connect → Session pooler, with your database password)");
  }
  const problem = dbUrlProblem(url, parsed.options.has("db-url") ? "--db-url" : "SUPABASE_DB_URL");
  if (problem) throw new DatabaseUrlError(problem);
  return url;
}

/** The company given by --company or CODEGUARD_COMPANY (an id or a name). */
export function companyOption(parsed: ParsedArgs): string {
  const company = (parsed.options.get("company") as string | undefined) || process.env.CODEGUARD_COMPANY;
  if (!company) throw new UsageError("which company? pass --company <id or name>, or set CODEGUARD_COMPANY (codeguard company create prints the id)");
  return company;
}

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
export async function runOnboardingCommand(spec: CommandSpec, args: string[], fn: (parsed: ParsedArgs, api: Onboarding, db: Db) => Promise<void>): Promise<number> {
  let parsed: ParsedArgs;
  let url: string;
  try {
    if (args.includes("-h") || args.includes("--help")) {
      console.log(spec.usage);
      return 0;
    }
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

/** Splits `codeguard <command> <action> …` into the action and its arguments. */
export function action(args: string[]): [string | undefined, string[]] {
  return [args[0], args.slice(1)];
}
