import { describe, expect, it } from "vitest";
import { type NoteFailure, noteWarning, type ParsedNote, parseNote, toCatalogAgent } from "../../supabase/functions/_shared/detection/notes.ts";
import { notesOf } from "./data.ts";

/**
 * An independent reading of a note, written the plain way (split, regex, JSON.parse of the
 * metadata): per path, the AI and human line counts. The parser's charCode scan must agree with it
 * on every real note.
 */
function naive(text: string): Map<string, { ai: number; human: number }> {
  const [att] = text.startsWith("---\n") ? [""] : text.split(/\n---\n/);
  const out = new Map<string, { ai: number; human: number }>();
  let path = "";
  for (const line of att.split("\n")) {
    if (line === "") continue;
    const m = /^ {2}(\S+) (\S+)$/.exec(line);
    if (!m) {
      path = line.startsWith('"') ? JSON.parse(line) : line;
      out.set(path, out.get(path) ?? { ai: 0, human: 0 });
      continue;
    }
    const n = m[2].split(",").reduce((t, r) => {
      const [a, b] = r.split("-").map(Number);
      return t + (b === undefined ? 1 : b - a + 1);
    }, 0);
    const v = out.get(path)!;
    if (m[1].startsWith("h_")) v.human += n;
    else v.ai += n;
  }
  return out;
}

const META = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ schema_version: "authorship/3.0.0", base_commit_sha: "a".repeat(40), prompts: {}, ...extra }, null, 2);

function ok(text: string): ParsedNote {
  const r = parseNote(text);
  if (!r.ok) throw new Error(`expected a parse, got ${r.reason}: ${r.detail}`);
  return r;
}
function failure(text: string): NoteFailure {
  const r = parseNote(text);
  if (r.ok) throw new Error("expected a failure, the note parsed");
  return r;
}

describe("parseNote over every real note", () => {
  for (const ds of ["git-ai-project__self-hosted", "pymc-labs__pathmc"] as const) {
    it(`parses all of ${ds}'s notes, with the line counts of a plain reading`, () => {
      const notes = notesOf(ds);
      expect(notes.length).toBe(ds === "git-ai-project__self-hosted" ? 82 : 36);
      let empty = 0;
      const tools = new Set<string>();
      for (const { sha, note } of notes) {
        const r = parseNote(note);
        expect(r.ok, `${sha}: ${r.ok ? "" : r.detail}`).toBe(true);
        if (!r.ok) continue;
        if (r.files.length === 0) empty++;
        const want = naive(note);
        expect(r.files.map((f) => [f.path, { ai: f.ai_lines, human: f.human_lines }]), sha).toEqual([...want]);
        // per-agent lines add up to the file's AI lines
        for (const f of r.files) expect([...f.by_agent.values()].reduce((a, b) => a + b, 0)).toBe(f.ai_lines);
        for (const a of r.agents) tools.add(`${a.tool}→${a.agent}:${a.model}`);
      }
      // notes that are only `---` and the metadata occur in both data sets
      expect(empty).toBeGreaterThan(0);
      if (ds === "git-ai-project__self-hosted") {
        expect([...tools].every((t) => t.startsWith("claude→claude-code:") || t.startsWith("codex→codex:"))).toBe(true);
        expect(tools).toContain("codex→codex:gpt-5.5");
      } else {
        expect(tools).toContain("cursor→cursor:composer-2.5");
        expect(tools).toContain("claude→claude-code:claude-opus-5");
      }
    });
  }

  it("reads self-hosted's legacy prompt keys, session keys and human keys", () => {
    let legacy = 0;
    let humans = 0;
    for (const { note } of notesOf("git-ai-project__self-hosted")) {
      const r = ok(note);
      if (/\n {2}[0-9a-f]{16} /.test("\n" + note)) legacy++;
      humans += r.human_lines;
    }
    expect(legacy).toBeGreaterThan(0);
    expect(humans).toBeGreaterThan(0);
  });
});

