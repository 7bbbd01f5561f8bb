import { describe, expect, it } from "vitest";
import { classifyCommit } from "../../supabase/functions/_shared/detection/classify.ts";
import { stripMarks } from "../../supabase/functions/_shared/detection/strip.ts";
import { commit, commitsOf } from "./data.ts";

describe("suspected tier", () => {
  it("never downgrades a marked commit to suspected", () => {
    for (const c of commitsOf("github__github-mcp-server")) {
      const marks = classifyCommit(c, { suspected: false }).verdict;
      if (marks !== "human") expect(classifyCommit(c).verdict).toBe(marks);
    }
  });

  it("leaves no mark behind once marks are stripped", () => {
    for (const c of commitsOf("github__github-mcp-server")) {
      expect(classifyCommit(stripMarks(c), { suspected: false }).verdict).toBe("human");
    }
  });

  it("scores a stripped aider commit as more likely AI than the maintainer's 'copy' commit", () => {
    const ai = classifyCommit(stripMarks(commit("Aider-AI__aider", "e331a967")));
    const human = classifyCommit(commit("Aider-AI__aider", "6085be58"));
    const pAi = ai.verdict === "suspected" ? ai.confidence : 1 - ai.confidence;
    const pHuman = human.verdict === "suspected" ? human.confidence : 1 - human.confidence;
    expect(pAi).toBeGreaterThan(pHuman);
  });
});
