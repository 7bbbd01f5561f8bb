// windowLeftOut: the warning of a full scan whose window starts after the branch's newest commit —
// and no warning when the window reaches it, or for a scan that has no window (incremental).
import { describe, expect, it } from "vitest";
import { windowLeftOut } from "../../supabase/functions/_shared/github/history.ts";

const state = (headCommittedAt: string | null) => ({ newestPullRequestUpdatedAt: null, headSha: headCommittedAt ? "a".repeat(40) : null, headCommittedAt, notModified: false, branch: "master" });
const repo = { owner: "terryyin", name: "lizard", scanWindowDays: 90 };

describe("windowLeftOut", () => {
  it("names the head's date, the window and the days that would reach it", () => {
    // Window from 2026-09-08 (90 days before 2026-12-07); head 2026-08-20: 19 days short, so 90 + 19 + 1.
    expect(windowLeftOut(state("2026-08-20T14:22:45Z"), "2026-09-08T00:00:00.000Z", repo)).toBe(
      "the scan window of 90 days starts 2026-09-08, after the newest commit of master (2026-08-20): no commit of its history was read. " +
      "Widen the company's scan_window_days to 110 or more (codeguard repo add terryyin/lizard --window-days 110) and scan again.");
  });

  it("says nothing when the window reaches the head, for an empty repository, or without a window", () => {
    expect(windowLeftOut(state("2026-09-08T00:00:00Z"), "2026-09-08T00:00:00.000Z", repo)).toBeNull();
    expect(windowLeftOut(state("2026-12-01T00:00:00Z"), "2026-09-08T00:00:00.000Z", repo)).toBeNull();
    expect(windowLeftOut(state(null), "2026-09-08T00:00:00.000Z", repo)).toBeNull();
    expect(windowLeftOut(state("2020-01-01T00:00:00Z"), null, repo)).toBeNull();
  });
});
