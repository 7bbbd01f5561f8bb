// Two `npm test` side by side in one checkout (the README's promise on a shared machine), in small:
// two runs of the test script at once, each on one light file, each with the whole harness (the
// dist/cli build check, a Postgres on a port of its own, the template database). What they could
// share and must not: the JSON report the script counts from (each run had .codeguard/vitest-report.json,
// and one's `rm -f` at its start deleted the other's, whose count then read "0 passed, 1 failed" or
// the other run's numbers), ports, the data folders, the build. Some 40 s on two busy cores.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { heavyFile } from "../harness/heavy.ts";
import { REPO_ROOT } from "../harness/processes.ts";

heavyFile(); // two test runs' Postgres at once

function testScript(file: string): Promise<{ code: number | null; out: string }> {
  const child = spawn("bash", [join(REPO_ROOT, "scripts", "test.sh"), file], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (out += c));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, out })));
}

describe("two test runs side by side in one checkout", () => {
  it("each counts its own tests from its own report, and the published report is one whole run's", async () => {
    const reports = () => readdirSync(join(REPO_ROOT, ".codeguard")).filter((f) => f.startsWith("vitest-report."));
    mkdirSync(join(REPO_ROOT, ".codeguard"), { recursive: true });
    const before = reports();
    // Different files, so that the counts tell the runs apart: args.test.ts has 3 tests, landed-migrations one per migration.
    const [a, b] = await Promise.all([testScript("test/cli/args.test.ts"), testScript("test/platform/landed-migrations.test.ts")]);
    expect(a.code, a.out).toBe(0);
    expect(b.code, b.out).toBe(0);
    expect(a.out.trim().split("\n").at(-1)).toBe("3 passed, 0 failed");
    expect(b.out.trim().split("\n").at(-1)).toMatch(/^\d+ passed, 0 failed$/); // one per landed migration
    expect(a.out.trim().split("\n").at(-1)).not.toBe(b.out.trim().split("\n").at(-1));
    // Each run's own report is gone (renamed into place, or removed); the published one parses.
    expect(reports().filter((f) => f !== "vitest-report.json" && !before.includes(f))).toEqual([]);
    const published = JSON.parse(readFileSync(join(REPO_ROOT, ".codeguard", "vitest-report.json"), "utf8")) as { numFailedTests: number; success: boolean };
    expect(published.numFailedTests).toBe(0);
  }, 300_000);
});