describe("parseNote on written notes", () => {
  it("unquotes quoted paths, routes each key by its prefix, and names the tools in the catalog", () => {
    const text = [
      '"docs/a file\\twith tab.md"',
      "  s_0123456789abcd::t_0123456789abcd 1-10,12",
      "  h_abcdefabcdef01 11",
      '"caf\\303\\251/\\"q\\".ts"',
      "  0123456789abcdef 1-3",
      "  abc1234 5,7-8",
      "plain/path.py",
      "  s_ffffffffffffff::t_eeeeeeeeeeeeee 2",
      "---",
      META({
        sessions: {
          s_0123456789abcd: { agent_id: { tool: "claude", id: "x", model: "claude-opus-4-8" } },
          s_ffffffffffffff: { agent_id: { tool: "unknown", id: "y", model: "" } },
        },
        prompts: {
          "0123456789abcdef": { agent_id: { tool: "codex", id: "z", model: "gpt-5.5" } },
          abc1234: { agent_id: { tool: "windsurf", id: "w" } },
        },
        humans: { h_abcdefabcdef01: { author: "A <a@x>" } },
      }),
    ].join("\n");
    const r = ok(text);
    expect(r.files.map((f) => f.path)).toEqual(["docs/a file\twith tab.md", 'café/"q".ts', "plain/path.py"]);
    expect(r.files.map((f) => [f.ai_lines, f.human_lines])).toEqual([[11, 1], [6, 0], [1, 0]]);
    expect(r.agents).toEqual([
      { agent: "claude-code", tool: "claude", model: "claude-opus-4-8" },
      { agent: "codex", tool: "codex", model: "gpt-5.5" },
      { agent: "windsurf", tool: "windsurf", model: null },
      { agent: "unattributed", tool: "unknown", model: null },
    ]);
    expect(r.ai_lines).toBe(18);
    expect(r.human_lines).toBe(1);
  });

  it("reads a note that is only the divider and the metadata, and CRLF line ends", () => {
    expect(ok("---\n" + META()).files).toEqual([]);
    const crlf = ok(`a.ts\r\n  s_0123456789abcd::t_0123456789abcd 1-4\r\n---\r\n${META({ sessions: { s_0123456789abcd: { agent_id: { tool: "cursor", id: "1", model: "m" } } } })}`);
    expect(crlf.files).toHaveLength(1);
    expect(crlf.files[0].ai_lines).toBe(4);
    expect(crlf.agents[0].agent).toBe("cursor");
  });

  it("takes an AI key without a metadata record as AI of an unknown tool", () => {
    const r = ok("a.ts\n  s_0123456789abcd::t_0123456789abcd 1-4\n---\n" + META());
    expect(r.ai_lines).toBe(4);
    expect(r.agents).toEqual([{ agent: "unattributed", tool: "unknown", model: null }]);
  });

  it("maps git-ai's tool names into the catalog", () => {
    expect(["claude", "codex", "cursor", "copilot", "gemini", "amp", "droid", "opencode", "unknown", "Windsurf"].map(toCatalogAgent))
      .toEqual(["claude-code", "codex", "cursor", "copilot-cli", "gemini", "amp", "factory", "opencode", "unattributed", "windsurf"]);
  });
});

describe("parseNote on bad notes: a reason and what was wrong, never a throw", () => {
  const S = "s_0123456789abcd::t_0123456789abcd";
  const cases: [string, string, NoteFailure["reason"], RegExp][] = [
    ["no divider", `a.ts\n  ${S} 1-3\n`, "unparseable", /no `---` line/],
    ["metadata not JSON", `a.ts\n  ${S} 1-3\n---\n{ "schema_version": `, "unparseable", /metadata is not JSON/],
    ["metadata not an object", `---\n[1,2]`, "unparseable", /not a JSON object/],
    ["an entry before a path", `  ${S} 1-3\n---\n${META()}`, "unparseable", /line 1: an entry before any file path/],
    ["an entry without ranges", `a.ts\n  ${S}\n---\n${META()}`, "unparseable", /line 2: entry .* has no ranges/],
    ["an unclosed quoted path", `"a.ts\n  ${S} 1\n---\n${META()}`, "unparseable", /bad quoted path/],
    ["unknown schema", `---\n${META({ schema_version: "authorship/4.0.0" })}`, "unknown_schema_version", /authorship\/4\.0\.0/],
    ["no schema", `---\n{"prompts":{}}`, "unknown_schema_version", /no schema_version/],
    ["unknown key", `a.ts\n  x_0123 1-3\n---\n${META()}`, "unknown_key", /line 2: key "x_0123"/],
    ["a 12-hex key", `a.ts\n  0123456789ab 1-3\n---\n${META()}`, "unknown_key", /0123456789ab/],
    ["a range ending before it starts", `a.ts\n  ${S} 9-3\n---\n${META()}`, "bad_range", /ends before it starts/],
    ["line 0", `a.ts\n  ${S} 0-3\n---\n${META()}`, "bad_range", /line number 0/],
    ["not ascending", `a.ts\n  ${S} 5,3\n---\n${META()}`, "bad_range", /not ascending/],
    ["overlapping", `a.ts\n  ${S} 1-5,5-8\n---\n${META()}`, "bad_range", /not ascending/],
    ["garbage", `a.ts\n  ${S} 1-3x\n---\n${META()}`, "bad_range", /not digits/],
    ["a trailing comma", `a.ts\n  ${S} 1-3,\n---\n${META()}`, "bad_range", /not digits/],
  ];
  for (const [what, text, reason, detail] of cases) {
    it(`${what} → ${reason}`, () => {
      const r = failure(text);
      expect(r.reason).toBe(reason);
      expect(r.detail).toMatch(detail);
      expect(noteWarning("f".repeat(40), r)).toMatch(new RegExp(`^commit ffffffffffff: its git-ai note is not used \\(${reason.replaceAll("_", " ")}: .+\\); classified by its marks$`));
    });
  }

  it("never throws on arbitrary bytes", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const alphabet = 'ab_s:h-,0123456789 \n"\\{}---';
    for (let i = 0; i < 2000; i++) {
      let t = "";
      const len = Math.floor(rnd() * 80);
      for (let k = 0; k < len; k++) t += alphabet[Math.floor(rnd() * alphabet.length)];
      expect(() => parseNote(t)).not.toThrow();
      expect(() => parseNote(t + "\n---\n" + META())).not.toThrow();
    }
  });
});
