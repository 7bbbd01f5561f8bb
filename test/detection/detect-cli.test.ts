import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DATA_DIR } from "./data.ts";

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
});
