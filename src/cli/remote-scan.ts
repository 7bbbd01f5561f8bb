// `codeguard scan owner/repo`: a scan on the pipeline, through the API (enqueue-scan, scan-status)
// with the typed client; --wait shows a progress bar until it ends, then its summary. Exit codes:
// 0 completed (or queued, without --wait), 1 failed or cancelled, 2 usage or refused.
// The client (supabase-js) and the progress bar are imported when a scan runs: `codeguard scan
// --help` and a scan of a clone on disk do without them, and start faster.
import type { ScanStatus } from "../client/codeguard-client.ts";
import { parseArgs, UsageError, usageMessage } from "./args.ts";

export const REMOTE_USAGE = `usage: codeguard scan <owner/repo> [--wait] [--json] [--type full_scan|incremental_scan] [--interval-ms N]

  <owner/repo>   a repository your company tracks (GitHub's owner/name)
  --wait         show its progress until it ends, then its summary; exit 1 when it failed
  --json         print the answer (with --wait: the final status) as JSON, for scripts
  --type T       full_scan (default) or incremental_scan
  --interval-ms  how often --wait asks for the status (default 500)

  Reads CODEGUARD_URL, CODEGUARD_PUBLISHABLE_KEY and CODEGUARD_ACCESS_TOKEN (see README, "The API").`;

/** A name of GitHub's shape: owner/name. */
export const REPOSITORY_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** What --wait prints once the scan has ended: its status, then its summary in the product's words. */
export function summaryLines(s: ScanStatus): string[] {
  const lines = [`${s.repository ?? s.repositoryId}: ${s.scanType} ${s.status}${s.completedAt && s.startedAt ? ` in ${((Date.parse(s.completedAt) - Date.parse(s.startedAt)) / 1000).toFixed(1)} s` : ""} (job ${s.jobId})`];
  const m = s.summary as Record<string, any> | null;
  if (m) {
    lines.push(`  commits scanned       ${m.commits_scanned ?? 0}, pull requests ${m.prs_scanned ?? 0}`);
    // The AI-LOC band: its floor (recorded by git-ai notes + attested by marks) up to its ceiling
    // (+ the repository rule's suspected), side by side, and beside it how much of the counted
    // lines' origin is known (the coverage). Summaries written before the recorded tier have no
    // recorded/attested split nor coverage: the line then reads as it did.
    const band = m.ai_loc_with_suspected_percentage ?? m.ai_loc_percentage ?? 0;
    const split = m.recorded_loc_percentage === undefined ? "attested" : `(recorded ${m.recorded_loc_percentage}%, attested ${m.attested_loc_percentage ?? 0}%)`;
    lines.push(`  AI LOC                ${m.ai_loc_percentage ?? 0}% of ${m.total_loc ?? 0} counted lines ${split}, ${band}% with suspected (assisted ${m.assisted_loc_percentage ?? 0}% apart)`);
    lines.push(...coverageLines(m));
    const suspected = m.suspected as { commits?: number; mean_confidence?: number | null; abstained?: string | null } | undefined;
    if (suspected) {
      lines.push(suspected.abstained
        ? `  suspected             none: ${suspected.abstained}`
        : `  suspected             ${suspected.commits ?? 0} commit(s), ${m.suspected_loc_percentage ?? 0}% of the lines${suspected.mean_confidence == null ? "" : `, mean confidence ${Math.round(100 * suspected.mean_confidence)}%`}`);
    }
    // Per agent its floor share, and where git-ai notes name them, its models' shares.
    const agents = Object.entries((m.per_agent ?? {}) as Record<string, { lines: number; share_pct: number; models?: Record<string, { share_pct: number; lines: number }> }>)
      .sort((a, b) => b[1].lines - a[1].lines).map(([agent, a]) => {
        const models = Object.entries(a.models ?? {}).sort((x, y) => y[1].lines - x[1].lines).map(([model, v]) => `${model} ${v.share_pct}%`);
        return `${agent} ${a.share_pct}%${models.length ? ` (${models.join(", ")})` : ""}`;
      });
    if (agents.length) lines.push(`  by agent              ${agents.join(", ")}`);
    lines.push(`  AI pull requests      ${m.ai_prs_detected ?? 0} (reviewed ${m.reviewed_ai_prs ?? 0}, unreviewed AI merges ${m.unreviewed_ai_merges ?? 0}, review coverage ${m.review_coverage_percentage ?? 100}%)`);
    if (m.api_requests) lines.push(`  GitHub requests       ${m.api_requests.counted ?? 0} (${m.api_requests.not_modified ?? 0} answered 304)`);
  }
  for (const w of s.warnings ?? []) lines.push(`  warning: ${w.message}`);
  if (s.error) lines.push(`  error: ${s.error}`);
  return lines;
}

