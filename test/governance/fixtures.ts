// What the scores, alerts and reports read, written straight into their tables: completed scans,
// commit and file rows (scan_results) and pull requests, on a clock fixed at NOW, so that windows
// and hand-computed figures do not move.
import { randomUUID } from "node:crypto";
import type postgres from "postgres";

/** The tests' "now": a Monday, 02:00 UTC (the weekly report's hour). */
export const NOW = new Date("2026-11-30T02:00:00Z");
export const daysAgo = (d: number, from = NOW) => new Date(from.getTime() - d * 86_400_000);

export async function fixClock(sql: postgres.Sql, at: Date = NOW): Promise<void> {
  await sql`select set_config('codeguard.now', ${at.toISOString()}, false)`;
}

export async function completedScan(sql: postgres.Sql, companyId: string, repositoryId: string, at: Date = NOW): Promise<string> {
  const [s] = await sql<{ id: string }[]>`
    insert into public.scans (company_id, repository_id, job_id, scan_type, status, progress, attempt, started_at, completed_at)
    values (${companyId}, ${repositoryId}, ${randomUUID()}, 'full_scan', 'completed', 100, 1, ${at}, ${at}) returning id`;
  await sql`update public.repositories set last_scanned_at = ${at} where id = ${repositoryId}`;
  return s.id;
}

export interface CommitFixture {
  sha?: string;
  verdict: "attested" | "assisted" | "suspected" | "human";
  counted: number;
  ai?: number;
  authoredAt: Date;
  isMerge?: boolean;
  author?: string;
  files?: { path: string; added: number; deleted: number }[];
}

export async function addCommit(sql: postgres.Sql, ids: { companyId: string; repositoryId: string; scanId: string }, c: CommitFixture): Promise<string> {
  const sha = c.sha ?? randomUUID().replace(/-/g, "").padEnd(40, "0");
  const base = {
    repository_id: ids.repositoryId, commit_sha: sha, company_id: ids.companyId, scan_id: ids.scanId, verdict: c.verdict,
    confidence: 1, is_merge: c.isMerge ?? false, author_name: c.author ?? "dev", author_email: `${c.author ?? "dev"}@example.com`,
    authored_at: c.authoredAt, committed_at: c.authoredAt,
  };
  await sql`insert into public.scan_results ${sql({ ...base, path: "", lines_added: c.counted, lines_deleted: 0, ai_lines: c.ai ?? 0, counted_lines: c.counted })}`;
  for (const f of c.files ?? []) {
    await sql`insert into public.scan_results ${sql({ ...base, path: f.path, lines_added: f.added, lines_deleted: f.deleted })}`;
  }
  return sha;
}

export interface PullRequestFixture {
  number: number;
  ai: boolean;
  reviewed: boolean;
  additions?: number;
  createdAt: Date;
  mergedAt?: Date | null;
  title?: string;
}

export async function addPullRequest(sql: postgres.Sql, ids: { companyId: string; repositoryId: string; scanId: string }, p: PullRequestFixture): Promise<void> {
  const merged = p.mergedAt ?? null;
  await sql`insert into public.pull_requests ${sql({
    company_id: ids.companyId, repository_id: ids.repositoryId, github_pr_id: p.number, title: p.title ?? `PR ${p.number}`,
    author_login: "dev", state: merged ? "MERGED" : "OPEN", ai_generated: p.ai, verdict: p.ai ? "attested" : "human",
    agents: p.ai ? ["claude-code"] : [], confidence: 1, human_reviewed: p.reviewed, additions: p.additions ?? 10,
    pr_created_at: p.createdAt, pr_updated_at: merged ?? p.createdAt, pr_merged_at: merged, merged_by: merged ? "lead" : null,
    unreviewed_ai_merge: p.ai && !!merged && !p.reviewed, scan_id: ids.scanId,
  })}`;
}
