// prune_ai_debt_scores thins the score history (a row per repository and per company at every
// recomputation) to the last score of each UTC day past the 8 days before a series' latest, and
// every reader answers as before: the weekly reports' scores and 12-week trend, the latest score.
import type postgres from "postgres";
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../harness/db.ts";
import { createCompany, createRepository } from "../queue/fixtures.ts";
import { NOW, daysAgo, fixClock } from "./fixtures.ts";

const tdb = useTestDatabase();
const HOUR = 3_600_000;

/** `perDay` scores a day (01:07, 04:07, … UTC) for `days` days up to the UTC day `lastDay`, each a different score. */
async function history(sql: postgres.Sql, companyId: string, repositoryId: string | null, days: number, perDay: number, lastDay: Date): Promise<number> {
  const rows: { at: string; score: number }[] = [];
  for (let d = days - 1; d >= 0; d--) {
    for (let k = 0; k < perDay; k++) {
      const at = new Date(lastDay.getTime() - d * 86_400_000 + HOUR + k * 3 * HOUR + 7 * 60_000);
      rows.push({ at: at.toISOString(), score: Math.round((20 + ((d * 7 + k * 13) % 60) + k / 10) * 100) / 100 });
    }
  }
  await sql`insert into public.ai_debt_scores (company_id, repository_id, score, risk_zone, breakdown, period_start, period_end, calculated_at)
            select ${companyId}, ${repositoryId}, r.score, public.ai_debt_risk_zone(r.score), '{"ai_loc_ratio": 0}', r.at - interval '90 days', r.at, r.at
            from jsonb_to_recordset(${sql.json(rows)}) as r(at timestamptz, score numeric)`;
  return rows.length;
}

async function reports(sql: postgres.Sql, companyId: string) {
  const weeks: unknown[] = [];
  // The week that ended yesterday (Sunday), and the 11 before it, each as its report would read it.
  for (let w = 0; w < 12; w++) {
    const end = daysAgo(1 + 7 * w).toISOString().slice(0, 10);
    const [{ d }] = await sql<{ d: { repositories: unknown; score_trend: unknown } }[]>`select public.weekly_report_data(${companyId}, ${end}::date) as d`;
    weeks.push({ repositories: d.repositories, score_trend: d.score_trend });
  }
  return weeks;
}

const latest = (sql: postgres.Sql, companyId: string) => sql`
  select distinct on (repository_id) repository_id, score, calculated_at from public.ai_debt_scores
  where company_id = ${companyId} order by repository_id, calculated_at desc`;

describe("the score history", () => {
  it("is thinned to each day's last score past 8 days before its latest, and every reader answers as before", async () => {
    const sql = tdb.current.sql;
    await fixClock(sql, NOW);
    const companyId = await createCompany(sql);
    const busy = await createRepository(sql, companyId, "acme/busy");
    const idle = await createRepository(sql, companyId, "acme/idle");
    const yesterday = new Date("2026-11-29T00:00:00Z");
    const written = (await history(sql, companyId, busy, 100, 6, yesterday)) + (await history(sql, companyId, null, 100, 6, yesterday))
      // Not rescored for 30 days: its own latest, not today, decides what is kept whole.
      + (await history(sql, companyId, idle, 40, 4, daysAgo(30, yesterday)));
    // The score-jump alert reads the lowest score of the 7 days before a series' latest.
    const weekLows = () => sql`select s.repository_id, min(s.score) as low, count(*)::int as n from public.ai_debt_scores s
      join (select repository_id, max(calculated_at) as latest from public.ai_debt_scores where company_id = ${companyId} group by repository_id) l
        on l.repository_id is not distinct from s.repository_id
      where s.company_id = ${companyId} and s.calculated_at >= l.latest - interval '7 days' and s.calculated_at < l.latest
      group by s.repository_id order by s.repository_id nulls first`;
    const before = { reports: await reports(sql, companyId), latest: await latest(sql, companyId), weekLows: await weekLows() };

    const [{ pruned }] = await sql`select public.prune_ai_debt_scores() as pruned`;

    // Per series: its last 8 days kept whole (6 a day; the idle one 4), the last of each day before
    // them, and its first row (not the last of its day) as well.
    const kept = await sql<{ repository_id: string | null; n: number }[]>`
      select repository_id, count(*)::int as n from public.ai_debt_scores where company_id = ${companyId} group by repository_id`;
    const n = (id: string | null) => kept.find((k) => k.repository_id === id)!.n;
    expect(n(busy)).toBe(8 * 6 + (100 - 8) + 1);
    expect(n(null)).toBe(n(busy));
    expect(n(idle)).toBe(8 * 4 + (40 - 8) + 1);
    expect(pruned).toBe(written - n(busy) - n(null) - n(idle));
    expect({ reports: await reports(sql, companyId), latest: await latest(sql, companyId), weekLows: await weekLows() }).toEqual(before);

    const [{ again }] = await sql`select public.prune_ai_debt_scores() as again`;
    expect(again).toBe(0);
  });
});
