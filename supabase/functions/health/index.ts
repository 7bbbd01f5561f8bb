// health: is the pipeline ready — database, migrations, schedules. A thin shell over the core.
import postgres from "npm:postgres@3.4.9";
import { readConfig } from "../_shared/platform/config.ts";
import { dbFromPostgresJs } from "../_shared/platform/db.ts";
import { handleHealth } from "../_shared/http/health.ts";

const config = readConfig(Deno.env.toObject());
// The transaction pooler does not support prepared statements; one connection per isolate.
const sql = postgres(config.dbUrl, { prepare: false, max: 1, idle_timeout: 20, connect_timeout: 5 });
const db = dbFromPostgresJs(sql);

Deno.serve((req) => handleHealth(req, db));
