// github-webhook: GitHub's deliveries — verify the signature, parse, record and enqueue, answer. A thin shell over the core.
import { connectPostgres } from "../_shared/platform/postgres.ts";
import { readConfig } from "../_shared/platform/config.ts";
import { dbFromPostgresJs } from "../_shared/platform/db.ts";
import { handleGitHubWebhook } from "../_shared/http/github-webhook.ts";

const config = readConfig(Deno.env.toObject());
// Two statements a delivery (the secret, the record); a burst of deliveries shares a few connections.
const sql = connectPostgres(config.dbUrl, { prepare: false, max: 8, idle_timeout: 20, connect_timeout: 5 });
const deps = {
  db: dbFromPostgresJs(sql),
  log: (level: "info" | "warn" | "error", message: string, fields: Record<string, unknown>) =>
    console[level === "info" ? "log" : level](JSON.stringify({ level, message, ...fields })),
};

Deno.serve((req) => handleGitHubWebhook(req, deps));
