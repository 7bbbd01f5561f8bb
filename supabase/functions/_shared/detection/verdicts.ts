/**
 * What a classification says of a commit: its tier (Verdict), its evidence, and — for a commit
 * with a git-ai record — what the record states and what the marks alone gave. Types only, shared
 * by classify.ts (which decides the marks' tiers) and recorded.ts (which lays a record over them),
 * so that neither imports the other's types back.
 */

/**
 * The tiers, strongest first: recorded (a git-ai note states the commit's AI lines: recorded.ts),
 * attested, assisted, suspected, human. Every figure keeps them apart.
 */
export type Verdict = "recorded" | "attested" | "assisted" | "suspected" | "human";

export interface Evidence {
  /** where the mark was found: author_email, co_author, trailer, footer, branch, … */
  signal: string;
  /** what was found and what it means, e.g. `Co-authored-by: Claude <noreply@anthropic.com> → claude-code authorship` */
  detail: string;
}

export interface Classification {
  verdict: Verdict;
  agents: string[];
  /** confidence in the verdict, 0..1 */
  confidence: number;
  evidence: Evidence[];
}

export interface CommitClassification extends Classification {
  /**
   * added lines that count as AI LOC (filtered, 0 for merges): a record's AI lines where the
   * commit has one (recorded.ts), else an attested commit's counted lines
   */
  ai_added_lines: number;
  /** filtered added lines of the commit (0 for merges): the AI-LOC denominator */
  counted_added_lines: number;
  /** what the commit's git-ai note (or its squash-merged PR's notes) records: withRecorded */
  recorded?: RecordedLines;
  /** with a record: the verdict, agents and AI lines the marks alone gave */
  marks_only?: MarksOnly;
  /** with a record: where the record and the marks disagree, in words; null when they agree */
  conflict?: string | null;
}

/** AI lines of one agent and model in a record. */
export interface RecordedAgentLines {
  /** catalog agent id (notes.ts toCatalogAgent): claude-code, codex, cursor, … */
  agent: string;
  /** git-ai's tool name as the note has it */
  tool: string;
  model: string | null;
  lines: number;
}

/** What a record says of one commit's counted added lines. */
export interface RecordedLines {
  /** the commit's own note, or the notes of the commits of the pull request it squash-merged */
  source: "note" | { pull_request: number };
  /** AI lines in counted files, per file at most what the commit added there */
  ai_lines: number;
  /** known humans' lines in counted files (within what the AI lines leave of each file) */
  human_lines: number;
  /** counted added lines the record does not cover: origin unknown */
  untracked_lines: number;
  /**
   * AI lines the record claims beyond what the commit added to a file, left out: a squash merge's
   * PR commits can rewrite the same lines, so their notes' sum can exceed the squash's lines
   * (a commit's own note claiming more is not used at all: attributeNote)
   */
  capped_lines: number;
  /** AI lines per agent and model, most lines first (they sum to ai_lines) */
  by_agent: RecordedAgentLines[];
  /** per counted file the record covers: its AI and human lines (they sum to ai_lines and human_lines) */
  files: { path: string; ai_lines: number; human_lines: number }[];
}

/** The verdict and AI lines the marks alone gave a commit that has a record. */
export interface MarksOnly {
  verdict: Verdict;
  agents: string[];
  ai_added_lines: number;
}
