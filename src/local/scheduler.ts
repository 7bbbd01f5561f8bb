// Executes the cron.job table of the local pg_cron face the way pg_cron's background worker
// does: each active job on its schedule (UTC), one run at a time per job, every run recorded in
// cron.job_run_details. Changes to cron.job arrive by NOTIFY, so a new schedule is live within
// milliseconds of its commit.
import postgres from "postgres";
import { secondsSchedule } from "../../supabase/functions/_shared/platform/cron-schedule.ts";
import { cronOf } from "./schedule.ts";

interface JobRow {
  jobid: string;
  schedule: string;
  command: string;
  database: string;
  username: string;
}

interface Timer {
  key: string;
  stop(): void;
}


export interface SchedulerOptions {
  /** URL of the database holding cron.job (the stack's main database). */
  url: string;
  onEvent?: (msg: string) => void;
}

export class LocalScheduler {
  private readonly sql: postgres.Sql;
  private readonly pools = new Map<string, postgres.Sql>();
  private readonly timers = new Map<string, Timer>();
  private readonly running = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  private listener?: postgres.ListenMeta;
  private stopped = false;
  private reloading: Promise<void> = Promise.resolve();

  constructor(private readonly options: SchedulerOptions) {
    this.sql = postgres(options.url, { max: 2, onnotice: () => {} });
  }

  async start(): Promise<void> {
    this.listener = await this.sql.listen("codeguard_cron_changed", () => void this.reload());
    await this.reload();
  }

  /** Reloads one at a time, in order, so a burst of changes cannot interleave two diffs. */
  private reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.applyTimetable()).catch((e) => {
      if (!this.stopped) this.options.onEvent?.(`cron: could not reload cron.job: ${(e as Error).message}`);
    });
    return this.reloading;
  }

  /** Number of jobs on the timetable. */
  get jobCount(): number {
    return this.timers.size;
  }

  private async applyTimetable(): Promise<void> {
    if (this.stopped) return;
    const jobs = await this.sql<JobRow[]>`select jobid::text, schedule, command, database, username from cron.job where active`;
    if (this.stopped) return; // stop() ran while we read: arming now would leak timers
    const wanted = new Map(jobs.map((j) => [j.jobid, j]));
    for (const [id, timer] of this.timers) {
      const j = wanted.get(id);
      if (!j || timer.key !== `${j.schedule}\u0000${j.command}\u0000${j.database}\u0000${j.username}`) {
        timer.stop();
        this.timers.delete(id);
      }
    }
    for (const j of jobs) if (!this.timers.has(j.jobid)) this.arm(j);
  }

  private arm(job: JobRow): void {
    const key = `${job.schedule}\u0000${job.command}\u0000${job.database}\u0000${job.username}`;
    const fire = () => this.fire(job);
    const seconds = secondsSchedule(job.schedule);
    if (seconds !== null) {
      const handle = setInterval(fire, seconds * 1000);
      this.timers.set(job.jobid, { key, stop: () => clearInterval(handle) });
      return;
    }
    try {
      const cron = cronOf(job.schedule, fire);
      this.timers.set(job.jobid, { key, stop: () => cron.stop() });
    } catch (e) {
      this.options.onEvent?.(`cron job ${job.jobid}: schedule "${job.schedule}" cannot run here: ${(e as Error).message}`);
      this.timers.set(job.jobid, { key, stop: () => {} });
    }
  }

  private pool(database: string): postgres.Sql {
    let p = this.pools.get(database);
    if (!p) {
      const u = new URL(this.options.url);
      u.pathname = `/${database}`;
      p = postgres(u.toString(), { max: 4, onnotice: () => {} });
      this.pools.set(database, p);
    }
    return p;
  }

  private fire(job: JobRow): void {
    if (this.stopped || this.running.has(job.jobid)) return; // pg_cron never overlaps runs of one job
    this.running.add(job.jobid);
    const p = this.execute(job).finally(() => {
      this.running.delete(job.jobid);
      this.inflight.delete(p);
    });
    this.inflight.add(p);
  }

  private async execute(job: JobRow): Promise<void> {
    let runid: string | undefined;
    try {
      [{ runid }] = await this.sql<{ runid: string }[]>`
        insert into cron.job_run_details (jobid, database, username, command, status, start_time)
        values (${job.jobid}, ${job.database}, ${job.username}, ${job.command}, 'running', clock_timestamp())
        returning runid::text`;
      const db = this.pool(job.database);
      const { pid, tag } = await db.begin(async (tx) => {
        const [{ pid }] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
        await tx.unsafe(`set local role ${quoteIdent(job.username)}`);
        // postgres.js answers a result (rows carrying .command/.count), or one per statement of a
        // multi-statement command; pg_cron reports the last statement's tag, e.g. "INSERT 0 1".
        type Outcome = { command?: string; count?: number };
        const result = (await tx.unsafe(job.command)) as unknown as Outcome & Outcome[];
        const r: Outcome = Array.isArray(result[0]) ? result[result.length - 1] : result;
        const tag = r.command ? (r.command === "INSERT" ? `INSERT 0 ${r.count ?? 0}` : `${r.command} ${r.count ?? 0}`) : "";
        return { pid, tag };
      });
      await this.sql`update cron.job_run_details set status = 'succeeded', job_pid = ${pid}, return_message = ${tag}, end_time = clock_timestamp() where runid = ${runid}`;
    } catch (e) {
      const message = (e as Error).message;
      if (runid) {
        await this.sql`update cron.job_run_details set status = 'failed', return_message = ${message}, end_time = clock_timestamp() where runid = ${runid}`.catch(() => {});
      }
      if (!this.stopped) this.options.onEvent?.(`cron job ${job.jobid} failed: ${message}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.listener?.unlisten().catch(() => {});
    await this.reloading;
    for (const t of this.timers.values()) t.stop();
    this.timers.clear();
    await Promise.allSettled([...this.inflight]);
    await Promise.all([...this.pools.values()].map((p) => p.end({ timeout: 2 })));
    await this.sql.end({ timeout: 2 });
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
