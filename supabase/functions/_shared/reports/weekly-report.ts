/**
 * Generating a company's weekly report: the figures from weekly_report_data, the content read off
 * them, the Markdown and the HTML page, stored with save_governance_report (a re-run of the same
 * week replaces the report). The weekly_report job (generate-report function) and
 * `codeguard report` both call generateWeeklyReport.
 */
import type { Db } from "../platform/db.ts";
import type { SqlFunctions } from "../platform/sql-call.ts";
import { PermanentJobError, type JobProcessor } from "../queue/worker/outcomes.ts";
import { type AiOrigins, reportContent, type WeeklyReportContent, type WeeklyReportData } from "./content.ts";
import { reportHtml } from "./html.ts";
import { reportMarkdown } from "./markdown.ts";

/** The edge function that runs weekly_report jobs (public.scan_job_types.worker). */
export const REPORT_WORKER = "generate-report";

export interface WeeklyReport {
  id: string;
  periodStart: string;
  periodEnd: string;
  content: WeeklyReportContent;
  markdown: string;
  html: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The week before `day` (Monday to Sunday, UTC), as the schedule reports it. */
export function weekBefore(day: Date): { periodStart: string; periodEnd: string } {
  const d = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  const sinceMonday = (d.getUTCDay() + 6) % 7;
  const end = new Date(d.getTime() - (sinceMonday + 1) * 86_400_000);
  const start = new Date(end.getTime() - 6 * 86_400_000);
  return { periodStart: start.toISOString().slice(0, 10), periodEnd: end.toISOString().slice(0, 10) };
}

/**
 * The figures of a company's report for the week ending periodEnd, as of now: weekly_report_data
 * and, beside it, the AI-LOC band with its coverage and per-agent models (weekly_report_origins:
 * git-ai records beside marks). The one read both the stored report and the members' dashboard
 * make, so a number they both show is the same number. Null for an unknown company.
 */
export async function weeklyReportFigures(sql: SqlFunctions, companyId: string, periodEnd: string): Promise<WeeklyReportData | null> {
  const args = [["p_company_id", companyId, "uuid"], ["p_period_end", periodEnd, "date"]] as const;
  const [data, origins] = await Promise.all([
    sql.value<WeeklyReportData | null>("weekly_report_data", [...args]),
    sql.value<AiOrigins>("weekly_report_origins", [...args]),
  ]);
  if (data) data.ai_origins = origins;
  return data;
}

export async function generateWeeklyReport(db: Db, args: { companyId: string; periodEnd: string; jobId?: string }): Promise<WeeklyReport> {
  if (!DAY.test(args.periodEnd)) throw new PermanentJobError(`period_end must be a date (YYYY-MM-DD), got ${JSON.stringify(args.periodEnd)}`);
  const sql = db.functions;
  const data = await weeklyReportFigures(sql, args.companyId, args.periodEnd);
  if (!data) throw new PermanentJobError(`no company ${args.companyId}`);
  const content = reportContent(data);
  const markdown = reportMarkdown(content);
  const html = reportHtml(content);
  const id = await sql.value<string>("save_governance_report", [
    ["p_company_id", args.companyId, "uuid"], ["p_period_start", content.period.start, "date"],
    ["p_period_end", content.period.end, "date"], ["p_content", content, "jsonb"], ["p_markdown", markdown, "text"],
    ["p_html", html, "text"], ["p_job_id", args.jobId ?? null, "uuid"]]);
  return { id, periodStart: content.period.start, periodEnd: content.period.end, content, markdown, html };
}

/** A company's stored report of the week starting periodStart, or null. */
export async function storedWeeklyReport(db: Db, companyId: string, periodStart: string): Promise<WeeklyReport | null> {
  const r = await db.functions.value<{ id: string; period_start: string; period_end: string; content: WeeklyReportContent; markdown: string; html: string } | null>(
    "governance_report", [["p_company_id", companyId, "uuid"], ["p_period_start", periodStart, "date"]]);
  return r ? { id: r.id, periodStart: r.period_start, periodEnd: r.period_end, content: r.content, markdown: r.markdown, html: r.html } : null;
}

/** weekly_report: payload {period_end} (and period_start, which the week follows from). */
export function weeklyReportProcessor(db: Db): JobProcessor {
  return async ({ job, signal }) => {
    const periodEnd = job.payload.period_end;
    if (typeof periodEnd !== "string") throw new PermanentJobError('weekly_report needs payload.period_end (a date, e.g. {"period_end": "2026-11-29"})');
    signal.throwIfAborted();
    const report = await generateWeeklyReport(db, { companyId: job.companyId, periodEnd, jobId: job.id });
    return {
      report_id: report.id, period_start: report.periodStart, period_end: report.periodEnd,
      debt_score: report.content.risk_summary.debt_score, html_bytes: new TextEncoder().encode(report.html).length,
    };
  };
}
