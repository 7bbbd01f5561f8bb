// A scan's stored checkpoint is its source's opaque JSON under `source` (scan/store.ts). Scans
// that checkpointed before the source contract stored the GitHub reader's cursor under `github`:
// the same JSON, so such a scan resumes where it stopped rather than starting over — and ends with
// the rows an uninterrupted scan writes. A stored value that is no checkpoint is an error, not a
// silent restart.
import { beforeEach, describe, expect, it } from "vitest";
import { githubSource } from "../../supabase/functions/_shared/github/source.ts";
import { JobQueue, WorkerLoop } from "../../supabase/functions/_shared/queue/mod.ts";
import { PermanentJobError } from "../../supabase/functions/_shared/queue/worker/outcomes.ts";
import { repositoryScanProcessors } from "../../supabase/functions/_shared/scan/repository-scan.ts";
import { storedCheckpoint } from "../../supabase/functions/_shared/scan/store.ts";
import { useTestDatabase } from "../harness/db.ts";
import { LIZARD, useLocalGitHub } from "../github/local-github.ts";

const gh = useLocalGitHub();
const t = useTestDatabase();
beforeEach(() => {
  gh.current.clearFaults();
  gh.current.setRemaining(5000);
});

let n = 0;
async function tenant() {
  const sql = t.current.sql;
  const [company] = await sql`insert into companies (name, settings) values (${`Checkpoint ${++n}`}, ${sql.json({ scan_window_days: 7300 })}) returning id`;
  const [r] = await sql`insert into repositories (company_id, full_name, default_branch) values (${company.id}, ${`${LIZARD.owner}/${LIZARD.name}`}, ${LIZARD.branch}) returning id`;
  await sql`select public.set_github_token(${company.id}, ${`ghp_checkpointtest${String(n).padStart(22, "0")}`})`;
  return { companyId: company.id as string, repositoryId: r.id as string };
}

const loop = (id: string) =>
  new WorkerLoop({ queue: new JobQueue(t.current.db), workerId: id, processors: repositoryScanProcessors({ db: t.current.db, sources: { github: githubSource({ db: t.current.db, baseUrl: gh.current.url }) } }, ["full_scan"]) });

async function status(jobId: string): Promise<string> {
  const [row] = await t.current.sql`select status from scan_queue where id = ${jobId}`;
  return row.status;
}

async function until(jobId: string, done: (status: string) => boolean, drain: () => Promise<unknown>) {
  for (let i = 0; i < 100 && !done(await status(jobId)); i++) {
    await t.current.sql`update scan_queue set run_after = now() where id = ${jobId} and status = 'pending'`;
    await drain();
  }
}

async function rows(repositoryId: string) {
  return (await t.current.sql`
    select commit_sha, verdict, confidence, ai_lines, counted_lines from scan_results
    where repository_id = ${repositoryId} and path = '' order by commit_sha`).map((r) => ({ ...r }));
}

describe("a stored checkpoint", () => {
  it("of the pre-contract form ({github: …}) resumes the scan, which ends with an uninterrupted scan's rows", async () => {
    const whole = await tenant();
    const queue = new JobQueue(t.current.db);
    const wholeJob = await queue.enqueue({ ...whole, scanType: "full_scan" });
    await until(wholeJob.id, (s) => s === "completed" || s === "dead", () => loop("whole").drain({ budgetMs: 120_000 }));
    expect(await status(wholeJob.id)).toBe("completed");

    const resumed = await tenant();
    const job = await queue.enqueue({ ...resumed, scanType: "full_scan" });
    // Slow GraphQL and a short budget: a run writes a page and checkpoints.
    gh.current.inject({ kind: "slow", delayMs: 1_000, match: "graphql", times: 1_000 });
    await until(job.id, () => false, async () => {
      await loop("short").drain({ budgetMs: 6_000, stopClaimingMs: 500 });
      const [s] = await t.current.sql`select checkpoint from scans where job_id = ${job.id}`;
      if (s?.checkpoint) throw Object.assign(new Error("checkpointed"), { checkpointed: true });
    }).catch((e) => {
      if (!e.checkpointed) throw e;
    });
    gh.current.clearFaults();
    const [{ checkpoint }] = await t.current.sql`select checkpoint from scans where job_id = ${job.id}`;
    expect(Object.keys(checkpoint).sort()).toEqual(["scorer", "source"]);
    // As a scan that checkpointed before the contract stored it.
    await t.current.sql`update scans set checkpoint = ${t.current.sql.json({ github: checkpoint.source, scorer: checkpoint.scorer })} where job_id = ${job.id}`;
    const [{ pages: before }] = await t.current.sql`select (timings ->> 'pages')::int as pages from scans where job_id = ${job.id}`;
    expect(before).toBeGreaterThan(0);
    await until(job.id, (s) => s === "completed" || s === "dead", () => loop("resume").drain({ budgetMs: 120_000 }));
    expect(await status(job.id)).toBe("completed");
    // It went on from its page: as many pages in all as the uninterrupted scan (a restart reads the
    // first pages again, and the scan's page count goes on from where it was).
    const pages = async (jobId: string) => (await t.current.sql`select (timings ->> 'pages')::int as pages from scans where job_id = ${jobId}`)[0].pages;
    expect(await pages(job.id)).toBe(await pages(wholeJob.id));
    expect(await rows(resumed.repositoryId)).toEqual(await rows(whole.repositoryId));
  }, 600_000);

  it("that is no checkpoint is refused, saying what it was", () => {
    expect(storedCheckpoint(null)).toBeNull();
    expect(storedCheckpoint({ github: { target: {} }, scorer: {} })).toEqual({ source: { target: {} }, scorer: {} });
    expect(() => storedCheckpoint({ cursor: "abc" })).toThrow(/not one: \{"cursor":"abc"\}/);
    expect(() => storedCheckpoint([1])).toThrow(/expected \{"source"/);
    // Every attempt would read the same row: the job fails for good at once, saying how to mend it.
    expect(() => storedCheckpoint("x")).toThrow(PermanentJobError);
    expect(() => storedCheckpoint("x")).toThrow(/clear it \(update public.scans set checkpoint = null/);
  });
});
