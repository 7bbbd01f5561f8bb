// `npm run bench -- detection`: commits classified per second on one core, over the four data
// sets of ../shared/data (8,648 commits, 7.1 MB), repeated. Prints one JSON line:
//   {"bench":"detection","commits_per_s","mb_per_s","naive_commits_per_s","speedup_vs_naive",
//    "parse_and_classify_mb_per_s","with_suspected_commits_per_s","with_suspected_vs_stream"}
// commits_per_s is the marks (the stream classifier); with_suspected_commits_per_s is what a scan
// does: each repository classified whole with the suspected tier's repository rule on
// (classifyCommits: marks, stripped style, evidence from both sides, the repository's model),
// measured in rounds alternating with commits_per_s's (their ratio holds when the machine's load
// moves; the absolute figures do not).
// The peer is a naive classifier that runs one case-insensitive regex per catalog row over the
// message and identities of every commit — what the compiled Map lookups replace.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Commit } from "../supabase/functions/_shared/detection/records.ts";
import { classifyCommits, createCommitClassifier } from "../supabase/functions/_shared/detection/classify.ts";
import { SIGNATURES } from "../supabase/functions/_shared/detection/signatures.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DATA = resolve(repoRoot, "../shared/data");
const lines: string[] = [];
const repositories: Commit[][] = [];
for (const f of ["Aider-AI__aider", "github__github-mcp-server", "terryyin__lizard", "All-Hands-AI__OpenHands"]) {
  const own = readFileSync(join(DATA, `${f}.jsonl`), "utf8").trim().split("\n");
  lines.push(...own);
  repositories.push(own.map((l) => JSON.parse(l) as Commit));
}
const commits = repositories.flat();
const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const naiveRules = SIGNATURES.map((s) => ({ agent: s.agent, kind: s.kind, re: new RegExp(escape(s.match), "i") }));
/** The peer: every catalog row as its own regex over identities and message. */
function naiveClassify(c: Commit): { verdict: string; agents: string[] } {
  const text = `${c.author_name} <${c.author_email}>\n${c.committer_name} <${c.committer_email}>\n${c.message}`;
  const agents: string[] = [];
  let authored = false;
  for (const r of naiveRules) {
    if (r.re.test(text)) {
      if (!agents.includes(r.agent)) agents.push(r.agent);
      if (r.kind === "authorship") authored = true;
    }
  }
  return { verdict: authored ? "attested" : agents.length ? "assisted" : "human", agents };
}

function measure(fn: () => number, minMs = 1500): number {
  fn(); // warm-up
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    n += fn();
    t = performance.now();
  }
  return n / ((t - t0) / 1000);
}

/**
 * Two workloads measured in alternating rounds over the same seconds, so that a machine whose load
 * changes meanwhile (two cores shared with other engineers' test runs) weighs on both alike.
 */
function measurePair(a: () => number, b: () => number, minMs = 3000): [number, number] {
  a();
  b();
  let na = 0, nb = 0, ta = 0, tb = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    let t = performance.now();
    na += a();
    ta += performance.now() - t;
    t = performance.now();
    nb += b();
    tb += performance.now() - t;
  }
  return [na / (ta / 1000), nb / (tb / 1000)];
}

let sink = 0;
const streamMarks = () => {
  const classify = createCommitClassifier();
  for (const c of commits) sink += classify(c).ai_added_lines;
  return commits.length;
};
const wholeRepositories = () => {
  for (const repo of repositories) sink += classifyCommits(repo).classifications.length;
  return commits.length;
};
const [ours, withSuspected] = measurePair(streamMarks, wholeRepositories);
const naive = measure(() => {
  for (const c of commits) sink += naiveClassify(c).agents.length;
  return commits.length;
});
const endToEnd = measure(() => {
  const classify = createCommitClassifier();
  for (const l of lines) sink += classify(JSON.parse(l) as Commit).ai_added_lines;
  return commits.length;
});
const mbPerCommit = bytes / commits.length / 1e6;
console.log(
  JSON.stringify({
    bench: "detection",
    commits_per_s: Math.round(ours),
    mb_per_s: round(ours * mbPerCommit),
    naive_commits_per_s: Math.round(naive),
    speedup_vs_naive: round(ours / naive),
    parse_and_classify_mb_per_s: round(endToEnd * mbPerCommit),
    with_suspected_commits_per_s: Math.round(withSuspected),
    with_suspected_vs_stream: round(withSuspected / ours),
    commits: commits.length,
    sink: sink > 0 ? undefined : 0,
  }),
);

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
