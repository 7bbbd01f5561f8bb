// `codeguard scan` takes a clone on disk or a repository on the pipeline, by the argument's shape:
// a directory (even one named like owner/name) is a clone; owner/name otherwise is the pipeline's.
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../src/local/migrate.ts";

const run = promisify(execFile);
// The installed command (bin/codeguard.mjs): it finds tsx from the package, wherever it runs.
const cli = join(REPO_ROOT, "bin/codeguard.mjs");
const dir = mkdtempSync(join(tmpdir(), "codeguard-scan-cmd-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("codeguard scan", () => {
  it("scans a clone on disk when the argument is a directory, even one named owner/name", async () => {
    const clone = join(dir, "octo", "repo");
    mkdirSync(clone, { recursive: true });
    const git = (...args: string[]) => execFileSync("git", args, { cwd: clone, env: { ...process.env, GIT_AUTHOR_NAME: "A", GIT_AUTHOR_EMAIL: "a@example.com", GIT_COMMITTER_NAME: "A", GIT_COMMITTER_EMAIL: "a@example.com" } });
    git("init", "-q");
    writeFileSync(join(clone, "a.txt"), "one\ntwo\n");
    git("add", "a.txt");
    git("commit", "-q", "-m", "first");
    const { stdout } = await run(process.execPath, [cli, "scan", "octo/repo"], { cwd: dir });
    const summary = JSON.parse(stdout) as { path: string; commits: number };
    expect([summary.path, summary.commits]).toEqual(["octo/repo", 1]);
  });

  it("takes owner/name that is no directory for the pipeline's, and names what it needs to reach it", async () => {
    const env = { ...process.env, CODEGUARD_URL: "", SUPABASE_URL: "", CODEGUARD_PUBLISHABLE_KEY: "", SUPABASE_PUBLISHABLE_KEY: "", SUPABASE_ANON_KEY: "", CODEGUARD_ACCESS_TOKEN: "" };
    const err = await run(process.execPath, [cli, "scan", "octo/elsewhere", "--wait"], { cwd: dir, env }).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/set CODEGUARD_URL .*CODEGUARD_PUBLISHABLE_KEY .*CODEGUARD_ACCESS_TOKEN/);
  });
});
