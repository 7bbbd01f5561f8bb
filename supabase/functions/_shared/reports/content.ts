/**
 * A weekly governance report's content: the figures weekly_report_data answers (45_reports.sql),
 * plus what is read off them — the change since the previous report and the recommendations.
 * Pure: figures in, content out; the Markdown, the HTML page and the Slack digest all render it.
 */

export interface ReportRepository {
  full_name: string;
  /** The repository's latest score at the report's generation. */
  score: number | null;
  risk_zone: string;
  /** Each component's sample behind the score ("3 merged AI PRs"); null when never scored. */
  score_samples: Record<string, string> | null;
  ai_loc_percentage: number;
  total_loc: number;
  commits: number;
  ai_prs: number;
  unreviewed_ai_merges: number;
  last_scanned_at: string | null;
}

export interface UnreviewedAiPr {
  repository: string;
  number: number;
  title: string;
  agents: string[];
  additions: number;
  merged_at: string;
  merged_by: string | null;
  /** The pull request on GitHub. */
  url: string;
}

/** An AI pull request of the week, ranked by risk (weekly_report_riskiest_prs). */
export interface RiskyPr {
  repository: string;
  number: number;
  title: string;
  agents: string[];
  additions: number;
  state: string;
  human_reviewed: boolean;
  unreviewed_ai_merge: boolean;
  /** 400+ added lines. */
  large: boolean;
  merged_at: string | null;
  merged_by: string | null;
  url: string;
}

/** Who wrote AI code in the week, and who merged AI PRs (weekly_report_people). */
export interface ReportPeople {
  authors: { author: string; commits: number; ai_commits: number; lines: number; ai_lines: number; ai_loc_percentage: number }[];
  mergers: { merged_by: string; merged_ai_prs: number; reviewed_ai_prs: number; reviewed_percentage: number; unreviewed_ai_merges: number }[];
}

export interface OpenAlert {
  severity: string;
  category: string;
  title: string;
  repository: string | null;
  /** When it was (last) raised. */
  since: string;
}

export interface AiUsageSummary {
  ai_loc_percentage: number;
  ai_prs_total: number;
  /** Merged AI PRs of the week with a human review; 100 when none merged (the product's rule). */
  reviewed_percentage: number;
  suspected_loc_percentage: number;
  assisted_loc_percentage: number;
  total_loc: number;
  ai_loc: number;
  commits: number;
  ai_commits: number;
  merged_ai_prs: number;
  reviewed_ai_prs: number;
}

export interface RiskSummary {
  /** The company's latest score at the report's generation. */
  debt_score: number | null;
  /** 'unknown' when the company was never scored. */
  risk_zone: string;
  score_calculated_at: string | null;
  /** Each component's sample behind the latest score ("1 merged AI PR"). */
  score_samples: Record<string, string> | null;
  /** The company's score as the week ended (the trend's last point); null when none by then. */
  period_score: number | null;
  period_risk_zone: string;
  period_score_calculated_at: string | null;
  /** Alerts raised (opened or reopened) in the week, open now or not. */
  new_alerts: number;
  /** Alerts open at generation, and of them the high or critical ones. */
  open_alert_count: number;
  high_severity_alerts: number;
  /** The alerts open at generation, most severe first. */
  open_alerts: OpenAlert[];
}

export interface TechnicalDebtSignals {
  unreviewed_ai_merges: number;
  large_unreviewed_ai_prs: number;
  ai_churn_percentage: number | null;
  repositories_at_or_above_threshold: number;
  suspected_loc_percentage: number;
  dead_jobs: number;
}

/**
 * Where the week's AI-written lines come from and how much of their origin is known
 * (weekly_report_origins): the AI-LOC band — floor: lines a git-ai record states AI wrote plus
 * lines of commits an agent's mark attests; ceiling: + suspected —, its recorded and attested
 * parts, the coverage of the counted lines (shares summing to 100), and the floor's lines per agent
 * and model (model null where a mark, not a record, names the agent).
 */
export interface AiOrigins {
  total_loc: number;
  floor_loc: number;
  floor_percentage: number;
  ceiling_percentage: number;
  recorded_percentage: number;
  attested_percentage: number;
  noted_commits: number;
  recorded_commits: number;
  coverage: { recorded_pct: number; attested_pct: number; suspected_pct: number; unknown_pct: number };
  by_agent: { agent: string; model: string | null; lines: number; share_pct: number }[];
  /** Per repository: its band, its recorded share, and the share of its lines whose origin a record or a mark states. */
  repositories: { full_name: string; total_loc: number; floor_percentage: number; ceiling_percentage: number; recorded_percentage: number; known_percentage: number }[];
}

/** What weekly_report_data answers. */
export interface WeeklyReportData {
  /** weekly_report_origins' figures (absent in reports stored before the recorded tier). */
  ai_origins?: AiOrigins | null;
  company: { id: string; name: string; risk_threshold: number };
  period: { start: string; end: string };
  /** When the figures were taken: the scores and open alerts are as of then. */
  generated_at: string;
  ai_usage_summary: AiUsageSummary;
  risk_summary: RiskSummary;
  technical_debt_signals: TechnicalDebtSignals;
  unreviewed_ai_prs: UnreviewedAiPr[];
  riskiest_prs: RiskyPr[];
  people: ReportPeople;
  repositories: ReportRepository[];
  score_trend: { week_start: string; score: number | null }[];
  /** The previous week's report content, when there is one. */
  previous: WeeklyReportContent | null;
}

