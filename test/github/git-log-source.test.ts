import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { gitLogCommits, GitLogError, readGitNotes, renamedPath } from "../../src/sources/git-log.ts";
import { REPO_ROOT } from "../../src/local/migrate.ts";
import type { Commit } from "../../supabase/functions/_shared/detection/records.ts";

let dir: string;
let commits: Commit[];
const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { encoding: "utf8" }).trim();
const env = (date: string) => ({ ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "codeguard-git-"));
  execFileSync("git", ["init", "-q", "-b", "main", dir]);
  git("config", "user.name", "Ada Human");
  git("config", "user.email", "ada@example.com");
  const commit = (message: string, date: string, extra: string[] = []) =>
    execFileSync("git", ["-C", dir, "commit", "-q", "-m", message, ...extra], { env: env(date) });
  mkdirSync(join(dir, "src/old"), { recursive: true });
  writeFileSync(join(dir, "src/old/lib.py"), "a\nb\nc\n");
  git("add", ".");
  commit("first", "2026-01-01T10:00:00+02:00");
  writeFileSync(join(dir, "logo.png"), Buffer.from([0, 1, 2, 3, 0, 255, 0, 7]));
  git("add", ".");
  commit("add a binary", "2026-01-02T10:00:00+02:00");
  git("mv", "src/old", "src/new");
  writeFileSync(join(dir, "src/new/lib.py"), "a\nb\nc\nd\n");
  git("add", ".");
  commit("move lib\n\nCo-Authored-By: Claude Opus 4.6 <noreply@anthropic.com>", "2026-01-03T10:00:00+02:00");
  git("checkout", "-q", "-b", "claude/feature");
  writeFileSync(join(dir, "feature.py"), "x\ny\n");
  git("add", ".");
  execFileSync("git", ["-C", dir, "commit", "-q", "-m", "feature", "--author", "Claude <noreply@anthropic.com>"], { env: env("2026-01-04T10:00:00Z") });
  git("checkout", "-q", "main");
  writeFileSync(join(dir, "README.md"), "hello\n");
  git("add", ".");
  commit("readme", "2026-01-05T10:00:00+02:00");
  execFileSync("git", ["-C", dir, "merge", "-q", "--no-ff", "-m", "Merge branch 'claude/feature'", "claude/feature"], { env: env("2026-01-06T10:00:00+02:00") });
  commits = await gitLogCommits(dir);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bySubject = (s: string) => commits.find((c) => c.message.split("\n")[0] === s)!;

describe("readGitLog", () => {
  test("every commit of the clone becomes one record, newest first", () => {
    expect(commits.map((c) => c.message.split("\n")[0])).toEqual(["Merge branch 'claude/feature'", "readme", "feature", "move lib", "add a binary", "first"]);
    expect(commits[0].sha).toBe(git("rev-parse", "HEAD"));
  });

  test("identities, dates with their offset and the whole message are kept", () => {
    const c = bySubject("move lib");
    expect(c).toMatchObject({ author_name: "Ada Human", author_email: "ada@example.com", authored_at: "2026-01-03T10:00:00+02:00" });
    expect(c.message).toBe("move lib\n\nCo-Authored-By: Claude Opus 4.6 <noreply@anthropic.com>\n");
    expect(bySubject("feature").author_email).toBe("noreply@anthropic.com");
  });

  test("a binary file has null line counts and is marked binary", () => {
    expect(bySubject("add a binary").files).toEqual([{ path: "logo.png", added: null, deleted: null, binary: true }]);
  });

  test("a rename gives the new path and the old one", () => {
    expect(bySubject("move lib").files).toEqual([{ path: "src/new/lib.py", old_path: "src/old/lib.py", added: 1, deleted: 0 }]);
  });

  test("a merge has both parents and the numstat of what it brought in", () => {
    const merge = commits[0];
    expect(merge.parents).toEqual([bySubject("readme").sha, bySubject("feature").sha]);
    expect(merge.files).toEqual([{ path: "feature.py", added: 2, deleted: 0 }]);
  });

  test("rename notations with braces and empty sides resolve to full paths", () => {
    expect(renamedPath("src/{ => sub}/f.c")).toEqual({ path: "src/sub/f.c", oldPath: "src/f.c" });
    expect(renamedPath("a.c => b.c")).toEqual({ path: "b.c", oldPath: "a.c" });
  });

  test("a directory that is not a clone fails with git's reason", async () => {
    const empty = mkdtempSync(join(tmpdir(), "codeguard-nogit-"));
    try {
      await expect(gitLogCommits(empty)).rejects.toBeInstanceOf(GitLogError);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("a clone's git-ai notes (git notes --ref=ai)", () => {
  const note = (sha: string) => `feature.py
  s_5125cb916a8195::t_8b5a5546a2299d 1-2
---
{
  "schema_version": "authorship/3.0.0",
  "git_ai_version": "1.6.7",
  "base_commit_sha": "${sha}",
  "prompts": {},
  "sessions": {
    "s_5125cb916a8195": {
      "agent_id": { "tool": "codex", "id": "66511e57-1a0c-4b2e-b37b-5ddaaaeb2c16", "model": "gpt-5.1-codex" },
      "human_author": "Ada Human <ada@example.com>"
    }
  }
}`;

  test("none without refs/notes/ai; each note's exact text with it", async () => {
    expect(await readGitNotes(dir)).toEqual(new Map());
    const feature = bySubject("feature").sha;
    execFileSync("git", ["-C", dir, "notes", "--ref=ai", "add", "-f", "-m", note(feature), feature]);
    try {
      const notes = await readGitNotes(dir);
      expect([...notes.keys()]).toEqual([feature]);
      // git notes add ends the message with a newline
      expect(notes.get(feature)!.trimEnd()).toBe(note(feature));
    } finally {
      git("update-ref", "-d", "refs/notes/ai");
    }
  });

  test("`codeguard scan ./clone` counts a noted commit's recorded lines, per agent and model, with the coverage", () => {
    const feature = bySubject("feature").sha;
    execFileSync("git", ["-C", dir, "notes", "--ref=ai", "add", "-f", "-m", note(feature), feature]);
    try {
      const out = execFileSync(process.execPath, ["--import", "tsx", join(REPO_ROOT, "src/cli/main.ts"), "scan", dir], { cwd: REPO_ROOT, encoding: "utf8" });
      const report = JSON.parse(out);
      expect(report.verdicts.recorded).toBe(1);
      expect(report.recorded.ai_lines).toBe(2);
      expect(report.recorded.by_agent.codex.models["gpt-5.1-codex"].lines).toBe(2);
      expect(report.coverage.lines.recorded).toBe(2);
    } finally {
      git("update-ref", "-d", "refs/notes/ai");
    }
  }, 60_000);
});
