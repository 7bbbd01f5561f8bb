/**
 * The API a signed-in member calls (the dashboard's "Run scan", `codeguard scan owner/repo`):
 *   enqueue-scan  POST {"repository": "owner/name"} or {"repository_id": "…"}, optionally
 *                 "scan_type" (full_scan, the default; incremental_scan; pr_analysis with "pr_number")
 *                 → 202 {jobId, status: 'queued', …};
 *   scan-status   GET ?jobId=… or POST {"jobId": "…"} → 200 with the job's status, progress,
 *                 events, its scan's summary and error;
 *   cancel-scan   POST {"jobId": "…"} → 202 {jobId, status: 'cancelled' | 'cancelling'}, 409 once finished.
 * The id is the queue job's (README, Glossary): one job may make several scans rows over its runs,
 * and a job exists before its first scan. It was called `scanId`; `scanId` is still read and answered
 * (the same value) for one release, so clients of the last one keep working.
 * Each verifies the user's session against the project's JWKS (supabase-callers.ts) and serves only
 * members of the company the repository or scan belongs to: 404 for what does not exist, 403 for
 * another company's (and for a user who is no company's member); the public key and the service
 * get 403 (a service has the SQL functions). Each member and each company has a rate of calls a
 * minute (member-rates.ts): 429 with Retry-After past it.
 */
import type { Db } from "../platform/db.ts";
import { MemberRequests, type Access } from "./member-requests.ts";
import { callerOr, type VerifyCaller } from "./callers.ts";
import { admitMemberCall, type ApiCallKind, tooManyRequests } from "./member-rates.ts";
import { readJsonObject } from "./request-body.ts";

export interface ScanApiDeps {
  db: Db;
  verifyCaller: VerifyCaller;
}

/** Their bodies are a few dozen bytes. */
export const MAX_API_BODY_BYTES = 16 * 1024;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// GitHub's bounds: an owner of at most 39 characters, a repository name of at most 100.
const FULL_NAME = /^[A-Za-z0-9_.-]{1,39}\/[A-Za-z0-9_.-]{1,100}$/;
const SCAN_TYPES = ["full_scan", "incremental_scan", "pr_analysis"];

const error = (status: number, message: string, extra: Record<string, unknown> = {}) =>
  Response.json({ error: message, ...extra }, { status });

/** The answer for an access other than ok. */
function refusal(access: Access, what: string): Response {
  switch (access) {
    case "not_member":
      return error(403, "you are not a member of any company: ask an owner of your company to add you (public.add_company_member)");
    case "forbidden":
      return error(403, `this ${what} belongs to another company`);
    case "inactive":
      return error(409, `this ${what} is deactivated: reactivate it (or re-add it to the GitHub App installation) to scan it`);
    default:
      return error(404, `no such ${what} in your company`);
  }
}

/**
 * The signed-in member calling, or the answer that refuses the caller: their credentials (401/403),
 * or the member's or their company's rate of `kind` calls (429, counted in Postgres: member-rates.ts).
 */
async function memberOr(req: Request, deps: ScanApiDeps, fn: string, kind: ApiCallKind): Promise<string | Response> {
  const caller = await callerOr(req, deps.verifyCaller, (c) => c.kind === "member",
    `${fn} is for a signed-in member of a company: send the user's session token (Authorization: Bearer <access token>) with the project's publishable key`);
  if (caller instanceof Response) return caller;
  if (caller.kind !== "member") return error(403, `${fn} is for signed-in members`);
  const admission = await admitMemberCall(deps.db, caller.userId, kind);
  if (admission.access === "too_many_requests") return tooManyRequests(admission);
  return caller.userId;
}

