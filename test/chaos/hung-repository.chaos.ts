// One repository whose GitHub requests hang (the connection open, never an answer) while GitHub
// serves every other repository, on the local stack with the scan-repository function under Deno:
// its timeouts must not be taken for GitHub being down — no circuit opened for everyone, another
// company's scans claimed as promptly as without it — and its job must end, bounded, as dead with
// the reason. Counted from the tables.
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useLocalStack } from "../harness/stack.ts";
import { chaosRepositories, chaosTenant, dbNow, enqueueFullScans, report, settled, WHOLE, wholeTally } from "./harness.ts";

const hungRepos = chaosRepositories("hung", 1);
const otherRepos = chaosRepositories("busy", 6);
const stack = useLocalStack({ localGitHub: () => [...hungRepos, ...otherRepos] });
let sql: postgres.Sql;
beforeAll(async () => {
  sql = postgres(stack.current.dbUrl, { max: 4, onnotice: () => {} });
});
afterAll(async () => sql?.end());
beforeEach(() => stack.current.github!.clearFaults());

describe("chaos: one repository's GitHub requests hang", () => {
  it("does not open GitHub's circuit for everyone, delays no other company's claims, and ends bounded", async () => {
    const gh = stack.current.github!;
    gh.hangRepository(`${hungRepos[0].owner}/${hungRepos[0].name}`);
    // Other companies' scans keep GitHub busy throughout (each page a little slow, as GitHub's are).
    gh.inject({ kind: "slow", delayMs: 300, times: 5_000 });
    const hung = await chaosTenant(sql, hungRepos);
    const busy = await chaosTenant(sql, otherRepos);
    const startedAt = await dbNow(sql);
    const [hungJob] = await enqueueFullScans(sql, hung);
    // Two attempts instead of three keep the case within minutes; each costs GitHub's client three
    // tries of 15 s.
    await sql`update public.scan_queue set max_attempts = 2 where id = ${hungJob} and status = 'pending'`;
    const others: string[] = [];
    let outageSeen = false;
    // Until the hung job ends: the other company scans each repository again as soon as its last scan finished.
    const until = Date.now() + 280_000;
    for (;;) {
      others.push(...(await enqueueFullScans(sql, busy)).filter((id) => !others.includes(id)));
      const [{ n }] = await sql`select count(*)::int as n from public.scan_source_outages`;
      outageSeen ||= n > 0;
      const [job] = await sql`select status from public.scan_queue where id = ${hungJob}`;
      if (job.status === "dead" || job.status === "completed") break;
      expect(Date.now(), "the hung repository's job ended in time").toBeLessThan(until);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const endedAt = await dbNow(sql);
    expect(await settled(sql, others, 120_000), "every other job finished").not.toBeNull();
    // How long each of the other company's jobs waited for its first claim.
    const [waits] = await sql<{ max_s: number; p50_s: number; n: number }[]>`
      select max(w)::float as max_s, percentile_cont(0.5) within group (order by w)::float as p50_s, count(*)::int as n
      from (select extract(epoch from (min(e.created_at) - q.created_at)) as w
            from public.scan_queue q join public.scan_job_events e on e.job_id = q.id and e.kind = 'claimed'
            where q.id = any(${others}::uuid[]) group by q.id, q.created_at) x`;
    const [{ outage_snoozes }] = await sql`select count(*)::int as outage_snoozes from public.scan_job_events
      where job_id = any(${[...others, hungJob]}::uuid[]) and kind = 'snoozed' and data ? 'outage_since'`;
    const [hungRow] = await sql`select status, error, attempts - attempts_waived as spent from public.scan_queue where id = ${hungJob}`;
    const t = await report(sql, "one_repository_hangs", [...others, hungJob], startedAt, {
      other_jobs: others.length, claim_wait_max_s: waits.max_s, claim_wait_p50_s: waits.p50_s, outage_snoozes,
      hung_job: hungRow.status, hung_attempts_spent: hungRow.spent, hung_life_s: (endedAt.getTime() - startedAt.getTime()) / 1000,
    });
    expect(wholeTally(t)).toEqual(WHOLE);
    expect(outageSeen, "GitHub's circuit opened").toBe(false);
    expect(outage_snoozes).toBe(0);
    expect(hungRow.status).toBe("dead");
    expect(hungRow.spent).toBe(2);
    expect(hungRow.error).toMatch(/did not answer this job's requests in time .* while it answered \d+ other job\(s\) meanwhile/);
    expect(t.completed).toBe(others.length);
    expect(waits.max_s, "the longest wait of another company's job for its claim, s").toBeLessThan(10);
  }, 300_000);
});
