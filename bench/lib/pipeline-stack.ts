// What bench/pipeline.ts and bench/dispatch.ts share: the local stack in a throwaway folder, the
// tenants (companies with their own GitHub tokens, tracked repositories), the local GitHub's
// repositories cloned from ../shared/data, and readings of the stack's processes from /proc (CPU
// time of Postgres — the postmaster and all its children — and of the Deno function processes;
// their resident memory). Not a bench itself: `npm run bench` lists only bench/*.ts.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type postgres from "postgres";
import { buildRepository, loadCommits, type LocalRepository } from "../../src/local/github/dataset.ts";
import { startStack, type LocalStack } from "../../src/local/stack.ts";
import type { Commit } from "../../supabase/functions/_shared/detection/records.ts";

/** A temporary folder the `postgres` user can pass through (as test/harness/stack.ts makes them; mkdtemp makes 0700). */
/**
 * A throwaway local stack serving `repositories` from its local GitHub. The functions' and
 * executors' warnings and errors go to `log`; their info lines would drown a bench's progress.
 */
export function startBenchStack(prefix: string, repositories: LocalRepository[], log: (msg: string) => void): Promise<LocalStack> {
  return startStack({
    stateDir: tempStateDir(prefix),
    ephemeral: true,
    localGitHub: () => repositories,
    onEvent: (msg) => {
      if (!/"level":"info"/.test(msg)) log(msg);
    },
  });
}

export function tempStateDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

export const DATA_SETS = [
  { file: "github__github-mcp-server.jsonl", branch: "main" },
  { file: "terryyin__lizard.jsonl", branch: "master" },
  { file: "Aider-AI__aider.jsonl", branch: "main" },
  { file: "All-Hands-AI__OpenHands.jsonl", branch: "main" },
] as const;

const WEEK_MS = 7 * 86_400_000;

/** An ISO timestamp moved by `ms`, keeping its UTC offset (so a commit's local hour and weekday stay). */
function shiftIso(iso: string, ms: number): string {
  const m = /([+-])(\d\d):?(\d\d)$|Z$/.exec(iso);
  const offsetMin = !m || m[0] === "Z" ? 0 : (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  const local = new Date(Date.parse(iso) + ms + offsetMin * 60_000).toISOString().slice(0, 19);
  return `${local}${!m || m[0] === "Z" ? "Z" : `${m[1]}${m[2]}:${m[3]}`}`;
}

/**
 * A data set's commits moved forward by whole weeks so that the newest lands in the last week
 * before `now` (weekdays and local hours unchanged): the data sets end months before today, and a
 * full scan's default 90-day window would otherwise find no commit at all.
 */
export function commitsEndingNow(file: string, now = Date.now()): { commits: Commit[]; shiftDays: number } {
  const commits = loadCommits(file);
  const newest = Math.max(...commits.map((c) => Date.parse(c.committed_at)));
  const shift = Math.max(0, Math.floor((now - newest) / WEEK_MS)) * WEEK_MS;
  return {
    commits: commits.map((c) => ({ ...c, authored_at: shiftIso(c.authored_at, shift), committed_at: shiftIso(c.committed_at, shift) })),
    shiftDays: shift / 86_400_000,
  };
}

/**
 * `count` repositories for the local GitHub, the data sets in turn (each built once, then served
 * under `owner-of(i)/<data set name>-<i>`): copies share the commit objects, so 200 of them cost
 * little memory. `shifted` moves the histories to end now (commitsEndingNow).
 */
export function benchRepositories(count: number, ownerOf: (i: number) => string, options: { maxPullRequests: number; shifted: boolean }): LocalRepository[] {
  const bases = DATA_SETS.map((d) => {
    const name = d.file.replace(/\.jsonl$/, "").split("__")[1];
    const commits = options.shifted ? commitsEndingNow(d.file).commits : loadCommits(d.file);
    return buildRepository({ owner: "base", name, commits, defaultBranch: d.branch, maxPullRequests: options.maxPullRequests });
  });
  return Array.from({ length: count }, (_, i) => {
    const base = bases[i % bases.length];
    return { ...base, id: 500_000_000 + i, owner: ownerOf(i), name: `${base.name}-${i}` };
  });
}

export interface Tenant {
  companyId: string;
  repositoryIds: string[];
}

/**
 * One company per `companies` (settings without scan_window_days: the default window), each with its
 * own GitHub token (the local GitHub's rate limit is per token, as GitHub's), tracking the
 * repositories `companyOf` gives it. Answers the companies with their repository ids, in the
 * order of `repositories`.
 */
export async function createTenants(sql: postgres.Sql, repositories: LocalRepository[], companies: number, companyOf: (i: number) => number, label: string): Promise<{ tenants: Tenant[]; jobs: { company_id: string; repository_id: string }[] }> {
  const tenants: Tenant[] = [];
  for (let c = 0; c < companies; c++) {
    const [{ id }] = await sql<{ id: string }[]>`
      insert into public.companies (name, settings)
      values (${`${label} ${c}`}, '{"risk_threshold": 60, "auto_scan_enabled": false, "max_concurrent_scans": 2}') returning id`;
    const token = `ghp_bench${label.replace(/[^A-Za-z0-9]/g, "")}${String(c).padStart(4, "0")}`.padEnd(40, "0");
    await sql`select public.set_github_token(${id}::uuid, ${token})`;
    tenants.push({ companyId: id, repositoryIds: [] });
  }
  const jobs: { company_id: string; repository_id: string }[] = [];
  for (let i = 0; i < repositories.length; i++) {
    const r = repositories[i];
    const t = tenants[companyOf(i)];
    const [{ id }] = await sql<{ id: string }[]>`
      insert into public.repositories (company_id, full_name, default_branch)
      values (${t.companyId}, ${`${r.owner}/${r.name}`}, ${r.default_branch}) returning id`;
    t.repositoryIds.push(id);
    jobs.push({ company_id: t.companyId, repository_id: id });
  }
  return { tenants, jobs };
}

// ---- /proc readings

export const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  ppid: number;
  /** utime + stime of the process (all its threads), in ticks. */
  own: number;
  /** cutime + cstime: its children that exited and were waited for, in ticks. */
  children: number;
}

