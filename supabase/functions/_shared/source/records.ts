/**
 * The line-level records a source brings beside the commits and pull requests of detection
 * (detection/records.ts): git-ai notes (refs/notes/ai, Git AI Standard v3.0.0), which any git host
 * or clone can carry. The source reads them; detection parses and attributes them
 * (scan/recorded.ts); neither side needs to know the other's transport.
 */

/** A noted commit's note as read: its text and version (the note blob's sha), or what went wrong. */
export type NoteRead = { blob: string; text: string } | { blob: string; problem: string };

/** A note of one of a pull request's own commits. */
export interface CommitNote {
  sha: string;
  read: NoteRead;
}

/**
 * The notes of one scanned commit: its own, and for a squash merge its PR's commits' notes (both
 * when it has both: git-ai's CI rewrites a note onto the squash commit, which may not fit it, and
 * the PR's notes are the fallback: detection/recorded.ts attributeCommit).
 */
export interface CommitNotes {
  own: NoteRead | null;
  pullRequest: { number: number; notes: CommitNote[] } | null;
}
