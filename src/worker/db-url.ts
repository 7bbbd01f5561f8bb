// A database URL checked before anything connects, and shown with its password masked: pure, no
// driver loaded (the CLI's argument parser, src/cli/args.ts, uses them at every command).

/** The URL as it may be shown: the password masked. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
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
