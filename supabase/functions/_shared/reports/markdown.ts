/** The weekly report as Markdown (what `codeguard report` prints and the demo shows). Pure. */
import type { Change, WeeklyReportContent } from "./content.ts";

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const num = (x: number | null | undefined, suffix = "") => (x === null || x === undefined ? "—" : `${x}${suffix}`);

function delta(c: Change, suffix = ""): string {
  if (c.change === null) return `${num(c.after, suffix)} (no figure last week)`;
  const sign = c.change > 0 ? "+" : c.change < 0 ? "−" : "±";
  return `${num(c.after, suffix)} (${sign}${Math.abs(c.change)}${suffix} from ${num(c.before, suffix)})`;
}

const at = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "—");

/** The alerts open at generation, with when each was raised. */
export function openAlertsMarkdown(c: WeeklyReportContent): string[] {
  const out = ["## Open alerts", ""];
  if (c.risk_summary.open_alerts.length === 0) out.push("None open.");
  for (const a of c.risk_summary.open_alerts) out.push(`- [${a.severity}] ${a.title} — ${a.repository ?? "the company"}, open since ${at(a.since)}`);
  out.push("");
  return out;
}

/** The riskiest AI pull requests of the week, linked. */
export function riskiestPrsMarkdown(c: WeeklyReportContent): string[] {
  const out = ["## Riskiest AI pull requests", ""];
  if (c.riskiest_prs.length === 0) out.push("No AI pull requests this week.");
  for (const p of c.riskiest_prs) {
    const risk = [p.unreviewed_ai_merge ? "merged unreviewed" : p.human_reviewed ? "reviewed" : "not reviewed yet", p.large ? "400+ lines" : ""].filter(Boolean).join(", ");
    out.push(`- [${p.repository}#${p.number}](${p.url}) ${p.title} — ${risk}, +${p.additions}`);
  }
  out.push("");
  return out;
}

/** Who wrote AI code and who merged AI PRs this week. */
export function peopleMarkdown(c: WeeklyReportContent): string[] {
  const out = ["## People", ""];
  if (c.people.authors.length) {
    out.push("| Author | Commits | Lines | AI share |", "|---|---|---|---|");
    for (const a of c.people.authors.slice(0, 15)) out.push(`| ${cell(a.author)} | ${a.commits} | ${a.lines} | ${a.ai_loc_percentage}% |`);
    out.push("");
  }
  if (c.people.mergers.length) {
    out.push("| Merged by | AI PRs merged | Reviewed | Without review |", "|---|---|---|---|");
    for (const m of c.people.mergers.slice(0, 15)) out.push(`| ${cell(m.merged_by)} | ${m.merged_ai_prs} | ${m.reviewed_percentage}% | ${m.unreviewed_ai_merges} |`);
    out.push("");
  }
  if (!c.people.authors.length && !c.people.mergers.length) out.push("No commits or AI merges this week.", "");
  return out;
}

/**
 * Where the AI lines come from (git-ai records, marks) and how much of the lines' origin is known:
 * the band, the coverage, the lines per agent and model. Nothing for a report stored before.
 */
export function originsMarkdown(c: WeeklyReportContent): string[] {
  const o = c.ai_origins;
  if (!o) return [];
  const lines = ["## Where the AI lines come from", ""];
  lines.push(`- AI-written lines: **${o.floor_percentage}%** to ${o.ceiling_percentage}% with suspected — recorded by git-ai notes ${o.recorded_percentage}%, attested by agents' marks ${o.attested_percentage}%`);
  lines.push(`- Origin known for: recorded ${o.coverage.recorded_pct}%, attested ${o.coverage.attested_pct}%, suspected ${o.coverage.suspected_pct}%, unknown ${o.coverage.unknown_pct}% of the ${o.total_loc} counted lines (${o.noted_commits} commits with a git-ai note)`);
  if (o.by_agent.length > 0) {
    lines.push("", "| Agent | Model | AI lines | Share |", "|---|---|---|---|");
    for (const a of o.by_agent) lines.push(`| ${cell(a.agent)} | ${cell(a.model ?? "— (marks)")} | ${a.lines} | ${a.share_pct}% |`);
  }
  if ((o.repositories ?? []).length > 0) {
    lines.push("", "| Repository | AI lines (floor to ceiling) | Recorded by git-ai | Origin known | Lines |", "|---|---|---|---|---|");
    for (const x of o.repositories) lines.push(`| ${cell(x.full_name)} | ${x.floor_percentage}% to ${x.ceiling_percentage}% | ${x.recorded_percentage}% | ${x.known_percentage}% | ${x.total_loc} |`);
  }
  lines.push("");
  return lines;
}