export interface Change {
  before: number | null;
  after: number | null;
  /** after − before, rounded to 0.1; null when either is unknown. */
  change: number | null;
}

export interface ChangeSincePrevious {
  previous_period_start: string;
  debt_score: Change;
  ai_loc_percentage: Change;
  reviewed_percentage: Change;
  ai_prs_total: Change;
  unreviewed_ai_merges: Change;
}

/** The stored content (governance_reports.content). */
export interface WeeklyReportContent extends Omit<WeeklyReportData, "previous"> {
  recommendations: string[];
  change_since_previous: ChangeSincePrevious | null;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function change(before: number | null | undefined, after: number | null | undefined): Change {
  const b = before ?? null;
  const a = after ?? null;
  return { before: b, after: a, change: a === null || b === null ? null : round1(a - b) };
}

/**
 * The change since the week before. The score's is read off the trend (the score as each week
 * ended), so it is there from the first report on, backfilled weeks included; the other figures
 * are the previous report's.
 */
export function changeSincePrevious(data: WeeklyReportData): ChangeSincePrevious | null {
  const p = data.previous;
  const trend = data.score_trend;
  const weekScore = change(trend.at(-2)?.score, trend.at(-1)?.score);
  if (!p) {
    if (weekScore.change === null) return null;
    return {
      previous_period_start: trend.at(-2)!.week_start, debt_score: weekScore,
      ai_loc_percentage: change(null, data.ai_usage_summary.ai_loc_percentage),
      reviewed_percentage: change(null, data.ai_usage_summary.reviewed_percentage),
      ai_prs_total: change(null, data.ai_usage_summary.ai_prs_total),
      unreviewed_ai_merges: change(null, data.technical_debt_signals.unreviewed_ai_merges),
    };
  }
  return {
    previous_period_start: p.period.start,
    debt_score: weekScore,
    ai_loc_percentage: change(p.ai_usage_summary.ai_loc_percentage, data.ai_usage_summary.ai_loc_percentage),
    reviewed_percentage: change(p.ai_usage_summary.reviewed_percentage, data.ai_usage_summary.reviewed_percentage),
    ai_prs_total: change(p.ai_usage_summary.ai_prs_total, data.ai_usage_summary.ai_prs_total),
    unreviewed_ai_merges: change(p.technical_debt_signals.unreviewed_ai_merges, data.technical_debt_signals.unreviewed_ai_merges),
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * What to do about the week, most urgent first: each recommendation names the figure that asks
 * for it, so a reader can check it. One line when nothing does.
 */
export function recommendationsFor(data: WeeklyReportData, changed: ChangeSincePrevious | null): string[] {
  const u = data.ai_usage_summary;
  const r = data.risk_summary;
  const s = data.technical_debt_signals;
  const out: string[] = [];
  if (r.debt_score !== null && r.debt_score >= data.company.risk_threshold) {
    // The latest score (at generation), as the page's first card shows it.
    const worst = data.repositories.filter((x) => x.score !== null && x.score >= data.company.risk_threshold).slice(0, 3).map((x) => x.full_name);
    out.push(`The AI-debt score is ${r.debt_score} (${r.risk_zone}), at or above the threshold of ${data.company.risk_threshold}: ` +
      (worst.length ? `start with ${worst.join(", ")}.` : "start with the repositories of highest score."));
  }
  if (s.unreviewed_ai_merges > 0) {
    out.push(`Require a human review before AI-written pull requests merge: ${plural(s.unreviewed_ai_merges, "AI PR")} merged this week without one ` +
      "(branch protection with required reviews; a CODEOWNERS rule for the agents' branches).");
  }
  if (s.large_unreviewed_ai_prs > 0) {
    out.push(`Split large AI pull requests: ${plural(s.large_unreviewed_ai_prs, "unreviewed AI PR")} of 400+ added lines merged this week; ` +
      "reviews of changes that size miss most defects.");
  }
  if (u.merged_ai_prs > 0 && u.reviewed_percentage < 80 && s.unreviewed_ai_merges === 0) {
    out.push(`Review coverage of merged AI PRs is ${u.reviewed_percentage}%: aim for every AI PR to get a human review.`);
  }
  if (u.ai_loc_percentage > 50) {
    out.push(`${u.ai_loc_percentage}% of this week's new lines were written by AI: make sure their owners review and test them like their own.`);
  }
  if (s.ai_churn_percentage !== null && s.ai_churn_percentage >= 30) {
    out.push(`${s.ai_churn_percentage}% of AI file changes were reworked within 3 weeks: look at where agents' code does not fit (tests, conventions, prompts).`);
  }
  if (u.suspected_loc_percentage >= 10) {
    out.push(`${u.suspected_loc_percentage}% of the lines carry no AI mark but look AI-written: ask agents' users to keep the trailer ` +
      "(Co-authored-by, Generated with …) so the figures stay attested.");
  }
  if (s.dead_jobs > 0) {
    out.push(`${plural(s.dead_jobs, "job")} failed for good this week and will not run again unless retried: see codeguard queue dead.`);
  }
  if (changed?.debt_score.change != null && changed.debt_score.change >= 10) {
    out.push(`The score rose ${changed.debt_score.change} points over the week: check what merged without review.`);
  }
  if (out.length === 0) out.push("No action needed: this week's AI-written code was reviewed before it merged.");
  return out;
}

export function reportContent(data: WeeklyReportData): WeeklyReportContent {
  const { previous: _previous, ...figures } = data;
  const changed = changeSincePrevious(data);
  return { ...figures, recommendations: recommendationsFor(data, changed), change_since_previous: changed };
}
