import { describe, expect, it } from "vitest";
import { classifyPullRequest } from "../../supabase/functions/_shared/detection/classify.ts";
import type { PullRequest } from "../../supabase/functions/_shared/detection/records.ts";
import type { Commit } from "../../supabase/functions/_shared/detection/records.ts";
import { parseNote } from "../../supabase/functions/_shared/detection/notes.ts";
import { attributeNote } from "../../supabase/functions/_shared/detection/recorded.ts";
import { commit, commitsOf, notesOf, pullsOf } from "./data.ts";
import type { RecordedLines } from "../../supabase/functions/_shared/detection/verdicts.ts";

function pr(over: Partial<PullRequest>): PullRequest {
  return {
    number: 1, title: "t", body: "", author: { login: "someone", is_bot: false }, head_ref: "feature/x", base_ref: "main",
    labels: [], state: "MERGED", created_at: "", merged_at: "", merged_by: null, additions: 0, deletions: 0,
    reviews: [], commits: [], files: [], ...over,
  };
}

describe("classifyPullRequest", () => {
  it("attests a PR opened by the Copilot coding agent on a copilot/ branch", () => {
    const agentCommit = commitsOf("github__github-mcp-server").find((c) => c.author_name === "copilot-swe-agent[bot]")!;
    const r = classifyPullRequest(pr({ author: { login: "Copilot", is_bot: true, id: 198982749 }, head_ref: "copilot/fix-1", commits: [agentCommit] }));
    expect(r.verdict).toBe("attested");
    expect(r.agents).toEqual(["copilot-agent"]);
  });

  it("attests a Codex cloud PR from its task link in the body", () => {
    const r = classifyPullRequest(pr({ body: "Summary\n\n[Codex Task](https://chatgpt.com/codex/tasks/task_e_123)" }));
    expect(r.agents).toEqual(["codex"]);
  });

  it("lists a Copilot review as an AI reviewer without making the PR AI-authored", () => {
    const human = commit("github__github-mcp-server", "3a4c6600");
    const r = classifyPullRequest(pr({ commits: [human], reviews: [{ author: { login: "copilot-pull-request-reviewer", is_bot: true }, state: "COMMENTED", submitted_at: null }] }));
    expect(r.ai_reviewers).toEqual(["copilot-review"]);
    expect(r.verdict).not.toBe("attested");
  });

  it("does not attest a PR from a human whose login starts with devin", () => {
    const r = classifyPullRequest(pr({ author: { login: "devinauclair", is_bot: false }, head_ref: "fix-readme" }));
    expect(r.verdict).not.toBe("attested");
  });
});

describe("classifyPullRequest with its commits' records", () => {
  const notes = new Map(notesOf("pymc-labs__pathmc").map((n) => [n.sha, parseNote(n.note)]));
  const recordsOf = (commits: Commit[]) => {
    const m = new Map<string, RecordedLines>();
    for (const c of commits) {
      const n = notes.get(c.sha);
      const a = n && attributeNote(c, n);
      if (a?.recorded) m.set(c.sha, a.recorded);
    }
    return m;
  };

  it("makes pathmc's PRs with recorded AI lines recorded, their AI lines the records' plus attested commits'", () => {
    let recorded = 0;
    for (const p of pullsOf("pymc-labs__pathmc")) {
      const records = recordsOf(p.commits);
      const r = classifyPullRequest(pr({ number: p.number, commits: p.commits }), { records });
      const recordedAi = [...records.values()].reduce((n, x) => n + x.ai_lines, 0);
      if (recordedAi === 0) {
        expect(r.verdict, `PR #${p.number}`).not.toBe("recorded");
        continue;
      }
      recorded++;
      expect(r.verdict).toBe("recorded");
      expect(r.agents[0]).toMatch(/^(claude-code|cursor)$/);
      expect(r.ai_added_lines).toBeGreaterThanOrEqual(recordedAi);
      expect(r.evidence.at(-1)!.signal).toBe("git_ai_note");
    }
    expect(recorded).toBeGreaterThanOrEqual(14);
    // PR #378's notes hold human lines only
    const p378 = pullsOf("pymc-labs__pathmc").find((p) => p.number === 378)!;
    expect(classifyPullRequest(pr({ commits: p378.commits }), { records: recordsOf(p378.commits) }).verdict).not.toBe("recorded");
  });

  it("reads a note of a PR commit whose files GitHub did not list, checked against its totals", () => {
    // a noted PR commit whose note fits its numstat (a425d902's records a line more than it added: capped, below)
    const c = pullsOf("pymc-labs__pathmc").flatMap((x) => x.commits).find((x) => {
      const a = notes.has(x.sha) ? attributeNote(x, notes.get(x.sha)!) : null;
      return a !== null && a.warning === null && a.recorded!.ai_lines > 0;
    })!;
    const withFiles = attributeNote(c, notes.get(c.sha)!).recorded!;
    const totalsOnly: Commit = { ...c, files: [], additions: c.files.reduce((n, f) => n + (f.added ?? 0), 0) };
    const byTotals = attributeNote(totalsOnly, notes.get(c.sha)!);
    expect(byTotals.warning).toBeNull();
    expect(byTotals.recorded!.ai_lines).toBe(withFiles.ai_lines);
    const tooSmall = attributeNote({ ...totalsOnly, additions: 1 }, notes.get(c.sha)!);
    expect(tooSmall.recorded!.ai_lines).toBe(1);
    expect(tooSmall.warning).toMatch(/records more lines than the commit added \(.*in all: \d+ of 1\); counted up to what it added$/);
    const a425 = pullsOf("pymc-labs__pathmc").flatMap((x) => x.commits).find((x) => x.sha.startsWith("a425d902"))!;
    const capped = attributeNote(a425, notes.get(a425.sha)!);
    expect(capped.recorded!.capped_lines).toBe(1);
    expect(capped.warning).toBe(`commit a425d902fe2d: its git-ai note records more lines than the commit added ("pathmc/identify.py": 64 of 63); counted up to what it added`);
  });
});
