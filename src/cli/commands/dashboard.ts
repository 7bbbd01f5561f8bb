// `codeguard dashboard [--user <id or email>]`: the dashboard's address on the LOCAL stack with a
// fresh session for a member in its fragment — what Supabase Auth's redirect hands the page after a
// sign-in on a hosted project (the local stack has no Auth server). Signed with the local stack's
// key, as `codeguard session` signs; printed, and opened where there is a browser to open it.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { loadKeys, signUserJwt } from "../../local/keys.ts";
import { REPO_ROOT } from "../../local/migrate.ts";
import { parseArgs, UsageError, usageMessage } from "../args.ts";

export const summary = "the dashboard's address on the local stack, signed in as a member (--user id or email), opened in a browser";

export const USAGE = `usage: codeguard dashboard [--user <id or email>] [--hours N] [--no-open]
  CODEGUARD_URL     the API URL npm start prints (http://127.0.0.1:<port>)
  SUPABASE_DB_URL   the DB URL npm start prints: finds the member by email, or the one member there is
  --user            the member (public.users: id or email); default: the only member of the stack
  --hours           how long the session lasts (default 12)
  Reads the keys of the local stack in CODEGUARD_DATA_DIR (default .codeguard/local); never for a hosted
  project, where members sign in on the page with Supabase Auth.`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The member to sign in as: { id, email }, or an error in words. */
async function findMember(user: string | undefined, dbUrl: string | undefined): Promise<{ id: string; email?: string } | string> {
  if (user && UUID.test(user) && !dbUrl) return { id: user };
  if (!dbUrl) return "set SUPABASE_DB_URL (the DB URL npm start prints) to find the member, or give --user <user id>";
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const rows = await sql<{ id: string; email: string | null; company: string }[]>`
      select u.id::text, u.email, c.name as company from public.users u join public.companies c on c.id = u.company_id
      where ${user ?? null}::text is null or u.id::text = lower(${user ?? ""}) or lower(u.email) = lower(${user ?? ""})
      order by u.created_at limit 11`;
    if (rows.length === 1) return { id: rows[0].id, email: rows[0].email ?? undefined };
    if (rows.length === 0) {
      return user ? `no member ${user} on this stack (codeguard member add ${user} makes one)` : "the stack has no member yet: codeguard member add <email> --company <name> first";
    }
    return `${rows.length > 10 ? "more than 10" : rows.length} members; choose one with --user:\n${rows.slice(0, 10).map((r) => `  ${r.id}  ${r.email ?? ""}  (${r.company})`).join("\n")}`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Opens the address in the desktop's browser, when there is a desktop; false when there is none. */
function openInBrowser(url: string): boolean {
  const cmd = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  if (process.platform === "linux" && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return false;
  try {
    const child = spawn(cmd, [url], { detached: true, stdio: "ignore" });
    child.on("error", () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}

export async function run(args: string[]): Promise<number> {
  let user: string | undefined;
  let hours = 12;
  let open = true;
  try {
    const { positional, options } = parseArgs(args, ["user", "hours"], ["no-open"]);
    if (positional.length) throw new UsageError(`unexpected ${positional.join(" ")}`);
    user = options.get("user") as string | undefined;
    if (options.has("hours")) {
      hours = Number(options.get("hours"));
      if (!(hours > 0)) throw new UsageError(`--hours must be a number above 0, got ${options.get("hours")}`);
    }
    open = !options.has("no-open");
  } catch (e) {
    console.error(usageMessage("dashboard", e as Error, USAGE));
    return 2;
  }
  const apiUrl = (process.env.CODEGUARD_URL ?? "").replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]+$/.test(apiUrl)) {
    console.error(`codeguard dashboard: set CODEGUARD_URL to the API URL npm start prints (http://127.0.0.1:<port>)\n${USAGE}`);
    return 2;
  }
  const stateDir = resolve(process.env.CODEGUARD_DATA_DIR ?? join(REPO_ROOT, ".codeguard", "local"));
  if (!existsSync(join(stateDir, "keys.json"))) {
    console.error(`codeguard dashboard: no local stack in ${stateDir} (run npm start first, or set CODEGUARD_DATA_DIR)`);
    return 2;
  }
  const member = await findMember(user, process.env.SUPABASE_DB_URL);
  if (typeof member === "string") {
    console.error(`codeguard dashboard: ${member}`);
    return 2;
  }
  const expiresIn = Math.round(hours * 3600);
  const token = signUserJwt(loadKeys(stateDir, false), { sub: member.id, email: member.email, expiresInSeconds: expiresIn });
  // The fragment Supabase Auth's redirect carries; the page keeps the session for the tab and
  // clears it from the address bar. No refresh token: the local stack has no Auth server to refresh at.
  const fragment = new URLSearchParams({ access_token: token, token_type: "bearer", expires_in: String(expiresIn),
    expires_at: String(Math.floor(Date.now() / 1000) + expiresIn), type: "local" });
  const url = `${apiUrl}/functions/v1/dashboard#${fragment}`;
  console.log(url);
  if (open && openInBrowser(url)) console.error(`opened in the browser, signed in as ${member.email ?? member.id} for ${hours} h`);
  else console.error(`signed in as ${member.email ?? member.id} for ${hours} h: open the address above in a browser`);
  return 0;
}
