// Properties of the AI-debt score over generated repositories (a seeded generator, so a failure
// replays): monotone in every kind of debt, bounded in what one PR can do, ordered as a manager
// reads it. The real SQL function scores every case — ai_debt_score_formula over hundreds of
// generated windows' counts in one query, and calculate_ai_debt_score over generated rows.
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { createCompany, createRepository } from "../queue/fixtures.ts";
import { addCommit, addPullRequest, completedScan, daysAgo, fixClock } from "./fixtures.ts";

const tdb = useTestDatabase();

/** mulberry32: a small seeded generator, so each run scores the same repositories. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return { next, int, pick: <T>(xs: T[]) => xs[int(0, xs.length - 1)] };
}

interface Counts {
  counted_lines: number; ai_lines: number; ai_prs: number; reviewed_ai_prs: number; merged_ai_prs: number;
  unreviewed_ai_merges: number; large_unreviewed_ai_prs: number; ai_file_changes: number; reworked_ai_file_changes: number;
}

/** One repository's window, consistent as ai_debt_inputs answers it: a few tiny ones, most mid-sized, some large. */
function repository(r: ReturnType<typeof rng>): Counts {
  const size = r.pick([5, 50, 500, 5000, 50000]);
  const counted = r.int(0, size * 20);
  const ai = r.int(0, counted);
  const aiPrs = r.int(0, size);
  const merged = r.int(0, aiPrs);
  const unreviewed = r.int(0, merged);
  const large = r.int(0, unreviewed);
  const reviewed = r.int(0, aiPrs - unreviewed);
  const changes = r.int(0, size * 4);
  return { counted_lines: counted, ai_lines: ai, ai_prs: aiPrs, reviewed_ai_prs: reviewed, merged_ai_prs: merged,
    unreviewed_ai_merges: unreviewed, large_unreviewed_ai_prs: large, ai_file_changes: changes, reworked_ai_file_changes: r.int(0, changes) };
}

/** The scores of many windows, one query. */
async function scores(inputs: Counts[]): Promise<number[]> {
  const sql = tdb.current.sql;
  const rows = await sql<{ score: string }[]>`
    select (public.ai_debt_score_formula(x.c) ->> 'score') as score
    from jsonb_array_elements(${sql.json(inputs as never)}::jsonb) with ordinality x (c, n) order by x.n`;
  return rows.map((row) => Number(row.score));
}

/** One more AI PR, as the scan would count it: its lines, its file changes, its review state. */
function withPr(c: Counts, pr: { merged: boolean; reviewed: boolean; additions: number; files: number; reworked: number }): Counts {
  const unreviewedMerge = pr.merged && !pr.reviewed;
  return {
    counted_lines: c.counted_lines + pr.additions, ai_lines: c.ai_lines + pr.additions,
    ai_prs: c.ai_prs + 1, reviewed_ai_prs: c.reviewed_ai_prs + (pr.reviewed ? 1 : 0), merged_ai_prs: c.merged_ai_prs + (pr.merged ? 1 : 0),
    unreviewed_ai_merges: c.unreviewed_ai_merges + (unreviewedMerge ? 1 : 0),
    large_unreviewed_ai_prs: c.large_unreviewed_ai_prs + (unreviewedMerge && pr.additions >= 400 ? 1 : 0),
    ai_file_changes: c.ai_file_changes + pr.files, reworked_ai_file_changes: c.reworked_ai_file_changes + pr.reworked,
  };
}

const CASES = 400;

