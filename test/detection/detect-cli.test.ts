import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { Commit } from "../../supabase/functions/_shared/detection/records.ts";
import { classifyCommit, classifyCommits } from "../../supabase/functions/_shared/detection/classify.ts";
import { stripMarks } from "../../supabase/functions/_shared/detection/strip.ts";
import { commitsOf, DATA_DIR } from "./data.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const cli = (args: string[], input?: string) =>
  execFileSync(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), "detect", ...args], { cwd: repoRoot, input, encoding: "utf8", maxBuffer: 1 << 28 });

describe("codeguard detect", () => {
  it("prints one object per commit with exactly the documented keys", () => {
    const file = join(DATA_DIR, "terryyin__lizard.jsonl");
    const lines = cli([file]).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.length).toBe(readFileSync(file, "utf8").trim().split("\n").length);
    expect(Object.keys(lines[0])).toEqual(["sha", "verdict", "agents", "confidence", "ai_added_lines", "evidence"]);
    expect(lines.filter((l) => l.verdict === "attested").every((l) => l.agents.includes("cursor"))).toBe(true);
  });

  it("reads commits from stdin when the path is -", () => {
    const first = readFileSync(join(DATA_DIR, "github__github-mcp-server.jsonl"), "utf8").split("\n").slice(0, 50).join("\n");
    expect(cli(["-"], first).trim().split("\n").length).toBe(50);
  });

  it("prints attested, assisted and suspected shares apart with --summary", () => {
    const s = JSON.parse(cli([join(DATA_DIR, "Aider-AI__aider.jsonl"), "--summary"]));
    expect(s.commits).toBe(3218);
    expect(s.attested.by_agent.aider.commits).toBe(1522);
    expect(s.assisted.by_agent.aider.commits).toBe(500);
    expect(s).toHaveProperty("suspected.share_pct");
  });

  describe("with the suspected tier deciding from the input's own evidence", () => {
    // aider's history with every third attested commit's marks stripped (as a squash would): the
    // repository rule learns from the rest and finds them, so the tier has verdicts to give
    const dir = mkdtempSync(join(tmpdir(), "codeguard-detect-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    let k = 0;
    const stripped = commitsOf("Aider-AI__aider").map((c) =>
      classifyCommit(c, { suspected: false }).verdict === "attested" && c.parents.length === 1 && k++ % 3 === 0 ? stripMarks(c) : c);
    const strippedFile = join(dir, "aider-stripped.jsonl");
    writeFileSync(strippedFile, stripped.map((c) => JSON.stringify(c)).join("\n") + "\n");
    const expected = (commits: Commit[]) => {
      const { classifications } = classifyCommits(commits);
      return commits.map((c, i) => {
        const r = classifications[i];
        return { sha: c.sha, verdict: r.verdict, agents: r.agents, confidence: r.confidence, ai_added_lines: r.ai_added_lines, evidence: r.evidence };
      });
    };
    const parseLines = (out: string) => out.trim().split("\n").map((l) => JSON.parse(l));

    it("gives the verdicts of classifyCommits over the same commits, suspected ones with their evidence", () => {
      const want = expected(stripped);
      // the tier must decide here, or this test could not tell a CLI that runs it from one that does not
      const suspected = want.filter((w) => w.verdict === "suspected").length;
      expect(suspected).toBeGreaterThan(100);
      const got = parseLines(cli([strippedFile]));
      expect(got).toEqual(want);
      expect(got.filter((g) => g.verdict === "suspected").length).toBe(suspected);
      const one = got.find((g) => g.verdict === "suspected");
      expect(one.confidence).toBeGreaterThanOrEqual(0.5);
      expect(one.evidence.at(-1).signal).toBe("repository_evidence");
    });

    it("gives classifyCommits' verdicts on a real data file as it is", () => {
      const file = join(DATA_DIR, "terryyin__lizard.jsonl");
      expect(parseLines(cli([file]))).toEqual(expected(commitsOf("terryyin__lizard")));
    });

    it("prints the same from stdin as from the file", () => {
      expect(cli(["-"], readFileSync(strippedFile, "utf8"))).toBe(cli([strippedFile]));
    });

    it("never gives a suspected verdict with --no-suspected, from a file or stdin", () => {
      const out = cli([strippedFile, "--no-suspected"]);
      expect(out).not.toContain('"verdict":"suspected"');
      expect(cli(["-", "--no-suspected"], readFileSync(strippedFile, "utf8"))).toBe(out);
    });
  });

  describe("with git-ai notes (--notes, --pulls)", () => {
    const run = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), "detect", ...args], { cwd: repoRoot, encoding: "utf8", maxBuffer: 1 << 28 });
    const data = (f: string) => join(DATA_DIR, f);

    it("self-hosted --summary: over the noted commits 31.5 % AI by the notes (marks alone 10.5 %), the whole repository's band and coverage beside it", () => {
      const r = run([data("git-ai-project__self-hosted.jsonl"), "--notes", data("git-ai-project__self-hosted.notes.jsonl"), "--summary"]);
      expect(r.status).toBe(0);
      const s = JSON.parse(r.stdout);
      expect(Math.abs(s.noted.recorded_ai_pct - 31.5)).toBeLessThanOrEqual(1);
      expect(Math.abs(s.noted.marks_pct - 10.5)).toBeLessThanOrEqual(0.5);
      expect(s.verdicts.recorded).toBe(19);
      expect(Object.keys(s.recorded.by_agent).sort()).toEqual(["claude-code", "codex"]);
      expect(s.ai_loc_bands.floor_pct).toBeGreaterThan(s.ai_loc_bands.attested_pct);
      const c = s.coverage;
      expect(c.recorded_pct + c.attested_pct + c.suspected_pct + c.unknown_pct).toBeCloseTo(100, 6);
    });

    it("gives each noted commit its recorded lines, and each of pathmc's 14 squash merges its PR's with --pulls", () => {
      const r = run([data("pymc-labs__pathmc.jsonl"), "--notes", data("pymc-labs__pathmc.notes.jsonl"), "--pulls", data("pymc-labs__pathmc.pulls.jsonl")]);
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
      expect(Object.keys(lines[0])).toEqual(["sha", "verdict", "agents", "confidence", "ai_added_lines", "evidence", "recorded", "conflict"]);
      const fromPr = lines.filter((l) => l.recorded);
      expect(fromPr).toHaveLength(14);
      expect(fromPr.every((l) => l.verdict === "recorded" && typeof l.recorded.source.pull_request === "number")).toBe(true);
      // the one default-branch note does not fit its commit: named on stderr, the PR's notes used instead
      expect(r.stderr).toMatch(/commit dabde8ff8875: its git-ai note is not used \(ranges past added lines: .*\); recorded from PR #444's notes instead/);
    });

    it("names a bad note's commit and what was wrong, and classifies the commit by its marks", () => {
      const dir = mkdtempSync(join(tmpdir(), "codeguard-notes-"));
      try {
        const commits = commitsOf("git-ai-project__self-hosted");
        const notes = readFileSync(data("git-ai-project__self-hosted.notes.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
        const target = notes.find((n) => commits.some((c) => c.sha === n.sha && c.parents.length === 1) && n.note.includes("  s_"));
        target.note = target.note.replace('"authorship/3.0.0"', '"authorship/9.0.0"');
        const notesFile = join(dir, "notes.jsonl");
        writeFileSync(notesFile, notes.map((n) => JSON.stringify(n)).join("\n") + "\n");
        const r = run([data("git-ai-project__self-hosted.jsonl"), "--notes", notesFile]);
        expect(r.status).toBe(0);
        expect(r.stderr).toContain(`commit ${target.sha.slice(0, 12)}: its git-ai note is not used (unknown schema version: schema_version "authorship/9.0.0" (reads authorship/3.x)); classified by its marks`);
        const line = r.stdout.trim().split("\n").map((l) => JSON.parse(l)).find((l) => l.sha === target.sha);
        expect(line.recorded).toBeNull();
        expect(line.verdict).not.toBe("recorded");
        // a notes file whose line is not a note is an error of the input, not of a record
        writeFileSync(notesFile, "{\"sha\": 1}\n");
        const bad = run([data("git-ai-project__self-hosted.jsonl"), "--notes", notesFile]);
        expect(bad.status).toBe(2);
        expect(bad.stderr).toContain("notes.jsonl:1: not {\"sha\",\"note\"}");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
