// dashboard: the members' page and the JSON it reads — the company's figures as the weekly report
// has them, its repositories, scans and alerts, "Run scan" and its progress. A thin shell over the
// core (_shared/http/dashboard.ts).
import { connectPostgres } from "../_shared/platform/postgres.ts";
import { readConfig } from "../_shared/platform/config.ts";
import { dbFromPostgresJs } from "../_shared/platform/db.ts";
import { handleDashboard } from "../_shared/http/dashboard.ts";
import { supabaseCallers } from "../_shared/http/supabase-callers.ts";
import { withCors } from "../_shared/http/cors.ts";

const config = readConfig(Deno.env.toObject());
const sql = connectPostgres(config.dbUrl, { prepare: false, max: 2, idle_timeout: 20, connect_timeout: 5 });

// CORS: the standalone page (…/dashboard/standalone.html, hosted elsewhere) reads the JSON from its own origin.
Deno.serve(withCors(handleDashboard({
  db: dbFromPostgresJs(sql), verifyCaller: supabaseCallers(config.callerKeys), publishableKey: config.callerKeys.publishableKey, projectUrl: config.supabaseUrl,
})));
