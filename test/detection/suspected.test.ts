// The style of a commit without its marks (suspected.ts): what the repository rule reads beside the
// repository's evidence, and the gates that keep commits out of the tier. The cross-repository
// style model's threshold rule, kept in the eval as the repository rule's baseline, is tested at
// the end (eval/style-model.ts).
import { describe, expect, it } from "vitest";
import { classifyCommit, createCommitClassifier } from "../../supabase/functions/_shared/detection/classify.ts";
import { styleGated, suspectFeatures } from "../../supabase/functions/_shared/detection/suspected.ts";
import { stripMarks } from "../../supabase/functions/_shared/detection/strip.ts";
import { ABSTAIN, calibrateSuspected, humanReference, MIN_FLAGGED, SessionTracker, type SuspectedModel, TARGET_PRECISION } from "../../eval/style-model.ts";
import { commitsOf } from "./data.ts";

describe("suspected tier: the style features and their gates (one commit alone is never suspected)", () => {
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

  it("suspects nothing of commits judged one at a time: the tier needs the repository", () => {
    const classify = createCommitClassifier();
    for (const c of commitsOf("github__github-mcp-server").slice(0, 300)) {
      const r = classify(stripMarks(c));
      expect(r.verdict).toBe("human");
      expect(r.confidence).toBe(1);
    }
  });

  it("keeps a commit written before the agent era out of the tier", () => {
    const old = commitsOf("terryyin__lizard").find((c) => c.authored_at.startsWith("2016") && c.parents.length === 1)!;
    expect(styleGated(suspectFeatures(old, null))).toBe(true);
  });

  it("keeps bots and git's revert messages out of the tier", () => {
    const base = commitsOf("Aider-AI__aider").find((c) => c.parents.length === 1 && c.authored_at >= "2025")!;
    const agentShaped = { ...base, message: "feat: Add a retry loop around the model call\n" };
    expect(styleGated(suspectFeatures(agentShaped, null))).toBe(false);
    const bot = { ...agentShaped, author_name: "dependabot[bot]", author_email: "49699333+dependabot[bot]@users.noreply.github.com" };
    expect(styleGated(suspectFeatures(bot, null))).toBe(true);
    const revert = { ...agentShaped, message: 'Revert "feat: Add a retry loop around the model call"\n\nThis reverts commit 09e998523fd84adad5cf3d0b324317da3fd32fed.\n' };
    expect(styleGated(suspectFeatures(revert, null))).toBe(true);
  });

  it("counts the author's other agent-shaped commits within the session window (the eval's session features)", () => {
    const t = new SessionTracker();
    const base = commitsOf("Aider-AI__aider").find((c) => c.parents.length === 1)!;
    const at = (iso: string, message: string) => ({ ...base, authored_at: iso, message });
    t.next(at("2025-03-01T10:00:00Z", "feat: Add a thing"));
    t.next(at("2025-03-01T11:00:00Z", "copy"));
    t.next(at("2025-03-01T20:00:00Z", "fix: Handle the other thing"));
    expect(t.next(at("2025-03-01T12:00:00Z", "refactor: Move it"))).toEqual({ commits: 2, shaped: 1 });
  });
});

/** A model for the threshold rule, which reads only its human reference. */
function stepModel(reference: number[][]): SuspectedModel {
  return { weights: [], mean: [], scale: [], threshold: ABSTAIN, reference: humanReference(reference), trained_on: [], note: "" };
}
const sig = (z: number) => 1 / (1 + Math.exp(-z));

describe("the style model's threshold rule (eval/style-model.ts, the eval's cross-repository baseline)", () => {
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
});
