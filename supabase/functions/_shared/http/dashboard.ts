/**
 * The members' dashboard, one function:
 *   GET  …/dashboard                        the page (dashboard/page.ts): HTML with its script and
 *                                           styles inline; no data in it, so anyone may load it;
 *   GET  …/dashboard/api/overview           the company as of a day: ?period_end=YYYY-MM-DD (today, UTC,
 *                                           by default), ?company=<id> optional (another company's: 403);
 *   GET  …/dashboard/api/repository?id=…    one repository's view (?period_end= as above);
 *   GET  …/dashboard/standalone.html        the page as a file to host elsewhere, calling this project
 *                                           (Supabase serves a function's text/html of a GET as text/plain
 *                                           on the project's default domain, so there the page is a download).
 * The JSON is for a signed-in member only, checked as the member API checks (scan-api.ts): the
 * user's session verified against the project's JWKS (401 when it does not verify: expired,
 * forged), a member of a company (403 otherwise), and only that company's rows — the member's
 * company is found from the verified user id, never taken from the request.
 *
 * One source with the weekly report: the overview's `report` is what the report of the 7 days
 * ending period_end holds — weekly_report_data (45_reports.sql) through the report's own content
 * builder (reports/content.ts) — and the rest (dashboard_company, 49_dashboard.sql) only adds what
 * the report has no place for. So a report generated for a day and the dashboard asked for that
 * day show the same figures.
 */
import type { Db } from "../platform/db.ts";
import type { SqlFunctions } from "../platform/sql-call.ts";
import { reportContent, type WeeklyReportContent } from "../reports/content.ts";
import { weeklyReportFigures } from "../reports/weekly-report.ts";
import { dashboardPage } from "../dashboard/page.ts";
import { type Caller, CallerRejected, type VerifyCaller } from "./callers.ts";

export interface DashboardDeps {
  db: Db;
  verifyCaller: VerifyCaller;
  /** The project's publishable (or legacy anon) key, which the page sends to Auth; public by design. */
  publishableKey: string | null;
  /** The project's URL (SUPABASE_URL), which the standalone page calls. */
  projectUrl: string;
  /** Today, for the default period; a parameter for tests. */
  now?: () => Date;
}

/** What dashboard_company answers beside the report. */
export interface DashboardCompanyExtras {
  repositories: {
    id: string;
    full_name: string;
    default_branch: string | null;
    merged_ai_prs: number;
    reviewed_ai_prs: number;
    last_scan: DashboardScan | null;
  }[];
  /** The history of each alert the report lists as open (matched by category, repository and title). */
  alert_history: { category: string; repository: string | null; title: string; created_at: string; reopened: number;
    history: { at: string; event: string; severity: string; title: string }[] }[];
  recent_scans: DashboardScan[];
}

export interface DashboardScan {
  scanId: string;
  repositoryId: string;
  repository: string;
  scanType: string;
  status: "queued" | "running" | "completed" | "failed" | "cancelled";
  progress: number;
  progressMessage: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  error: string | null;
}

/** The overview's JSON. */
export interface DashboardOverview {
  periodEnd: string;
  generatedAt: string;
  /** The weekly report's content for the 7 days ending periodEnd, as the report builds it. */
  report: WeeklyReportContent;
  company: DashboardCompanyExtras;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } });
const refuse = (status: number, code: string, error: string) => json(status, { error, code });

/** The part of the path after the function's name ('' for the page), wherever the platform mounts it. */
export function dashboardRoute(url: URL): string | null {
  const m = /\/dashboard(\/[^?]*)?$/.exec(url.pathname);
  if (!m) return null;
  return (m[1] ?? "").replace(/\/+$/, "");
}

/** period_end of the query, or today (UTC); a Response refusing a malformed one. */
function periodEndOf(url: URL, now: Date): string | Response {
  const asked = url.searchParams.get("period_end");
  if (asked === null || asked === "") return now.toISOString().slice(0, 10);
  const d = new Date(`${asked}T00:00:00Z`);
  if (!DAY.test(asked) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== asked) {
    return refuse(400, "bad_request", `period_end must be a day, YYYY-MM-DD (e.g. ${now.toISOString().slice(0, 10)}); got ${JSON.stringify(asked)}`);
  }
  return asked;
}

