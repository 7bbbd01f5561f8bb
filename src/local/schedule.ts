// pg_cron's schedules run, as the local scheduler runs them and `codeguard schedules` shows their
// next run: standard 5-field cron in UTC through croner (pg_cron's '$' for the last day of the
// month is croner's 'L'), and 'N seconds' (1–59) for sub-minute jobs, read by the edge functions'
// cron-schedule.ts, which the health function shares.
import { Cron } from "croner";
import { secondsSchedule } from "../../supabase/functions/_shared/platform/cron-schedule.ts";

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
