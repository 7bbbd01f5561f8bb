// pg_cron's schedule syntax, as the local scheduler runs it and `codeguard schedules` shows it:
// standard 5-field cron in UTC (pg_cron's '$' for the last day of the month is croner's 'L'), and
// 'N seconds' (1–59) for sub-minute jobs.
import { Cron } from "croner";

const SECONDS = /^\s*(\d{1,2})\s+seconds?\s*$/i;

/** The interval of an 'N seconds' schedule in seconds, or null for a cron expression. */
export function secondsSchedule(schedule: string): number | null {
  const m = SECONDS.exec(schedule);
  return m ? Number(m[1]) : null;
}

/** A croner job for a 5-field pg_cron expression (UTC), calling `fire` on each run if given. */
export function cronOf(schedule: string, fire?: () => void): Cron {
  const pattern = schedule.trim().replace(/\$/g, "L");
  return fire ? new Cron(pattern, { timezone: "UTC", mode: "5-part" }, fire) : new Cron(pattern, { timezone: "UTC", mode: "5-part" });
}

/** When a schedule runs next after `from`: for 'N seconds', N seconds after its last run (or `from`). */
export function nextRun(schedule: string, from: Date, lastRun: Date | null = null): Date | null {
  const seconds = secondsSchedule(schedule);
  if (seconds !== null) {
    const after = lastRun && lastRun.getTime() + seconds * 1000 > from.getTime() ? lastRun : from;
    return new Date(after.getTime() + seconds * 1000);
  }
  return cronOf(schedule).nextRun(from);
}
