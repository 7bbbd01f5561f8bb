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
${rows ? `<table id="agents"><thead><tr><th>Agent</th><th>Model</th><th>AI lines</th><th>Share</th></tr></thead><tbody>${rows}</tbody></table>` : ""}
${repos ? `<table id="origins-by-repository"><thead><tr><th>Repository</th><th>AI lines (floor to ceiling)</th><th>Recorded by git-ai</th><th>Origin known</th><th>Lines</th></tr></thead><tbody>${repos}</tbody></table>` : ""}`;
}

export function reportHtml(c: WeeklyReportContent): string {
  const u = c.ai_usage_summary;
  const r = c.risk_summary;
  const s = c.technical_debt_signals;
  const zone = ZONE_COLOURS[r.risk_zone] ?? ZONE_COLOURS.unknown;
  const ch = c.change_since_previous;
  const change = (v: number | null | undefined, suffix = "") =>
    v === null || v === undefined ? "" : ` <span class="delta">(${v > 0 ? "+" : v < 0 ? "−" : "±"}${Math.abs(v)}${suffix} since last week)</span>`;
  const repoRows = c.repositories.map((x) => `<tr><td>${esc(x.full_name)}</td><td class="n">${num(x.score)}</td>` +
    `<td><span class="zone" style="background:${ZONE_COLOURS[x.risk_zone] ?? ZONE_COLOURS.unknown}">${esc(x.risk_zone)}</span></td>` +
    `<td class="n">${x.ai_loc_percentage}%</td><td class="n">${x.total_loc}</td><td class="n">${x.ai_prs}</td><td class="n">${x.unreviewed_ai_merges}</td></tr>`).join("");
  const prRows = c.unreviewed_ai_prs.map((p) => `<tr><td>${esc(p.repository)}</td><td class="n">#${p.number}</td><td>${esc(p.title)}</td>` +
    `<td>${esc(p.agents.join(", "))}</td><td class="n">+${p.additions}</td><td>${esc(p.merged_at.slice(0, 16).replace("T", " "))}</td></tr>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>AI governance report — ${esc(c.company.name)} — ${esc(c.period.start)}</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#212121;max-width:960px;margin:24px auto;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #e0e0e0;padding-bottom:4px}
.period{color:#616161;margin:0 0 16px}.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #e0e0e0;border-radius:8px;padding:12px 16px;min-width:180px}.card b{display:block;font-size:26px}
.zone{color:#fff;border-radius:4px;padding:1px 8px;font-size:13px}.delta{color:#616161;font-size:13px}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{border-bottom:1px solid #eeeeee;padding:6px 8px;text-align:left}
th{background:#fafafa}td.n{text-align:right;font-variant-numeric:tabular-nums}ul{padding-left:20px}
</style></head>
<body>
<h1>Weekly AI governance report — ${esc(c.company.name)}</h1>
<p class="period">Week ${esc(c.period.start)} to ${esc(c.period.end)} (UTC)</p>
<div class="cards">
<div class="card" id="score">AI-debt score<b>${num(r.debt_score)}</b><span class="zone" style="background:${zone}">${esc(r.risk_zone)}</span>${change(ch?.debt_score.change)}</div>
<div class="card">AI-written lines<b>${u.ai_loc_percentage}%</b>of ${u.total_loc} lines${change(ch?.ai_loc_percentage.change, " pts")}</div>
<div class="card">AI PRs reviewed<b>${u.reviewed_percentage}%</b>${u.merged_ai_prs} merged, ${u.ai_prs_total} in all</div>
<div class="card">Unreviewed AI merges<b>${s.unreviewed_ai_merges}</b>${s.large_unreviewed_ai_prs} of 400+ lines</div>
<div class="card">Alerts<b>${r.new_alerts}</b>new; ${r.high_severity_alerts} high-severity open</div>
</div>
${originsHtml(c)}
<h2>Score, last ${c.score_trend.length} weeks</h2>
<figure id="trend" style="margin:0">${trendSvg(c.score_trend, c.company.risk_threshold)}</figure>
<h2>Recommendations</h2>
<ul>${c.recommendations.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>
<h2>Technical debt signals</h2>
<ul><li>AI file changes reworked within 3 weeks: ${num(s.ai_churn_percentage, "%")}</li>
<li>Lines likely AI but unmarked (suspected): ${u.suspected_loc_percentage}% — not counted in the AI share above; AI-assisted: ${u.assisted_loc_percentage}%</li>
<li>Repositories at or above the threshold (${c.company.risk_threshold}): ${s.repositories_at_or_above_threshold}</li>
<li>Jobs that failed for good: ${s.dead_jobs}</li></ul>
<h2>AI pull requests merged without review</h2>
${prRows ? `<table id="unreviewed"><thead><tr><th>Repository</th><th>PR</th><th>Title</th><th>Agents</th><th>Lines</th><th>Merged (UTC)</th></tr></thead><tbody>${prRows}</tbody></table>` : "<p>None this week.</p>"}
<h2>Repositories</h2>
${repoRows ? `<table id="repositories"><thead><tr><th>Repository</th><th>Score</th><th>Zone</th><th>AI lines</th><th>Lines</th><th>AI PRs</th><th>Unreviewed AI merges</th></tr></thead><tbody>${repoRows}</tbody></table>` : "<p>No active repositories.</p>"}
</body></html>
`;
}
