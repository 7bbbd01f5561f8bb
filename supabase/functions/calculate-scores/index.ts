// calculate-scores: runs calculate_scores jobs — a company's AI-debt scores after its scans (SQL: run_calculate_scores).
import { sqlJobWorker } from "../_shared/governance/sql-jobs.ts";
import { serveQueueWorker } from "../_shared/http/serve-queue-worker.ts";

serveQueueWorker(({ db }) => sqlJobWorker(db, "calculate_scores"), { connections: 2 });
