/**
 * The style of a commit without its marks — message shape, trailer habits, size profile and the
 * cadence of the author's commits (suspectFeatures) — that the suspected tier's repository rule
 * (repository-evidence.ts) reads beside the repository's evidence, and the gates that keep a
 * commit out of the tier altogether (before the agent era; bots and git's reverts: styleGated).
 * The cross-repository style model these features once fed on their own lives on in the eval as a
 * baseline (eval/style-model.ts): commit style does not transfer from one AI tool to another.
 */
import type { Commit } from "./records.ts";

/** Names of the features, in vector order (index 0 is the bias). */
export const FEATURE_NAMES = [
  "bias",
  "conventional_subject",
  "conventional_capitalized",
  "imperative_capitalized",
  "subject_length",
  "subject_period",
  "has_body",
  "body_lines",
  "bullet_share",
  "backticks",
  "short_subject",
  "lowercase_plain_subject",
  "files",
  "added",
  "deleted",
  "tests_with_code",
  "burst_2min",
  "burst_15min",
  "authored_eq_committed",
  "pr_ref_subject",
  "release_or_bump",
  "signed_off",
  "human_coauthor",
  "wip_or_typo",
  "agent_era",
  "session_commits",
  "session_shaped_share",
  "automation",
] as const;

export const FEATURE_COUNT = FEATURE_NAMES.length;
const AGENT_ERA = FEATURE_NAMES.indexOf("agent_era");
const AUTOMATION = FEATURE_NAMES.indexOf("automation");
/** Features that gate the probability to 0 instead of carrying a weight. */
export const GATE_FEATURES: ReadonlySet<string> = new Set(["agent_era", "automation"]);

/**
 * What the same author did around a commit in the scan: how many of their other commits fall
 * within SESSION_SECONDS of it, and the share of those with an agent-shaped subject
 * (conventional or capitalised imperative). Agent sessions come as runs of such commits.
 */
export interface SessionContext {
  commits: number;
  shaped: number;
}

/** Start of the agent era (first public coding agents with commit access): 2024-01-01 UTC. */
const AGENT_ERA_START_MS = Date.UTC(2024, 0, 1);

/** Whether a feature vector's subject has the shape agents give it (for SessionContext.shaped). */
export function isShapedSubject(x: Float64Array): boolean {
  return x[1] === 1 || x[3] === 1;
}

const IMPERATIVES = new Set([
  "add", "fix", "update", "refactor", "remove", "implement", "improve", "use", "make", "support",
  "handle", "ensure", "replace", "move", "extract", "enable", "allow", "introduce", "create",
  "clean", "document", "rename", "simplify", "test", "prevent", "set", "show", "change", "adjust",
  "convert", "modify", "expand", "return", "skip", "include", "apply", "restore", "avoid",
]);

function isLower(ch: number): boolean {
  return ch >= 97 && ch <= 122;
}
function isUpper(ch: number): boolean {
  return ch >= 65 && ch <= 90;
}

/** A subject's shape: conventional (`type(scope)!: description`), its description and first word (lower-cased). */
function subjectShape(subject: string): { conventional: boolean; desc: string; firstWord: string } {
  let i = 0;
  while (i < subject.length && isLower(subject.charCodeAt(i))) i++;
  let conventional = false;
  let descStart = -1;
  if (i >= 2 && i <= 10) {
    let j = i;
    if (subject.charCodeAt(j) === 40 /* ( */) {
      const close = subject.indexOf(")", j);
      j = close > 0 ? close + 1 : -1;
    }
    if (j > 0 && subject.charCodeAt(j) === 33 /* ! */) j++;
    if (j > 0 && subject.charCodeAt(j) === 58 /* : */ && subject.charCodeAt(j + 1) === 32) {
      conventional = true;
      descStart = j + 2;
    }
  }
  const desc = conventional ? subject.slice(descStart) : subject;
  const firstWordEnd = desc.indexOf(" ");
  const firstWord = (firstWordEnd < 0 ? desc : desc.slice(0, firstWordEnd)).toLowerCase();
  return { conventional, desc, firstWord };
}

/** Whether a commit's subject has the shape agents give it: isShapedSubject of its features, from the subject alone. */
export function hasShapedSubject(message: string): boolean {
  const nl = message.indexOf("\n");
  const { conventional, desc, firstWord } = subjectShape((nl < 0 ? message : message.slice(0, nl)).trim());
  return conventional || (isUpper(desc.charCodeAt(0)) && IMPERATIVES.has(firstWord));
}

/**
 * Feature vector of a commit. `gapSeconds` is the time to the neighbouring commit of the same
 * author in the scan (null when unknown: a lone commit). Written as one pass over the message;
 * no regexes, it runs on every unmarked commit.
 */
