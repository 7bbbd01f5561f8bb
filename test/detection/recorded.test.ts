import { describe, expect, it } from "vitest";
import type { Commit } from "../../supabase/functions/_shared/detection/records.ts";
import { classifyCommit, classifyCommits, decideSuspected } from "../../supabase/functions/_shared/detection/classify.ts";
import { type NoteParse, parseNote } from "../../supabase/functions/_shared/detection/notes.ts";
import { attributeCommit, attributeNote, attributeSquashMerge, coverageOf, squashMergedPullRequest, withRecorded } from "../../supabase/functions/_shared/detection/recorded.ts";
import { DetectionSummary } from "../../supabase/functions/_shared/detection/summary.ts";
import { countedAddedLines } from "../../supabase/functions/_shared/detection/loc.ts";
import { commitsOf, type NotedDataSet, notesOf, pullsOf } from "./data.ts";
import type { CommitClassification } from "../../supabase/functions/_shared/detection/verdicts.ts";

const S1 = "s_0123456789abcd";
const S2 = "s_ffffffffffffff";
const META = JSON.stringify({
  schema_version: "authorship/3.0.0",
  base_commit_sha: "a".repeat(40),
  prompts: {},
  sessions: {
    [S1]: { agent_id: { tool: "claude", id: "1", model: "claude-opus-4-8" } },
    [S2]: { agent_id: { tool: "codex", id: "2", model: "gpt-5.5" } },
  },
  humans: { h_abcdefabcdef01: { author: "A <a@x>" } },
});
const note = (...lines: string[]) => parseNote([...lines, "---", META].join("\n"));

function commitOf(files: [string, number | null][], message = "Add things", extra: Partial<Commit> = {}): Commit {
  return {
    sha: "c0ffee".padEnd(40, "0"),
    parents: ["p".padEnd(40, "0")],
    author_name: "Dev",
    author_email: "dev@example.com",
    committer_name: "Dev",
    committer_email: "dev@example.com",
    authored_at: "2026-05-01T10:00:00Z",
    committed_at: "2026-05-01T10:00:00Z",
    message,
    files: files.map(([path, added]) => ({ path, added, deleted: 0 })),
    ...extra,
  };
}

/** Every commit of a data set through the recorded tier, as the detect CLI does it. */
function recordedRun(ds: NotedDataSet, withPulls: boolean) {
  const notes = new Map<string, NoteParse>(notesOf(ds).map((n) => [n.sha, parseNote(n.note)]));
  const pulls = new Map(pullsOf(ds).map((p) => [p.number, p]));
  const commits = commitsOf(ds);
  const { classifications } = classifyCommits(commits);
  const warnings: string[] = [];
  const results = commits.map((c, i) => {
    const pr = withPulls ? squashMergedPullRequest(c, pulls) : null;
    const squash = pr === null ? null : { number: pr, notes: pulls.get(pr)!.commits.filter((x) => notes.has(x.sha)).map((x) => ({ sha: x.sha, note: notes.get(x.sha)! })) };
    const a = attributeCommit(c, notes.get(c.sha), squash);
    warnings.push(...a.warnings);
    return { commit: c, pr, r: a.recorded ? withRecorded(classifications[i], a.recorded) : classifications[i] };
  });
  const summary = new DetectionSummary();
  for (const { commit, r } of results) summary.add(r, commit.parents.length > 1);
  return { results, warnings, report: summary.report() };
}

