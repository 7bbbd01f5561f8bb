// generate-alerts: runs generate_alerts jobs — a company's alerts from its scores and jobs (SQL: run_generate_alerts).
import { sqlJobWorker } from "../_shared/governance/sql-jobs.ts";
import { serveQueueWorker } from "../_shared/http/serve-queue-worker.ts";

serveQueueWorker(({ db }) => sqlJobWorker(db, "generate_alerts"), { connections: 2 });
