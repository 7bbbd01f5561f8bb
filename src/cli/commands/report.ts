// `codeguard report --company <id|name>`: generates the company's weekly governance report (the week
// before today, or the 7 days ending --period-end), stores it (replacing that week's), and prints its
// Markdown; --html writes the self-contained page, --json prints the content instead.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { generateWeeklyReport, weekBefore } from "../../../supabase/functions/_shared/reports/weekly-report.ts";
import { companyOption, UsageError } from "../args.ts";
import { runDbCommand } from "../db-command.ts";

export const summary = "report --company ID|NAME [--period-end YYYY-MM-DD] [--html out.html] [--json]: the weekly governance report";

export const USAGE = `usage: codeguard report [--company ID|NAME] [--period-end YYYY-MM-DD] [--html out.html] [--json] [--db-url URL]
  the week before today (Monday to Sunday, UTC) unless --period-end; --company defaults to $CODEGUARD_COMPANY`;

export async function run(args: string[]): Promise<number> {
  return await runDbCommand({ name: "report", usage: USAGE, valued: ["company", "period-end", "html"], flags: ["json"] }, args, async (parsed, api, db) => {
    if (parsed.positional.length) throw new UsageError(`unexpected ${parsed.positional.join(" ")}`);
    const periodEnd = (parsed.options.get("period-end") as string | undefined) ?? weekBefore(new Date()).periodEnd;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(periodEnd) || Number.isNaN(Date.parse(`${periodEnd}T00:00:00Z`))) {
      throw new UsageError(`--period-end must be a date, YYYY-MM-DD (got ${periodEnd})`);
    }
    const companyId = await api.resolveCompany(companyOption(parsed));
    const report = await generateWeeklyReport(db, { companyId, periodEnd });
    const html = parsed.options.get("html") as string | undefined;
    if (html) writeFileSync(html, report.html);
    if (parsed.options.has("json")) console.log(JSON.stringify({ id: report.id, ...report.content }, null, 2));
    else console.log(report.markdown);
    if (html) console.error(`the page: ${resolve(html)} (${Math.round(Buffer.byteLength(report.html) / 1024)} KB, self-contained)`);
  });
}