describe("attributeNote", () => {
  it("counts AI and human lines of counted files only, the rest of the counted lines untracked", () => {
    const c = commitOf([["src/a.ts", 20], ["package-lock.json", 300], ["vendor/x.js", 10], ["b.py", 5]]);
    const a = attributeNote(c, note(
      "src/a.ts", `  ${S1}::t_0000000000000a 1-10`, "  h_abcdefabcdef01 11-12",
      "package-lock.json", `  ${S1}::t_0000000000000a 1-300`,
      "vendor/x.js", `  ${S2}::t_0000000000000b 1-10`,
      "b.py", `  ${S2}::t_0000000000000b 2-4`,
    ));
    expect(a.warning).toBeNull();
    expect(a.recorded).toMatchObject({ source: "note", ai_lines: 13, human_lines: 2, untracked_lines: 10, capped_lines: 0 });
    expect(a.recorded!.by_agent).toEqual([
      { agent: "claude-code", tool: "claude", model: "claude-opus-4-8", lines: 10 },
      { agent: "codex", tool: "codex", model: "gpt-5.5", lines: 3 },
    ]);
    expect(a.recorded!.files).toEqual([{ path: "src/a.ts", ai_lines: 10, human_lines: 2 }, { path: "b.py", ai_lines: 3, human_lines: 0 }]);
  });

  it("counts a file's lines up to what the commit added there, with a warning, and does not use a note of lines in a file the commit does not change", () => {
    const c = commitOf([["src/a.ts", 5], ["src/b.ts", 3]]);
    const over = attributeNote(c, note("src/a.ts", `  ${S1}::t_0000000000000a 1-4`, `  ${S2}::t_0000000000000b 5-6`, "  h_abcdefabcdef01 7", "src/b.ts", `  ${S1}::t_0000000000000a 1`));
    expect(over.recorded).toMatchObject({ ai_lines: 6, human_lines: 0, untracked_lines: 2, capped_lines: 1 });
    // claude 4 and codex 2 lines fitted into 5: 3.33 and 1.67 → 3 and 2 (largest remainder)
    expect(over.recorded!.by_agent.map((a) => [a.agent, a.lines])).toEqual([["claude-code", 4], ["codex", 2]]);
    expect(over.recorded!.files).toEqual([{ path: "src/a.ts", ai_lines: 5, human_lines: 0 }, { path: "src/b.ts", ai_lines: 1, human_lines: 0 }]);
    expect(over.warning).toBe(`commit c0ffee000000: its git-ai note records more lines than the commit added ("src/a.ts": 7 of 5); counted up to what it added`);
    const elsewhere = attributeNote(c, note("src/a.ts", `  ${S1}::t_0000000000000a 1`, "src/gone.ts", `  ${S1}::t_0000000000000a 1`));
    expect(elsewhere.recorded).toBeNull();
    expect(elsewhere.warning).toBe(`commit c0ffee000000: its git-ai note is not used (ranges past added lines: records 1 lines in "src/gone.ts", a file the commit does not change); classified by its marks`);
    // a binary file (no line count) is left out, not held against the note
    expect(attributeNote(commitOf([["src/a.ts", 5], ["img.png", null]]), note("img.png", `  ${S1}::t_0000000000000a 1-50`)).recorded?.ai_lines).toBe(0);
  });

  it("caps a path the note lists twice once, at what the commit added there", () => {
    const c = commitOf([["src/a.ts", 5]]);
    const a = attributeNote(c, note("src/a.ts", `  ${S1}::t_0000000000000a 1-4`, "src/a.ts", `  ${S2}::t_0000000000000b 6-8`));
    expect(a.recorded).toMatchObject({ ai_lines: 5, capped_lines: 2, untracked_lines: 0 });
    expect(a.warning).toMatch(/records more lines than the commit added \("src\/a.ts": 3 of 1\)/);
  });

  it("finds a renamed file under git's rename notation in the numstat", () => {
    const c = commitOf([["docs/{old => new}/a.md", 4], ["x => y.py", 2]]);
    const a = attributeNote(c, note("docs/new/a.md", `  ${S1}::t_0000000000000a 1-4`, "y.py", `  ${S1}::t_0000000000000a 1`));
    expect(a.warning).toBeNull();
    expect(a.recorded!.ai_lines).toBe(5);
  });

  it("sends each bad note back to the marks, with a warning naming the commit and what was wrong", () => {
    const c = commitOf([["src/a.ts", 5]], "Fix\n\nCo-authored-by: Claude <noreply@anthropic.com>");
    const bad: [string, RegExp][] = [
      ["src/a.ts\n  s_1 1-2\n", /unparseable: has no `---` line/],
      ['---\n{"schema_version":"authorship/9.0.0","prompts":{}}', /unknown schema version: schema_version "authorship\/9\.0\.0"/],
      [`src/a.ts\n  zz 1\n---\n${META}`, /unknown key: line 2: key "zz"/],
      [`src/a.ts\n  ${S1}::t_0000000000000a 3-1\n---\n${META}`, /bad range: line 2/],
      [`src/b.ts\n  ${S1}::t_0000000000000a 1-9\n---\n${META}`, /ranges past added lines: records 9 lines in "src\/b.ts", a file the commit does not change/],
    ];
    for (const [text, why] of bad) {
      const { recorded, warnings } = attributeCommit(c, parseNote(text));
      expect(recorded).toBeNull();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^commit c0ffee000000: its git-ai note is not used/);
      expect(warnings[0]).toMatch(why);
      expect(warnings[0]).toMatch(/classified by its marks$/);
    }
    // the commit keeps its marks' verdict
    expect(classifyCommit(c).verdict).toBe("attested");
  });

  it("reads no note of a merge commit (its lines are the merged commits')", () => {
    const merge = commitOf([["src/a.ts", 5]], "Merge branch 'x'", { parents: ["a".repeat(40), "b".repeat(40)] });
    expect(attributeNote(merge, note("src/a.ts", `  ${S1}::t_0000000000000a 1-2`))).toEqual({ recorded: null, warning: null, failure: null });
  });
});

