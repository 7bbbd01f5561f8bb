// `codeguard company create <name> [--settings JSON]`: a new company (a tenant), printed with its id.
import { action, UsageError } from "../args.ts";
import { runDbCommand } from "../db-command.ts";

export const summary = "company create <name> [--settings JSON]: a new company, with its id (SUPABASE_DB_URL)";

export const USAGE = `usage: codeguard company create <name> [--settings '{"auto_scan_enabled": false}'] [--db-url URL]
  settings over the defaults: risk_threshold 60, auto_scan_enabled true, max_concurrent_scans 2, scan_window_days 90`;

export async function run(args: string[]): Promise<number> {
  const [verb, rest] = action(args);
  if (verb !== "create") {
    console.error(verb ? `codeguard company: unknown action ${verb}\n${USAGE}` : USAGE);
    return 2;
  }
  return await runDbCommand({ name: "company create", usage: USAGE, valued: ["settings"] }, rest, async ({ positional, options }, api) => {
    if (positional.length !== 1) throw new UsageError("give the company's name, one argument (quote it if it has spaces)");
    let settings: { [key: string]: unknown } | undefined;
    if (options.has("settings")) {
      try {
        settings = JSON.parse(String(options.get("settings")));
      } catch (e) {
        throw new UsageError(`--settings is not JSON: ${(e as Error).message}`);
      }
    }
    const id = await api.createCompany(positional[0], settings);
    console.log(`created company ${positional[0]}: ${id}`);
    console.log(`next: export CODEGUARD_COMPANY=${id}; then codeguard token set, codeguard repo add owner/name, codeguard member add <email>`);
  });
}
