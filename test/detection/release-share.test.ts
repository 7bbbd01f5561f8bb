import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { classifyCommit } from "../../supabase/functions/_shared/detection/classify.ts";
import { estimateSurvivingShare } from "../../supabase/functions/_shared/detection/release-share.ts";
import type { Commit } from "../../supabase/functions/_shared/detection/records.ts";
import { commitsOf, DATA_DIR } from "./data.ts";

const blame = JSON.parse(readFileSync(join(DATA_DIR, "aider_release_blame.json"), "utf8")) as {
  releases: Array<{ to_tag: string; aider_blame_pct: number; non_merge_commits: string[] }>;
};
const history = commitsOf("Aider-AI__aider").filter((c) => c.parents.length <= 1).reverse();
const isAider = (c: Commit) => {
  const r = classifyCommit(c, { suspected: false });
  return r.verdict === "attested" && r.agents.includes("aider");
};
const py = (p: string) => p.endsWith(".py") && !p.endsWith("prompts.py");

describe("estimateSurvivingShare", () => {
  it("drops window lines that a later commit of the window deletes", () => {
    const base = { parents: ["p"], author_email: "a@x", committer_name: "a", committer_email: "a@x", authored_at: "", committed_at: "" };
    const commits: Commit[] = [
      { ...base, sha: "1", author_name: "AI", message: "", files: [{ path: "a.py", added: 10, deleted: 0 }] },
      { ...base, sha: "2", author_name: "Human", message: "", files: [{ path: "a.py", added: 10, deleted: 10 }] },
    ];
    const r = estimateSurvivingShare(commits, new Set(["1", "2"]), { isCounted: () => true, isAi: (c) => c.author_name === "AI" });
    expect(r.share_pct).toBe(0);
    expect(r.total_lines).toBe(10);
  });

  it("credits lines moved to another file in one commit to the commit that wrote them, not the mover", () => {
    const base = { parents: ["p"], author_email: "a@x", committer_name: "a", committer_email: "a@x", authored_at: "", committed_at: "" };
    const commits: Commit[] = [
      { ...base, sha: "0", author_name: "Human", message: "", files: [{ path: "utils.py", added: 200, deleted: 0 }] },
      { ...base, sha: "1", author_name: "Human", message: "", files: [{ path: "main.py", added: 40, deleted: 0 }] },
      { ...base, sha: "2", author_name: "AI", message: "", files: [{ path: "utils.py", added: 1, deleted: 150 }, { path: "waiting.py", added: 152, deleted: 0 }] },
    ];
    const opts = { isCounted: () => true, isAi: (c: Commit) => c.author_name === "AI" };
    const r = estimateSurvivingShare(commits, new Set(["1", "2"]), opts);
    // the 150 moved lines are from before the window; the AI wrote 1 + 2 lines of its own
    expect(r.ai_lines).toBe(3);
    expect(r.total_lines).toBe(43);
    expect(estimateSurvivingShare(commits, new Set(["1", "2"]), { ...opts, moves: false }).ai_lines).toBe(153);
  });

  it("estimates aider's v0.85.0 share, its lowest, within 5 points of the published figure", () => {
    const rel = blame.releases.find((r) => r.to_tag === "v0.85.0")!;
    const est = estimateSurvivingShare(history, new Set(rel.non_merge_commits), { isCounted: py, isAi: isAider });
    expect(Math.abs(est.share_pct - rel.aider_blame_pct)).toBeLessThan(5);
  });
});
