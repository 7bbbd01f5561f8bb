// enqueue-scan: "Run scan": a member enqueues a scan of a repository of their company. A thin shell over the core (_shared/http/scan-api.ts).
import postgres from "npm:postgres@3.4.9";
import { readConfig } from "../_shared/platform/config.ts";
import { dbFromPostgresJs } from "../_shared/platform/db.ts";
import { handleEnqueueScan } from "../_shared/http/scan-api.ts";
import { supabaseCallers } from "../_shared/http/supabase-callers.ts";

const env = Deno.env.toObject();
const config = readConfig(env);
const sql = postgres(config.dbUrl, { prepare: false, max: 2, idle_timeout: 20, connect_timeout: 5 });
const deps = { db: dbFromPostgresJs(sql), verifyCaller: supabaseCallers(env) };

Deno.serve((req) => handleEnqueueScan(req, deps));
