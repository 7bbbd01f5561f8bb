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
 *   - moves: blame runs with copy/move detection (aider's blame.py: `-M100 -C100 -C -C`), so a
 *     block of lines moved from one file to another in one commit keeps the commit that wrote
 *     it — a line from before the window stays out of the window's count, and the commit that
 *     moved it gets no credit. From numstat alone, a move is a pair of files in one commit where
 *     one mostly loses lines and the other mostly gains about as many (see MOVE_* below); the
 *     min(deleted, added) lines are taken out of the source's pool in proportion and added to the
 *     destination's pool with the source's AI / not-AI mix, instead of as new lines of the
 *     moving commit. Copies from files untouched by the commit (`-C -C -C`) are not modelled:
 *     numstat cannot tell a copied file from a written one (see eval/detection.ts);
 *   - the share is AI lines / all window lines left, over the files the caller counts.
 */
import type { Commit } from "./records.ts";

/**
 * A move pairs a source that deletes at least MOVE_MIN_LINES lines and adds at most
 * (1 − MOVE_SIMILARITY) of that, with a destination that is the mirror image, where the smaller
 * of (deleted from source, added to destination) is at least MOVE_SIMILARITY of the larger.
 * Fixed a priori, not fitted: 5 lines is about the 100 alphanumeric characters that -M100/-C100
 * require of a moved block; 0.8 says "about as many lines left one file as arrived in the other".
 * On aider's 11 releases the mean absolute error stays within 2.88–2.94 pp for any similarity in
 * 0.5–0.95 and any minimum in 3–50 lines (3.19 pp without moves; eval/detection.ts --only=release
 * prints the estimate with and without them).
 */
export const MOVE_MIN_LINES = 5;
export const MOVE_SIMILARITY = 0.8;

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
  /** model blame's move detection (default true) */
  moves?: boolean;
}

/** Moves within one commit (file indices), by the rule above; one destination per source. */
function findMoves(files: Commit["files"]): Array<{ from: number; to: number; lines: number }> {
  const out: Array<{ from: number; to: number; lines: number }> = [];
  let used: Set<number> | null = null;
  for (let i = 0; i < files.length; i++) {
    const s = files[i];
    if (s.added === null || s.deleted === null || s.old_path || s.deleted < MOVE_MIN_LINES || s.added > s.deleted * (1 - MOVE_SIMILARITY)) continue;
    let best = -1;
    let bestRatio = 0;
    for (let j = 0; j < files.length; j++) {
      const d = files[j];
      if (j === i || d.added === null || d.deleted === null || d.added < MOVE_MIN_LINES || d.deleted > d.added * (1 - MOVE_SIMILARITY)) continue;
      if (used?.has(j)) continue;
      const r = Math.min(d.added, s.deleted) / Math.max(d.added, s.deleted);
      if (r >= MOVE_SIMILARITY && r > bestRatio) {
        best = j;
        bestRatio = r;
      }
    }
    if (best < 0) continue;
    (used ??= new Set()).add(best);
    out.push({ from: i, to: best, lines: Math.min(files[best].added!, s.deleted) });
  }
  return out;
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
    // lines moved in this commit: what they carry from their source (computed before the
    // source's deletions are applied), by destination file index
    let carried: Map<number, { ai: number; other: number; lines: number }> | null = null;
    if (options.moves !== false && c.files.length > 1) {
      for (const m of findMoves(c.files)) {
        const src = c.files[m.from].path;
        const s = size.get(src) ?? -(minNet.get(src) ?? 0);
        const pool = pools.get(src);
        const frac = pool && s > 0 ? Math.min(1, m.lines / s) : 0;
        (carried ??= new Map()).set(m.to, { ai: pool ? pool.ai * frac : 0, other: pool ? pool.other * frac : 0, lines: m.lines });
      }
    }
    for (let fi = 0; fi < c.files.length; fi++) {
      const f = c.files[fi];
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
      const moved = carried?.get(fi);
      if (inWindow || moved) {
        pool ??= { ai: 0, other: 0 };
        // new lines of the commit's kind; moved lines come with their source's mix instead
        const written = inWindow ? f.added - (moved ? moved.lines : 0) : 0;
        if (ai) pool.ai += written;
        else pool.other += written;
        if (moved) {
          pool.ai += moved.ai;
          pool.other += moved.other;
        }
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