export function reportMarkdown(c: WeeklyReportContent): string {
  const u = c.ai_usage_summary;
  const r = c.risk_summary;
  const s = c.technical_debt_signals;
  const lines: string[] = [];
  lines.push(`# Weekly AI governance report — ${c.company.name}`, "");
  lines.push(`Week ${c.period.start} to ${c.period.end} (UTC), generated ${at(c.generated_at)}. Scores and open alerts are as of generation; the other figures are the week's.`, "");

  lines.push("## Risk", "");
  lines.push(`- AI-debt score now: **${num(r.debt_score)}** (${r.risk_zone}), calculated ${at(r.score_calculated_at)}; risk threshold ${c.company.risk_threshold}`);
  lines.push(`- Score at the week's end: ${num(r.period_score)} (${r.period_risk_zone})`);
  if (r.score_samples) lines.push(`- The score's samples (scan window): ${Object.values(r.score_samples).join(", ")}`);
  lines.push(`- Alerts open at generation: ${r.open_alert_count} (${r.high_severity_alerts} high or critical); raised during the week: ${r.new_alerts}`);
  lines.push("");
  lines.push(...openAlertsMarkdown(c));

  lines.push("## AI usage", "");
  lines.push(`- AI-written lines: **${u.ai_loc_percentage}%** of ${u.total_loc} counted added lines (${u.commits} commits, ${u.ai_commits} by AI)`);
  lines.push(`- Also likely AI, unmarked (suspected): ${u.suspected_loc_percentage}%; AI-assisted: ${u.assisted_loc_percentage}%`);
  lines.push(`- AI pull requests: ${u.ai_prs_total}; merged ${u.merged_ai_prs}, of them reviewed by a human: ${u.reviewed_percentage}%`);
  lines.push("");
  lines.push(...originsMarkdown(c));

  lines.push("## Technical debt signals", "");
  lines.push(`- AI PRs merged without a human review: ${s.unreviewed_ai_merges} (of 400+ lines: ${s.large_unreviewed_ai_prs})`);
  lines.push(`- AI file changes reworked within 3 weeks: ${num(s.ai_churn_percentage, "%")}`);
  lines.push(`- Repositories at or above the threshold: ${s.repositories_at_or_above_threshold}`);
  lines.push(`- Jobs that failed for good: ${s.dead_jobs}`);
  lines.push("");

  lines.push("## Since last week", "");
  const ch = c.change_since_previous;
  if (!ch) lines.push("- First report: nothing to compare with yet.");
  else {
    lines.push(`- AI-debt score: ${delta(ch.debt_score)}`);
    lines.push(`- AI-written lines: ${delta(ch.ai_loc_percentage, "%")}`);
    lines.push(`- Reviewed AI PRs: ${delta(ch.reviewed_percentage, "%")}`);
    lines.push(`- AI pull requests: ${delta(ch.ai_prs_total)}`);
    lines.push(`- Unreviewed AI merges: ${delta(ch.unreviewed_ai_merges)}`);
  }
  lines.push("");

  lines.push("## Recommendations", "");
  for (const rec of c.recommendations) lines.push(`- ${rec}`);
  lines.push("");

  lines.push(...riskiestPrsMarkdown(c));

  lines.push("## AI pull requests merged without review", "");
  if (c.unreviewed_ai_prs.length === 0) lines.push("None this week.");
  else {
    lines.push("| Repository | PR | Title | Agents | Lines | Merged (UTC) |", "|---|---|---|---|---|---|");
    for (const p of c.unreviewed_ai_prs) {
      lines.push(`| ${cell(p.repository)} | [#${p.number}](${p.url}) | ${cell(p.title)} | ${cell(p.agents.join(", "))} | +${p.additions} | ${p.merged_at.slice(0, 16).replace("T", " ")} |`);
    }
  }
  lines.push("");
  lines.push(...peopleMarkdown(c));

  lines.push("## Repositories", "");
  if (c.repositories.length === 0) lines.push("No active repositories.");
  else {
    lines.push("| Repository | Score now | Zone | AI lines (week) | Lines (week) | AI PRs (week) | Unreviewed AI merges (week) |", "|---|---|---|---|---|---|---|");
    for (const x of c.repositories) {
      const sample = x.score_samples ? ` (score over ${[x.score_samples.unreviewed_ai_merge_ratio, x.score_samples.ai_loc_ratio].filter(Boolean).join(", ")})` : "";
      lines.push(`| ${cell(x.full_name + sample)} | ${num(x.score)} | ${x.risk_zone} | ${x.ai_loc_percentage}% | ${x.total_loc} | ${x.ai_prs} | ${x.unreviewed_ai_merges} |`);
    }
  }
  lines.push("");
  return lines.join("\n");
}
