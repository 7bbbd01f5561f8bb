// What every chaos case shares: tenants with repositories on the local GitHub, jobs enqueued the
// way the product enqueues them, and the count that decides a case — from the tables, after the
// fault is over: every job completed, or dead with a reason; none lost (still pending or running,
// or gone); no result written twice (a job completed twice, two scans of one job, a scan's commit
// rows not what its summary counted). Each case prints one JSON line with its figures.
import type postgres from "postgres";
import { buildRepository, loadCommits, type LocalRepository } from "../../src/local/github/dataset.ts";

/** Small repositories cut from lizard's real history: scans of seconds, many of them at once. */
export function chaosRepositories(prefix: string, count: number, commitsEach = 30): LocalRepository[] {
  const history = loadCommits("terryyin__lizard.jsonl");
  return Array.from({ length: count }, (_, i) =>
    buildRepository({ owner: "chaos", name: `${prefix}-${i}`, commits: history.slice(i * 7, i * 7 + commitsEach), defaultBranch: "master" }));
}

let tenants = 0;

/** A company (its own GitHub token, room for many scans at once) tracking `repos`. */
export async function chaosTenant(sql: postgres.Sql, repos: readonly LocalRepository[]): Promise<{ companyId: string; repositoryIds: string[] }> {
  const n = ++tenants;
  const [company] = await sql`insert into companies (name, settings)
    values (${`Chaos ${n} ${Date.now()}`}, '{"scan_window_days": 7300, "max_concurrent_scans": 10}') returning id`;
  await sql`select public.set_github_token(${company.id}, ${`ghp_chaos${String(n).padStart(31, "0")}`})`;
  const rows = await sql`insert into repositories ${sql(repos.map((r) => ({ company_id: company.id, full_name: `${r.owner}/${r.name}`, default_branch: r.default_branch })))} returning id`;
  return { companyId: company.id, repositoryIds: rows.map((r) => r.id as string) };
}

/** Full scans of every repository of the tenant, in one enqueue (as onboarding and the daily scan do). */
export async function enqueueFullScans(sql: postgres.Sql, tenant: { companyId: string; repositoryIds: string[] }): Promise<string[]> {
  const rows = await sql`select id from public.enqueue_scans(${sql.json(tenant.repositoryIds.map((r) => ({ company_id: tenant.companyId, repository_id: r, scan_type: "full_scan" })))}::jsonb)`;
  return rows.map((r) => r.id as string);
}

export interface Tally {
  jobs: number;
  completed: number;
  dead: number;
  deadWithoutReason: number;
  /** Still pending or running, cancelled, or missing. */
  lost: number;
  /** Jobs completed more than once, scans beyond one per job, commit rows beyond what a scan counted. */
  duplicated: number;
  attemptsSpent: number;
}

/** The count of a case, from the tables. */
export async function tally(sql: postgres.Sql, jobIds: readonly string[]): Promise<Tally> {
  const [t] = await sql<Tally[]>`
    with jobs as (select j.id, q.status, q.error, q.attempts - q.attempts_waived as spent
                  from unnest(${jobIds as string[]}::uuid[]) j(id) left join public.scan_queue q on q.id = j.id),
    completions as (select job_id, count(*) as n from public.scan_job_events where job_id = any (${jobIds as string[]}::uuid[]) and kind = 'completed' group by job_id),
    scans as (select s.job_id, count(*) as n from public.scans s where s.job_id = any (${jobIds as string[]}::uuid[]) group by s.job_id),
    overcounted as (select s.job_id from public.scans s
                    where s.job_id = any (${jobIds as string[]}::uuid[]) and s.status = 'completed'
                      and (select count(*) from public.scan_results r where r.repository_id = s.repository_id and r.path = '')
                          <> (s.summary ->> 'commits_scanned')::int)
    select (select count(*)::int from jobs) as jobs,
           (select count(*)::int from jobs where status = 'completed') as completed,
           (select count(*)::int from jobs where status = 'dead') as dead,
           (select count(*)::int from jobs where status = 'dead' and coalesce(error, '') = '') as "deadWithoutReason",
           (select count(*)::int from jobs where status is null or status not in ('completed', 'dead')) as lost,
           ((select count(*)::int from completions where n > 1) + (select count(*)::int from scans where n > 1)
             + (select count(*)::int from overcounted)) as duplicated,
           (select coalesce(sum(spent), 0)::int from jobs) as "attemptsSpent"`;
  return t;
}

/** Waits until every job is completed or dead (or `ms` passes); answers when the last one finished. */
export async function settled(sql: postgres.Sql, jobIds: readonly string[], ms: number): Promise<Date | null> {
  const until = Date.now() + ms;
  for (;;) {
    const [r] = await sql<{ open: number; last: Date | null }[]>`
      select count(*) filter (where q.status is null or q.status not in ('completed', 'dead'))::int as open, max(q.completed_at) as last
      from unnest(${jobIds as string[]}::uuid[]) j(id) left join public.scan_queue q on q.id = j.id`;
    if (r.open === 0) return r.last;
    if (Date.now() > until) return null;
    await new Promise((res) => setTimeout(res, 250));
  }
}

/** Prints the case's line and answers its tally; `since` is when the fault ended (or began, for a crash). */
export async function report(sql: postgres.Sql, name: string, jobIds: readonly string[], since: Date, extra: Record<string, unknown> = {}): Promise<Tally> {
  const last = await settled(sql, jobIds, 0);
  const t = await tally(sql, jobIds);
  console.log(JSON.stringify({
    chaos: name, jobs: t.jobs, completed: t.completed, dead: t.dead, lost: t.lost, duplicated: t.duplicated,
    attempts_spent: t.attemptsSpent, recovery_s: last ? Math.max(0, (last.getTime() - since.getTime()) / 1000) : null, ...extra,
  }));
  return t;
}

/** A case's promises: every job completed or dead with a reason, none lost, nothing written twice. */
export function wholeTally(t: Tally): Record<string, number> {
  return { lost: t.lost, duplicated: t.duplicated, deadWithoutReason: t.deadWithoutReason, finished: t.completed + t.dead - t.jobs };
}

/** What a case expects of wholeTally. */
export const WHOLE = { lost: 0, duplicated: 0, deadWithoutReason: 0, finished: 0 };

/** The database's clock (the tables' timestamps are its). */
export async function dbNow(sql: postgres.Sql): Promise<Date> {
  const [{ t }] = await sql<{ t: Date }[]>`select clock_timestamp() as t`;
  return t;
}
