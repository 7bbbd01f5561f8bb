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
});
