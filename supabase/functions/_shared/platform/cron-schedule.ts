/**
 * pg_cron's schedule syntax, read without running it: 'N seconds' (1–59) for sub-minute jobs, and
 * standard 5-field cron in UTC. The local scheduler (src/local/schedule.ts, which runs the cron
 * expressions with croner) and the health function both read schedules through this.
 */

const SECONDS = /^\s*(\d{1,2})\s+seconds?\s*$/i;

/** The interval of an 'N seconds' schedule in seconds, or null for a cron expression. */
export function secondsSchedule(schedule: string): number | null {
  const m = SECONDS.exec(schedule);
  return m ? Number(m[1]) : null;
}

/**
 * The longest a schedule may go between runs, for the schedules that run at least hourly: 'N
 * seconds', or a 5-field cron whose hour, day, month and weekday are all '*'. Null for the daily
 * and weekly ones: after a paused project (a free-tier project pauses when idle) or a stopped
 * local stack comes back, a missed daily run would show as a problem for up to a day without
 * anything being wrong now; the frequent ones show a stopped scheduler within minutes.
 */
export function schedulePeriodSeconds(schedule: string): number | null {
  const seconds = secondsSchedule(schedule);
  if (seconds !== null) return seconds;
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5 || fields.slice(1).some((f) => f !== "*")) return null;
  const minute = fields[0];
  if (minute === "*") return 60;
  const every = /^\*\/(\d+)$/.exec(minute);
  if (every) return Number(every[1]) * 60;
  return /^\d+(,\d+)*$/.test(minute) ? 3600 : null; // fixed minutes of every hour
}
