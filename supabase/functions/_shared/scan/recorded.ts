/**
 * A scanned commit's git-ai record laid over what its marks said: the notes its source's page
 * brought (source/records.ts CommitNotes: the commit's own, a squash merge's PR's commits'), parsed
 * and attributed by detection (detection/notes.ts, recorded.ts), and the notes' blob shas the row
 * keeps (so a later scan knows which notes it has already read: a note rewritten later has another
 * blob). A note the source could not serve or detection could not use leaves the commit to its marks
 * and says so in the scan's warnings. Pure.
 */
import type { ScoredCommit } from "../detection/classify.ts";
import { type NoteParse, parseNote } from "../detection/notes.ts";
import { attributeCommit, attributeNote, withRecorded } from "../detection/recorded.ts";
import type { Commit, FileChange, PullRequest } from "../detection/records.ts";
import type { CommitNote, CommitNotes, NoteRead } from "../source/records.ts";
import type { CommitRow } from "./results.ts";
import type { CommitClassification, RecordedLines } from "../detection/verdicts.ts";

export interface RecordedOutcome {
  scored: ScoredCommit;
  /** The blob shas of the notes read for the commit (its own first), or null when it had none. */
  noteBlobs: string[] | null;
  warnings: string[];
}

function unread(sha: string, read: NoteRead, whose: string): string | null {
  return "problem" in read ? `commit ${sha.slice(0, 12)}: ${whose} git-ai note ${read.problem}; classified by its marks` : null;
}

/** The commit's scored classification with its record, when its notes give one. */
export function withNotes(commit: Commit, scored: ScoredCommit, notes: CommitNotes | undefined): RecordedOutcome {
  if (!notes) return { scored, noteBlobs: null, warnings: [] };
  const warnings: string[] = [];
  let own: NoteParse | undefined;
  if (notes.own) {
    const problem = unread(commit.sha, notes.own, "its");
    if (problem) warnings.push(problem);
    else own = parseNote((notes.own as { text: string }).text);
  }
  let squash: { number: number; notes: { sha: string; note: NoteParse }[] } | null = null;
  if (notes.pullRequest) {
    const usable: { sha: string; note: NoteParse }[] = [];
    for (const n of notes.pullRequest.notes) {
      const problem = unread(n.sha, n.read, `PR #${notes.pullRequest.number}'s commit's`);
      if (problem) warnings.push(problem);
      else usable.push({ sha: n.sha, note: parseNote((n.read as { text: string }).text) });
    }
    squash = { number: notes.pullRequest.number, notes: usable };
  }
  const attribution = attributeCommit(commit, own, squash);
  warnings.push(...attribution.warnings);
  const noteBlobs = [...(notes.own ? [notes.own.blob] : []), ...(notes.pullRequest?.notes.map((n) => n.read.blob) ?? [])];
  if (!attribution.recorded) return { scored, noteBlobs, warnings };
  const classification: CommitClassification = withRecorded(scored.classification, attribution.recorded);
  return { scored: { ...scored, classification }, noteBlobs, warnings };
}

/**
 * A stored commit row with the commit's new note (pushed late, or rewritten): the row's marks —
 * `marks_only` where it had a record, else its own verdict — with the new record laid over them,
 * or the marks alone when the new note gives none. `files` are the commit's files with their lines
 * (the stored file rows', or REST's where a stored file's lines were not read). The row's other
 * evidence (suspect inputs, identities, dates) stays as stored.
 */
export function rowWithNewNote(row: CommitRow, files: FileChange[], own: NoteRead): { row: CommitRow; warnings: string[] } {
  const marks = row.marks_only;
  const base: CommitClassification = {
    verdict: marks ? marks.verdict : row.verdict,
    agents: marks ? marks.agents : row.agents,
    confidence: row.confidence,
    evidence: [],
    ai_added_lines: marks ? marks.ai_added_lines : row.ai_lines,
    counted_added_lines: row.counted_lines,
  };
  const commit: Commit = {
    sha: row.sha,
    parents: row.is_merge ? ["", ""] : [""],
    author_name: row.author_name,
    author_email: row.author_email,
    committer_name: row.author_name,
    committer_email: row.author_email,
    authored_at: row.authored_at,
    committed_at: row.committed_at,
    message: "",
    files,
  };
  const out = withNotes(commit, { classification: base }, { own, pullRequest: null });
  const c = out.scored.classification;
  return {
    row: {
      ...row,
      verdict: c.verdict,
      agents: c.agents,
      confidence: c.confidence,
      ai_lines: c.ai_added_lines,
      recorded: c.recorded ?? null,
      marks_only: c.marks_only ?? null,
      note_conflict: c.conflict ?? null,
      note_blobs: out.noteBlobs,
    },
    warnings: out.warnings,
  };
}

/**
 * A pull request's commits' records (its commits' own notes: detection/recorded.ts attributeNote),
 * by commit sha, for classifyPullRequest: a PR whose commits' notes record AI lines is `recorded`.
 * A PR commit's note that cannot be used is left out (its squash merge's page says why).
 */
export function pullRequestRecords(pr: PullRequest, notes: CommitNote[] | undefined): Map<string, RecordedLines> {
  const records = new Map<string, RecordedLines>();
  if (!notes) return records;
  const bySha = new Map(pr.commits.map((c) => [c.sha, c]));
  for (const n of notes) {
    const commit = bySha.get(n.sha);
    if (!commit || "problem" in n.read) continue;
    const { recorded } = attributeNote(commit, parseNote(n.read.text));
    if (recorded) records.set(n.sha, recorded);
  }
  return records;
}
