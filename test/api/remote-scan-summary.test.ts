// What `codeguard scan owner/repo --wait` prints once the scan has ended (summaryLines): the
// summary of a real scan's records, with the AI-LOC band — attested beside attested + suspected.
import { describe, expect, it } from "vitest";
import { summaryLines } from "../../src/cli/remote-scan.ts";
import { loadCommits } from "../../src/local/github/dataset.ts";
import { stripMarks } from "../../supabase/functions/_shared/detection/strip.ts";
import type { ScanStatus } from "../../supabase/functions/_shared/scan/member-requests.ts";
import { summarizeScan } from "../../supabase/functions/_shared/scan/summary.ts";

function status(summary: ScanStatus["summary"]): ScanStatus {
  return {
    scanId: "00000000-0000-4000-8000-000000000001", status: "completed", scanType: "full_scan", repositoryId: "r", repository: "github/github-mcp-server",
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
    expect(loc).toBe(`  AI LOC                ${summary.ai_loc_percentage}% of ${summary.total_loc} counted lines attested, ${summary.ai_loc_with_suspected_percentage}% with suspected (assisted ${summary.assisted_loc_percentage}% apart)`);
    const suspected = lines.find((l) => l.trim().startsWith("suspected"))!;
    expect(suspected).toBe(`  suspected             ${summary.suspected.commits} commit(s), ${summary.suspected_loc_percentage}% of the lines, mean confidence ${Math.round(100 * summary.suspected.mean_confidence!)}%`);
  });

  it("says why the suspected tier decided nothing where it abstained, and the band is the attested share", () => {
    const commits = loadCommits("terryyin__lizard.jsonl").slice(0, 200).map((c) => stripMarks(c)); // no mark: nothing to learn from
    const summary = summarizeScan({ commits, pullRequests: [] });
    expect(summary.suspected.abstained).not.toBeNull();
    const lines = summaryLines(status(summary as unknown as ScanStatus["summary"]));
    expect(lines.find((l) => l.trim().startsWith("AI LOC"))).toContain(`${summary.ai_loc_percentage}% of ${summary.total_loc} counted lines attested, ${summary.ai_loc_percentage}% with suspected`);
    expect(lines.find((l) => l.trim().startsWith("suspected"))).toBe(`  suspected             none: ${summary.suspected.abstained}`);
  });
});
