/**
 * classifyCommit and classifyPullRequest: attested, assisted, suspected or human, with the
 * evidence. Pure functions over the records of ../records.ts; no I/O, no clock. The top tier,
 * recorded (a git-ai note's line-level record), is laid over these by recorded.ts's withRecorded.
 *
 * Verdict rules:
 *  - attested: at least one authorship mark (catalog kind "authorship"). Agents = the authoring
 *    agents. Assistance marks found alongside stay in the evidence.
 *  - assisted: only assistance marks (applied review suggestions, Autofix, aider committing the
 *    user's own edits). Agents = the assisting agents. Never counted as AI LOC.
 *  - suspected: no mark, and the repository rule (repository-evidence.ts: the scan's own attested
 *    commits as evidence, decided over the whole scan by classifyCommits or CommitScorer.decide)
 *    gives it a probability of being AI-written at SUSPECTED_MIN_PROBABILITY or more. Agents = []
 *    (the evidence does not say which agent); confidence = that probability; the evidence says why.
 *    One commit alone (classifyCommit) is never suspected by it: the rule needs the repository.
 *  - human: none of the above; confidence = 1 − that probability (1 where the tier did not score it).
 * Merge commits are never suspected (their lines belong to the merged commits), but a merge of
 * an agent branch (`Merge pull request #1 from o/codex/x`) carries that branch's mark.
 */
import type { Commit, PullRequest } from "./records.ts";
import { CONFIDENCE_OF, type Signature } from "./signatures.ts";
import { type CompiledCatalog, DEFAULT_CATALOG, lookupBranch, lookupIdentity, lookupLogin } from "./matcher.ts";
import { countedAddedLines, countedAddedLinesOf } from "./loc.ts";
import { FEATURE_COUNT, styleGated, suspectFeatures } from "./suspected.ts";
import { decideRepositorySuspects, type EvidenceCommit, EvidenceLog, type EvidenceState, type RepositoryRuleReport, styleOf, type SuspectDecision } from "./repository-evidence.ts";
import { stripMarks } from "./strip.ts";
import { Hits, lineMarks } from "./marks.ts";
import { withRecorded } from "./recorded.ts";
import type { Classification, CommitClassification, RecordedLines, Verdict } from "./verdicts.ts";

export interface ClassifyOptions {
  catalog?: CompiledCatalog;
  /**
   * turn the suspected tier off (marks only). One commit alone (classifyCommit) is never suspected
   * either way: the tier decides over a repository's commits (classifyCommits, createCommitScorer).
   */
  suspected?: boolean;
}

/** Classify one commit by its marks (the suspected tier needs the repository: classifyCommits). */
export function classifyCommit(commit: Commit, options: ClassifyOptions = {}): CommitClassification {
  const c = options.catalog ?? DEFAULT_CATALOG;
  const hits = new Hits();
  const isMerge = commit.parents.length > 1;

  // Identities. The author is who wrote the change; a mark on the committer alone means the tool
  // committed somebody else's change (aider's own semantics), so it is assistance.
  const authorName = commit.author_name ?? "";
  const committerName = commit.committer_name ?? "";
  let authorSuffix = false;
  for (const row of c.nameSuffix.author) {
    if (authorName.toLowerCase().endsWith(row.match)) {
      hits.add(row, "author_name", `author "${authorName}"`);
      authorSuffix = true;
    }
  }
  if (!authorSuffix) {
    for (const row of c.nameSuffix.committer) {
      if (committerName.toLowerCase().endsWith(row.match)) hits.add(row, "committer_name", `committer "${committerName}"`);
    }
  }
  const author = lookupIdentity(c, commit.author_email, authorName);
  if (author) hits.add(author, "author_email", `author <${commit.author_email}>`);
  const committer = lookupIdentity(c, commit.committer_email, committerName);
  if (committer && committer.agent !== author?.agent) {
    const kind = committer.kind === "authorship" ? "assistance" : committer.kind;
    hits.add(committer, "committer_email", `committer <${commit.committer_email}>`, kind);
  }

  scanMessage(c, commit.message ?? "", hits, isMerge);

  const counted = isMerge ? 0 : countedLines(commit);
  return decide(hits, counted);
}

/** A non-merge commit's counted added lines; a record whose files' unknown lines leave them open is a source's error. */
function countedLines(commit: Commit): number {
  const n = countedAddedLinesOf(commit);
  if (n === null) {
    throw new Error(`commit ${commit.sha}: its files' lines are unknown where the AI-LOC filter needs them (a source must read the numstat of such a commit)`);
  }
  return n;
}

