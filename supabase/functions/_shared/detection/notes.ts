/**
 * git-ai authorship notes (Git AI Standard v3.0.0, ../shared/reference/git-ai-notes.md): the
 * line-level record of which lines of a commit an AI session wrote, which a known human typed,
 * and — by omission — which nobody recorded. parseNote reads one note's raw text.
 *
 *   <attestation section>      path line, then `  <key> <ranges>` entries (two-space indent)
 *   ---                        the divider: a line that is exactly `---`
 *   <metadata section>         one JSON object: schema_version, prompts, sessions, humans, …
 *
 * Pure and total: it never throws. A note that cannot be trusted comes back as a NoteFailure with
 * the reason and what exactly was wrong, and the caller classifies the commit by its marks.
 *
 * Speed: a large repository's notes average ~70 KB (every range of every file is listed), and a
 * scan reads thousands of them, so the attestation section is read by one charCode scan — no
 * split, no regex per line — and only the metadata section (a few hundred bytes) goes through
 * JSON.parse. Only line counts are kept per key, not the ranges: what attribution needs is how
 * many lines of each file each agent wrote (bench/detection.ts measures the MB/s).
 */

/** Why a note is not used. */
export type NoteFailureReason =
  /** no divider, metadata that is not a JSON object, an entry before any path, a bad quoted path … */
  | "unparseable"
  /** a schema_version other than authorship/3.x.y */
  | "unknown_schema_version"
  /** an attestation key that is none of `s_…::t_…`, `h_…`, 16 or 7 hex */
  | "unknown_key"
  /** a range that is not `n`, `a-b` (a ≤ b) or ascending comma lists of them, or a line 0 */
  | "bad_range"
  /** a file's recorded lines exceed what the commit added to it (checked by recorded.ts, which has the commit) */
  | "ranges_past_added_lines";

export interface NoteFailure {
  ok: false;
  reason: NoteFailureReason;
  /** what was wrong, in words, e.g. `line 3: range "12-4" ends before it starts` */
  detail: string;
}

/** The AI tool behind a session (or legacy prompt) key, in the product's agent catalog. */
export interface NoteAgent {
  /** catalog agent id (signatures.ts): a note's `claude` is `claude-code` (toCatalogAgent) */
  agent: string;
  /** git-ai's own tool name, as the note has it */
  tool: string;
  /** the model the note names, null when it names none */
  model: string | null;
}

/** One file of a note's attestation section. */
export interface NoteFile {
  /** the path as in the commit (quoted paths unquoted) */
  path: string;
  /** lines under AI keys (sessions and legacy prompts) */
  ai_lines: number;
  /** lines under known humans' `h_` keys */
  human_lines: number;
  /** AI lines per agent: index into ParsedNote.agents → lines */
  by_agent: Map<number, number>;
}

export interface ParsedNote {
  ok: true;
  schema_version: string;
  base_commit_sha: string | null;
  git_ai_version: string | null;
  files: NoteFile[];
  /** distinct (tool, model) pairs of the keys the attestation uses, in order of first use */
  agents: NoteAgent[];
  ai_lines: number;
  human_lines: number;
}

export type NoteParse = ParsedNote | NoteFailure;

/** The text a scan's warnings carry for a note it could not use. */
export function noteWarning(sha: string, failure: Pick<NoteFailure, "reason" | "detail">, instead = "classified by its marks"): string {
  return `commit ${sha.slice(0, 12)}: its git-ai note is not used (${failure.reason.replaceAll("_", " ")}: ${failure.detail}); ${instead}`;
}

/**
 * git-ai's tool names (agent_id.tool) that differ from the catalog's agent ids (signatures.ts). A tool
 * the catalog does not know keeps git-ai's own name, lower-cased, so a figure names it rather than
 * folding it into "unattributed"; `unknown` (git-ai could not tell) is the catalog's unattributed.
 * git-ai's copilot preset hooks Copilot in the editor on the developer's machine: the catalog's
 * copilot-cli ("Copilot CLI / app"), not the cloud coding agent.
 */
const TOOL_TO_AGENT: Readonly<Record<string, string>> = {
  claude: "claude-code",
  "claude-code": "claude-code",
  claude_code: "claude-code",
  copilot: "copilot-cli",
  "github-copilot": "copilot-cli",
  droid: "factory",
  "factory-droid": "factory",
  "gemini-cli": "gemini",
  "amazon-q": "amazon-q",
  q: "amazon-q",
  unknown: "unattributed",
  "": "unattributed",
};

/** A git-ai tool name as the catalog's agent id. */
export function toCatalogAgent(tool: string): string {
  const t = tool.trim().toLowerCase();
  return TOOL_TO_AGENT[t] ?? t;
}

const SPACE = 32;
const NL = 10;
const CR = 13;
const QUOTE = 34;
const DASH = 45;
const COMMA = 44;
const ZERO = 48;
const NINE = 57;

