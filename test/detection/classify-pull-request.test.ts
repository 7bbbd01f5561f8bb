import { describe, expect, it } from "vitest";
import { classifyPullRequest } from "../../supabase/functions/_shared/detection/classify.ts";
import type { PullRequest } from "../../supabase/functions/_shared/detection/records.ts";
import { commit, commitsOf } from "./data.ts";

function pr(over: Partial<PullRequest>): PullRequest {
  return {
    number: 1, title: "t", body: "", author: { login: "someone", is_bot: false }, head_ref: "feature/x", base_ref: "main",
    labels: [], state: "MERGED", created_at: "", merged_at: "", merged_by: null, additions: 0, deletions: 0,
    reviews: [], commits: [], files: [], ...over,
  };
}

describe("classifyPullRequest", () => {
  it("attests a PR opened by the Copilot coding agent on a copilot/ branch", () => {
    const agentCommit = commitsOf("github__github-mcp-server").find((c) => c.author_name === "copilot-swe-agent[bot]")!;
    const r = classifyPullRequest(pr({ author: { login: "Copilot", is_bot: true, id: 198982749 }, head_ref: "copilot/fix-1", commits: [agentCommit] }));
    expect(r.verdict).toBe("attested");
    expect(r.agents).toEqual(["copilot-agent"]);
  });

  it("attests a Codex cloud PR from its task link in the body", () => {
    const r = classifyPullRequest(pr({ body: "Summary\n\n[Codex Task](https://chatgpt.com/codex/tasks/task_e_123)" }));
    expect(r.agents).toEqual(["codex"]);
  });

  it("lists a Copilot review as an AI reviewer without making the PR AI-authored", () => {
    const human = commit("github__github-mcp-server", "3a4c6600");
    const r = classifyPullRequest(pr({ commits: [human], reviews: [{ author: { login: "copilot-pull-request-reviewer", is_bot: true }, state: "COMMENTED", submitted_at: null }] }));
    expect(r.ai_reviewers).toEqual(["copilot-review"]);
    expect(r.verdict).not.toBe("attested");
  });

  it("does not attest a PR from a human whose login starts with devin", () => {
    const r = classifyPullRequest(pr({ author: { login: "devinauclair", is_bot: false }, head_ref: "fix-readme" }));
    expect(r.verdict).not.toBe("attested");
  });
});
