// What `codeguard scan owner/repo --wait` prints once the scan has ended (summaryLines): the
// summary of a real scan's records, with the AI-LOC band — attested beside attested + suspected.
import { describe, expect, it } from "vitest";
import { summaryLines } from "../../src/cli/remote-scan.ts";
import { loadCommits } from "../../src/local/github/dataset.ts";
import { stripMarks } from "../../supabase/functions/_shared/detection/strip.ts";
import type { ScanStatus } from "../../src/client/codeguard-client.ts";
import { summarizeScan } from "../../supabase/functions/_shared/scan/summary.ts";

function status(summary: ScanStatus["summary"]): ScanStatus {
  return {
    jobId: "00000000-0000-4000-8000-000000000001", scanId: "00000000-0000-4000-8000-000000000001", status: "completed", scanType: "full_scan", repositoryId: "r", repository: "github/github-mcp-server",
    progress: 100, progressMessage: null, attempts: 1, maxAttempts: 3, createdAt: null, startedAt: "2026-12-01T10:00:00Z", completedAt: "2026-12-01T10:00:04Z",
    error: null, summary, warnings: [], apiRequests: null, followUp: null, followedBy: null, events: [],
  } as ScanStatus;
}

describe("codeguard scan --wait's summary", () => {
  it("prints the suspected band beside the attested share, and the suspected tier's commits", () => {
    // a third of the attested commits lost their marks (every third one), as squashes do
    let k = 0;
    const commits = loadCommits("github__github-mcp-server.jsonl").map((c) => (/Co-authored-by|🤖/i.test(c.message) && k++ % 3 === 0 ? stripMarks(c) : c));
    const summary = summarizeScan({ commits, pullRequests: [] });
    expect(summary.ai_loc_with_suspected_percentage).toBeGreaterThan(summary.ai_loc_percentage);
    const lines = summaryLines(status(summary as unknown as ScanStatus["summary"]));
    const loc = lines.find((l) => l.trim().startsWith("AI LOC"))!;
    expect(loc).toBe(`  AI LOC                ${summary.ai_loc_percentage}% of ${summary.total_loc} counted lines (recorded 0%, attested ${summary.attested_loc_percentage}%), ${summary.ai_loc_with_suspected_percentage}% with suspected (assisted ${summary.assisted_loc_percentage}% apart)`);
    const c = summary.coverage;
    expect(lines).toContain(`  coverage              recorded 0%, attested ${c.attested_pct}%, suspected ${c.suspected_pct}%, unknown ${c.unknown_pct}% of the counted lines`);
    const suspected = lines.find((l) => l.trim().startsWith("suspected"))!;
    expect(suspected).toBe(`  suspected             ${summary.suspected.commits} commit(s), ${summary.suspected_loc_percentage}% of the lines, mean confidence ${Math.round(100 * summary.suspected.mean_confidence!)}%`);
  });

  it("says why the suspected tier decided nothing where it abstained, and the band is the attested share", () => {
    const commits = loadCommits("terryyin__lizard.jsonl").slice(0, 200).map((c) => stripMarks(c)); // no mark: nothing to learn from
    const summary = summarizeScan({ commits, pullRequests: [] });
    expect(summary.suspected.abstained).not.toBeNull();
    const lines = summaryLines(status(summary as unknown as ScanStatus["summary"]));
    expect(lines.find((l) => l.trim().startsWith("AI LOC"))).toContain(`${summary.ai_loc_percentage}% of ${summary.total_loc} counted lines (recorded 0%, attested ${summary.attested_loc_percentage}%), ${summary.ai_loc_percentage}% with suspected`);
    expect(lines.find((l) => l.trim().startsWith("suspected"))).toBe(`  suspected             none: ${summary.suspected.abstained}`);
  });

  it("a summary written before the recorded tier reads as it did: the attested band, no coverage", () => {
    const old = { ai_loc_percentage: 12.5, ai_loc_with_suspected_percentage: 14, total_loc: 800, assisted_loc_percentage: 1, commits_scanned: 10, prs_scanned: 2, per_agent: { codex: { lines: 100, share_pct: 12.5 } } };
    const lines = summaryLines(status(old as unknown as ScanStatus["summary"]));
    expect(lines).toContain("  AI LOC                12.5% of 800 counted lines attested, 14% with suspected (assisted 1% apart)");
    expect(lines.some((l) => l.trim().startsWith("coverage"))).toBe(false);
    expect(lines).toContain("  by agent              codex 12.5%");
  });

  it("a noted repository's scan shows its records, coverage and per-agent models", () => {
    const summary = {
      ai_loc_percentage: 31.6, recorded_loc_percentage: 25.1, attested_loc_percentage: 6.5, ai_loc_with_suspected_percentage: 33, total_loc: 1000,
      assisted_loc_percentage: 0, coverage: { recorded_pct: 60, attested_pct: 6.5, suspected_pct: 1.4, unknown_pct: 32.1 },
      recorded: { commits: 19, commits_with_record: 70, from_pull_requests: 1, ai_lines: 251, human_lines: 349, untracked_lines: 0, conflicts: 2 },
      noted: { commits: 70, counted_added_lines: 800, recorded_ai_lines: 252, recorded_ai_pct: 31.5, marks_ai_lines: 84, marks_pct: 10.5 },
      per_agent: { "claude-code": { lines: 200, share_pct: 20, models: { "claude-opus-4-6": { lines: 150, share_pct: 15 }, unknown: { lines: 50, share_pct: 5 } } }, codex: { lines: 116, share_pct: 11.6, models: { "gpt-5": { lines: 116, share_pct: 11.6 } } } },
    };
    const lines = summaryLines(status(summary as unknown as ScanStatus["summary"]));
    expect(lines).toContain("  AI LOC                31.6% of 1000 counted lines (recorded 25.1%, attested 6.5%), 33% with suspected (assisted 0% apart)");
    expect(lines).toContain("  coverage              recorded 60%, attested 6.5%, suspected 1.4%, unknown 32.1% of the counted lines");
    expect(lines).toContain("  recorded (git-ai)     70 commit(s) with a note (1 from their PR's notes), 19 with AI lines: 31.5% of their lines AI (marks alone: 10.5%), 2 disagree with their marks");
    expect(lines).toContain("  by agent              claude-code 20% (claude-opus-4-6 15%, unknown 5%), codex 11.6% (gpt-5 11.6%)");
  });
});
