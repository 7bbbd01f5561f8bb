// scan-repository: one worker per invocation — claim scan jobs, scan on GitHub, detect, complete.
import postgres from "npm:postgres@3.4.9";
import { readConfig } from "../_shared/platform/config.ts";
import { dbFromPostgresJs } from "../_shared/platform/db.ts";
import { handleScanWorker } from "../_shared/http/scan-worker.ts";

const config = readConfig(Deno.env.toObject());
const sql = postgres(config.dbUrl, { prepare: false, max: 4, idle_timeout: 20, connect_timeout: 5 });
const edge = (globalThis as { EdgeRuntime?: { waitUntil(p: Promise<unknown>): void } }).EdgeRuntime;

Deno.serve((req) =>
  handleScanWorker(req, {
    db: dbFromPostgresJs(sql),
    // GitHub Enterprise Server, or the local GitHub of `npm start`; default api.github.com.
    githubBaseUrl: Deno.env.get("GITHUB_API_URL") || undefined,
    extendLifetime: edge ? (p) => edge.waitUntil(p) : undefined,
    log: (level, message, fields) => console[level === "info" ? "log" : level](JSON.stringify({ level, message, ...fields })),
  })
);