export function suspectFeatures(
  commit: Commit,
  gapSeconds: number | null,
  out = new Float64Array(FEATURE_COUNT),
  session: SessionContext | null = null,
  /** Date.parse(commit.authored_at), when the caller has it */
  authoredMs: number = Date.parse(commit.authored_at),
): Float64Array {
  const msg = commit.message ?? "";
  let nl = msg.indexOf("\n");
  const subject = (nl < 0 ? msg : msg.slice(0, nl)).trim();
  const { conventional, desc, firstWord } = subjectShape(subject);
  const c0 = desc.charCodeAt(0);
  let words = 1;
  for (let k = 0; k < subject.length; k++) if (subject.charCodeAt(k) === 32) words++;

  // body
  let bodyLines = 0;
  let bullets = 0;
  let signedOff = 0;
  let humanCoauthor = 0;
  while (nl >= 0) {
    const start = nl + 1;
    nl = msg.indexOf("\n", start);
    const end = nl < 0 ? msg.length : nl;
    if (end - start < 2) continue;
    let s = start;
    while (s < end && msg.charCodeAt(s) === 32) s++;
    const ch = msg.charCodeAt(s);
    if ((ch === 45 /* - */ || ch === 42 /* * */) && msg.charCodeAt(s + 1) === 32) bullets++;
    else if (ch === 83 /* S */ && msg.startsWith("Signed-off-by:", s)) signedOff = 1;
    else if ((ch === 67 || ch === 99) && startsWithLower(msg, s, "co-authored-by:")) humanCoauthor = 1;
    bodyLines++;
  }

  let added = 0;
  let deleted = 0;
  let tests = 0;
  let code = 0;
  let linesUnknown = false;
  for (const f of commit.files) {
    added += f.added ?? 0;
    deleted += f.deleted ?? 0;
    if (f.lines_unknown) linesUnknown = true;
    if (f.path.includes("test")) tests = 1;
    else code = 1;
  }
  // Files whose lines the source did not read: the commit's totals are their sum (binary files add 0 to both).
  if (linesUnknown) {
    added = commit.additions ?? added;
    deleted = commit.deletions ?? deleted;
  }
  const lowerSubject = subject.toLowerCase();

  out[0] = 1;
  out[1] = conventional ? 1 : 0;
  out[2] = conventional && isUpper(c0) ? 1 : 0;
  out[3] = isUpper(c0) && IMPERATIVES.has(firstWord) ? 1 : 0;
  out[4] = Math.min(subject.length / 50, 2);
  out[5] = subject.endsWith(".") ? 1 : 0;
  out[6] = bodyLines > 0 ? 1 : 0;
  out[7] = Math.log1p(bodyLines);
  out[8] = bodyLines > 0 ? bullets / bodyLines : 0;
  out[9] = msg.includes("`") ? 1 : 0;
  out[10] = words <= 3 ? 1 : 0;
  out[11] = !conventional && isLower(c0) ? 1 : 0;
  out[12] = Math.log1p(commit.files.length);
  out[13] = Math.log1p(added);
  out[14] = Math.log1p(deleted);
  out[15] = tests && code ? 1 : 0;
  out[16] = gapSeconds !== null && gapSeconds <= 120 ? 1 : 0;
  out[17] = gapSeconds !== null && gapSeconds <= 900 ? 1 : 0;
  out[18] = commit.authored_at === commit.committed_at ? 1 : 0;
  out[19] = subject.endsWith(")") && subject.includes("(#") ? 1 : 0;
  out[20] = lowerSubject.startsWith("release") || lowerSubject.includes("version bump") || lowerSubject.startsWith("bump") || lowerSubject.startsWith("merge") ? 1 : 0;
  out[21] = signedOff;
  out[22] = humanCoauthor;
  out[23] = lowerSubject.includes("wip") || lowerSubject.includes("typo") || lowerSubject === "copy" || lowerSubject === "lint" ? 1 : 0;
  // inside the agent era: no coding agent wrote a 2016 commit (styleGated)
  const t = authoredMs;
  out[24] = Number.isNaN(t) || t >= AGENT_ERA_START_MS ? 1 : 0;
  out[25] = session ? Math.log1p(session.commits) : 0;
  out[26] = session && session.commits > 0 ? session.shaped / session.commits : 0;
  // written by a machine that is not an AI agent: a bot identity (dependabot, renovate, …; AI
  // agents' bots are catalog marks and never reach this tier) or git's own revert message
  out[27] = isAutomation(commit, subject, msg) ? 1 : 0;
  return out;
}

/** Whether msg at `at` starts with `lower` (lower-case ASCII), ignoring case, without a copy. */
function startsWithLower(msg: string, at: number, lower: string): boolean {
  if (at + lower.length > msg.length) return false;
  for (let k = 0; k < lower.length; k++) {
    let ch = msg.charCodeAt(at + k);
    if (ch >= 65 && ch <= 90) ch += 32;
    if (ch !== lower.charCodeAt(k)) return false;
  }
  return true;
}

function isAutomation(commit: Commit, subject: string, msg: string): boolean {
  const name = commit.author_name ?? "";
  const email = commit.author_email ?? "";
  if (name.endsWith("[bot]") || email.includes("[bot]@")) return true;
  return subject.startsWith('Revert "') && msg.includes("This reverts commit ");
}

/**
 * Whether the suspected tier leaves a commit of these features out whatever else it shows: older
 * than the agent era, or written by a machine that is not an AI agent (a bot, git's revert).
 */
export function styleGated(x: ArrayLike<number>): boolean {
  return x[AGENT_ERA] === 0 || x[AUTOMATION] === 1;
}
