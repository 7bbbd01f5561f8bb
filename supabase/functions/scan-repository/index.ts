// scan-repository: one worker per invocation — claim scan jobs, scan on GitHub, detect, complete.
import postgres from "npm:postgres@3.4.9";
import { readConfig } from "../_shared/platform/config.ts";
import { dbFromPostgresJs } from "../_shared/platform/db.ts";
import { handleScanWorker } from "../_shared/http/scan-worker.ts";
import { supabaseCallers } from "../_shared/http/supabase-callers.ts";

const env = Deno.env.toObject();
const config = readConfig(env);
const sql = postgres(config.dbUrl, { prepare: false, max: 4, idle_timeout: 20, connect_timeout: 5 });
const edge = (globalThis as { EdgeRuntime?: { waitUntil(p: Promise<unknown>): void } }).EdgeRuntime;
const deps = {
  db: dbFromPostgresJs(sql),
  verifyCaller: supabaseCallers(env),
  // GitHub Enterprise Server, or the local GitHub of `npm start`; default api.github.com.
  githubBaseUrl: env.GITHUB_API_URL || undefined,
  extendLifetime: edge ? (p: Promise<unknown>) => edge.waitUntil(p) : undefined,
  log: (level: "info" | "warn" | "error", message: string, fields: Record<string, unknown>) =>
    console[level === "info" ? "log" : level](JSON.stringify({ level, message, ...fields })),
};

Deno.serve((req) => handleScanWorker(req, deps));
