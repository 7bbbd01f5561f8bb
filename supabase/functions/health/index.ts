// health: is the pipeline ready — database, migrations, schedules, queue. A thin shell over the core.
import { connectPostgres } from "../_shared/platform/postgres.ts";
import { readConfig } from "../_shared/platform/config.ts";
import { dbFromPostgresJs } from "../_shared/platform/db.ts";
import { handleHealth } from "../_shared/http/health.ts";
import { supabaseCallers } from "../_shared/http/supabase-callers.ts";

const config = readConfig(Deno.env.toObject());
// The transaction pooler does not support prepared statements; one connection per isolate.
const sql = connectPostgres(config.dbUrl, { prepare: false, max: 1, idle_timeout: 20, connect_timeout: 5 });
const deps = { db: dbFromPostgresJs(sql), verifyCaller: supabaseCallers(config.callerKeys) };

Deno.serve((req) => handleHealth(req, deps));