export async function handleEnqueueScan(req: Request, deps: ScanApiDeps): Promise<Response> {
  if (req.method !== "POST") return Response.json({ error: "method not allowed: POST a repository" }, { status: 405, headers: { allow: "POST" } });
  const userId = await memberOr(req, deps, "enqueue-scan", "write");
  if (userId instanceof Response) return userId;
  const body = await readJsonObject(req, { maxBytes: MAX_API_BODY_BYTES, example: `{"repository": "owner/name"}` });
  if (body instanceof Response) return body;
  const { repository, repository_id: repositoryId, scan_type: scanType = "full_scan", pr_number: prNumber } = body;
  if ((repository === undefined) === (repositoryId === undefined)) {
    return error(400, `name the repository once: {"repository": "owner/name"} or {"repository_id": "<uuid>"}`);
  }
  if (repository !== undefined && (typeof repository !== "string" || !FULL_NAME.test(repository))) {
    return error(400, "repository must be GitHub's owner/name, e.g. octo-org/octo-repo");
  }
  if (repositoryId !== undefined && (typeof repositoryId !== "string" || !UUID.test(repositoryId))) {
    return error(400, "repository_id must be a repository's id (a uuid)");
  }
  if (typeof scanType !== "string" || !SCAN_TYPES.includes(scanType)) {
    return error(400, `scan_type must be one of ${SCAN_TYPES.join(", ")}`);
  }
  if ((scanType === "pr_analysis") !== (prNumber !== undefined)) {
    return error(400, scanType === "pr_analysis" ? "pr_analysis needs pr_number (the pull request's number)" : "pr_number goes with scan_type pr_analysis");
  }
  if (prNumber !== undefined && !(typeof prNumber === "number" && Number.isInteger(prNumber) && prNumber > 0 && prNumber < 2 ** 31)) {
    return error(400, "pr_number must be a pull request's number (a positive integer)");
  }
  const answer = await new MemberRequests(deps.db).requestScan({
    userId,
    repositoryId: repositoryId as string | undefined,
    fullName: repository as string | undefined,
    scanType,
    payload: prNumber !== undefined ? { pr_number: prNumber } : undefined,
  });
  if (answer.access === "too_many") {
    return Response.json({
      error: `your company has ${answer.pending} scans waiting, as many as it may (companies.settings.max_pending_jobs = ${answer.max_pending_jobs}): ask again once they have started`,
    }, { status: 429, headers: { "retry-after": "60" } });
  }
  if (answer.access !== "ok" || !answer.job) return refusal(answer.access, "repository");
  const job = answer.job;
  return Response.json({
    jobId: job.job_id,
    status: "queued",
    scanType: job.scan_type,
    repository: job.repository,
    repositoryId: job.repository_id,
    // created: a new scan; pending: the scan already queued covers this request; follow_up: the
    // scan running now is scanned again when it ends (scan-status' followedBy names that one).
    request: job.result,
    scanId: job.job_id, // the old name, for one release
  }, { status: 202 });
}

/** The job's id under its name and its old one (`scanId`, answered for one release), last. */
function withJobId<T extends object>(jobId: string, answer: T): { jobId: string } & T & { scanId: string } {
  return { jobId, ...answer, scanId: jobId };
}

/**
 * The job id of a GET's query or a POST's body — `jobId`, or the old name `scanId` — or the answer
 * that refuses it (both given and different: which one was meant is unknown).
 */
async function jobIdOf(req: Request): Promise<string | Response> {
  const query = new URL(req.url).searchParams;
  let named: Record<string, unknown> = { jobId: query.get("jobId") ?? undefined, scanId: query.get("scanId") ?? undefined };
  if (named.jobId === undefined && named.scanId === undefined && req.method === "POST") {
    const body = await readJsonObject(req, { maxBytes: MAX_API_BODY_BYTES, example: `{"jobId": "<uuid>"}` });
    if (body instanceof Response) return body;
    named = body;
  }
  const { jobId, scanId } = named;
  if (jobId !== undefined && scanId !== undefined && jobId !== scanId) {
    return error(400, "jobId and scanId (its old name) name different jobs: send jobId alone");
  }
  const id = jobId ?? scanId;
  if (typeof id !== "string" || !UUID.test(id)) return error(400, `name the job: {"jobId": "<uuid>"} (the jobId enqueue-scan answered)`);
  return id;
}

export async function handleScanStatus(req: Request, deps: ScanApiDeps): Promise<Response> {
  if (req.method !== "GET" && req.method !== "POST") {
    return Response.json({ error: "method not allowed: GET ?jobId= or POST {jobId}" }, { status: 405, headers: { allow: "GET, POST" } });
  }
  const userId = await memberOr(req, deps, "scan-status", "read");
  if (userId instanceof Response) return userId;
  const jobId = await jobIdOf(req);
  if (jobId instanceof Response) return jobId;
  const answer = await new MemberRequests(deps.db).scanStatus({ userId, scanId: jobId });
  if (answer.access !== "ok" || !answer.scan) return refusal(answer.access, "scan");
  const { scanId: _sameJobId, ...status } = answer.scan; // member_scan_status still names it scanId
  return Response.json(withJobId(jobId, status));
}

export async function handleCancelScan(req: Request, deps: ScanApiDeps): Promise<Response> {
  if (req.method !== "POST") return Response.json({ error: "method not allowed: POST {jobId}" }, { status: 405, headers: { allow: "POST" } });
  const userId = await memberOr(req, deps, "cancel-scan", "write");
  if (userId instanceof Response) return userId;
  const jobId = await jobIdOf(req);
  if (jobId instanceof Response) return jobId;
  const answer = await new MemberRequests(deps.db).cancelScan({ userId, scanId: jobId });
  if (answer.access !== "ok" || !answer.write) return refusal(answer.access, "scan");
  const write = answer.write;
  if (!write.accepted) return error(409, `the scan cannot be cancelled: ${write.message ?? "it has finished"}`, withJobId(jobId, { status: write.status }));
  return Response.json(withJobId(jobId, { status: write.status === "cancelled" ? "cancelled" : "cancelling", message: write.message }), { status: 202 });
}