/** The member's company from the verified session, or the answer that refuses the caller. */
async function memberCompany(req: Request, deps: DashboardDeps, sql: SqlFunctions): Promise<{ userId: string; companyId: string } | Response> {
  // The member API's check (callers.ts), with one difference in the answer: no session at all
  // (nothing, or only the public key) is 401 here, as a session that did not verify (expired,
  // forged) is — the page answers both by asking to sign in; the service gets 403.
  let caller: Caller;
  try {
    caller = await deps.verifyCaller(req);
  } catch (e) {
    if (!(e instanceof CallerRejected)) throw e;
    return refuse(401, "session_refused", `your session was refused: ${e.message}`);
  }
  if (caller.kind === "anon") {
    return refuse(401, "not_signed_in", "the dashboard's figures are for a signed-in member of a company: sign in (Authorization: Bearer <access token>)");
  }
  if (caller.kind !== "member") return refuse(403, "not_a_member_session", "the dashboard is for signed-in members, not the service (which has the SQL functions)");
  const companyId = await sql.value<string | null>("member_company_id", [["p_user_id", caller.userId, "uuid"]]);
  if (!companyId) {
    return refuse(403, "not_member", "you are not a member of any company (or were removed from it): ask an owner of your company to add you (codeguard member add)");
  }
  return { userId: caller.userId, companyId };
}

export async function dashboardOverview(db: Db, companyId: string, periodEnd: string): Promise<DashboardOverview | null> {
  const sql = db.functions;
  const args = [["p_company_id", companyId, "uuid"], ["p_period_end", periodEnd, "date"]] as const;
  // The report's figures (the same read the stored report makes) and the dashboard's extras at once.
  const [data, company] = await Promise.all([
    weeklyReportFigures(sql, companyId, periodEnd),
    sql.value<DashboardCompanyExtras>("dashboard_company", [...args]),
  ]);
  if (!data) return null;
  return { periodEnd, generatedAt: new Date().toISOString(), report: reportContent(data), company };
}

async function serveJson(req: Request, url: URL, route: string, deps: DashboardDeps): Promise<Response> {
  const sql = deps.db.functions;
  const member = await memberCompany(req, deps, sql);
  if (member instanceof Response) return member;
  const periodEnd = periodEndOf(url, deps.now?.() ?? new Date());
  if (periodEnd instanceof Response) return periodEnd;

  if (route === "/api/overview") {
    const asked = url.searchParams.get("company");
    if (asked !== null && asked !== member.companyId) {
      return refuse(403, "forbidden", "this company is not yours: the dashboard shows only the company you are a member of");
    }
    const overview = await dashboardOverview(deps.db, member.companyId, periodEnd);
    if (!overview) return refuse(403, "not_member", "your company no longer exists");
    return json(200, overview);
  }
  // route === "/api/repository"
  const id = url.searchParams.get("id");
  if (!id || !UUID.test(id)) return refuse(400, "bad_request", "name the repository: ?id=<repository id>");
  const answer = await sql.value<{ access: "ok" | "not_found" | "forbidden"; repository?: Record<string, unknown> }>("dashboard_repository", [
    ["p_company_id", member.companyId, "uuid"], ["p_repository_id", id, "uuid"], ["p_period_end", periodEnd, "date"]]);
  if (answer.access === "forbidden") return refuse(403, "forbidden", "this repository belongs to another company");
  if (answer.access !== "ok") return refuse(404, "not_found", "no such repository in your company: it may have been deleted meanwhile");
  return json(200, { periodEnd, repository: answer.repository });
}

export function handleDashboard(deps: DashboardDeps): (req: Request) => Promise<Response> {
  // The page is the same for everyone: built once.
  const page = dashboardPage({ publishableKey: deps.publishableKey, projectUrl: null });
  const standalone = dashboardPage({ publishableKey: deps.publishableKey, projectUrl: deps.projectUrl.replace(/\/+$/, "") });
  return async (req: Request) => {
    const url = new URL(req.url);
    const route = dashboardRoute(url);
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response(JSON.stringify({ error: "method not allowed: GET the page or its JSON" }),
        { status: 405, headers: { allow: "GET, HEAD", "content-type": "application/json" } });
    }
    if (route === "" || route === "/index.html") {
      return new Response(page, {
        headers: {
          "content-type": "text/html; charset=utf-8",
          "cache-control": "no-store",
          // Nothing but itself and the project's own API; the session's token never goes in a Referer.
          "content-security-policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
          "referrer-policy": "no-referrer",
          "x-content-type-options": "nosniff",
        },
      });
    }
    if (route === "/standalone.html") {
      return new Response(standalone, {
        headers: {
          "content-type": "text/html; charset=utf-8",
          "content-disposition": 'attachment; filename="codeguard-dashboard.html"',
          "cache-control": "no-store",
          "x-content-type-options": "nosniff",
        },
      });
    }
    if (route !== "/api/overview" && route !== "/api/repository") {
      return refuse(404, "not_found", "no such page: the dashboard is …/dashboard, its JSON …/dashboard/api/overview and …/dashboard/api/repository?id=");
    }
    try {
      return await serveJson(req, url, route, deps);
    } catch (e) {
      // A database that does not answer is the platform's trouble, said in words; the error's text
      // goes to the log, not to the page (it can name internals).
      console.error(JSON.stringify({ level: "error", fn: "dashboard", route, message: (e as Error).message }));
      return refuse(503, "unavailable", "the dashboard could not read its figures just now (the database did not answer): try again in a moment");
    }
  };
}
