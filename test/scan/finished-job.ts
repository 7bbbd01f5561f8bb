// Waits until a scan job leaves pending/running (or the time runs out) and returns its row.
import type postgres from "postgres";

export interface FinishedJob {
  status: string;
  worker_id: string | null;
  error: string | null;
  /** The job's result jsonb (the scan's summary and watermark), as the test reads it. */
  result: { summary: { commits_scanned: number; per_agent: Record<string, { lines: number }> } };
}

export async function finishedJob(sql: postgres.Sql, id: string, ms = 60_000): Promise<FinishedJob> {
  const deadline = Date.now() + ms;
  for (;;) {
    const [row] = await sql<FinishedJob[]>`select status, worker_id, error, result from scan_queue where id = ${id}`;
    if (!["pending", "running"].includes(row.status) || Date.now() > deadline) return row;
    await new Promise((r) => setTimeout(r, 50));
  }
}
