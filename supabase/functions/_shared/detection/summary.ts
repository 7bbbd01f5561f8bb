/**
 * AI-LOC shares over a set of classified commits: recorded AI LOC (git-ai notes) per agent and
 * model, attested AI LOC per agent, and — reported apart, never added in — assisted and suspected
 * lines. Merge commits are counted but add no lines (their lines are the merged commits'). The
 * AI-LOC share comes as a band: its floor recorded + attested (what a record or a mark states),
 * its ceiling with the suspected tier's lines added; beside it the coverage — how much of the
 * counted lines' origin is recorded, attested, suspected or unknown — so a reader sees how much
 * the band rests on.
 */
import { coverageOf } from "./recorded.ts";
import type { CommitClassification, Verdict } from "./verdicts.ts";

export interface AgentLines {
  commits: number;
  lines: number;
  /** lines / counted_added_lines of the whole set, in percent */
  share_pct: number;
}

export interface DetectionSummaryReport {
  commits: number;
  merge_commits: number;
  /** filtered added lines of all non-merge commits: the denominator of every share */
  counted_added_lines: number;
  verdicts: Record<Verdict, number>;
  /** attested AI LOC: lines of commits with an authorship mark; split evenly between co-authoring agents */
  attested: { lines: number; share_pct: number; by_agent: Record<string, AgentLines> };
  /** lines of human commits with applied AI suggestions (not AI LOC) */
  assisted: { lines: number; share_pct: number; by_agent: Record<string, AgentLines> };
  /** lines of unmarked commits the suspected tier flags (not AI LOC; a separate estimate) */
  suspected: { commits: number; lines: number; share_pct: number; mean_confidence: number | null };
  /**
   * the AI-LOC share as a band, in percent: floor_pct = recorded + attested lines (what a record
   * or a mark states), ceiling_pct = floor + suspected lines; attested_pct and
   * attested_plus_suspected_pct are the marks-only band of commits without a record (as before
   * the recorded tier)
   */
  ai_loc_bands: { attested_pct: number; attested_plus_suspected_pct: number; floor_pct: number; ceiling_pct: number };
  /**
   * the recorded tier (git-ai notes, and squash merges' PR notes): commits whose record has AI
   * lines (verdict recorded); AI, known-human and untracked lines over every commit with a record;
   * AI lines per agent and, within it, per model ("unknown" where the note names none)
   */
  recorded: {
    commits: number;
    /** commits with a usable record, AI lines or not */
    commits_with_record: number;
    /** of commits_with_record, squash merges recorded from their pull request's commits' notes */
    from_pull_requests: number;
    ai_lines: number;
    human_lines: number;
    untracked_lines: number;
    /** ai_lines / counted_added_lines of the whole set, in percent */
    share_pct: number;
    /** commits whose record and marks disagree (CommitClassification.conflict) */
    conflicts: number;
    by_agent: Record<string, AgentLines & { models: Record<string, AgentLines> }>;
  };
  /**
   * what is known of the origin of the counted added lines (shares sum to 100): recorded by a
   * note (its AI and known-human lines), attested by a mark, suspected by the repository rule, or
   * unknown (unmarked unflagged commits, assisted ones, a note's untracked lines)
   */
  coverage: {
    recorded_pct: number;
    attested_pct: number;
    suspected_pct: number;
    unknown_pct: number;
    lines: { recorded: number; attested: number; suspected: number; unknown: number };
  };
  /**
   * the commits with a record only: their counted lines, the share of them the records call AI,
   * and what the marks alone said of the same commits (the gap the recorded tier closes)
   */
  noted: { commits: number; counted_added_lines: number; recorded_ai_lines: number; recorded_ai_pct: number; marks_ai_lines: number; marks_pct: number };
}

/** Accumulates classifications; O(1) memory per agent, so it can follow a stream. */
export class DetectionSummary {
  private commits = 0;
  private merges = 0;
  private counted = 0;
  private verdicts: Record<Verdict, number> = { recorded: 0, attested: 0, assisted: 0, suspected: 0, human: 0 };
  private attested = new Map<string, { commits: number; lines: number }>();
  private assisted = new Map<string, { commits: number; lines: number }>();
  private suspectedCommits = 0;
  private suspectedLines = 0;
  private suspectedConfidence = 0;
  private rec = { commits: 0, withRecord: 0, fromPulls: 0, ai: 0, human: 0, untracked: 0, conflicts: 0 };
  private recordedByAgent = new Map<string, { commits: number; lines: number; models: Map<string, { commits: number; lines: number }> }>();
  private cover = { recorded: 0, attested: 0, suspected: 0, unknown: 0 };
  private noted = { commits: 0, counted: 0, ai: 0, marks: 0 };

