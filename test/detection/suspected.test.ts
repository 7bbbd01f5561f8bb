import { describe, expect, it } from "vitest";
import { calibrateCommits, classifyCommit, createCommitClassifier } from "../../supabase/functions/_shared/detection/classify.ts";
import {
  ABSTAIN,
  calibrateSuspected,
  humanReference,
  MIN_FLAGGED,
  SessionTracker,
  type SuspectedModel,
  suspectFeatures,
  suspectProbability,
  TARGET_PRECISION,
} from "../../supabase/functions/_shared/detection/suspected.ts";
import { SUSPECTED_MODEL } from "../../supabase/functions/_shared/detection/suspected-model.ts";
import { stripMarks } from "../../supabase/functions/_shared/detection/strip.ts";
import { commit, commitsOf } from "./data.ts";

describe("suspected tier: the cross-repository style model (a feature source; one commit alone never suspected)", () => {
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

  it("flags nothing as suspected without a repository calibration", () => {
    expect(SUSPECTED_MODEL.threshold).toBeGreaterThan(1);
    const classify = createCommitClassifier();
    for (const c of commitsOf("github__github-mcp-server")) expect(classify(stripMarks(c)).verdict).not.toBe("suspected");
  });

  it("abstains on a real repository whose unmarked commits score like the human reference", () => {
    const stripped = commitsOf("github__github-mcp-server").map((c) => stripMarks(c));
    const cal = calibrateCommits(stripped);
    expect(cal.scored).toBeGreaterThan(800);
    expect(cal.threshold).toBe(ABSTAIN);
    const classify = createCommitClassifier({ suspectedCalibration: cal });
    for (const c of stripped) expect(classify(c).verdict).not.toBe("suspected");
  });

  it("gives zero AI probability to bots and to git's revert messages", () => {
    const base = commitsOf("Aider-AI__aider").find((c) => c.parents.length === 1 && c.authored_at >= "2025")!;
    const agentShaped = { ...base, message: "feat: Add a retry loop around the model call\n" };
    expect(suspectProbability(suspectFeatures(agentShaped, null))).toBeGreaterThan(0);
    const bot = { ...agentShaped, author_name: "dependabot[bot]", author_email: "49699333+dependabot[bot]@users.noreply.github.com" };
    expect(suspectProbability(suspectFeatures(bot, null))).toBe(0);
    const revert = { ...agentShaped, message: 'Revert "feat: Add a retry loop around the model call"\n\nThis reverts commit 09e998523fd84adad5cf3d0b324317da3fd32fed.\n' };
    expect(suspectProbability(suspectFeatures(revert, null))).toBe(0);
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

/** A model whose score is the first feature's value (a step in the logit), for the threshold rule. */
function stepModel(reference: number[][]): SuspectedModel {
  const m: SuspectedModel = { ...SUSPECTED_MODEL, threshold: ABSTAIN };
  m.reference = humanReference(reference);
  return m;
}
const sig = (z: number) => 1 / (1 + Math.exp(-z));

describe("suspected threshold rule", () => {
  it("builds a human reference that never claims zero false positives and falls with the score", () => {
    const ref = humanReference([[sig(-3), sig(-3), sig(0), sig(2)], [sig(-1)]]);
    for (let g = 1; g < ref.fpr.length; g++) expect(ref.fpr[g]).toBeLessThanOrEqual(ref.fpr[g - 1]);
    expect(ref.fpr[ref.fpr.length - 1]).toBeGreaterThan(0);
    // at logit 1: 1 of 4 in the first repository, 0 of 1 in the second → max((1+1)/5, 1/2)
    const g1 = Math.round((1 - ref.logit_min) / ref.logit_step);
    expect(ref.fpr[g1]).toBeCloseTo(0.5, 6);
  });

  it("flags the agent-shaped commits of a repository that has far more of them than the reference", () => {
    // reference: 1 of 200 unmarked commits scores above logit 2
    const model = stepModel([[...new Array(199).fill(sig(-4)), sig(3)]]);
    const scores = [...new Array(300).fill(sig(-4)), ...new Array(100).fill(sig(3))];
    const cal = calibrateSuspected(scores, model);
    expect(cal.threshold).toBeLessThanOrEqual(1);
    expect(cal.flagged).toBe(100);
    expect(cal.precision_bound).toBeGreaterThanOrEqual(TARGET_PRECISION);
    // 400 scored · (1+1)/201 expected reference-like commits at or above the threshold, of 100 flagged
    expect(cal.precision_bound).toBeCloseTo(1 - (400 * 2) / 201 / 100, 3);
  });

  it("abstains when the repository looks like the reference, and when too few commits stand out", () => {
    const model = stepModel([[...new Array(150).fill(sig(-4)), ...new Array(50).fill(sig(3))]]);
    const same = [...new Array(300).fill(sig(-4)), ...new Array(100).fill(sig(3))];
    expect(calibrateSuspected(same, model).threshold).toBe(ABSTAIN);
    const clean = stepModel([new Array(5000).fill(sig(-4))]);
    const few = [...new Array(300).fill(sig(-4)), ...new Array(MIN_FLAGGED - 1).fill(sig(3))];
    expect(calibrateSuspected(few, clean).threshold).toBe(ABSTAIN);
    expect(calibrateSuspected([...few, sig(3)], clean).threshold).toBeLessThanOrEqual(1);
  });

  it("reports a suspected verdict with the repository's precision bound as its confidence", () => {
    const c = stripMarks(commit("Aider-AI__aider", "e331a967"));
    const p = suspectProbability(suspectFeatures(c, null));
    expect(p).toBeGreaterThan(0);
    const cal = calibrateSuspected([...new Array(50).fill(p / 100), ...new Array(50).fill(p)], stepModel([new Array(2000).fill(p / 100)]));
    expect(cal.threshold).toBeLessThanOrEqual(p);
    const r = classifyCommit(c, { suspectedCalibration: cal });
    expect(r.verdict).toBe("suspected");
    expect(r.confidence).toBeCloseTo(cal.precision_bound, 3);
    expect(r.evidence.at(-1)?.signal).toBe("suspected_model");
    expect(classifyCommit(c).verdict).toBe("human");
  });
});
