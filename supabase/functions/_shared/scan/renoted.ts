/**
 * Commit rows whose git-ai notes appeared or changed after the rows were written (pushed late;
 * git-ai's CI rewrites a squash merge's note): attributed again from the notes their source has
 * now, to be written with the scan, so that its completion recomputes their weeks' team metrics
 * and the company's scores. The source says which notes changed (source/history.ts ChangedNotes);
 * the store says which rows hold another version of them.
 */
import type { ChangedNotes } from "../source/history.ts";
import { JobStopped } from "../queue/worker/outcomes.ts";
import { rowWithNewNote } from "./recorded.ts";
import type { CommitRow } from "./results.ts";
import type { ScanStore } from "./store.ts";

/** The rows to write again, attributed from their new notes, and what could not be used. */
export async function renotedRows(store: ScanStore, jobId: string, attempt: number, changed: ChangedNotes): Promise<{ rows: CommitRow[]; warnings: string[] }> {
  const stale = await store.rowsWithNewNotes(jobId, attempt, await changed.versions());
  if (!stale) throw new JobStopped("lease_lost", `job ${jobId} attempt ${attempt} no longer holds its claim`);
  if (stale.length === 0) return { rows: [], warnings: [] };
  const notes = await changed.read(stale.map((r) => r.sha));
  const rows: CommitRow[] = [];
  const warnings: string[] = [];
  for (const row of stale) {
    // The note's lines are capped at what the commit added to each file: a stored file whose
    // lines were not read (proven from path histories) is read from the source now.
    const files = row.files.some((f) => f.added === null && f.filtered_out === null)
      ? await changed.files(row.sha)
      : row.files.map((f) => ({ path: f.path, added: f.added, deleted: f.deleted }));
    const out = rowWithNewNote(row, files, notes.get(row.sha)!);
    warnings.push(...out.warnings);
    rows.push(out.row);
  }
  return { rows, warnings };
}
