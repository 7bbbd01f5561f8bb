/**
 * AI-LOC shares over a set of classified commits: attested AI LOC per agent, and — reported
 * apart, never added in — assisted and suspected lines. Merge commits are counted but add no
 * lines (their lines are the merged commits'). The AI-LOC share comes as two bands: attested
 * (marks only) and attested + suspected (marks and the repository rule), so a reader sees both.
 */
import type { CommitClassification, Verdict } from "./classify.ts";

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
  /** the AI-LOC share in two bands, in percent: marks only, and marks plus the suspected tier */
  ai_loc_bands: { attested_pct: number; attested_plus_suspected_pct: number };
}

/** Accumulates classifications; O(1) memory per agent, so it can follow a stream. */
export class DetectionSummary {
  private commits = 0;
  private merges = 0;
  private counted = 0;
  private verdicts: Record<Verdict, number> = { attested: 0, assisted: 0, suspected: 0, human: 0 };
  private attested = new Map<string, { commits: number; lines: number }>();
  private assisted = new Map<string, { commits: number; lines: number }>();
  private suspectedCommits = 0;
  private suspectedLines = 0;
  private suspectedConfidence = 0;

  add(r: CommitClassification, isMerge: boolean): void {
    this.commits++;
    if (isMerge) this.merges++;
    this.verdicts[r.verdict]++;
    this.counted += r.counted_added_lines;
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
      ai_loc_bands: { attested_pct: attested.share_pct, attested_plus_suspected_pct: pct(attested.lines + this.suspectedLines) },
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
