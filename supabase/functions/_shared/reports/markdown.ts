/** The weekly report as Markdown (what `codeguard report` prints and the demo shows). Pure. */
import type { Change, WeeklyReportContent } from "./content.ts";

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const num = (x: number | null | undefined, suffix = "") => (x === null || x === undefined ? "—" : `${x}${suffix}`);

function delta(c: Change, suffix = ""): string {
  if (c.change === null) return `${num(c.after, suffix)} (no figure last week)`;
  const sign = c.change > 0 ? "+" : c.change < 0 ? "−" : "±";
  return `${num(c.after, suffix)} (${sign}${Math.abs(c.change)}${suffix} from ${num(c.before, suffix)})`;
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
  lines.push(`Week ${c.period.start} to ${c.period.end} (UTC).`, "");

  lines.push("## Risk", "");
  // A week reported after the fact, before any score: the first score after it, said so.
  const late = r.score_calculated_at && r.score_calculated_at.slice(0, 10) > c.period.end ? ` as calculated ${r.score_calculated_at.slice(0, 10)}` : "";
  lines.push(`- AI-debt score: **${num(r.debt_score)}** (${r.risk_zone})${late}; risk threshold ${c.company.risk_threshold}`);
  lines.push(`- New alerts this week: ${r.new_alerts}; high-severity alerts open: ${r.high_severity_alerts}`);
  for (const a of r.open_alerts.slice(0, 10)) lines.push(`  - [${a.severity}] ${a.title}${a.repository ? ` — ${a.repository}` : ""}`);
  lines.push("");

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

  lines.push("## AI pull requests merged without review", "");
  if (c.unreviewed_ai_prs.length === 0) lines.push("None this week.");
  else {
    lines.push("| Repository | PR | Title | Agents | Lines | Merged (UTC) |", "|---|---|---|---|---|---|");
    for (const p of c.unreviewed_ai_prs) {
      lines.push(`| ${cell(p.repository)} | #${p.number} | ${cell(p.title)} | ${cell(p.agents.join(", "))} | +${p.additions} | ${p.merged_at.slice(0, 16).replace("T", " ")} |`);
    }
  }
  lines.push("");

  lines.push("## Repositories", "");
  if (c.repositories.length === 0) lines.push("No active repositories.");
  else {
    lines.push("| Repository | Score | Zone | AI lines | Lines | AI PRs | Unreviewed AI merges |", "|---|---|---|---|---|---|---|");
    for (const x of c.repositories) {
      lines.push(`| ${cell(x.full_name)} | ${num(x.score)} | ${x.risk_zone} | ${x.ai_loc_percentage}% | ${x.total_loc} | ${x.ai_prs} | ${x.unreviewed_ai_merges} |`);
    }
  }
  lines.push("");
  return lines.join("\n");
}