/** Major version parseNote reads: a minor or patch release only adds optional fields (semver). */
const SCHEMA_PREFIX = "authorship/3.";

/** Parse one note's raw text. Never throws. */
export function parseNote(text: string): NoteParse {
  if (typeof text !== "string") return fail("unparseable", "is not text");
  // The divider: a line that is exactly `---` (a note without attestation starts with it).
  let attEnd: number;
  let metaStart: number;
  if (text.startsWith("---\n") || text.startsWith("---\r\n")) {
    attEnd = 0;
    metaStart = 3;
  } else {
    const d = findDivider(text);
    if (d < 0) return fail("unparseable", "has no `---` line between its attestation and its metadata");
    attEnd = d;
    metaStart = d + 4;
  }

  // Metadata first: the keys of the attestation are looked up in it.
  let meta: unknown;
  try {
    meta = JSON.parse(text.slice(metaStart));
  } catch (e) {
    return fail("unparseable", `metadata is not JSON (${(e as Error).message.slice(0, 80)})`);
  }
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) return fail("unparseable", "metadata is not a JSON object");
  const m = meta as Record<string, unknown>;
  const version = m.schema_version;
  if (typeof version !== "string") return fail("unknown_schema_version", "metadata has no schema_version");
  if (!version.startsWith(SCHEMA_PREFIX)) return fail("unknown_schema_version", `schema_version "${version.slice(0, 40)}" (reads ${SCHEMA_PREFIX}x)`);
  const sessions = asRecord(m.sessions);
  const prompts = asRecord(m.prompts);
  if (sessions === undefined) return fail("unparseable", "metadata's sessions is not an object");
  if (prompts === undefined) return fail("unparseable", "metadata's prompts is not an object");

  const agents: NoteAgent[] = [];
  // metadata key → index into agents (a plain object: a note has a handful of keys)
  const agentIndex: Record<string, number> = {};

  const files: NoteFile[] = [];
  let file: NoteFile | null = null;
  let aiTotal = 0;
  let humanTotal = 0;
  let pos = 0;
  let lineNo = 0;
  let lastKey = "";
  let lastAgent = -1;
  while (pos < attEnd) {
    lineNo++;
    let end = text.indexOf("\n", pos);
    if (end < 0 || end > attEnd) end = attEnd;
    let stop = end;
    if (stop > pos && text.charCodeAt(stop - 1) === CR) stop--;
    if (stop === pos) {
      pos = end + 1;
      continue;
    }
    if (text.charCodeAt(pos) === SPACE && text.charCodeAt(pos + 1) === SPACE) {
      // An entry: `  <key> <ranges>`.
      if (file === null) return fail("unparseable", `line ${lineNo}: an entry before any file path`);
      const k = pos + 2;
      const sp = text.indexOf(" ", k);
      if (sp < 0 || sp >= stop) return fail("unparseable", `line ${lineNo}: entry "${text.slice(k, stop).slice(0, 40)}" has no ranges`);
      const lines = countRanges(text, sp + 1, stop);
      if (lines < 0) return fail("bad_range", `line ${lineNo}: ranges "${text.slice(sp + 1, stop).slice(0, 60)}" (${RANGE_ERRORS[-lines - 1]})`);
      const c0 = text.charCodeAt(k);
      const c1 = text.charCodeAt(k + 1);
      if (c1 === 95 /* _ */ && c0 === 104 /* h */) {
        file.human_lines += lines;
        humanTotal += lines;
      } else {
        let a: number;
        // The key's record part: s_<14 hex> of `s_<14 hex>::t_<14 hex>`, or the whole legacy key.
        let keyEnd = sp;
        if (c1 === 95 && c0 === 115 /* s */) {
          const sep = text.indexOf("::", k);
          if (sep > 0 && sep < sp) keyEnd = sep;
        } else if (!((sp - k === 16 || sp - k === 7) && isHex(text, k, sp))) {
          return fail("unknown_key", `line ${lineNo}: key "${text.slice(k, sp).slice(0, 40)}" is none of s_…::t_…, h_…, 16 or 7 hex`);
        }
        // Entries of one session follow each other (one per file it touched): the last key's
        // agent is compared in place, without cutting the key out and hashing it again.
        if (keyEnd - k === lastKey.length && text.startsWith(lastKey, k)) a = lastAgent;
        else {
          const recordKey = text.slice(k, keyEnd);
          // A key without a record is still an AI key (its prefix says so): its tool is unknown.
          a = agentIndex[recordKey] ?? (agentIndex[recordKey] = agentOf(agents, c0 === 115 && c1 === 95 ? sessions[recordKey] : prompts[recordKey]));
          lastKey = recordKey;
          lastAgent = a;
        }
        file.ai_lines += lines;
        aiTotal += lines;
        file.by_agent.set(a, (file.by_agent.get(a) ?? 0) + lines);
      }
    } else {
      const path = text.charCodeAt(pos) === QUOTE ? unquote(text, pos, stop) : text.slice(pos, stop);
      if (path === null) return fail("unparseable", `line ${lineNo}: bad quoted path ${text.slice(pos, stop).slice(0, 60)}`);
      file = { path, ai_lines: 0, human_lines: 0, by_agent: new Map() };
      files.push(file);
    }
    pos = end + 1;
  }

  return {
    ok: true,
    schema_version: version,
    base_commit_sha: typeof m.base_commit_sha === "string" ? m.base_commit_sha : null,
    git_ai_version: typeof m.git_ai_version === "string" ? m.git_ai_version : null,
    files,
    agents,
    ai_lines: aiTotal,
    human_lines: humanTotal,
  };
}

