// A database URL on the Node side (the CLI, the worker, the deploy, the local stack): checked
// before anything connects, shown with its password masked, and reached within a bound. One place,
// so every message that names a database masks it the same way.
import type postgres from "postgres";

/** The URL as it may be shown: the password masked (user, host, port and database stay: they say which database). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    // `user:pass@host/db` without its scheme parses as a URL of scheme `user:` whose path holds the
    // password: a URL without a host is not shown.
    if (!u.host) return "(not a URL)";
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(not a URL)";
  }
}

/**
 * What is wrong with a database URL before anything connects (postgres.js throws a bare
 * "TypeError: Invalid URL" with its stack otherwise), or null; `source` names where it came from.
 */
export function dbUrlProblem(url: string, source = "SUPABASE_DB_URL"): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${source} is not a URL: set it to postgres://user:password@host:port/database (\`npm start\` prints the local one)`;
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    return `${source} must be a postgres:// URL, got ${u.protocol}// (${redactUrl(url)})`;
  }
  return null;
}

/** The seconds a command waits for the database's first answer (CONNECT_TIMEOUT_SECONDS below). */
export const CONNECT_TIMEOUT_SECONDS = 10;

/**
 * The database's first answer, within `seconds`, or an error saying what was tried. postgres.js's
 * connect_timeout ends one attempt but not the query waiting for it: against a host that never
 * answers (packets dropped) it reconnects without end, and a command hung for minutes saying nothing.
 * ECONNREFUSED and an unknown host fail at once, with postgres.js's own error.
 */
export async function reachDatabase(sql: postgres.Sql, url: string, seconds = CONNECT_TIMEOUT_SECONDS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const noAnswer = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const u = new URL(url);
      reject(new Error(`no answer from ${u.hostname}:${u.port || 5432} within ${seconds} s (connect timeout); is the host right, and does a firewall let port ${u.port || 5432} through?`));
    }, seconds * 1000);
  });
  try {
    await Promise.race([sql`select 1`, noAnswer]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `text` with the password of every postgres:// URL in it masked — for a tool's output that quotes
 * the URL it was given (the Supabase CLI's errors do).
 */
export function redactUrlsIn(text: string): string {
  return text.replace(/(postgres(?:ql)?:\/\/[^:@\s/]*):[^@\s/]+@/g, "$1:***@");
}
