import { describe, expect, it } from "vitest";
import { classifyCommit } from "../../supabase/functions/_shared/detection/classify.ts";
import { DetectionSummary } from "../../supabase/functions/_shared/detection/summary.ts";
import { commitsOf } from "./data.ts";

function summarize(repo: Parameters<typeof commitsOf>[0]) {
  const s = new DetectionSummary();
  for (const c of commitsOf(repo)) s.add(classifyCommit(c), c.parents.length > 1);
  return s.report();
}

describe("DetectionSummary", () => {
  it("keeps assisted lines out of the attested AI-LOC total", () => {
    const r = summarize("Aider-AI__aider");
    expect(r.assisted.by_agent.aider.lines).toBeGreaterThan(0);
    const attestedSum = Object.values(r.attested.by_agent).reduce((n, a) => n + a.lines, 0);
    expect(Math.abs(attestedSum - r.attested.lines)).toBeLessThanOrEqual(Object.keys(r.attested.by_agent).length);
  });

  it("reports every Copilot form of github-mcp-server under its own agent", () => {
    const r = summarize("github__github-mcp-server");
    expect(Object.keys(r.attested.by_agent)).toEqual(expect.arrayContaining(["copilot-cli", "copilot-agent", "claude-code"]));
    expect(Object.keys(r.assisted.by_agent)).toEqual(["copilot-review"]);
  });

  it("counts merge commits without adding their lines to the denominator", () => {
    const commits = commitsOf("Aider-AI__aider");
    const r = summarize("Aider-AI__aider");
    expect(r.merge_commits).toBe(commits.filter((c) => c.parents.length > 1).length);
    const direct = commits.filter((c) => c.parents.length <= 1).reduce((n, c) => n + classifyCommit(c).counted_added_lines, 0);
    expect(r.counted_added_lines).toBe(direct);
  });

  it("without records: no recorded line, the floor is the attested share, and the coverage splits attested from unknown", () => {
    const r = summarize("github__github-mcp-server");
    expect(r.verdicts.recorded).toBe(0);
    expect(r.recorded).toMatchObject({ commits: 0, commits_with_record: 0, ai_lines: 0, share_pct: 0, by_agent: {} });
    expect(r.noted.commits).toBe(0);
    expect(r.ai_loc_bands.floor_pct).toBe(r.ai_loc_bands.attested_pct);
    expect(r.ai_loc_bands.ceiling_pct).toBe(r.ai_loc_bands.attested_plus_suspected_pct);
    // classifyCommit alone never suspects: every counted line is attested or of unknown origin
    expect(r.coverage.lines.recorded + r.coverage.lines.suspected).toBe(0);
    expect(r.coverage.lines.attested + r.coverage.lines.unknown).toBe(r.counted_added_lines);
    expect(r.coverage.attested_pct + r.coverage.unknown_pct).toBeCloseTo(100, 6);
    expect(r.coverage.attested_pct).toBeCloseTo(r.attested.share_pct, 1);
  });
});