/**
 * The coverage of a summary (what is known of the origin of its counted lines) and its git-ai
 * records, as lines; none for a summary written before the recorded tier.
 */
export function coverageLines(m: Record<string, any>): string[] {
  const out: string[] = [];
  const c = m.coverage as { recorded_pct: number; attested_pct: number; suspected_pct: number; unknown_pct: number } | undefined;
  if (c) out.push(`  coverage              recorded ${c.recorded_pct}%, attested ${c.attested_pct}%, suspected ${c.suspected_pct}%, unknown ${c.unknown_pct}% of the counted lines`);
  const r = m.recorded as { commits: number; commits_with_record: number; from_pull_requests: number; conflicts: number } | undefined;
  const noted = m.noted as { recorded_ai_pct: number; marks_pct: number } | undefined;
  if (r && r.commits_with_record > 0) {
    out.push(`  recorded (git-ai)     ${r.commits_with_record} commit(s) with a note (${r.from_pull_requests} from their PR's notes), ${r.commits} with AI lines: ` +
      `${noted?.recorded_ai_pct ?? 0}% of their lines AI (marks alone: ${noted?.marks_pct ?? 0}%)${r.conflicts ? `, ${r.conflicts} disagree with their marks` : ""}`);
  }
  return out;
}

export async function runRemoteScan(args: string[]): Promise<number> {
  let repository: string;
  let wait: boolean;
  let json: boolean;
  let scanType: "full_scan" | "incremental_scan" = "full_scan";
  let intervalMs = 500;
  try {
    const { positional, options } = parseArgs(args, ["type", "interval-ms"], ["wait", "json"]);
    if (positional.length !== 1 || !REPOSITORY_NAME.test(positional[0])) throw new UsageError(positional.length ? `unexpected ${positional.join(" ")}` : "give the repository, as owner/name");
    repository = positional[0];
    wait = options.has("wait");
    json = options.has("json");
    const type = options.get("type");
    if (type !== undefined) {
      if (type !== "full_scan" && type !== "incremental_scan") throw new UsageError(`--type must be full_scan or incremental_scan, got ${type}`);
      scanType = type;
    }
    if (options.has("interval-ms")) {
      intervalMs = Number(options.get("interval-ms"));
      if (!(intervalMs >= 50)) throw new UsageError(`--interval-ms must be a number ≥ 50, got ${options.get("interval-ms")}`);
    }
  } catch (e) {
    console.error(usageMessage("scan", e as Error, REMOTE_USAGE));
    return 2;
  }
  const { clientFromEnv, CodeGuardApiError } = await import("../client/codeguard-client.ts");
  const { default: cliProgress } = await import("cli-progress");
  try {
    const client = clientFromEnv();
    const queued = await client.enqueueScan({ repository, scanType });
    if (!wait) {
      if (json) console.log(JSON.stringify(queued));
      else console.log(`queued: ${queued.scanType} of ${queued.repository}, job ${queued.jobId}${queued.request === "created" ? "" : ` (${queued.request === "pending" ? "a queued scan covers it" : "the running scan goes again after it ends"})`}`);
      return 0;
    }
    // The bar goes to stderr, so that --json's stdout is the answer alone; cli-progress draws only on a terminal.
    const bar = new cliProgress.SingleBar({
      stream: process.stderr,
      format: `${repository} [{bar}] {percentage}% | {state} | {message}`,
      hideCursor: true,
      clearOnComplete: false,
      barsize: 30,
    }, cliProgress.Presets.shades_classic);
    bar.start(100, 0, { state: "queued", message: "" });
    let final: ScanStatus;
    try {
      final = await client.waitForScan(queued.jobId, {
        intervalMs,
        onStatus: (s) => bar.update(s.progress, { state: s.status, message: (s.progressMessage ?? "").slice(0, 60) }),
      });
    } finally {
      bar.stop();
    }
    if (json) console.log(JSON.stringify(final));
    else console.log(summaryLines(final).join("\n"));
    return final.status === "completed" ? 0 : 1;
  } catch (e) {
    if (e instanceof CodeGuardApiError) {
      console.error(`codeguard scan: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
