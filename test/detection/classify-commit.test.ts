import { describe, expect, it } from "vitest";
import { classifyCommit } from "../../supabase/functions/_shared/detection/classify.ts";
import { commit, commitsOf } from "./data.ts";

const marksOnly = { suspected: false } as const;

describe("classifyCommit on marked commits", () => {
  it("attests aider authorship when both author and committer carry (aider)", () => {
    const c = commitsOf("Aider-AI__aider").find((x) => x.author_name.endsWith("(aider)") && x.committer_name.endsWith("(aider)"))!;
    const r = classifyCommit(c, marksOnly);
    expect(r.verdict).toBe("attested");
    expect(r.agents).toEqual(["aider"]);
  });

  it("reports aider on the committer only as assistance, with no AI lines", () => {
    const r = classifyCommit(commit("Aider-AI__aider", "3ec8ec5a"), marksOnly);
    expect(r.verdict).toBe("assisted");
    expect(r.agents).toEqual(["aider"]);
    expect(r.ai_added_lines).toBe(0);
  });

  it("attests aider when (aider) is on the author but a human committed (rebased)", () => {
    const r = classifyCommit(commit("Aider-AI__aider", "7c9cff2f"), marksOnly);
    expect(r.verdict).toBe("attested");
    expect(r.agents).toEqual(["aider"]);
  });

  it("attests aider from a Co-authored-by aider trailer on a plain human identity", () => {
    const c = commitsOf("Aider-AI__aider").find((x) => /Co-authored-by: aider \(/.test(x.message) && !x.author_name.includes("(aider)"))!;
    expect(classifyCommit(c, marksOnly).agents).toContain("aider");
  });

  it("attests the Copilot coding agent by its bot account id", () => {
    const c = commitsOf("github__github-mcp-server").find((x) => x.author_name === "copilot-swe-agent[bot]")!;
    const r = classifyCommit(c, marksOnly);
    expect(r.verdict).toBe("attested");
    expect(r.agents).toEqual(["copilot-agent"]);
  });

  it("attests Copilot CLI from the Copilot App co-author and Copilot-Session trailer", () => {
    const r = classifyCommit(commit("github__github-mcp-server", "a6b82074"), marksOnly);
    expect(r.verdict).toBe("attested");
    expect(r.agents).toEqual(["copilot-cli"]);
    expect(r.evidence.map((e) => e.signal).sort()).toEqual(["co_author", "trailer"]);
  });

  it("reports an applied Copilot review suggestion as assistance, not authorship", () => {
    const c = commitsOf("github__github-mcp-server").find(
      (x) => x.message.includes("175728472+Copilot") && !/223556219|198982749|anthropic|openai|cursor/.test(x.message) && !x.author_email.includes("Copilot"),
    )!;
    const r = classifyCommit(c, marksOnly);
    expect(r.verdict).toBe("assisted");
    expect(r.agents).toEqual(["copilot-review"]);
  });

  it("attests Claude Code from the noreply@anthropic.com co-author named Claude", () => {
    const r = classifyCommit(commit("github__github-mcp-server", "844137c3"), marksOnly);
    expect(r.verdict).toBe("attested");
    expect(r.agents).toEqual(["claude-code"]);
  });

  it("finds a Claude trailer kept inside the body of a squash merge", () => {
    const r = classifyCommit(commit("github__github-mcp-server", "da2df718"), marksOnly);
    expect(r.agents).toEqual(["claude-code"]);
  });

  it("attests Cursor from a Made-with: Cursor trailer", () => {
    const r = classifyCommit(commit("terryyin__lizard", "9bc52d0e"), marksOnly);
    expect(r.verdict).toBe("attested");
    expect(r.agents).toEqual(["cursor"]);
  });

  it("attests a merge of a codex/ branch but counts none of its lines", () => {
    const r = classifyCommit(commit("Aider-AI__aider", "861a1e4d"), marksOnly);
    expect(r.verdict).toBe("attested");
    expect(r.agents).toEqual(["codex"]);
    expect(r.ai_added_lines).toBe(0);
  });

  it("attributes noreply@anthropic.com under another name to no specific agent", () => {
    const c = { ...commit("github__github-mcp-server", "844137c3") };
    c.message = "Fix a thing\n\nCo-authored-by: goose <noreply@anthropic.com>\n";
    expect(classifyCommit(c, marksOnly).agents).toEqual(["goose"]);
    c.message = "Fix a thing\n\nCo-authored-by: Some Tool <noreply@anthropic.com>\n";
    expect(classifyCommit(c, marksOnly).agents).toEqual(["unattributed"]);
  });
});

describe("classifyCommit on the data's pitfalls", () => {
  it("does not flag a human named Devin", () => {
    const c = commitsOf("terryyin__lizard").find((x) => x.author_name.startsWith("Devin "))!;
    expect(classifyCommit(c, marksOnly).verdict).toBe("human");
  });

  it("does not flag Anthropic staff committing without a Claude trailer", () => {
    expect(classifyCommit(commit("github__github-mcp-server", "3a4c6600"), marksOnly).verdict).toBe("human");
  });

  it("does not flag the aider maintainer's own commits from paul@aider.chat", () => {
    const c = commitsOf("Aider-AI__aider").find((x) => x.author_name === "Paul Gauthier" && x.committer_name === "Paul Gauthier" && !/aider/i.test(x.message))!;
    expect(classifyCommit(c, marksOnly).verdict).toBe("human");
  });

  it("flags no commit of the lizard control set except its Cursor ones", () => {
    const flagged = commitsOf("terryyin__lizard").filter((c) => classifyCommit(c, marksOnly).verdict === "attested");
    expect(flagged.length).toBe(21);
    for (const c of flagged) expect(classifyCommit(c, marksOnly).agents).toEqual(["cursor"]);
  });
});
