import { describe, expect, it } from "vitest";
import { classifyCommit, createCommitClassifier } from "../../supabase/functions/_shared/detection/classify.ts";
import { SessionTracker, suspectFeatures, suspectProbability } from "../../supabase/functions/_shared/detection/suspected.ts";
import { SUSPECTED_MODEL } from "../../supabase/functions/_shared/detection/suspected-model.ts";
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

  it("gives zero AI probability to a commit written before the agent era", () => {
    const old = commitsOf("terryyin__lizard").find((c) => c.authored_at.startsWith("2016") && c.parents.length === 1)!;
    expect(suspectProbability(suspectFeatures(old, null))).toBe(0);
  });

  it("flags nothing as suspected when the shipped model abstains", () => {
    expect(SUSPECTED_MODEL.threshold).toBeGreaterThan(1);
    const classify = createCommitClassifier();
    for (const c of commitsOf("github__github-mcp-server")) expect(classify(stripMarks(c)).verdict).not.toBe("suspected");
  });

  it("counts the author's other agent-shaped commits within the session window", () => {
    const t = new SessionTracker();
    const base = commitsOf("Aider-AI__aider").find((c) => c.parents.length === 1)!;
    const at = (iso: string, message: string) => ({ ...base, authored_at: iso, message });
    t.next(at("2025-03-01T10:00:00Z", "feat: Add a thing"));
    t.next(at("2025-03-01T11:00:00Z", "copy"));
    t.next(at("2025-03-01T20:00:00Z", "fix: Handle the other thing"));
    expect(t.next(at("2025-03-01T12:00:00Z", "refactor: Move it"))).toEqual({ commits: 2, shaped: 1 });
  });
});