/**
 * The index in `agents` of a session's or prompt's (tool, model), added when new. Module level,
 * not a closure per note: a closure would be made for every note parsed.
 */
function agentOf(agents: NoteAgent[], record: unknown): number {
  const id = (record && typeof record === "object" ? (record as Record<string, unknown>).agent_id : undefined) as Record<string, unknown> | undefined;
  const tool = typeof id?.tool === "string" ? id.tool : "unknown";
  const model = typeof id?.model === "string" && id.model.length > 0 ? id.model : null;
  for (let i = 0; i < agents.length; i++) if (agents[i].tool === tool && agents[i].model === model) return i;
  return agents.push({ agent: toCatalogAgent(tool), tool, model }) - 1;
}

function fail(reason: NoteFailureReason, detail: string): NoteFailure {
  return { ok: false, reason, detail };
}

/** An optional metadata map: absent is empty, a non-object is undefined (an error). */
function asRecord(v: unknown): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) return undefined;
  return v as Record<string, unknown>;
}

/** Index of the `\n` that starts the divider line `---` (followed by a newline), or -1. */
function findDivider(text: string): number {
  let from = 0;
  for (;;) {
    const i = text.indexOf("\n---", from);
    if (i < 0) return -1;
    const after = text.charCodeAt(i + 4);
    if (after === NL || (after === CR && text.charCodeAt(i + 5) === NL)) return i;
    from = i + 4;
  }
}

function isHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= ZERO && c <= NINE) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

const RANGE_ERRORS = [
  "not digits, `-` and `,`",
  "a line number 0",
  "a range that ends before it starts",
  "not ascending",
  "empty",
] as const;

/**
 * Lines covered by `1,2,19-222,300` between from and to; a negative code on a malformed list
 * (−1 − index into RANGE_ERRORS). Ranges must be ascending and not overlap (the standard's form),
 * so the count is exact.
 */
function countRanges(s: string, from: number, to: number): number {
  if (from >= to) return -5;
  let total = 0;
  let prevEnd = 0;
  let i = from;
  while (i < to) {
    let a = 0;
    const startA = i;
    for (let c = s.charCodeAt(i); c >= ZERO && c <= NINE; c = s.charCodeAt(++i)) a = a * 10 + (c - ZERO);
    if (i === startA || i - startA > 9) return -1;
    let b = a;
    if (i < to && s.charCodeAt(i) === DASH) {
      i++;
      b = 0;
      const startB = i;
      for (let c = s.charCodeAt(i); c >= ZERO && c <= NINE; c = s.charCodeAt(++i)) b = b * 10 + (c - ZERO);
      if (i === startB || i - startB > 9) return -1;
    }
    if (a === 0) return -2;
    if (b < a) return -3;
    if (a <= prevEnd) return -4;
    prevEnd = b;
    total += b - a + 1;
    if (i < to) {
      if (s.charCodeAt(i) !== COMMA || i + 1 === to) return -1;
      i++;
    }
  }
  return total;
}

/**
 * A double-quoted path as git writes one (C-style escapes: \" \\ \t \n \r and octal \ooo for the
 * bytes of non-ASCII UTF-8); null when it is not closed or has an unknown escape.
 */
function unquote(s: string, from: number, to: number): string | null {
  if (to - from < 2 || s.charCodeAt(to - 1) !== QUOTE) return null;
  const bytes: number[] = [];
  for (let i = from + 1; i < to - 1; i++) {
    const c = s.charCodeAt(i);
    if (c !== 92 /* \ */) {
      if (c < 128) bytes.push(c);
      else {
        const ch = String.fromCodePoint(s.codePointAt(i)!);
        for (const b of new TextEncoder().encode(ch)) bytes.push(b);
        i += ch.length - 1;
      }
      continue;
    }
    const e = s[++i];
    if (e === undefined || i >= to - 1) return null;
    if (e >= "0" && e <= "7") {
      const oct = s.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) return null;
      bytes.push(parseInt(oct, 8));
      i += 2;
    } else {
      const map: Record<string, number> = { '"': 34, "\\": 92, t: 9, n: 10, r: 13, a: 7, b: 8, f: 12, v: 11 };
      const b = map[e];
      if (b === undefined) return null;
      bytes.push(b);
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
