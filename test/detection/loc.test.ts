import { describe, expect, it } from "vitest";
import { countedAddedLines, countedAddedLinesOf, excludedReason } from "../../supabase/functions/_shared/detection/loc.ts";
import { classifyCommit } from "../../supabase/functions/_shared/detection/classify.ts";
import type { Commit, FileChange } from "../../supabase/functions/_shared/detection/records.ts";
import { suspectFeatures } from "../../supabase/functions/_shared/detection/suspected.ts";
import { commitsOf } from "./data.ts";

describe("AI LOC file filter", () => {
  it("leaves lock files out", () => {
    expect(excludedReason("package-lock.json")).toBe("lock");
    expect(excludedReason("go.sum")).toBe("lock");
    expect(excludedReason("web/yarn.lock")).toBe("lock");
  });

  it("leaves vendored and generated files out", () => {
    expect(excludedReason("vendor/github.com/x/y.go")).toBe("vendored");
    expect(excludedReason("ui/dist/app.min.js")).toBe("generated");
    expect(excludedReason("pkg/github/__toolsnaps__/get_me.snap")).toBe("generated");
  });

  it("counts ordinary source files", () => {
    expect(excludedReason("aider/coders/base_coder.py")).toBeNull();
    expect(excludedReason("pkg/github/issues.go")).toBeNull();
  });

  it("does not count binary files or blobs the source lacked", () => {
    expect(countedAddedLines([{ path: "logo.png", added: null, deleted: null, binary: true }, { path: "a.py", added: 3, deleted: 0 }])).toBe(3);
  });

  it("counts an attested commit's lines without its generated snapshot files", () => {
    const c = commitsOf("github__github-mcp-server").find(
      (x) => classifyCommit(x, { suspected: false }).verdict === "attested" && x.files.some((f) => f.path.endsWith(".snap") && (f.added ?? 0) > 0),
    );
    if (!c) throw new Error("data changed: no attested commit adding a .snap file");
    const kept = c.files.filter((f) => !f.path.endsWith(".snap")).reduce((n, f) => n + (f.added ?? 0), 0);
    expect(classifyCommit(c, { suspected: false }).ai_added_lines).toBe(kept);
  });

  describe("a commit whose files' paths are known but not their lines", () => {
    const unknown = (path: string): FileChange => ({ path, added: null, deleted: null, lines_unknown: true });
    const commit = (files: FileChange[], additions: number): Pick<Commit, "files" | "additions"> => ({ files, additions });

    it("counts the totals when the filter leaves none of its files out", () => {
      expect(countedAddedLinesOf(commit([unknown("a.go"), unknown("a_test.go")], 40))).toBe(40);
      // a binary file among them adds 0 to GitHub's totals, and the filter would leave its 0 lines out
      expect(countedAddedLinesOf(commit([unknown("a.go"), unknown("logo.png")], 7))).toBe(7);
    });

    it("counts nothing when the filter leaves all of them out", () => {
      expect(countedAddedLinesOf(commit([unknown("go.sum"), unknown("vendor/x/y.go")], 300))).toBe(0);
    });

    it("cannot tell when the filter splits them, unless the commit added nothing", () => {
      expect(countedAddedLinesOf(commit([unknown("go.mod"), unknown("go.sum")], 12))).toBeNull();
      expect(countedAddedLinesOf(commit([unknown("go.mod"), unknown("go.sum")], 0))).toBe(0);
    });

    it("adds the known files' counted lines to what the totals leave for the unknown ones", () => {
      const files = [{ path: "go.sum", added: 10, deleted: 2 }, { path: "main.go", added: 3, deleted: 0 }, unknown("util.go")];
      expect(countedAddedLinesOf(commit(files, 20))).toBe(3 + (20 - 13));
      expect(countedAddedLinesOf(commit([{ path: "go.sum", added: 10, deleted: 2 }, unknown("go.mod"), unknown("vendor/a.go")], 20))).toBeNull();
    });

    it("cannot count without the commit's totals", () => {
      expect(countedAddedLinesOf({ files: [unknown("a.go"), unknown("b.go")] })).toBeNull();
    });

    it("gives classification and the suspected tier's features what the full numstat gives", () => {
      const full = commitsOf("github__github-mcp-server").find((c) => c.parents.length === 1 && c.files.length > 2 && c.files.every((f) => excludedReason(f.path) === null) && c.files.some((f) => f.path.includes("test")));
      if (!full) throw new Error("data changed: no commit of several counted files with a test");
      const additions = full.files.reduce((n, f) => n + (f.added ?? 0), 0);
      const deletions = full.files.reduce((n, f) => n + (f.deleted ?? 0), 0);
      const partial: Commit = { ...full, files: full.files.map((f) => unknown(f.path)), additions, deletions };
      const [got, want] = [classifyCommit(partial, { suspected: false }), classifyCommit(full, { suspected: false })];
      expect(got.counted_added_lines).toBe(want.counted_added_lines);
      expect(suspectFeatures(partial, 60)).toEqual(suspectFeatures(full, 60));
    });

    it("is a source's error when the counted lines cannot be told", () => {
      const c: Commit = {
        sha: "0".repeat(40), parents: ["1".repeat(40)], author_name: "a", author_email: "a@example.com", committer_name: "a", committer_email: "a@example.com",
        authored_at: "2025-01-01T00:00:00Z", committed_at: "2025-01-01T00:00:00Z", message: "Bump deps", files: [unknown("go.mod"), unknown("go.sum")], additions: 5, deletions: 1,
      };
      expect(() => classifyCommit(c)).toThrow(/lines are unknown/);
    });
  });
});