/**
 * One pass over the message lines: trailers (`Key: value`, anywhere, since squash merges keep the
 * squashed commits' trailers inside the body), `Generated with [Tool](…)` footers, the subject.
 */
function scanMessage(c: CompiledCatalog, msg: string, hits: Hits, isMerge: boolean): void {
  let start = 0;
  let first = true;
  while (start <= msg.length) {
    let end = msg.indexOf("\n", start);
    if (end < 0) end = msg.length;
    if (first) {
      subjectMarks(c, msg.slice(start, end), hits, isMerge);
      first = false;
    } else if (end - start > 3) {
      lineMarks(c, msg, start, end, hits);
    }
    start = end + 1;
  }
}

function subjectMarks(c: CompiledCatalog, subject: string, hits: Hits, isMerge: boolean): void {
  const lower = subject.trim().toLowerCase();
  for (const row of c.subjectPrefix) if (lower.startsWith(row.match)) hits.add(row, "subject", `subject "${subject.slice(0, 60)}"`);
  const exact = c.subject.get(lower);
  if (exact) hits.add(exact, "subject", `subject "${subject}"`);
  if (isMerge) {
    const branch = mergedBranch(subject);
    if (branch) {
      const row = lookupBranch(c, branch);
      if (row) hits.add(row, "branch", `merged branch ${branch}`);
    }
  }
}

/** The branch a merge commit's subject names (GitHub and git default merge messages). */
export function mergedBranch(subject: string): string | null {
  if (subject.startsWith("Merge pull request #")) {
    const from = subject.indexOf(" from ");
    if (from < 0) return null;
    const ref = subject.slice(from + 6).trim();
    const slash = ref.indexOf("/");
    return slash > 0 ? ref.slice(slash + 1) : null;
  }
  if (subject.startsWith("Merge branch '")) {
    const close = subject.indexOf("'", 14);
    return close > 14 ? subject.slice(14, close) : null;
  }
  return null;
}

