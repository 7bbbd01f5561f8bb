/**
 * The weekly report as one self-contained HTML page: inline CSS, an inline SVG of the score's
 * 12-week trend with the company's threshold, and the per-repository table. No script, font,
 * image or stylesheet is fetched, so the page opens the same from a mail, a file or a bucket. Pure.
 */
import type { WeeklyReportContent } from "./content.ts";

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
const num = (x: number | null | undefined, suffix = "") => (x === null || x === undefined ? "—" : `${x}${suffix}`);

const ZONE_COLOURS: Record<string, string> = {
  low: "#2e7d32", moderate: "#f9a825", high: "#ef6c00", critical: "#c62828", unknown: "#757575",
};

/** The score trend: weeks on x, 0–100 on y, the threshold dashed; weeks without a score leave a gap. */
export function trendSvg(trend: WeeklyReportContent["score_trend"], threshold: number): string {
  const w = 640, h = 220, left = 40, right = 16, top = 16, bottom = 36;
  const pw = w - left - right, ph = h - top - bottom;
  const x = (i: number) => left + (trend.length <= 1 ? pw / 2 : (i * pw) / (trend.length - 1));
  const y = (v: number) => top + ph - (Math.max(0, Math.min(100, v)) * ph) / 100;
  const parts: string[] = [];
  for (const v of [0, 25, 50, 75, 100]) {
    parts.push(`<line x1="${left}" x2="${w - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11" fill="#616161">${v}</text>`);
  }
  parts.push(`<line class="threshold" x1="${left}" x2="${w - right}" y1="${y(threshold)}" y2="${y(threshold)}" stroke="#c62828" stroke-dasharray="6 4"/>`);
  parts.push(`<text x="${w - right}" y="${y(threshold) - 4}" text-anchor="end" font-size="11" fill="#c62828">threshold ${threshold}</text>`);
  // One path per run of weeks with a score.
  let run: string[] = [];
  const runs: string[][] = [];
  trend.forEach((p, i) => {
    if (p.score === null) {
      if (run.length) runs.push(run);
      run = [];
    } else run.push(`${x(i).toFixed(1)},${y(p.score).toFixed(1)}`);
  });
  if (run.length) runs.push(run);
  for (const r of runs) {
    parts.push(`<polyline class="score-line" points="${r.join(" ")}" fill="none" stroke="#1565c0" stroke-width="2.5"/>`);
  }
  trend.forEach((p, i) => {
    if (p.score !== null) {
      parts.push(`<circle class="score-point" cx="${x(i).toFixed(1)}" cy="${y(p.score).toFixed(1)}" r="3.5" fill="#1565c0"><title>${esc(p.week_start)}: ${p.score}</title></circle>`);
    }
    if (i % 2 === trend.length % 2 || i === trend.length - 1) {
      parts.push(`<text x="${x(i).toFixed(1)}" y="${h - bottom + 16}" text-anchor="middle" font-size="10" fill="#616161">${esc(p.week_start.slice(5))}</text>`);
    }
  });
  if (runs.length === 0) {
    parts.push(`<text x="${left + pw / 2}" y="${top + ph / 2}" text-anchor="middle" font-size="13" fill="#757575">not scored yet</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="AI-debt score, last ${trend.length} weeks">${parts.join("")}</svg>`;
}

const when = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "—");
/** A table that scrolls sideways inside its own box on a narrow screen instead of widening the page. */
const table = (id: string, head: string[], rows: string[]) =>
  `<div class="scroll"><table id="${id}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
/** The PR's number linked to GitHub, its repository under it (a phone has no room for both on a line). */
const prLink = (p: { repository: string; number: number; url: string }) =>
  `<a href="${esc(p.url)}">#${p.number}</a><small>${esc(p.repository)}</small>`;

/** The alerts open when the report was generated, most severe first, with when each was raised. */
export function openAlertsSection(c: WeeklyReportContent): string {
  const r = c.risk_summary;
  const rows = r.open_alerts.map((a) => `<tr><td><span class="sev sev-${esc(a.severity)}">${esc(a.severity)}</span></td><td>${esc(a.title)}</td>` +
    `<td>${esc(a.repository ?? "the company")}</td><td>${esc(when(a.since))}</td></tr>`);
  return `<h2>Open alerts at generation (${r.open_alert_count})</h2>
${rows.length ? table("open-alerts", ["Severity", "Alert", "Where", "Open since"], rows) : "<p>None open.</p>"}
<p class="note">${r.new_alerts} raised during the week (open or resolved since).</p>`;
}

/** The riskiest AI pull requests of the week, each linked to GitHub. */
export function riskiestPrsSection(c: WeeklyReportContent): string {
  const flags = (p: WeeklyReportContent["riskiest_prs"][number]) =>
    [p.unreviewed_ai_merge ? "merged unreviewed" : p.human_reviewed ? "reviewed" : "not reviewed yet", p.large ? "400+ lines" : ""].filter(Boolean).join(", ");
  const rows = c.riskiest_prs.map((p) => `<tr><td>${prLink(p)}</td><td>${esc(p.title)}</td><td>${esc(flags(p))}</td>` +
    `<td>${esc(p.agents.join(", "))}</td><td class="n">+${p.additions}</td></tr>`);
  return `<h2>Riskiest AI pull requests</h2>
${rows.length ? table("riskiest", ["PR", "Title", "Risk", "Agents", "Lines"], rows) : "<p>No AI pull requests this week.</p>"}`;
}

/** Who wrote AI code this week, and who merged AI pull requests with or without a review. */
export function peopleSection(c: WeeklyReportContent): string {
  const authors = c.people.authors.slice(0, 15).map((a) => `<tr><td>${esc(a.author)}</td><td class="n">${a.commits}</td><td class="n">${a.lines}</td>` +
    `<td class="n">${a.ai_loc_percentage}%</td></tr>`);
  const mergers = c.people.mergers.slice(0, 15).map((m) => `<tr><td>${esc(m.merged_by)}</td><td class="n">${m.merged_ai_prs}</td>` +
    `<td class="n">${m.reviewed_percentage}%</td><td class="n">${m.unreviewed_ai_merges}</td></tr>`);
  return `<h2>People</h2>
<h3>Authors (commits of the week)</h3>
${authors.length ? table("authors", ["Author", "Commits", "Lines", "AI share"], authors) : "<p>No commits this week.</p>"}
<h3>Who merged AI pull requests</h3>
${mergers.length ? table("mergers", ["Merged by", "AI PRs merged", "Reviewed", "Without review"], mergers) : "<p>No AI pull requests merged this week.</p>"}
<p class="note">Teams are not set for this company, so there is no per-team table.</p>`;
}

/**
 * Where the AI lines come from and how much of their origin is known: the band, a coverage bar
 * (recorded, attested, suspected, unknown) and the lines per agent and model. Empty for a report
 * stored before the recorded tier.
 */
export function originsHtml(c: WeeklyReportContent): string {
  const o = c.ai_origins;
  if (!o) return "";
  const v = o.coverage;
  const part = (pct: number, colour: string, label: string) => pct > 0 ? `<span title="${label} ${pct}%" style="display:inline-block;height:14px;width:${pct}%;background:${colour}"></span>` : "";
  const rows = o.by_agent.map((a) => `<tr><td>${esc(a.agent)}</td><td>${esc(a.model ?? "— (marks)")}</td><td class="n">${a.lines}</td><td class="n">${a.share_pct}%</td></tr>`).join("");
  const repos = (o.repositories ?? []).map((x) => `<tr><td>${esc(x.full_name)}</td><td class="n">${x.floor_percentage}% to ${x.ceiling_percentage}%</td>` +
    `<td class="n">${x.recorded_percentage}%</td><td class="n">${x.known_percentage}%</td><td class="n">${x.total_loc}</td></tr>`).join("");
  return `<h2>Where the AI lines come from</h2>
<p id="origins">AI-written lines <b>${o.floor_percentage}%</b> to ${o.ceiling_percentage}% with suspected: recorded by git-ai notes ${o.recorded_percentage}%, attested by agents' marks ${o.attested_percentage}%.</p>
<div id="coverage" style="display:flex;width:100%;border:1px solid #e0e0e0">${part(v.recorded_pct, "#2e7d32", "recorded")}${part(v.attested_pct, "#1565c0", "attested")}${part(v.suspected_pct, "#f9a825", "suspected")}${part(v.unknown_pct, "#bdbdbd", "unknown")}</div>
<p class="delta">Origin known: recorded ${v.recorded_pct}%, attested ${v.attested_pct}%, suspected ${v.suspected_pct}%, unknown ${v.unknown_pct}% of ${o.total_loc} counted lines (${o.noted_commits} commits with a git-ai note).</p>
${rows ? table("agents", ["Agent", "Model", "AI lines", "Share"], [rows]) : "<p>No AI lines this week.</p>"}
${repos ? table("origins-by-repository", ["Repository", "AI lines (floor to ceiling)", "Recorded by git-ai", "Origin known", "Lines"], [repos]) : ""}`;
}

export function reportHtml(c: WeeklyReportContent): string {
  const u = c.ai_usage_summary;
  const r = c.risk_summary;
  const s = c.technical_debt_signals;
  const zone = ZONE_COLOURS[r.risk_zone] ?? ZONE_COLOURS.unknown;
  const ch = c.change_since_previous;
  const change = (v: number | null | undefined, suffix = "") =>
    v === null || v === undefined ? "" : ` <span class="delta">(${v > 0 ? "+" : v < 0 ? "−" : "±"}${Math.abs(v)}${suffix} over the week)</span>`;
  // The sample behind a repository's score, so "1 merged AI PR" is read beside it.
  const sample = (x: WeeklyReportContent["repositories"][number]) =>
    x.score_samples ? `<small>${esc([x.score_samples.unreviewed_ai_merge_ratio, x.score_samples.ai_loc_ratio].filter(Boolean).join(", "))}</small>` : "";
  const repoRows = c.repositories.map((x) => `<tr><td>${esc(x.full_name)}${sample(x)}</td><td class="n">${num(x.score)}</td>` +
    `<td><span class="zone" style="background:${ZONE_COLOURS[x.risk_zone] ?? ZONE_COLOURS.unknown}">${esc(x.risk_zone)}</span></td>` +
    `<td class="n">${x.ai_loc_percentage}%</td><td class="n">${x.total_loc}</td><td class="n">${x.ai_prs}</td><td class="n">${x.unreviewed_ai_merges}</td></tr>`);
  const prRows = c.unreviewed_ai_prs.map((p) => `<tr><td>${prLink(p)}</td><td>${esc(p.title)}</td>` +
    `<td>${esc(p.agents.join(", "))}</td><td class="n">+${p.additions}</td><td>${esc(p.merged_at.slice(0, 16).replace("T", " "))}</td></tr>`);
  const samples = r.score_samples ? Object.values(r.score_samples) : [];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>AI governance report — ${esc(c.company.name)} — ${esc(c.period.start)}</title>
<style>
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#212121;max-width:960px;margin:24px auto;padding:0 16px;overflow-wrap:anywhere}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #e0e0e0;padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}
.period,.note{color:#616161;margin:0 0 16px}.note{font-size:13px;margin:6px 0}.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px}
.card{border:1px solid #e0e0e0;border-radius:8px;padding:12px 16px}.card b{display:block;font-size:26px}.card small{display:block;color:#616161;font-size:12px}
.zone,.sev{color:#fff;border-radius:4px;padding:1px 8px;font-size:13px}.delta{color:#616161;font-size:13px}
.sev-critical{background:#c62828}.sev-high{background:#ef6c00}.sev-medium{background:#f9a825;color:#212121}.sev-low{background:#757575}
.scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;width:100%;font-size:14px;overflow-wrap:break-word}td small{display:block;color:#616161}th,td{border-bottom:1px solid #eeeeee;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#fafafa}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}ul{padding-left:20px}a{color:#1565c0}
#trend svg{max-width:100%;height:auto}
@media (max-width:600px){body{margin:12px auto;padding:0 10px;font-size:14px}h1{font-size:20px}.cards{grid-template-columns:1fr 1fr;gap:8px}.card{padding:8px 10px}.card b{font-size:22px}th,td{padding:4px 5px;font-size:13px}}
@media print{body{margin:0;max-width:none}.card,tr,figure{break-inside:avoid}h2{break-after:avoid}a{color:inherit;text-decoration:none}.scroll{overflow:visible}}
</style></head>
<body>
<h1>Weekly AI governance report — ${esc(c.company.name)}</h1>
<p class="period">Week ${esc(c.period.start)} to ${esc(c.period.end)} (UTC) · generated ${esc(when(c.generated_at))}. Scores and open alerts are as of generation; the other figures are the week's.</p>
<div class="cards">
<div class="card" id="score">AI-debt score now<b>${num(r.debt_score)}</b><span class="zone" style="background:${zone}">${esc(r.risk_zone)}</span><small>calculated ${esc(when(r.score_calculated_at))}</small></div>
<div class="card" id="period-score">Score at the week's end<b>${num(r.period_score)}</b>${change(ch?.debt_score.change)}</div>
<div class="card">AI-written lines<b>${u.ai_loc_percentage}%</b>of ${u.total_loc} lines this week</div>
<div class="card">AI PRs reviewed<b>${u.reviewed_percentage}%</b>${u.merged_ai_prs} merged this week, ${u.ai_prs_total} in all</div>
<div class="card">Unreviewed AI merges<b>${s.unreviewed_ai_merges}</b>this week; ${s.large_unreviewed_ai_prs} of 400+ lines</div>
<div class="card" id="alerts">Open alerts<b>${r.open_alert_count}</b>${r.high_severity_alerts} high or critical; ${r.new_alerts} raised this week</div>
</div>
${samples.length ? `<p class="note" id="samples">The score's samples: ${esc(samples.join(", "))} in the scan window. Small samples count for little (see the README's formula).</p>` : ""}
${originsHtml(c)}
<h2>Score at each week's end, last ${c.score_trend.length} weeks</h2>
<figure id="trend" style="margin:0">${trendSvg(c.score_trend, c.company.risk_threshold)}</figure>
${openAlertsSection(c)}
<h2>Recommendations</h2>
<ul>${c.recommendations.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>
${riskiestPrsSection(c)}
<h2>Technical debt signals</h2>
<ul><li>AI file changes reworked within 3 weeks (scan window): ${num(s.ai_churn_percentage, "%")}</li>
<li>Lines likely AI but unmarked (suspected): ${u.suspected_loc_percentage}% — not counted in the AI share above; AI-assisted: ${u.assisted_loc_percentage}%</li>
<li>Repositories at or above the threshold (${c.company.risk_threshold}) now: ${s.repositories_at_or_above_threshold}</li>
<li>Jobs that failed for good this week: ${s.dead_jobs}</li></ul>
<h2>AI pull requests merged without review</h2>
${prRows.length ? table("unreviewed", ["PR", "Title", "Agents", "Lines", "Merged (UTC)"], prRows) : "<p>None this week.</p>"}
${peopleSection(c)}
<h2>Repositories</h2>
${repoRows.length ? table("repositories", ["Repository", "Score now", "Zone", "AI lines (week)", "Lines (week)", "AI PRs (week)", "Unreviewed AI merges (week)"], repoRows) : "<p>No active repositories.</p>"}
<p class="note">The company's score is the formula over all its repositories' work pooled, not an average of the rows above.</p>
</body></html>
`;
}