describe("withRecorded: the record over the marks", () => {
  it("makes a commit with recorded AI lines recorded, mark or not, its AI LOC the note's", () => {
    const c = commitOf([["src/a.ts", 40]]);
    const rec = attributeNote(c, note("src/a.ts", `  ${S1}::t_0000000000000a 1-10`)).recorded!;
    const r = withRecorded(classifyCommit(c), rec);
    expect(r).toMatchObject({ verdict: "recorded", agents: ["claude-code"], ai_added_lines: 10, counted_added_lines: 40, conflict: null });
    expect(r.marks_only).toEqual({ verdict: "human", agents: [], ai_added_lines: 0 });
    expect(r.evidence.at(-1)!.detail).toBe("git-ai note: 10 AI lines (claude-code claude-opus-4-8 10), 0 human, 30 untracked of 40 counted");
    expect(coverageOf(r)).toEqual({ recorded: 10, attested: 0, suspected: 0, unknown: 30 });
  });

  it("keeps both as evidence where the note and the mark disagree, the note deciding AI LOC", () => {
    const marked = commitOf([["src/a.ts", 40]], "Fix\n\nCo-authored-by: Claude <noreply@anthropic.com>");
    const codexLines = withRecorded(classifyCommit(marked), attributeNote(marked, note("src/a.ts", `  ${S2}::t_0000000000000b 1-10`)).recorded!);
    expect(codexLines).toMatchObject({ verdict: "recorded", agents: ["codex"], ai_added_lines: 10 });
    expect(codexLines.conflict).toBe("marks name claude-code; its git-ai note names codex");
    expect(codexLines.evidence.map((e) => e.signal)).toEqual(["co_author", "git_ai_note"]);

    const humanOnly = withRecorded(classifyCommit(marked), attributeNote(marked, note("src/a.ts", "  h_abcdefabcdef01 1-40")).recorded!);
    expect(humanOnly).toMatchObject({ verdict: "attested", agents: ["claude-code"], ai_added_lines: 0 });
    expect(humanOnly.conflict).toBe("marks say claude-code wrote it; its git-ai note records no AI line");

    const s = new DetectionSummary();
    s.add(codexLines, false);
    s.add(humanOnly, false);
    const rep = s.report();
    expect(rep.recorded).toMatchObject({ commits: 1, commits_with_record: 2, conflicts: 2, ai_lines: 10, human_lines: 40, untracked_lines: 30 });
    expect(rep.verdicts).toMatchObject({ recorded: 1, attested: 1 });
    // the note decides: the attested commit with a record of no AI line adds no AI LOC
    expect(rep.ai_loc_bands).toMatchObject({ floor_pct: 12.5, ceiling_pct: 12.5 });
    expect(rep.coverage).toMatchObject({ recorded_pct: 62.5, attested_pct: 0, suspected_pct: 0, unknown_pct: 37.5 });
  });

  it("is never suspected once it has a record", () => {
    const c = commitOf([["src/a.ts", 40]]);
    const rec = attributeNote(c, note("src/a.ts", "  h_abcdefabcdef01 1-3")).recorded!;
    const r = withRecorded(classifyCommit(c), rec);
    expect(r.verdict).toBe("human");
    const decided = decideSuspected(r, { sha: c.sha, suspected: true, probability: 0.9, evidence: ["x"] } as never);
    expect(decided.verdict).toBe("human");
    // and a suspected verdict a record arrives after gives way to it
    const suspected: CommitClassification = { ...classifyCommit(c), verdict: "suspected", confidence: 0.8 };
    expect(withRecorded(suspected, rec)).toMatchObject({ verdict: "human", confidence: 1, ai_added_lines: 0 });
  });
});

