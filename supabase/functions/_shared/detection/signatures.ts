/**
 * The signature catalog: every mark an AI coding agent is known to leave in git or on GitHub, as
 * data. Adding a tool means adding rows here; `compileCatalog` (matcher.ts) turns the rows into
 * hash maps once, so a new row never costs a regex per commit.
 *
 * Sources: ../shared/reference/ai-attribution.md (the column `confidence` keeps its obs / doc / 3p
 * grading) and marks seen in ../shared/data. Identities are matched by e-mail, GitHub numeric id or
 * bot login, never by display name: a human contributor is named "Devin …", AI-company staff commit
 * from @anthropic.com / @openai.com as humans, and noreply@anthropic.com is also used by other
 * tools, so that address needs the co-author name to say which agent it is. The one display-name
 * mark is aider's " (aider)" suffix, which aider itself appends to the user's name.
 */

/** What a mark says about the change. */
export type SignatureKind =
  /** the agent wrote the change */
  | "authorship"
  /** a human change that includes applied AI suggestions, or that an AI tool merely committed */
  | "assistance"
  /** the agent reviewed the change (a bot review is not a human review) */
  | "review";

/** Where a mark is looked for. */
export type SignatureWhere =
  /** exact lower-cased e-mail of the author, committer or a Co-authored-by trailer */
  | "email"
  /** GitHub numeric account id: `<id>+login@users.noreply.github.com` e-mails, Actor.id */
  | "bot_id"
  /** GitHub bot login (with `[bot]`), in noreply e-mails and Actor.login */
  | "bot_login"
  /** suffix of the author / committer display name (aider only) */
  | "name_suffix"
  /** a `Key: value` trailer line; `value` is a lower-cased prefix the value must start with */
  | "trailer"
  /** the tool name of a `Generated with [Tool](url)` footer line in a commit message or PR body */
  | "footer"
  /** lower-cased prefix of the commit subject */
  | "subject_prefix"
  /** exact lower-cased commit subject */
  | "subject"
  /** prefix of the head branch (PR head_ref, or the branch named in a merge commit subject) */
  | "branch_prefix"
  /** exact lower-cased PR label */
  | "pr_label"
  /** lower-cased substring of the PR body */
  | "pr_body";

/** Where the fact comes from: observed in real commits, vendor docs/source, third-party lists. */
export type SignatureConfidence = "obs" | "doc" | "3p";

export interface Signature {
  /** stable agent id used in results and breakdowns */
  agent: string;
  /** display name of the agent */
  name: string;
  kind: SignatureKind;
  where: SignatureWhere;
  /** the key matched: lower-cased e-mail, id as text, login, suffix, trailer key, tool name … */
  match: string;
  /**
   * email: the co-author / author display name must start with this (lower-cased) for the row to
   *   apply; rows without it are the fallback for that e-mail.
   * trailer: the trailer value must start with this (lower-cased).
   * name_suffix: `author` or `committer` — which identity carries the suffix.
   */
  qualifier?: string;
  confidence: SignatureConfidence;
  /** where the fact was learned */
  source: string;
}

const REF = "reference/ai-attribution.md";
const DATA = "observed in ../shared/data";