function decide(hits: Hits, counted: number): CommitClassification {
  const authoring: string[] = [];
  const assisting: string[] = [];
  let missAuthor = 1;
  let missAssist = 1;
  const seen = new Set<Signature>();
  for (const h of hits.list) {
    if (h.kind === "authorship") {
      if (!authoring.includes(h.row.agent)) authoring.push(h.row.agent);
      if (!seen.has(h.row)) missAuthor *= 1 - CONFIDENCE_OF[h.row.confidence];
    } else if (h.kind === "assistance") {
      if (!assisting.includes(h.row.agent)) assisting.push(h.row.agent);
      if (!seen.has(h.row)) missAssist *= 1 - CONFIDENCE_OF[h.row.confidence];
    }
    seen.add(h.row);
  }
  const evidence = hits.list.map((h) => ({ signal: h.signal, detail: h.detail }));
  if (authoring.length > 0) {
    return { verdict: "attested", agents: authoring, confidence: round3(1 - missAuthor), evidence, ai_added_lines: counted, counted_added_lines: counted };
  }
  if (assisting.length > 0) {
    return { verdict: "assisted", agents: assisting, confidence: round3(1 - missAssist), evidence, ai_added_lines: 0, counted_added_lines: counted };
  }
  return { verdict: "human", agents: [], confidence: 1, evidence, ai_added_lines: 0, counted_added_lines: counted };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * What a commit stream's cadence remembers, as JSON, so that a scan that stops after a page and
 * goes on in another invocation scores its next commits as one uninterrupted pass would: per
 * author the time of the last commit (ms).
 */
export interface StreamState {
  last_seen: Record<string, number | null>;
  /** the repository rule's evidence of every commit met (createCommitScorer); absent in a classifier's cadence */
  evidence?: EvidenceState;
}

/**
 * Per-author cadence of a stream of commits: the gap to the previous commit of the same author
 * (it feeds the style's burst features). Order does not matter for the gap (it is absolute).
 */
class StreamContext {
  private readonly lastSeen: Map<string, number>;
  gap: number | null = null;
  /** the last commit's authored time, ms (NaN when unparseable) */
  time = Number.NaN;

  constructor(from?: StreamState) {
    // JSON has no NaN: an unparseable date is kept as null.
    this.lastSeen = new Map(Object.entries(from?.last_seen ?? {}).map(([k, t]) => [k, t ?? Number.NaN]));
  }

  snapshot(): StreamState {
    const last_seen: Record<string, number | null> = {};
    for (const [k, t] of this.lastSeen) last_seen[k] = Number.isNaN(t) ? null : t;
    return { last_seen };
  }

  next(commit: Commit): void {
    const t = Date.parse(commit.authored_at);
    const key = (commit.author_email ?? "").toLowerCase();
    const prev = this.lastSeen.get(key);
    this.lastSeen.set(key, t);
    this.time = t;
    this.gap = prev === undefined || Number.isNaN(t) ? null : Math.abs(t - prev) / 1000;
  }
}

/**
 * A classifier for a stream of commits of one repository: classifyCommit, and with `suspects`
 * (the repository rule's decisions over the same commits: suspectCommits) their suspected verdicts.
 */
export function createCommitClassifier(
  options: ClassifyOptions & { suspects?: ReadonlyMap<string, SuspectDecision> } = {},
): (commit: Commit) => CommitClassification {
  const { suspects, ...rest } = options;
  const marksOnly: ClassifyOptions = { ...rest, suspected: false };
  return (commit) => {
    const r = classifyCommit(commit, marksOnly);
    const d = suspects?.get(commit.sha);
    return d && options.suspected !== false ? decideSuspected(r, d) : r;
  };
}

/** A commit's verdict from its marks; the suspected tier decides later, over the whole scan (CommitScorer.decide). */
export interface ScoredCommit {
  classification: CommitClassification;
  /** what the repository rule reads of the commit (its row keeps it: SuspectInputs); absent with the suspected tier off */
  evidence?: EvidenceCommit;
}

/**
 * A classifier for a stream of one repository's commits that leaves the suspected tier for later:
 * each commit's verdict from its marks, while it keeps the evidence the repository rule reads of
 * each commit (author, time, parents, files, and the style of the commit with its marks stripped,
 * with the cadence of the stream so far). `decide()` runs the rule over every commit met — on
 * both sides in time of each. Its state (cadence and evidence, plain JSON) travels with a scan's
 * checkpoint, so a scan written page by page across invocations decides at completion exactly as
 * classifyCommits does in one pass.
 */
export function createCommitScorer(
  options: ClassifyOptions = {},
  from?: StreamState,
): CommitScorer {
  const ctx = new StreamContext(from);
  const log = new EvidenceLog(from?.evidence);
  const withSuspected = options.suspected !== false;
  const x = new Float64Array(FEATURE_COUNT);
  const marksOnly: ClassifyOptions = { ...options, suspected: false };
  const score = (commit: Commit): ScoredCommit => {
    // The cadence's gap feeds the style (burst_15min); the rule's sessions are its own.
    ctx.next(commit);
    const classification = classifyCommit(commit, marksOnly);
    if (!withSuspected) return { classification };
    const verdict = classification.verdict;
    // An attested commit is read as it would look had it lost its marks: the rule learns how the
    // repository's marked commits differ from its unmarked ones, not that they carry marks.
    const stripped = verdict === "attested" ? stripMarks(commit, options.catalog) : commit;
    let style: number[] | null = null;
    // A commit that adds no counted line is left out: it adds nothing to AI LOC either way, and a
    // source need not read its files (the GitHub reader leaves a marked one's files unread).
    if (commit.parents.length <= 1 && (verdict === "human" || verdict === "attested") && classification.counted_added_lines > 0) {
      suspectFeatures(stripped, ctx.gap, x, null, ctx.time);
      if (!styleGated(x)) style = styleOf(x);
    }
    const evidence: EvidenceCommit = {
      sha: commit.sha,
      parents: commit.parents,
      author: (stripped.author_email ?? "").toLowerCase(),
      time: ctx.time,
      attested: style !== null && verdict === "attested",
      candidate: style !== null && verdict === "human",
      style,
      paths: style === null ? [] : commit.files.map((f) => f.path),
    };
    log.add(evidence);
    return { classification, evidence };
  };
  return Object.assign(score, {
    state: (): StreamState => ({ ...ctx.snapshot(), evidence: log.snapshot() }),
    cadence: (): StreamState => ctx.snapshot(),
    decide: () => decideRepositorySuspects(log.commits()),
  });
}

/**
 * Scores commits in stream order; `state()` is where a later scorer (createCommitScorer(options,
 * state)) goes on; `decide()` is the suspected tier's decision over every commit scored so far
 * (those of the state it started from included).
 */
export type CommitScorer = ((commit: Commit) => ScoredCommit) & {
  state(): StreamState;
  /**
   * The cadence alone (no evidence): where a scan's next run scores on, since each commit's row
   * keeps its own evidence (ScoredCommit.evidence) and the completion decides from the rows.
   */
  cadence(): StreamState;
  decide(): { decisions: SuspectDecision[]; report: RepositoryRuleReport };
};

/**
 * A commit's final verdict under the repository rule's decision (a new object; the input is
 * kept): suspected with the rule's probability as its confidence and the evidence that led to
 * it, or human with confidence 1 − that probability.
 */
export function decideSuspected(classification: CommitClassification, decision: SuspectDecision): CommitClassification {
  const result = { ...classification, evidence: [...classification.evidence] };
  applyDecision(result, decision);
  return result;
}

/**
 * An unmarked commit's verdict and confidence under the rule's decision: suspected with its
 * probability, or human with 1 − it (what decideSuspected gives, without the evidence).
 */
export function suspectedVerdict(decision: SuspectDecision): { verdict: "suspected" | "human"; confidence: number } {
  return decision.suspected ? { verdict: "suspected", confidence: decision.probability } : { verdict: "human", confidence: round3(1 - decision.probability) };
}

/** decideSuspected on the classification itself (one the caller made and owns). */
function applyDecision(result: CommitClassification, decision: SuspectDecision): void {
  // a commit with a record is never suspected: its record says what is known
  if (result.verdict !== "human" || result.recorded) return;
  const decided = suspectedVerdict(decision);
  if (decided.verdict === "suspected") {
    result.verdict = "suspected";
    result.confidence = decided.confidence;
    result.evidence.push({
      signal: "repository_evidence",
      detail: `no mark; P(AI-written) ${decision.probability} from this repository's attested commits` + (decision.evidence.length ? `: ${decision.evidence.join("; ")}` : ""),
    });
  } else {
    result.confidence = decided.confidence;
  }
}

/**
 * One repository's commits (in order) classified, the suspected tier decided by the repository
 * rule over all of them (decideRepositorySuspects): what a scan's stored rows must be.
 */
export function classifyCommits(
  commits: readonly Commit[],
  options: ClassifyOptions = {},
): { classifications: CommitClassification[]; suspected: RepositoryRuleReport | null } {
  const score = createCommitScorer(options);
  const classifications = commits.map((c) => score(c).classification);
  if (options.suspected === false) return { classifications, suspected: null };
  const { decisions, report } = score.decide();
  const bySha = new Map(decisions.map((d) => [d.sha, d]));
  for (let i = 0; i < commits.length; i++) {
    const d = bySha.get(commits[i].sha);
    if (d) applyDecision(classifications[i], d);
  }
  return { classifications, suspected: report };
}

/**
 * The repository rule's decisions over a stream of commits read once (a file's first pass): only
 * the evidence is kept per commit, so a classifier can then stream the same commits
 * (createCommitClassifier({ suspects })).
 */
export function suspectCommits(commits: Iterable<Commit>, options: Pick<ClassifyOptions, "catalog"> = {}): { decisions: Map<string, SuspectDecision>; report: RepositoryRuleReport } {
  const score = createCommitScorer(options);
  for (const c of commits) score(c);
  const { decisions, report } = score.decide();
  return { decisions: new Map(decisions.map((d) => [d.sha, d])), report };
}

export interface PullRequestClassification extends Classification {
  /** AI-authored added lines of the PR's commits (attested commits only) */
  ai_added_lines: number;
  /** bot reviews by AI reviewers (they do not count as human review) */
  ai_reviewers: string[];
}

/**
 * Classify a pull request: its own marks (author bot, head branch, labels, body) and its
 * commits' marks. A PR is attested when the PR itself or any of its commits carries an
 * authorship mark; suspected when no mark and most of its counted lines are in suspected commits.
 * With `records` (its commits' records by sha: recorded.ts's attributeNote), a PR with a commit
 * whose record has AI lines is recorded: its AI lines are its noted commits' recorded lines plus
 * the attested lines of its other commits, and the record's agents come first.
 */
export function classifyPullRequest(pr: PullRequest, options: ClassifyOptions & { records?: ReadonlyMap<string, RecordedLines> } = {}): PullRequestClassification {
  const c = options.catalog ?? DEFAULT_CATALOG;
  const hits = new Hits();
  if (pr.author) {
    const row = (pr.author.id != null ? c.botId.get(String(pr.author.id)) : undefined) ?? lookupLogin(c, pr.author.login);
    if (row) hits.add(row, "pr_author", `PR opened by ${pr.author.login}`);
  }
  const branchRow = pr.head_ref ? lookupBranch(c, pr.head_ref) : undefined;
  if (branchRow) hits.add(branchRow, "branch", `head branch ${pr.head_ref}`);
  for (const label of pr.labels ?? []) {
    const row = c.prLabel.get(label.toLowerCase());
    if (row) hits.add(row, "pr_label", `label ${label}`);
  }
  const body = pr.body ?? "";
  if (body) {
    const lowerBody = body.toLowerCase();
    for (const row of c.prBody) if (lowerBody.includes(row.match)) hits.add(row, "pr_body", `body contains "${row.match}"`);
    // trailers and footers in the body, the same way as in a commit message
    scanMessage(c, "\n" + body, hits, false);
  }
  const aiReviewers: string[] = [];
  for (const review of pr.reviews ?? []) {
    if (!review.author) continue;
    const row = (review.author.id != null ? c.botId.get(String(review.author.id)) : undefined) ?? lookupLogin(c, review.author.login);
    if (row) {
      if (!aiReviewers.includes(row.agent)) aiReviewers.push(row.agent);
      hits.add(row, "review", `review by ${review.author.login}`, "review");
    }
  }

  const { records, ...classifyOptions } = options;
  const classify = createCommitClassifier(classifyOptions);
  let aiLines = 0;
  let counted = 0;
  let suspectedLines = 0;
  let maxSuspect = 0;
  let recordedLines = 0;
  let recordedCommits = 0;
  let countedUnrecorded = 0;
  const recordedAgents: string[] = [];
  for (const commit of pr.commits ?? []) {
    let r = classify(commit);
    const rec = records?.get(commit.sha);
    if (rec) r = withRecorded(r, rec);
    else countedUnrecorded += r.counted_added_lines;
    counted += r.counted_added_lines;
    if (r.verdict === "recorded") {
      recordedLines += r.ai_added_lines;
      recordedCommits++;
      for (const agent of r.agents) if (!recordedAgents.includes(agent)) recordedAgents.push(agent);
    } else if (r.verdict === "attested") {
      aiLines += r.ai_added_lines;
      for (const agent of r.agents) {
        const row: Signature = { agent, name: agent, kind: "authorship", where: "email", match: "", confidence: "obs", source: "commit" };
        if (!hits.has(agent, "authorship")) hits.list.push({ row, kind: "authorship", signal: "commit", detail: `commit ${commit.sha.slice(0, 12)} attested (${r.evidence[0]?.detail ?? ""})` });
      }
    } else if (r.verdict === "assisted") {
      for (const agent of r.agents) {
        const row: Signature = { agent, name: agent, kind: "assistance", where: "email", match: "", confidence: "obs", source: "commit" };
        if (!hits.has(agent, "assistance")) hits.list.push({ row, kind: "assistance", signal: "commit", detail: `commit ${commit.sha.slice(0, 12)} assisted` });
      }
    } else if (r.verdict === "suspected") {
      suspectedLines += r.counted_added_lines;
      maxSuspect = Math.max(maxSuspect, r.confidence);
    }
  }
  const decided = decide(hits, 0);
  const result: PullRequestClassification = {
    verdict: decided.verdict,
    agents: decided.agents,
    confidence: decided.confidence,
    evidence: decided.evidence,
    ai_added_lines: decided.verdict === "attested" ? (pr.commits?.length ? aiLines : countedAddedLines(pr.files ?? [])) : 0,
    ai_reviewers: aiReviewers,
  };
  // A PR whose own marks say an agent wrote it counts all its lines, even unmarked commits.
  if (decided.verdict === "attested" && hits.list.some((h) => h.kind === "authorship" && h.signal !== "commit")) {
    result.ai_added_lines = counted > 0 ? counted : countedAddedLines(pr.files ?? []);
  }
  if (recordedLines > 0) {
    // the records decide their commits' lines; the PR's own marks (which would count every line)
    // and its commits' marks decide the rest
    const ownMarks = decided.verdict === "attested" && hits.list.some((h) => h.kind === "authorship" && h.signal !== "commit");
    result.verdict = "recorded";
    result.agents = [...recordedAgents, ...(decided.verdict === "attested" ? decided.agents.filter((a) => !recordedAgents.includes(a)) : [])];
    result.confidence = 1;
    result.ai_added_lines = recordedLines + (ownMarks ? countedUnrecorded : decided.verdict === "attested" ? aiLines : 0);
    result.evidence.push({ signal: "git_ai_note", detail: `${recordedLines} AI lines recorded in the git-ai notes of ${recordedCommits} of its commits` });
    return result;
  }
  if (result.verdict === "human" && counted > 0 && suspectedLines * 2 > counted) {
    result.verdict = "suspected";
    result.confidence = maxSuspect;
    result.evidence.push({ signal: "suspected_model", detail: `${suspectedLines} of ${counted} counted lines are in suspected commits` });
  }
  return result;
}
