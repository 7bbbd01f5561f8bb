// generate-report: runs weekly_report jobs — a company's weekly governance report (JSON, Markdown, HTML).
import { serveQueueWorker } from "../_shared/http/serve-queue-worker.ts";
import { REPORT_WORKER, weeklyReportProcessor } from "../_shared/reports/weekly-report.ts";

serveQueueWorker(({ db }) => ({
  name: REPORT_WORKER,
  processors: (types) => Object.fromEntries(types.filter((t) => t === "weekly_report").map((t) => [t, weeklyReportProcessor(db)])),
}));
