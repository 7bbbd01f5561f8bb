// enqueue-scan: "Run scan": a member enqueues a scan of a repository of their company. A thin shell over the core (_shared/http/scan-api.ts).
import { connectPostgres } from "../_shared/platform/postgres.ts";
import { readConfig } from "../_shared/platform/config.ts";
import { dbFromPostgresJs } from "../_shared/platform/db.ts";
import { handleEnqueueScan } from "../_shared/http/scan-api.ts";
import { supabaseCallers } from "../_shared/http/supabase-callers.ts";
import { withCors } from "../_shared/http/cors.ts";

const config = readConfig(Deno.env.toObject());
const sql = connectPostgres(config.dbUrl, { prepare: false, max: 2, idle_timeout: 20, connect_timeout: 5 });
const deps = { db: dbFromPostgresJs(sql), verifyCaller: supabaseCallers(config.callerKeys) };

// CORS: the dashboard's standalone page calls it from its own origin (cors.ts).
Deno.serve(withCors((req) => handleEnqueueScan(req, deps)));