  add(r: CommitClassification, isMerge: boolean): void {
    this.commits++;
    if (isMerge) this.merges++;
    this.verdicts[r.verdict]++;
    this.counted += r.counted_added_lines;
    const cov = coverageOf(r);
    this.cover.recorded += cov.recorded;
    this.cover.attested += cov.attested;
    this.cover.suspected += cov.suspected;
    this.cover.unknown += cov.unknown;
    if (r.recorded) {
      const rec = r.recorded;
      this.rec.withRecord++;
      if (rec.source !== "note") this.rec.fromPulls++;
      if (r.verdict === "recorded") this.rec.commits++;
      this.rec.ai += rec.ai_lines;
      this.rec.human += rec.human_lines;
      this.rec.untracked += rec.untracked_lines;
      if (r.conflict) this.rec.conflicts++;
      const seenAgents = new Set<string>();
      for (const a of rec.by_agent) {
        let v = this.recordedByAgent.get(a.agent);
        if (!v) this.recordedByAgent.set(a.agent, (v = { commits: 0, lines: 0, models: new Map() }));
        if (!seenAgents.has(a.agent)) v.commits++;
        seenAgents.add(a.agent);
        v.lines += a.lines;
        const model = a.model ?? "unknown";
        const mv = v.models.get(model) ?? { commits: 0, lines: 0 };
        mv.commits++;
        mv.lines += a.lines;
        v.models.set(model, mv);
      }
      this.noted.commits++;
      this.noted.counted += r.counted_added_lines;
      this.noted.ai += rec.ai_lines;
      this.noted.marks += r.marks_only?.verdict === "attested" ? r.counted_added_lines : 0;
    }
    if (r.verdict === "attested") spread(this.attested, r.agents, r.ai_added_lines);
    else if (r.verdict === "assisted") spread(this.assisted, r.agents, r.counted_added_lines);
    else if (r.verdict === "suspected") {
      this.suspectedCommits++;
      this.suspectedLines += r.counted_added_lines;
      this.suspectedConfidence += r.confidence;
    }
  }

  report(): DetectionSummaryReport {
    const pct = (n: number) => (this.counted > 0 ? Math.round((10000 * n) / this.counted) / 100 : 0);
    const group = (m: Map<string, { commits: number; lines: number }>) => {
      const by: Record<string, AgentLines> = {};
      let total = 0;
      for (const [agent, v] of [...m].sort((a, b) => b[1].lines - a[1].lines)) {
        total += v.lines;
        by[agent] = { commits: v.commits, lines: Math.round(v.lines), share_pct: pct(v.lines) };
      }
      return { lines: Math.round(total), share_pct: pct(total), by_agent: by };
    };
    const attested = group(this.attested);
    const recordedByAgent: DetectionSummaryReport["recorded"]["by_agent"] = {};
    for (const [agent, v] of [...this.recordedByAgent].sort((a, b) => b[1].lines - a[1].lines || (a[0] < b[0] ? -1 : 1))) {
      const models: Record<string, AgentLines> = {};
      for (const [model, mv] of [...v.models].sort((a, b) => b[1].lines - a[1].lines || (a[0] < b[0] ? -1 : 1))) {
        models[model] = { commits: mv.commits, lines: mv.lines, share_pct: pct(mv.lines) };
      }
      recordedByAgent[agent] = { commits: v.commits, lines: v.lines, share_pct: pct(v.lines), models };
    }
    const floor = this.rec.ai + attested.lines;
    const notedPct = (n: number) => (this.noted.counted > 0 ? Math.round((10000 * n) / this.noted.counted) / 100 : 0);
    return {
      commits: this.commits,
      merge_commits: this.merges,
      counted_added_lines: this.counted,
      verdicts: { ...this.verdicts },
      attested,
      assisted: group(this.assisted),
      suspected: {
        commits: this.suspectedCommits,
        lines: this.suspectedLines,
        share_pct: pct(this.suspectedLines),
        mean_confidence: this.suspectedCommits > 0 ? Math.round((1000 * this.suspectedConfidence) / this.suspectedCommits) / 1000 : null,
      },
      ai_loc_bands: {
        attested_pct: attested.share_pct,
        attested_plus_suspected_pct: pct(attested.lines + this.suspectedLines),
        floor_pct: pct(floor),
        ceiling_pct: pct(floor + this.suspectedLines),
      },
      recorded: {
        commits: this.rec.commits,
        commits_with_record: this.rec.withRecord,
        from_pull_requests: this.rec.fromPulls,
        ai_lines: this.rec.ai,
        human_lines: this.rec.human,
        untracked_lines: this.rec.untracked,
        share_pct: pct(this.rec.ai),
        conflicts: this.rec.conflicts,
        by_agent: recordedByAgent,
      },
      coverage: { ...coverageShares(this.cover), lines: { ...this.cover } },
      noted: {
        commits: this.noted.commits,
        counted_added_lines: this.noted.counted,
        recorded_ai_lines: this.noted.ai,
        recorded_ai_pct: notedPct(this.noted.ai),
        marks_ai_lines: this.noted.marks,
        marks_pct: notedPct(this.noted.marks),
      },
    };
  }
}

function spread(m: Map<string, { commits: number; lines: number }>, agents: string[], lines: number): void {
  const each = agents.length > 0 ? lines / agents.length : 0;
  for (const agent of agents) {
    const v = m.get(agent) ?? { commits: 0, lines: 0 };
    v.commits++;
    v.lines += each;
    m.set(agent, v);
  }
}

/**
 * The coverage's four shares in percent, rounded so they sum to exactly 100 (largest remainders;
 * all 0 when there are no counted lines).
 */
function coverageShares(c: { recorded: number; attested: number; suspected: number; unknown: number }) {
  const parts = [c.recorded, c.attested, c.suspected, c.unknown];
  const total = parts.reduce((n, x) => n + x, 0);
  const out = [0, 0, 0, 0];
  if (total > 0) {
    const exact = parts.map((x) => (10000 * x) / total);
    for (let i = 0; i < 4; i++) out[i] = Math.floor(exact[i]);
    let rest = 10000 - out.reduce((n, x) => n + x, 0);
    const order = [0, 1, 2, 3].sort((a, b) => exact[b] - Math.floor(exact[b]) - (exact[a] - Math.floor(exact[a])) || a - b);
    for (const i of order) {
      if (rest <= 0) break;
      out[i]++;
      rest--;
    }
  }
  return { recorded_pct: out[0] / 100, attested_pct: out[1] / 100, suspected_pct: out[2] / 100, unknown_pct: out[3] / 100 };
}