/** The catalog. Order does not matter; specific rows (with a qualifier) win over fallbacks. */
export const SIGNATURES: readonly Signature[] = [
  // ── Claude Code ────────────────────────────────────────────────────────────────────────────
  { agent: "claude-code", name: "Claude Code", kind: "authorship", where: "email", match: "noreply@anthropic.com", qualifier: "claude", confidence: "obs", source: `${REF}; ${DATA} (github-mcp-server, aider)` },
  { agent: "goose", name: "goose", kind: "authorship", where: "email", match: "noreply@anthropic.com", qualifier: "goose", confidence: "3p", source: `${REF} (goose also writes noreply@anthropic.com)` },
  { agent: "unattributed", name: "Unattributed AI agent", kind: "authorship", where: "email", match: "noreply@anthropic.com", confidence: "3p", source: `${REF}: the address alone does not prove Claude Code` },
  { agent: "claude-code", name: "Claude Code", kind: "authorship", where: "footer", match: "claude code", confidence: "obs", source: `${REF}; ${DATA}` },
  { agent: "claude-code", name: "Claude Code", kind: "authorship", where: "trailer", match: "claude-session", qualifier: "https://claude.ai/code", confidence: "doc", source: REF },
  { agent: "claude-code", name: "Claude Code", kind: "authorship", where: "branch_prefix", match: "claude/", confidence: "doc", source: REF },
  { agent: "claude-code", name: "Claude Code", kind: "authorship", where: "bot_id", match: "209825114", confidence: "3p", source: `${REF}: claude[bot]` },
  { agent: "claude-code", name: "Claude Code", kind: "authorship", where: "bot_login", match: "claude[bot]", confidence: "3p", source: REF },
  { agent: "claude-code", name: "Claude Code", kind: "authorship", where: "bot_login", match: "claude-code-action[bot]", confidence: "3p", source: REF },
  { agent: "claude-code", name: "Claude Code", kind: "authorship", where: "pr_body", match: "generated with [claude code]", confidence: "obs", source: REF },

  // ── GitHub Copilot ─────────────────────────────────────────────────────────────────────────
  // One login ("Copilot"), three account ids with three meanings: the id is the mark.
  { agent: "copilot-agent", name: "GitHub Copilot coding agent", kind: "authorship", where: "bot_id", match: "198982749", confidence: "obs", source: `${REF}; ${DATA} (copilot-swe-agent[bot])` },
  { agent: "copilot-agent", name: "GitHub Copilot coding agent", kind: "authorship", where: "bot_login", match: "copilot-swe-agent[bot]", confidence: "obs", source: REF },
  { agent: "copilot-agent", name: "GitHub Copilot coding agent", kind: "authorship", where: "trailer", match: "agent-logs-url", qualifier: "https://github.com/", confidence: "obs", source: `${REF}; ${DATA}` },
  { agent: "copilot-agent", name: "GitHub Copilot coding agent", kind: "authorship", where: "branch_prefix", match: "copilot/", confidence: "obs", source: REF },
  { agent: "copilot-agent", name: "GitHub Copilot coding agent", kind: "authorship", where: "pr_body", match: "<summary>original prompt</summary>", confidence: "obs", source: REF },
  { agent: "copilot-cli", name: "GitHub Copilot CLI / app", kind: "authorship", where: "bot_id", match: "223556219", confidence: "obs", source: `${REF}; ${DATA}` },
  { agent: "copilot-cli", name: "GitHub Copilot CLI / app", kind: "authorship", where: "trailer", match: "copilot-session", confidence: "obs", source: `${REF}; ${DATA}` },
  { agent: "copilot-review", name: "GitHub Copilot review / autofix", kind: "assistance", where: "bot_id", match: "175728472", confidence: "obs", source: `${REF}; ${DATA} (applied review suggestions, Autofix)` },
  { agent: "copilot-review", name: "GitHub Copilot review / autofix", kind: "assistance", where: "email", match: "copilot@github.com", confidence: "obs", source: `${REF}: VS Code git.addAICoAuthor` },
  { agent: "copilot-review", name: "GitHub Copilot code review", kind: "review", where: "bot_login", match: "copilot-pull-request-reviewer[bot]", confidence: "3p", source: REF },
  { agent: "copilot-review", name: "GitHub Copilot code review", kind: "review", where: "bot_login", match: "copilot-pull-request-reviewer", confidence: "3p", source: `${REF}: GraphQL drops [bot]` },

  // ── OpenAI Codex ───────────────────────────────────────────────────────────────────────────
  { agent: "codex", name: "OpenAI Codex", kind: "authorship", where: "email", match: "codex@openai.com", confidence: "obs", source: `${REF}; ${DATA}` },
  { agent: "codex", name: "OpenAI Codex", kind: "authorship", where: "email", match: "noreply@openai.com", confidence: "doc", source: REF },
  { agent: "codex", name: "OpenAI Codex", kind: "authorship", where: "bot_login", match: "openai-codex[bot]", confidence: "doc", source: REF },
  { agent: "codex", name: "OpenAI Codex", kind: "authorship", where: "bot_id", match: "199175422", confidence: "3p", source: `${REF}: chatgpt-codex-connector[bot]` },
  { agent: "codex", name: "OpenAI Codex", kind: "authorship", where: "bot_login", match: "chatgpt-codex-connector[bot]", confidence: "3p", source: REF },
  { agent: "codex", name: "OpenAI Codex", kind: "authorship", where: "branch_prefix", match: "codex/", confidence: "3p", source: `${REF}; ${DATA} (aider merge of a codex/ branch)` },
  { agent: "codex", name: "OpenAI Codex", kind: "authorship", where: "pr_label", match: "codex", confidence: "3p", source: REF },
  { agent: "codex", name: "OpenAI Codex", kind: "authorship", where: "pr_body", match: "(https://chatgpt.com/codex/tasks/", confidence: "3p", source: REF },

  // ── Cursor ─────────────────────────────────────────────────────────────────────────────────
  { agent: "cursor", name: "Cursor", kind: "authorship", where: "email", match: "cursoragent@cursor.com", confidence: "obs", source: `${REF}; ${DATA} (lizard)` },
  { agent: "cursor", name: "Cursor", kind: "authorship", where: "trailer", match: "made-with", qualifier: "cursor", confidence: "obs", source: `${REF}; ${DATA} (lizard)` },
  { agent: "cursor", name: "Cursor", kind: "authorship", where: "branch_prefix", match: "cursor/", confidence: "obs", source: `${REF}; ${DATA} (lizard)` },
  { agent: "cursor", name: "Cursor", kind: "assistance", where: "subject", match: "cursor: apply local changes for cloud agent", confidence: "obs", source: `${DATA} (lizard): Cursor commits the user's own local edits for a cloud agent` },
  { agent: "cursor-bugbot", name: "Cursor Bugbot", kind: "review", where: "bot_login", match: "cursor[bot]", confidence: "obs", source: REF },

  // ── Devin ──────────────────────────────────────────────────────────────────────────────────
  { agent: "devin", name: "Devin", kind: "authorship", where: "bot_id", match: "158243242", confidence: "obs", source: REF },
  { agent: "devin", name: "Devin", kind: "authorship", where: "bot_login", match: "devin-ai-integration[bot]", confidence: "obs", source: REF },
  { agent: "devin", name: "Devin", kind: "authorship", where: "branch_prefix", match: "devin/", confidence: "obs", source: REF },

  // ── Aider ──────────────────────────────────────────────────────────────────────────────────
  { agent: "aider", name: "Aider", kind: "authorship", where: "name_suffix", match: " (aider)", qualifier: "author", confidence: "obs", source: `${REF}; ${DATA}: aider wrote the change` },
  { agent: "aider", name: "Aider", kind: "assistance", where: "name_suffix", match: " (aider)", qualifier: "committer", confidence: "obs", source: `${REF}; ${DATA}: on the committer only, aider committed the user's edits` },
  { agent: "aider", name: "Aider", kind: "authorship", where: "subject_prefix", match: "aider: ", confidence: "obs", source: `${REF}; ${DATA}` },
  { agent: "aider", name: "Aider", kind: "authorship", where: "email", match: "aider@aider.chat", confidence: "obs", source: `${REF}; ${DATA}` },
  { agent: "aider", name: "Aider", kind: "authorship", where: "email", match: "noreply@aider.chat", confidence: "obs", source: `${REF}; ${DATA}` },
  { agent: "aider", name: "Aider", kind: "authorship", where: "email", match: "noreply@aider.dev", confidence: "obs", source: `${REF}; ${DATA}` },
  { agent: "aider", name: "Aider", kind: "authorship", where: "email", match: "aider@aider.dev", confidence: "doc", source: REF },

  // ── Others from the reference table ────────────────────────────────────────────────────────
  { agent: "jules", name: "Google Jules", kind: "authorship", where: "bot_id", match: "161369871", confidence: "3p", source: REF },
  { agent: "jules", name: "Google Jules", kind: "authorship", where: "bot_login", match: "google-labs-jules[bot]", confidence: "3p", source: REF },
  { agent: "gemini-code-assist", name: "Gemini Code Assist", kind: "assistance", where: "bot_id", match: "176961590", confidence: "3p", source: `${REF}: accepted suggestions appear as co-author` },
  { agent: "gemini-code-assist", name: "Gemini Code Assist", kind: "review", where: "bot_login", match: "gemini-code-assist[bot]", confidence: "3p", source: REF },
  { agent: "amazon-q", name: "Amazon Q Developer", kind: "authorship", where: "bot_login", match: "amazon-q-developer[bot]", confidence: "3p", source: REF },
  { agent: "kiro", name: "Kiro", kind: "authorship", where: "bot_login", match: "kiro-agent[bot]", confidence: "3p", source: REF },
  { agent: "kiro", name: "Kiro", kind: "authorship", where: "email", match: "noreply@kiro.dev", confidence: "3p", source: REF },
  { agent: "windsurf", name: "Windsurf Cascade", kind: "authorship", where: "email", match: "cascade@windsurf.ai", confidence: "3p", source: `${REF} (low)` },
  { agent: "openhands", name: "OpenHands", kind: "authorship", where: "email", match: "openhands@all-hands.dev", confidence: "3p", source: REF },
  { agent: "sweep", name: "Sweep", kind: "authorship", where: "bot_login", match: "sweep-ai[bot]", confidence: "3p", source: REF },
  { agent: "codegen", name: "Codegen", kind: "authorship", where: "bot_login", match: "codegen-sh[bot]", confidence: "3p", source: REF },
  { agent: "tabnine", name: "Tabnine", kind: "authorship", where: "email", match: "noreply@tabnine.com", confidence: "3p", source: `${REF} (low)` },
  { agent: "replit", name: "Replit Agent", kind: "authorship", where: "trailer", match: "replit-commit-author", qualifier: "agent", confidence: "3p", source: REF },
  { agent: "replit", name: "Replit Agent", kind: "authorship", where: "trailer", match: "replit-commit-author", qualifier: "assistant", confidence: "3p", source: REF },
  { agent: "replit", name: "Replit Agent", kind: "authorship", where: "trailer", match: "replit-commit-session-id", confidence: "3p", source: REF },
  { agent: "replit", name: "Replit Agent", kind: "authorship", where: "email", match: "agent@replit.com", confidence: "3p", source: REF },
  { agent: "amp", name: "Amp", kind: "authorship", where: "trailer", match: "amp-thread-id", qualifier: "https://ampcode.com/threads/", confidence: "3p", source: REF },
  { agent: "amp", name: "Amp", kind: "authorship", where: "email", match: "amp@ampcode.com", confidence: "3p", source: REF },
  { agent: "cline", name: "Cline", kind: "authorship", where: "bot_id", match: "205137888", confidence: "3p", source: REF },
  { agent: "cline", name: "Cline", kind: "authorship", where: "bot_login", match: "cline[bot]", confidence: "3p", source: REF },
  { agent: "factory", name: "Factory Droid", kind: "authorship", where: "email", match: "droid@factory.ai", confidence: "3p", source: REF },
  { agent: "factory", name: "Factory Droid", kind: "authorship", where: "bot_login", match: "factory-droid[bot]", confidence: "3p", source: REF },
  { agent: "opencode", name: "OpenCode", kind: "authorship", where: "email", match: "noreply@opencode.ai", confidence: "3p", source: REF },
  { agent: "opencode", name: "OpenCode", kind: "authorship", where: "footer", match: "opencode", confidence: "3p", source: REF },
  { agent: "opencode", name: "OpenCode", kind: "authorship", where: "bot_login", match: "opencode-agent[bot]", confidence: "3p", source: REF },
  { agent: "firebender", name: "Firebender", kind: "authorship", where: "footer", match: "firebender", confidence: "obs", source: REF },
  // Linux kernel rule `Assisted-by: AGENT:MODEL`; curl writes Assisted-by for humans too, so the
  // value must name a known agent.
  { agent: "claude-code", name: "Claude Code", kind: "assistance", where: "trailer", match: "assisted-by", qualifier: "claude", confidence: "doc", source: REF },
  { agent: "copilot-cli", name: "GitHub Copilot", kind: "assistance", where: "trailer", match: "assisted-by", qualifier: "copilot", confidence: "doc", source: REF },
  { agent: "codex", name: "OpenAI Codex", kind: "assistance", where: "trailer", match: "assisted-by", qualifier: "codex", confidence: "doc", source: REF },
  { agent: "cursor", name: "Cursor", kind: "assistance", where: "trailer", match: "assisted-by", qualifier: "cursor", confidence: "doc", source: REF },
  { agent: "gemini", name: "Gemini", kind: "assistance", where: "trailer", match: "assisted-by", qualifier: "gemini", confidence: "doc", source: REF },
];

/** Confidence of a verdict resting on one mark of each grade (combined as independent evidence). */
export const CONFIDENCE_OF: Readonly<Record<SignatureConfidence, number>> = { obs: 0.99, doc: 0.95, "3p": 0.85 };
