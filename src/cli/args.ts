// The command line of every `codeguard` command: one parser (options `--name value`, `--name=value`,
// flags; the rest positional), the help asked for (`-h`, `--help`: answered by main.ts, on stdout),
// the usage errors, and the options many commands share — the database they talk to (--db-url, else
// SUPABASE_DB_URL: the local stack's, which `npm start` prints, or a hosted project's connection
// string) and the company they act for (--company, else CODEGUARD_COMPANY).
import { dbUrlProblem } from "../database-url.ts";

export interface ParsedArgs {
  positional: string[];
  options: Map<string, string | true>;
}

/** Whether the command line asks for the help: `-h` or `--help` anywhere before a `--`. */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === "--") return false;
    if (a === "-h" || a === "--help") return true;
  }
  return false;
}

/**
 * `--name value`, `--name=value` and `--flag` (for names in `flags`); the rest is positional, and
 * so is everything after a `--`, and `-` alone (standard input). A valued option's value may not
 * be another option (`--notes --summary` is a missing value, not a file named --summary).
 */
export function parseArgs(args: string[], valued: readonly string[], flags: readonly string[] = []): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      positional.push(a);
      continue;
    }
    if (!a.startsWith("--")) throw new UsageError(`unknown option ${a}`);
    const eq = a.indexOf("=");
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (flags.includes(name) && eq < 0) options.set(name, true);
    else if (valued.includes(name)) {
      const value = eq >= 0 ? a.slice(eq + 1) : args[++i];
      if (value === undefined || (eq < 0 && value.startsWith("--"))) throw new UsageError(`--${name} needs a value`);
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

/** Splits `codeguard <command> <action> …` into the action and its arguments. */
export function action(args: string[]): [string | undefined, string[]] {
  return [args[0], args.slice(1)];
}
