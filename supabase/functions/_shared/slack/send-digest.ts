/**
 * send_slack_digest: a company's weekly digest to its Slack webhook. The week's report is the one
 * the Monday 02:00 run stored (generated now if it is missing); the delivery row is made once per
 * company and week (prepare_slack_delivery), so a re-run never posts a delivered digest twice; the
 * attempts go out as delivery.ts says. A dead delivery fails the job for good with Slack's reason,
 * so it shows in the queue's dead letter (and its alert) as well as in slack_deliveries.
 */
import type { Db } from "../platform/db.ts";
import type { JsonValue } from "../queue/types.ts";
import { PermanentJobError, type JobProcessor } from "../queue/worker/outcomes.ts";
import { generateWeeklyReport, storedWeeklyReport } from "../reports/weekly-report.ts";
import { type Delivery, deliver, type DeliverOptions, MAX_ATTEMPTS, slackUrlProblem } from "./delivery.ts";
import { slackDigest } from "./digest.ts";

/** The edge function that runs send_slack_digest jobs (public.scan_job_types.worker). */
export const SLACK_DIGEST_WORKER = "send-slack-digest";

export interface SlackDigestDeps {
  db: Db;
  fetch?: typeof fetch;
  sleep?: DeliverOptions["sleep"];
  random?: () => number;
}

export function slackDigestProcessor(deps: SlackDigestDeps): JobProcessor {
  const sql = deps.db.functions;
  return async ({ job, signal, progress }) => {
    const periodStart = job.payload.period_start;
    const periodEnd = job.payload.period_end;
    if (typeof periodStart !== "string" || typeof periodEnd !== "string") {
      throw new PermanentJobError('send_slack_digest needs payload.period_start and period_end (dates, e.g. {"period_start": "2026-11-23", "period_end": "2026-11-29"})');
    }
    const url = await sql.value<string | null>("slack_webhook_url", [["p_company_id", job.companyId, "uuid"]]);
    if (!url) return { status: "skipped", reason: "the company has no Slack webhook URL (codeguard slack set --company <id> <url>)" };
    // Checked again at send time, with the URL parser: nothing is posted to a host that is not Slack's.
    const setting = await sql.value<unknown>("pipeline_setting", [["p_name", "slack_webhook_hosts", "text"]]);
    const hosts = Array.isArray(setting) ? setting.filter((h): h is string => typeof h === "string") : [];
    const problem = slackUrlProblem(url, hosts);
    if (problem) throw new PermanentJobError(`Slack digest not sent: ${problem}; set it again (codeguard slack set --company <id> <url>)`);
    const report = (await storedWeeklyReport(deps.db, job.companyId, periodStart)) ??
      (await generateWeeklyReport(deps.db, { companyId: job.companyId, periodEnd }));
    const [row] = await sql.rows<{ id: string; attempts: number; earlier_attempts: number; status: Delivery["status"]; payload: unknown; last_error: string | null }>(
      "prepare_slack_delivery", [["p_company_id", job.companyId, "uuid"], ["p_period_start", report.periodStart, "date"],
        ["p_payload", slackDigest(report.content), "jsonb"], ["p_job_id", job.id, "uuid"]]);
    const result = await deliver({
      db: deps.db, url, signal, fetch: deps.fetch, sleep: deps.sleep, random: deps.random,
      delivery: { id: row.id, attempts: Number(row.attempts), earlierAttempts: Number(row.earlier_attempts), status: row.status, payload: row.payload, lastError: row.last_error },
      onAttempt: (attempt, outcome) => progress(Math.round((100 * attempt) / MAX_ATTEMPTS), `Slack attempt ${attempt}: ${outcome.outcome}`),
    });
    if (result.status === "dead") throw new PermanentJobError(`Slack digest not delivered: ${result.error}`);
    return { status: result.status, delivery_id: row.id, attempts: result.attempts, report_id: report.id } as JsonValue;
  };
}