function procStat(pid: number | string): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = text.slice(text.lastIndexOf(")") + 2).split(" "); // f[0] is field 3 (state)
    return { ppid: Number(f[1]), own: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
  } catch {
    return null; // gone
  }
}

/** Every live process's parent, read once (for finding a postmaster's children). */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const s = procStat(d);
    if (s) out.set(Number(d), s.ppid);
  }
  return out;
}

/** The postmaster's pid, from postmaster.pid in its data folder. */
export function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
}

/**
 * CPU ms of a process tree rooted at `root`: its own time, its waited-for children's (cutime —
 * the backends that exited meanwhile), and its live children's. A backend live at the first
 * reading and gone at the second is counted whole in the second's cutime and in part in the
 * first's live sum, so the difference of two readings is the CPU spent between them.
 */
export function treeCpuMs(root: number): number {
  const r = procStat(root);
  if (!r) return 0;
  let ticks = r.own + r.children;
  for (const [pid, ppid] of parents()) {
    if (ppid !== root) continue;
    const s = procStat(pid);
    if (s) ticks += s.own + s.children;
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}

/** CPU ms of one process (all threads, and children it waited for). */
export function processCpuMs(pid: number): number {
  const s = procStat(pid);
  return s ? ((s.own + s.children) * 1000) / CLOCK_TICKS_PER_S : 0;
}

/** CPU ms of a process's main thread alone (where a JS runtime runs its event loop). */
export function mainThreadCpuMs(pid: number): number {
  const s = procStat(`${pid}/task/${pid}`);
  return s ? (s.own * 1000) / CLOCK_TICKS_PER_S : 0;
}

/** Resident memory in MB (VmRSS), or 0 if the process is gone. */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The Deno processes of the stack's functions, by function name. */
export function functionPids(stack: LocalStack): Map<string, number> {
  return new Map(stack.functions.status().flatMap((f) => (f.pid ? [[f.name, f.pid] as [string, number]] : [])));
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(s.length * q) - 1))];
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
