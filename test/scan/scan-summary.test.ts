import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Actor, Commit, PullRequest, Review } from "../../supabase/functions/_shared/detection/records.ts";
import { hasHumanReview, summarizeScan, SUSPECTS_LISTED } from "../../supabase/functions/_shared/scan/summary.ts";
import { classifyCommit, classifyCommits, DetectionSummary, stripMarks } from "../../supabase/functions/_shared/detection/index.ts";

const data = join(import.meta.dirname, "..", "..", "..", "shared", "data");
const mcp: Commit[] = readFileSync(join(data, "github__github-mcp-server.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
const agentCommit = mcp.find((c) => c.author_email.includes("copilot-swe-agent") || c.author_name === "copilot-swe-agent[bot]")!;
const humanCommit = mcp.find((c) => c.author_email.endsWith("@github.com") && c.parents.length === 1 && !/co-authored-by/i.test(c.message))!;

const copilot: Actor = { login: "Copilot", is_bot: true, id: 198982749 };
const reviewerBot: Actor = { login: "copilot-pull-request-reviewer", is_bot: true };
const alice: Actor = { login: "alice", is_bot: false };
const bob: Actor = { login: "bob", is_bot: false };

function pr(number: number, over: Partial<PullRequest>): PullRequest {
  return {
    number, title: `PR ${number}`, body: "", author: alice, head_ref: "feature", base_ref: "main", labels: [],
    state: "MERGED", created_at: "2025-06-01T10:00:00Z", merged_at: "2025-06-02T10:00:00Z", merged_by: alice,
    additions: 10, deletions: 0, reviews: [], commits: [humanCommit], files: [], ...over,
  };
}
const review = (author: Actor, state: Review["state"] = "APPROVED", submitted_at = "2025-06-01T12:00:00Z"): Review => ({ author, state, submitted_at });
const agentPr = (n: number, reviews: Review[]) => pr(n, { author: copilot, head_ref: `copilot/fix-${n}`, commits: [agentCommit], reviews });

describe("the scan summary", () => {
  it("finds real agent and human commits in the data set to build its cases from", () => {
    expect(agentCommit).toBeDefined();
    expect(humanCommit).toBeDefined();
  });

  it("counts a merged agent PR approved by a human as reviewed", () => {
    expect(hasHumanReview(agentPr(1, [review(bob)]))).toBe(true);
  });

  it("does not count a review by an AI reviewer bot as human review", () => {
    expect(hasHumanReview(agentPr(2, [review(reviewerBot, "COMMENTED")]))).toBe(false);
  });

  it("does not count the PR author's own review", () => {
    expect(hasHumanReview(pr(3, { reviews: [review(alice)] }))).toBe(false);
  });

  it("does not count a review submitted after the merge", () => {
    expect(hasHumanReview(agentPr(4, [review(bob, "APPROVED", "2025-06-03T00:00:00Z")]))).toBe(false);
  });

  it("reports reviewed and unreviewed AI merges, and open AI PRs apart from merges", () => {
    const s = summarizeScan({
      pullRequests: [
        agentPr(10, [review(bob)]),
        agentPr(11, [review(reviewerBot, "COMMENTED")]),
        agentPr(12, []),
        { ...agentPr(13, []), state: "OPEN", merged_at: null, merged_by: null },
        pr(14, { reviews: [review(bob)] }),
      ],
      commits: [],
    });
    expect(s.ai_prs_detected).toBe(4);
    expect(s.reviewed_ai_prs).toBe(1);
    expect(s.unreviewed_ai_merges).toBe(2);
    expect(s.review_coverage_percentage).toBeCloseTo(33.33, 2);
    expect(s.unreviewed_ai_pull_requests.map((p) => p.number).sort()).toEqual([11, 12]);
    expect(s.per_agent["copilot-agent"].prs).toBe(4);
  });

  it("reports 100 % review coverage when there are no AI pull requests", () => {
    const s = summarizeScan({ pullRequests: [pr(20, {})], commits: [humanCommit] });
    expect(s.ai_prs_detected).toBe(0);
    expect(s.review_coverage_percentage).toBe(100);
  });

  it("computes the AI-LOC share of a real repository's history from its attested commits only", () => {
    const s = summarizeScan({ pullRequests: [], commits: mcp, apiRequests: { counted: 7, notModified: 3 } });
    expect(s.commits_scanned).toBe(mcp.length);
    expect(s.ai_loc_percentage).toBeGreaterThan(0);
    expect(s.ai_loc_percentage).toBeLessThan(100);
    const agentLines = Object.values(s.per_agent).reduce((a, v) => a + v.lines, 0);
    expect(Math.abs((100 * agentLines) / s.total_loc - s.ai_loc_percentage)).toBeLessThan(0.1);
    expect(s.api_requests).toEqual({ counted: 7, not_modified: 3 });
  });

  it("reports suspected lines apart, as a band above the attested share, with the evidence of the most confident", () => {
    // aider's history with every third attested commit's marks stripped: the repository rule
    // learns from the other marks and suspects the stripped ones
    const aider: Commit[] = readFileSync(join(data, "Aider-AI__aider.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    let k = 0;
    const commits = aider.map((c) => (classifyCommit(c, { suspected: false }).verdict === "attested" && c.parents.length === 1 && k++ % 3 === 0 ? stripMarks(c) : c));
    const direct = new DetectionSummary();
    const { classifications } = classifyCommits(commits);
    commits.forEach((c, i) => direct.add(classifications[i], c.parents.length > 1));
    const want = direct.report();
    expect(want.suspected.share_pct).toBeGreaterThan(5);
    const s = summarizeScan({ pullRequests: [], commits });
    expect(s.suspected_loc_percentage).toBe(want.suspected.share_pct);
    expect(s.ai_loc_percentage).toBe(want.attested.share_pct);
    expect(s.ai_loc_with_suspected_percentage).toBe(want.ai_loc_bands.attested_plus_suspected_pct);
    expect(s.ai_loc_with_suspected_percentage).toBeGreaterThan(s.ai_loc_percentage);
    expect(s.total_loc).toBe(want.counted_added_lines);
    expect(s.suspected.commits).toBe(want.suspected.commits);
    expect(s.suspected.mean_confidence).toBe(want.suspected.mean_confidence);
    expect(s.suspected.top.length).toBe(Math.min(SUSPECTS_LISTED, want.suspected.commits));
    expect(s.suspected.top[0].evidence.length).toBeGreaterThan(0);
    expect(s.suspected.label_frequency).toBeGreaterThan(0.5);
    expect(s.suspected.abstained).toBeNull();
  });
});
