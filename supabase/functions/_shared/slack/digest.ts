/**
 * The weekly digest as a Slack Block Kit message: the score, the AI share and review coverage as
 * fields, the AI PRs merged without review, and the recommendations. Pure. Slack's limits are kept
 * (header 150 characters, a section's text 3,000, at most 10 fields, 50 blocks): long lists are cut
 * with a count of what was left out.
 */
import type { WeeklyReportContent } from "../reports/content.ts";

/** Slack's mrkdwn treats &, < and > as markup. */
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

export interface SlackMessage {
  text: string;
  blocks: Record<string, unknown>[];
}

function list(items: string[], max: number, what: string): string {
  const shown = items.slice(0, max).map((x) => `• ${x}`);
  if (items.length > max) shown.push(`… and ${items.length - max} more ${what}`);
  return cut(shown.join("\n"), 3000);
}

/** A link in Slack's mrkdwn: <url|text>, the text escaped. */
const link = (url: string, text: string) => `<${url.replace(/[<>|]/g, "")}|${esc(text)}>`;

/** The open alerts (with since when) and the riskiest AI PRs (linked); the AI lines per agent and model are originFields'. */
export function digestSections(c: WeeklyReportContent): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const r = c.risk_summary;
  if (r.open_alerts.length > 0) {
    out.push({ type: "section", text: { type: "mrkdwn", text: `*Open alerts*\n${list(r.open_alerts.map((a) =>
      `[${esc(a.severity)}] ${esc(a.title)} — ${esc(a.repository ?? "the company")}, since ${esc(a.since.slice(0, 10))}`), 8, "alerts")}` } });
  }
  if (c.riskiest_prs.length > 0) {
    out.push({ type: "section", text: { type: "mrkdwn", text: `*Riskiest AI pull requests*\n${list(c.riskiest_prs.map((p) =>
      `${link(p.url, `${p.repository}#${p.number}`)} ${esc(p.title)} (${p.unreviewed_ai_merge ? "merged unreviewed" : p.human_reviewed ? "reviewed" : "not reviewed yet"}, +${p.additions})`), 5, "PRs")}` } });
  }
  return out;
}

/**
 * The AI-LOC band with its git-ai and marks parts, and how much of the lines' origin is known (two
 * fields: Slack allows 10 in a section); none for a report stored before the recorded tier.
 */
export function originFields(c: WeeklyReportContent): string[] {
  const o = c.ai_origins;
  if (!o) return [];
  const top = o.by_agent.slice(0, 3).map((a) => `${a.agent}${a.model ? ` ${a.model}` : ""} ${a.share_pct}%`).join(", ");
  return [
    `*AI lines, recorded + attested*\n${o.floor_percentage}% to ${o.ceiling_percentage}% (git-ai ${o.recorded_percentage}%, marks ${o.attested_percentage}%)${top ? `\n${top}` : ""}`,
    `*Origin known*\nrecorded ${o.coverage.recorded_pct}%, attested ${o.coverage.attested_pct}%, suspected ${o.coverage.suspected_pct}%, unknown ${o.coverage.unknown_pct}%`,
  ];
}

export function slackDigest(c: WeeklyReportContent): SlackMessage {
  const r = c.risk_summary;
  const u = c.ai_usage_summary;
  const s = c.technical_debt_signals;
  const score = r.debt_score === null ? "not scored yet" : `${r.debt_score} (${r.risk_zone})`;
  const delta = c.change_since_previous?.debt_score.change;
  const blocks: Record<string, unknown>[] = [
    { type: "header", text: { type: "plain_text", text: cut(`AI governance — ${c.company.name}, week of ${c.period.start}`, 150) } },
    {
      type: "section",
      fields: [
        `*AI-debt score now*\n${score}`,
        `*At the week's end*\n${r.period_score ?? "—"}${delta != null ? ` (${delta > 0 ? "+" : ""}${delta} over the week)` : ""}`,
        `*AI-written lines*\n${u.ai_loc_percentage}% of ${u.total_loc}`,
        `*AI PRs reviewed*\n${u.reviewed_percentage}% of ${u.merged_ai_prs} merged`,
        `*Unreviewed AI merges*\n${s.unreviewed_ai_merges} (${s.large_unreviewed_ai_prs} of 400+ lines)`,
        `*Alerts open now*\n${r.open_alert_count} (${r.high_severity_alerts} high or critical); ${r.new_alerts} raised this week`,
        `*Suspected AI lines*\n${u.suspected_loc_percentage}% (not in the AI share)`,
        ...originFields(c),
      ].map((text) => ({ type: "mrkdwn", text: esc(text) })),
    },
  ];
  if (c.unreviewed_ai_prs.length > 0) {
    blocks.push({ type: "divider" });
    blocks.push({
      type: "section",
      text: {
        type: "mrkdwn",
        text: `*Merged without a human review*\n${list(c.unreviewed_ai_prs.map((p) =>
          `${esc(p.repository)}#${p.number} ${esc(p.title)} (+${p.additions}, ${esc(p.agents.join(", ") || "AI")})`), 10, "PRs")}`,
      },
    });
  }
  blocks.push(...digestSections(c));
  blocks.push({ type: "section", text: { type: "mrkdwn", text: `*Recommendations*\n${list(c.recommendations.map(esc), 5, "recommendations")}` } });
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: esc(`CodeGuard weekly report ${c.period.start} – ${c.period.end} · codeguard report --company ${c.company.id}`) }] });
  return {
    // The notification's text (and what screen readers and old clients show).
    text: cut(`AI governance — ${c.company.name}: score ${score}, ${u.ai_loc_percentage}% AI-written lines, ${s.unreviewed_ai_merges} unreviewed AI merges`, 3000),
    blocks,
  };
}