describe("the AI-debt score over generated repositories", () => {
  it("never falls with more AI lines, unreviewed AI merges, large unreviewed AI PRs or rework, all else equal", async () => {
    const r = rng(23);
    const base: Counts[] = [];
    const more: { kind: string; c: Counts }[] = [];
    for (let i = 0; i < CASES; i++) {
      const c = repository(r);
      base.push(c);
      const k = r.int(1, 2000);
      const human = c.counted_lines - c.ai_lines;
      const variants: [string, Counts][] = [
        ["more AI lines", { ...c, counted_lines: c.counted_lines + k, ai_lines: c.ai_lines + k }],
        ["human lines written by AI instead", { ...c, ai_lines: c.ai_lines + Math.min(k, human) }],
        ["one more unreviewed AI merge", withPr(c, { merged: true, reviewed: false, additions: r.int(0, 399), files: 0, reworked: 0 })],
        ["one more large unreviewed AI merge", withPr(c, { merged: true, reviewed: false, additions: r.int(400, 3000), files: 0, reworked: 0 })],
        ["a reviewed merge left unreviewed", c.ai_prs > c.unreviewed_ai_merges && c.reviewed_ai_prs > 0 && c.merged_ai_prs > c.unreviewed_ai_merges
          ? { ...c, reviewed_ai_prs: c.reviewed_ai_prs - 1, unreviewed_ai_merges: c.unreviewed_ai_merges + 1 } : c],
        ["more rework", { ...c, reworked_ai_file_changes: Math.min(c.ai_file_changes, c.reworked_ai_file_changes + r.int(1, 50)) }],
      ];
      for (const [kind, v] of variants) more.push({ kind, c: v });
    }
    const before = await scores(base);
    const after = await scores(more.map((m) => m.c));
    const falls = more.map((m, j) => ({ ...m, before: before[Math.floor(j / 6)], after: after[j] })).filter((x) => x.after < x.before);
    expect(falls).toEqual([]);
    // The generator reaches every kind of change: the cases are not all no-ops.
    expect(more.filter((m, j) => after[j] > before[Math.floor(j / 6)]).length).toBeGreaterThan(CASES * 4);
  });

  it("moves by at most 100·0.55/11 = 5 points through one PR's review terms, and by its lines' share of the repository's", async () => {
    const r = rng(2301);
    const base: Counts[] = [];
    const plus: Counts[] = [];
    const prs: { additions: number; files: number }[] = [];
    for (let i = 0; i < CASES; i++) {
      const c = repository(r);
      const files = r.int(0, 10);
      const pr = { merged: r.next() < 0.8, reviewed: r.next() < 0.5, additions: r.pick([0, r.int(1, 399), r.int(400, 5000)]), files, reworked: r.int(0, files) };
      base.push(c);
      plus.push(withPr(c, pr));
      prs.push(pr);
    }
    const before = await scores(base);
    const after = await scores(plus);
    const beyond = base.map((c, i) => {
      const { additions, files } = prs[i];
      // The review terms (≤ 1/(m + 1) each, m = 10), the lines' term and the churn term.
      const bound = 100 * (0.55 / 11) + 100 * 0.35 * additions / (c.counted_lines + additions + 1000) +
        100 * 0.10 * files / (c.ai_file_changes + files + 20) + 0.01;
      return { c, pr: prs[i], before: before[i], after: after[i], bound };
    }).filter((x) => Math.abs(x.after - x.before) > x.bound);
    expect(beyond).toEqual([]);
    // Without lines or file changes (a PR whose commits are out of the window), never more than 5.
    // (The large PRs' term is a count, k/(k + 10): one more moves it by at most 1/11 too.)
    const bare = await scores(base.map((c) => withPr(c, { merged: true, reviewed: false, additions: 0, files: 0, reworked: 0 })));
    expect(Math.max(...bare.map((s, i) => s - before[i]))).toBeLessThanOrEqual(5);
    // And a PR of under 400 lines in a repository of 10,000+ counted lines moves it by under 7.
    const big = base.map((c, i) => ({ c, i })).filter(({ c, i }) => c.counted_lines >= 10_000 && prs[i].additions < 400 && prs[i].files <= 5);
    expect(big.length).toBeGreaterThan(20);
    for (const { i } of big) expect(Math.abs(after[i] - before[i])).toBeLessThan(7);
  });

  it("ranks a repository with a higher AI share and more unreviewed AI merges (at a higher rate) at or above the other", async () => {
    const r = rng(2302);
    const pairs: [Counts, Counts][] = [];
    for (let i = 0; i < CASES; i++) {
      const low = repository(r);
      // The riskier one: at least the other's every hit count AND every rate, over any sample.
      const scale = 1 + r.int(0, 20) / 4;
      const up = (hits: number, sample: number, newSample: number) =>
        Math.min(newSample, Math.max(hits, Math.ceil((sample > 0 ? hits / sample : 0) * newSample)) + r.int(0, 3));
      const counted = Math.round(low.counted_lines * (r.next() < 0.5 ? scale : 1 / scale));
      const merged = Math.round(low.merged_ai_prs * (r.next() < 0.5 ? scale : 1));
      const changes = Math.round(low.ai_file_changes * (r.next() < 0.5 ? scale : 1));
      const unreviewed = up(low.unreviewed_ai_merges, low.merged_ai_prs, Math.max(merged, low.unreviewed_ai_merges));
      const mergedHigh = Math.max(merged, unreviewed);
      const aiPrs = Math.max(low.ai_prs, mergedHigh) + r.int(0, 3);
      const high: Counts = {
        counted_lines: Math.max(counted, low.ai_lines), ai_lines: 0, ai_prs: aiPrs, merged_ai_prs: mergedHigh, unreviewed_ai_merges: unreviewed,
        large_unreviewed_ai_prs: up(low.large_unreviewed_ai_prs, low.merged_ai_prs, unreviewed),
        reviewed_ai_prs: 0, ai_file_changes: changes, reworked_ai_file_changes: up(low.reworked_ai_file_changes, low.ai_file_changes, changes),
      };
      high.ai_lines = up(low.ai_lines, low.counted_lines, high.counted_lines);
      // Unreviewed AI PRs: at least as many and at least the same share.
      const lowGap = low.ai_prs - low.reviewed_ai_prs;
      const gap = Math.max(up(lowGap, low.ai_prs, high.ai_prs), high.unreviewed_ai_merges);
      high.reviewed_ai_prs = high.ai_prs - Math.min(high.ai_prs, gap);
      // Keep only pairs that hold the premise in every component (up() can fall short at the edges).
      const holds = (hl: number, sl: number, hh: number, sh: number) => hh >= hl && (sl === 0 || hh * sl >= hl * sh);
      if (holds(low.ai_lines, low.counted_lines, high.ai_lines, high.counted_lines) &&
          holds(low.unreviewed_ai_merges, low.merged_ai_prs, high.unreviewed_ai_merges, high.merged_ai_prs) &&
          holds(low.large_unreviewed_ai_prs, low.merged_ai_prs, high.large_unreviewed_ai_prs, high.merged_ai_prs) &&
          holds(lowGap, low.ai_prs, high.ai_prs - high.reviewed_ai_prs, high.ai_prs) &&
          holds(low.reworked_ai_file_changes, low.ai_file_changes, high.reworked_ai_file_changes, high.ai_file_changes)) {
        pairs.push([low, high]);
      }
    }
    expect(pairs.length).toBeGreaterThan(CASES / 2);
    const lows = await scores(pairs.map((p) => p[0]));
    const highs = await scores(pairs.map((p) => p[1]));
    expect(pairs.filter((_, i) => highs[i] < lows[i]).map((p, i) => ({ low: p[0], high: p[1], scores: [lows[i], highs[i]] }))).toEqual([]);
  });

  it("scores generated repositories from their rows: the company is the formula over their pooled counts, one more PR moves a repository by its bound", async () => {
    const sql = tdb.current.sql;
    await fixClock(sql);
    const r = rng(2303);
    const companyId = await createCompany(sql);
    const repos: { id: string; scanId: string }[] = [];
    for (let i = 0; i < 12; i++) {
      const id = await createRepository(sql, companyId, `gen/repo-${i}`);
      const ids = { companyId, repositoryId: id, scanId: await completedScan(sql, companyId, id) };
      repos.push({ id, scanId: ids.scanId });
      for (let k = 0; k < r.int(1, 12); k++) {
        const ai = r.next() < 0.4;
        const counted = r.int(1, 800);
        await addCommit(sql, ids, { verdict: ai ? "attested" : "human", counted, ai: ai ? counted : 0, authoredAt: daysAgo(r.int(1, 80)),
          files: [{ path: `f${r.int(0, 4)}.ts`, added: counted, deleted: r.int(0, 20) }] });
      }
      for (let k = 0; k < r.int(0, 8); k++) {
        const created = r.int(2, 80);
        await addPullRequest(sql, ids, { number: k + 1, ai: r.next() < 0.7, reviewed: r.next() < 0.5, additions: r.pick([20, 150, 600]),
          createdAt: daysAgo(created), mergedAt: r.next() < 0.8 ? daysAgo(created - 1) : null });
      }
    }
    const scored = await sql<{ score: string; breakdown: Counts }[]>`
      select s.score, s.breakdown from unnest(${repos.map((x) => x.id)}::uuid[]) with ordinality u (id, n),
        lateral public.calculate_ai_debt_score(${companyId}, u.id) s order by u.n`;
    const [company] = await sql<{ score: string; breakdown: Counts & { repositories: number } }[]>`
      select score, breakdown from public.calculate_ai_debt_score(${companyId})`;
    const keys = ["counted_lines", "ai_lines", "ai_prs", "reviewed_ai_prs", "merged_ai_prs", "unreviewed_ai_merges",
      "large_unreviewed_ai_prs", "ai_file_changes", "reworked_ai_file_changes"] as const;
    const pooled = Object.fromEntries(keys.map((k) => [k, scored.reduce((n, s) => n + Number(s.breakdown[k]), 0)])) as unknown as Counts;
    expect(company.breakdown.repositories).toBe(12);
    expect(Number(company.score)).toBe((await scores([pooled]))[0]);

    // One more AI PR merged without review, of 300 lines in one commit, in each repository.
    const after: number[] = [];
    for (const [i, x] of repos.entries()) {
      const ids = { companyId, repositoryId: x.id, scanId: x.scanId };
      await addCommit(sql, ids, { verdict: "attested", counted: 300, ai: 300, authoredAt: daysAgo(1), files: [{ path: "new.ts", added: 300, deleted: 0 }] });
      await addPullRequest(sql, ids, { number: 1000 + i, ai: true, reviewed: false, additions: 300, createdAt: daysAgo(2), mergedAt: daysAgo(1) });
      const [s] = await sql<{ score: string }[]>`select score from public.calculate_ai_debt_score(${companyId}, ${x.id})`;
      after.push(Number(s.score));
    }
    scored.forEach((s, i) => {
      const bound = 5 + 100 * 0.35 * 300 / (Number(s.breakdown.counted_lines) + 300 + 1000) + 100 * 0.10 / (Number(s.breakdown.ai_file_changes) + 21) + 0.01;
      expect(after[i]).toBeGreaterThanOrEqual(Number(s.score));
      expect(after[i] - Number(s.score)).toBeLessThanOrEqual(bound);
    });
  });
});
