// refresh-views: runs refresh_views jobs — the dashboards' materialized views, concurrently (SQL: run_refresh_views).
import { sqlJobWorker } from "../_shared/governance/sql-jobs.ts";
import { serveQueueWorker } from "../_shared/http/serve-queue-worker.ts";

serveQueueWorker(({ db }) => sqlJobWorker(db, "refresh_views"), { connections: 2 });
