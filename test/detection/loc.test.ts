import { describe, expect, it } from "vitest";
import { countedAddedLines, excludedReason } from "../../supabase/functions/_shared/detection/loc.ts";
import { classifyCommit } from "../../supabase/functions/_shared/detection/classify.ts";
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
});
