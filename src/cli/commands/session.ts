// `codeguard session <user id>`: a session token for a member of the LOCAL stack, signed with its
// signing key from the data folder — what Supabase Auth would hand that user after a sign-in (the
// local stack has no Auth server). For CODEGUARD_ACCESS_TOKEN; never for a hosted project, whose
// keys are not on this machine.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadKeys, signUserJwt } from "../../local/keys.ts";
import { REPO_ROOT } from "../../local/migrate.ts";
import { parseArgs, UsageError, usageMessage } from "../args.ts";

export const summary = "a local member's session token (for CODEGUARD_ACCESS_TOKEN), signed with the local stack's key";

export const USAGE = `usage: codeguard session <user id> [--email E] [--hours N]
  <user id>  the member's id (public.users.id = auth uid; codeguard member add prints it)
  Reads the keys of the local stack in CODEGUARD_DATA_DIR (default .codeguard/local).`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function run(args: string[]): Promise<number> {
  let userId: string;
  let email: string | undefined;
  let hours = 12;
  try {
    const { positional, options } = parseArgs(args, ["email", "hours"]);
    if (positional.length !== 1 || !UUID.test(positional[0])) throw new UsageError("give the member's user id (a uuid)");
    userId = positional[0];
    email = options.get("email") as string | undefined;
    if (options.has("hours")) {
      hours = Number(options.get("hours"));
      if (!(hours > 0)) throw new UsageError(`--hours must be a number above 0, got ${options.get("hours")}`);
    }
  } catch (e) {
    console.error(usageMessage("session", e as Error, USAGE));
    return 2;
  }
  const stateDir = resolve(process.env.CODEGUARD_DATA_DIR ?? join(REPO_ROOT, ".codeguard", "local"));
  if (!existsSync(join(stateDir, "keys.json"))) {
    console.error(`codeguard session: no local stack in ${stateDir} (run npm start first, or set CODEGUARD_DATA_DIR)`);
    return 2;
  }
  console.log(signUserJwt(loadKeys(stateDir, false), { sub: userId, email, expiresInSeconds: Math.round(hours * 3600) }));
  return 0;
}
