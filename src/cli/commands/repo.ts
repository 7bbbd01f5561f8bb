// `codeguard repo add owner/name`: a repository the company watches, and its first full scan.
import { JobQueue } from "../../../supabase/functions/_shared/queue/mod.ts";
import { action, companyOption, Refused, UsageError } from "../args.ts";
import { runDbCommand } from "../db-command.ts";
import { checkRepositoryOnGitHub } from "../../onboarding/github-check.ts";
import { REPOSITORY_NAME } from "../remote-scan.ts";

export const summary = "repo add owner/name [--branch B] [--window-days N] [--no-scan]: watch a repository and start its first full scan";

export const USAGE = `usage: codeguard repo add owner/name [--company ID|NAME] [--branch main] [--window-days N] [--no-scan] [--db-url URL]
  --company defaults to $CODEGUARD_COMPANY; the first full scan is enqueued unless --no-scan
  --window-days sets the company's scan window (settings.scan_window_days, default 90): how far back
  a full scan reads commits, and the window its scores and reports read`;

export async function run(args: string[]): Promise<number> {
  const [verb, rest] = action(args);
  if (verb !== "add") {
    console.error(verb ? `codeguard repo: unknown action ${verb}\n${USAGE}` : USAGE);
    return 2;
  }
  return await runDbCommand({ name: "repo add", usage: USAGE, valued: ["company", "branch", "window-days"], flags: ["no-scan"] }, rest, async (parsed, api, db) => {
    if (parsed.positional.length !== 1) throw new UsageError("give one repository, as owner/name");
    const companyId = await api.resolveCompany(companyOption(parsed));
    const branch = parsed.options.get("branch") as string | undefined;
    const windowDays = parsed.options.get("window-days") as string | undefined;
    if (windowDays !== undefined && !/^\d+$/.test(windowDays)) throw new UsageError(`--window-days must be a whole number of days, got ${JSON.stringify(windowDays)}`);
    // With the company's token stored, GitHub is asked first: a repository it does not have (for
    // that token) is refused here, not left for its first scan to fail on.
    const [{ token }] = await db.query<{ token: string | null }>("select public.github_token($1::uuid) as token", [companyId]);
    if (token && REPOSITORY_NAME.test(parsed.positional[0])) {
      const check = await checkRepositoryOnGitHub(parsed.positional[0], token);
      if (check.kind === "not_found") {
        throw new Refused(`GitHub has no repository ${parsed.positional[0]} that the company's token can see (404 from ${check.url}): ` +
          "check the owner and the name, or give the token read access to it (a fine-grained token lists its repositories); nothing was added");
      }
      if (check.kind === "unchecked") console.error(`note: could not check ${parsed.positional[0]} on GitHub: ${check.why}; added anyway, its first scan will say what GitHub answers`);
    }
    const repo = await api.addRepository(companyId, parsed.positional[0], branch);
    console.log(`${repo.created ? "added" : "already watched (active)"}: ${parsed.positional[0]} (${repo.repository_id})`);
    if (windowDays !== undefined) {
      // The window is the company's: its scans, scores and reports read the same days.
      const before = await api.setScanWindow(companyId, Number(windowDays));
      console.log(`the company's scan window: ${before ?? "90 (the default)"} → ${Number(windowDays)} days`);
    }
    if (parsed.options.has("no-scan")) return;
    // The product's onboarding scan: a full scan at high priority; a scan of it already queued or
    // running is that job (enqueue_scan's dedupe), so running the command twice queues one.
    const job = await new JobQueue(db).enqueue({ companyId, repositoryId: repo.repository_id, scanType: "full_scan", priority: 1 });
    console.log(`full scan ${job.status === "pending" ? "queued" : job.status}: job ${job.id} (progress: the scans table; the dispatch wakes scan-repository)`);
  });
}
