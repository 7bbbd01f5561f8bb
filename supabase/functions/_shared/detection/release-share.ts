/**
 * AI share of the lines a release window leaves behind, estimated from per-file added/deleted
 * counts (numstat) — what `git blame <from>..<to>` reports, without file contents.
 *
 * aider publishes, per release, the share of lines that git blame at the release tag attributes
 * to the window's aider commits (aider/website/_data/blame.yml). Lines added in the window and
 * rewritten later in the same window do not survive, so summing added lines over-counts churny
 * code. The estimate replays the window commit by commit and keeps, per file, how many window
 * lines of each kind (AI / not AI) are still there:
 *   - each file's size before the window is the smallest size consistent with the history seen
 *     (lines can't go negative), so a file created in the data starts empty;
 *   - a commit deleting d lines of a file of size s removes window lines in proportion
 *     d / s — deletions fall uniformly on the file's current lines, old or new —
 *     then its added lines join the pool of its kind; a rename carries the pool along;
 *   - the share is AI lines / all window lines left, over the files the caller counts.
 */
import type { Commit } from "../records.ts";

export interface SurvivingShare {
  ai_lines: number;
  total_lines: number;
  share_pct: number;
}

export interface SurvivingShareOptions {
  /** which files count (e.g. aider's own blame file list) */
  isCounted: (path: string) => boolean;
  /** whether a commit's lines are AI lines */
  isAi: (commit: Commit) => boolean;
}

/**
 * @param history non-merge commits, oldest first, covering at least the window (earlier commits
 *   only serve to estimate file sizes; the replay stops at the window's last commit)
 * @param window  shas of the window's commits
 */
export function estimateSurvivingShare(history: readonly Commit[], window: ReadonlySet<string>, options: SurvivingShareOptions): SurvivingShare {
  // Smallest starting size per file consistent with the whole history: -min(running net).
  const net = new Map<string, number>();
  const minNet = new Map<string, number>();
  for (const c of history) {
    for (const f of c.files) {
      if (f.added === null || f.deleted === null) continue;
      const from = f.old_path ?? f.path;
      const n = (net.get(from) ?? 0) + f.added - f.deleted;
      if (f.old_path) {
        net.delete(f.old_path);
        if (!minNet.has(f.path)) minNet.set(f.path, minNet.get(f.old_path) ?? 0);
      }
      net.set(f.path, n);
      minNet.set(f.path, Math.min(minNet.get(f.path) ?? 0, n));
    }
  }
  const size = new Map<string, number>();
  const pools = new Map<string, { ai: number; other: number }>();
  let left = window.size;
  for (const c of history) {
    if (left === 0) break; // blame at the release tag: later commits don't matter
    const inWindow = window.has(c.sha);
    if (inWindow) left--;
    const ai = inWindow && options.isAi(c);
    for (const f of c.files) {
      if (f.added === null || f.deleted === null) continue;
      const from = f.old_path ?? f.path;
      const s = size.get(from) ?? -(minNet.get(from) ?? 0);
      let pool = pools.get(from);
      if (f.old_path) {
        pools.delete(f.old_path);
        size.delete(f.old_path);
      }
      if (pool && f.deleted > 0 && s > 0) {
        const keep = Math.max(0, 1 - f.deleted / s);
        pool.ai *= keep;
        pool.other *= keep;
      }
      if (inWindow) {
        pool ??= { ai: 0, other: 0 };
        if (ai) pool.ai += f.added;
        else pool.other += f.added;
      }
      if (pool) pools.set(f.path, pool);
      size.set(f.path, Math.max(0, s + f.added - f.deleted));
    }
  }
  let aiLines = 0;
  let total = 0;
  for (const [path, pool] of pools) {
    if (!options.isCounted(path)) continue;
    aiLines += pool.ai;
    total += pool.ai + pool.other;
  }
  return { ai_lines: Math.round(aiLines), total_lines: Math.round(total), share_pct: total > 0 ? Math.round((10000 * aiLines) / total) / 100 : 0 };
}
