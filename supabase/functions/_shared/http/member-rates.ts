/**
 * The member API's rates (issue 24 #5): each call of enqueue-scan, cancel-scan ('write') and
 * scan-status ('read') is counted in Postgres first (member_api_admit, 47_scan_requests.sql) — the
 * functions are stateless — per member and per company, in a sliding window of a minute; past
 * either rate the call is answered 429 with Retry-After and a message that names the limit and the
 * setting that holds it. A call refused is not counted.
 */
import type { Db } from "../platform/db.ts";

export type ApiCallKind = "write" | "read";

export type Admission =
  | { access: "ok" }
  | { access: "not_member" }
  | { access: "too_many_requests"; scope: "member" | "company"; limit: number; setting: string; retry_after: number };

/** Counts the call, or says which rate refuses it. */
export async function admitMemberCall(db: Db, userId: string, kind: ApiCallKind): Promise<Admission> {
  return await db.functions.value<Admission>("member_api_admit", [["p_user_id", userId, "uuid"], ["p_kind", kind, "text"]]);
}

/** The 429 of a refused call. */
export function tooManyRequests(a: Extract<Admission, { access: "too_many_requests" }>): Response {
  const what = a.setting.includes("_writes_") ? "scan requests (enqueue-scan, cancel-scan)" : "status requests (scan-status)";
  const who = a.scope === "member" ? "each member" : "your company's members together";
  return Response.json({
    error: `too many requests: ${who} may make ${a.limit} ${what} a minute (companies.settings.${a.setting}); ` +
      `try again in ${a.retry_after} s, or ask an operator to raise it: ` +
      `update public.companies set settings = settings || '{"${a.setting}": <per minute>}' where id = '<company id>'`,
    limit: a.limit,
    setting: a.setting,
    retryAfterSeconds: a.retry_after,
  }, { status: 429, headers: { "retry-after": String(a.retry_after) } });
}
