// The real commit data of ../shared/data, read in place (never copied into the repository).
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Commit } from "../../supabase/functions/_shared/detection/records.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const DATA_DIR = resolve(repoRoot, "../shared/data");

const cache = new Map<string, Commit[]>();
export type NotedDataSet = "git-ai-project__self-hosted" | "pymc-labs__pathmc";

export function commitsOf(repo: "Aider-AI__aider" | "github__github-mcp-server" | "terryyin__lizard" | "All-Hands-AI__OpenHands" | NotedDataSet): Commit[] {
  let list = cache.get(repo);
  if (!list) {
    list = readFileSync(join(DATA_DIR, `${repo}.jsonl`), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Commit);
    cache.set(repo, list);
  }
  return list;
}

/** The commit whose sha starts with the prefix. */
export function commit(repo: Parameters<typeof commitsOf>[0], shaPrefix: string): Commit {
  const c = commitsOf(repo).find((x) => x.sha.startsWith(shaPrefix));
  if (!c) throw new Error(`no commit ${shaPrefix} in ${repo}`);
  return c;
}

/** The git-ai notes of a data set, as stored: `{sha, note}` with the note's raw text. */
export function notesOf(repo: NotedDataSet): { sha: string; note: string }[] {
  return readFileSync(join(DATA_DIR, `${repo}.notes.jsonl`), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { sha: string; note: string });
}

/** The pull requests of a data set: each PR's own commits (those not on the default branch). */
export function pullsOf(repo: NotedDataSet): { number: number; head_sha: string; commits: Commit[] }[] {
  return readFileSync(join(DATA_DIR, `${repo}.pulls.jsonl`), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { number: number; head_sha: string; commits: Commit[] });
}