describe("squash merges", () => {
  it("detects `… (#N)` with one parent and the PR known (and not known unmerged)", () => {
    const pulls = new Map([[12, { number: 12 }], [13, { number: 13, merged: false }]]);
    expect(squashMergedPullRequest({ parents: ["a"], message: "Add x (#12)\n\nbody" }, pulls)).toBe(12);
    expect(squashMergedPullRequest({ parents: ["a"], message: "Add x (#12)  " }, pulls)).toBe(12);
    expect(squashMergedPullRequest({ parents: ["a", "b"], message: "Add x (#12)" }, pulls)).toBeNull();
    expect(squashMergedPullRequest({ parents: ["a"], message: "Add x (#13)" }, pulls)).toBeNull();
    expect(squashMergedPullRequest({ parents: ["a"], message: "Add x (#14)" }, pulls)).toBeNull();
    expect(squashMergedPullRequest({ parents: ["a"], message: "Add x (#12) more" }, pulls)).toBeNull();
    expect(squashMergedPullRequest({ parents: ["a"], message: "Add x (#1x2)" }, pulls)).toBeNull();
  });

  it("sums the PR's notes per file and agent, capped at what the squash added there, scaled per agent", () => {
    const squash = commitOf([["src/a.ts", 10], ["src/b.ts", 4], ["yarn.lock", 50]], "Feature (#7)");
    const n1 = note("src/a.ts", `  ${S1}::t_0000000000000a 1-6`, "src/gone.ts", `  ${S1}::t_0000000000000a 1-9`, "yarn.lock", `  ${S1}::t_0000000000000a 1-50`);
    const n2 = note("src/a.ts", `  ${S2}::t_0000000000000b 1-6`, "src/b.ts", "  h_abcdefabcdef01 1-2");
    const { recorded, warnings } = attributeSquashMerge(squash, 7, [{ sha: "1".repeat(40), note: n1 }, { sha: "2".repeat(40), note: n2 }, { sha: "3".repeat(40), note: parseNote("junk") }]);
    expect(warnings).toEqual([expect.stringMatching(/^commit 333333333333: its git-ai note is not used \(unparseable: .*\); classified by its marks \(a commit of PR #7, for squash merge c0ffee000000\)$/)]);
    expect(recorded).toMatchObject({ source: { pull_request: 7 }, ai_lines: 10, human_lines: 2, untracked_lines: 2, capped_lines: 2 });
    expect(recorded!.by_agent.map((a) => [a.agent, a.lines])).toEqual([["claude-code", 5], ["codex", 5]]);
    expect(recorded!.files).toEqual([{ path: "src/a.ts", ai_lines: 10, human_lines: 0 }, { path: "src/b.ts", ai_lines: 0, human_lines: 2 }]);
  });

  it("changes nothing for a PR whose notes record no AI line", () => {
    const squash = commitOf([["src/a.ts", 10]], "Feature (#7)");
    expect(attributeSquashMerge(squash, 7, [{ sha: "1".repeat(40), note: note("src/a.ts", "  h_abcdefabcdef01 1-2") }]).recorded).toBeNull();
    expect(attributeSquashMerge(squash, 7, []).recorded).toBeNull();
  });

  it("pathmc: the 14 squash merges whose PRs' notes record AI lines get them, within what each added per file; no other commit gains any", () => {
    const { results, warnings } = recordedRun("pymc-labs__pathmc", true);
    const fromPr = results.filter((x) => x.r.recorded && x.r.recorded.source !== "note");
    expect(fromPr).toHaveLength(14);
    for (const { commit, r, pr } of fromPr) {
      expect(r.verdict).toBe("recorded");
      expect(r.recorded!.source).toEqual({ pull_request: pr });
      expect(r.ai_added_lines).toBeGreaterThan(0);
      for (const f of r.recorded!.files) {
        const added = commit.files.filter((x) => x.path === f.path).reduce((n, x) => n + (x.added ?? 0), 0);
        expect(f.ai_lines + f.human_lines, `${commit.sha} ${f.path}`).toBeLessThanOrEqual(added);
      }
      expect(r.ai_added_lines).toBeLessThanOrEqual(countedAddedLines(commit.files));
    }
    // PR #378's notes record only human lines: its squash merge is found but gains nothing
    const s378 = results.find((x) => x.pr === 378);
    expect(s378).toBeDefined();
    expect(s378!.r.recorded).toBeUndefined();
    expect(results.filter((x) => x.r.recorded).length).toBe(14);
    // the one default-branch note is #444's squash, rewritten by git-ai's CI with more lines than the
    // squash added: it is named and not used, and the PR's own notes record the squash instead
    expect(warnings).toEqual([expect.stringMatching(/^commit dabde8ff8875: its git-ai note is not used \(ranges past added lines: .*\); recorded from PR #444's notes instead$/)]);
    expect(fromPr.map((x) => x.pr)).toContain(444);
  });
});

describe("the recorded tier over self-hosted", () => {
  it("over its noted commits: 31.5 % AI by the notes (marks alone 10.5 %), claude-code and codex with their models", () => {
    const { report, warnings, results } = recordedRun("git-ai-project__self-hosted", false);
    expect(warnings).toEqual([]);
    expect(Math.abs(report.noted.recorded_ai_pct - 31.5)).toBeLessThanOrEqual(1);
    expect(Math.abs(report.noted.marks_pct - 10.5)).toBeLessThanOrEqual(0.5);
    // 19 non-merge commits have AI lines by their notes, 6 of them with a mark
    expect(report.recorded.commits).toBe(19);
    expect(results.filter((x) => x.r.verdict === "recorded" && x.r.marks_only?.verdict === "attested")).toHaveLength(6);
    expect(Object.keys(report.recorded.by_agent).sort()).toEqual(["claude-code", "codex"]);
    expect(Object.keys(report.recorded.by_agent.codex.models)).toContain("gpt-5.5");
    const c = report.coverage;
    expect(c.recorded_pct + c.attested_pct + c.suspected_pct + c.unknown_pct).toBeCloseTo(100, 6);
    expect(Object.values(c.lines).reduce((a, b) => a + b, 0)).toBe(report.counted_added_lines);
    expect(report.ai_loc_bands.floor_pct).toBeCloseTo(report.recorded.share_pct + report.attested.share_pct, 1);
  });
});
