/**
 * The SQL behind the API functions a signed-in member calls (supabase/schemas/47_scan_requests.sql):
 * "Run scan", a scan's status, its cancel. Each takes the user id the function verified; the SQL
 * finds the member's company and answers `access`.
 */
import type { Db } from "../platform/db.ts";
import type { SqlFunctions } from "../platform/sql-call.ts";

/** ok, or why not: no users row (not_member), no such thing (not_found), another company's (forbidden), a deactivated repository (inactive). */
export type Access = "ok" | "not_member" | "not_found" | "forbidden" | "inactive" | "too_many";

export interface RequestedJob {
  job_id: string;
  scan_type: string;
  repository_id: string;
  repository: string;
  status: string;
  pr_number?: number;
  /** created: a new job; pending: a pending job of the same key covers it; follow_up: the running job scans again when it ends. */
  result: "created" | "pending" | "follow_up";
}

/** A scan as scan-status shows it (the spec's `{scanId, status, …, startedAt, completedAt, error}`). */
export interface ScanStatus {
  scanId: string;
  status: "queued" | "running" | "completed" | "failed" | "cancelled";
  scanType: string;
  repositoryId: string;
  repository: string | null;
  progress: number;
  progressMessage: string | null;
  attempts: number | null;
  maxAttempts: number | null;
  createdAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  error: string | null;
  summary: Record<string, unknown> | null;
  warnings: { at?: string; message: string }[];
  apiRequests: Record<string, number> | null;
  /** A request that arrived while it ran: it becomes a job of its own (followedBy) when this one ends. */
  followUp: Record<string, unknown> | null;
  followedBy: string | null;
  events: { timestamp: string; level: "info" | "warn" | "error"; kind: string; message: string }[];
}

/** What cancel_scan_job answered (public.scan_job_write). */
export interface CancelWrite {
  accepted: boolean;
  status: string | null;
  message: string | null;
}

export class MemberRequests {
  private readonly fns: SqlFunctions;
  constructor(db: Db) {
    this.fns = db.functions;
  }

  async requestScan(args: { userId: string; repositoryId?: string; fullName?: string; scanType?: string; payload?: Record<string, unknown> }):
    Promise<{ access: Access; job?: RequestedJob; repository?: string; pending?: number; max_pending_jobs?: number }> {
    return await this.fns.value("member_request_scan", [
      ["p_user_id", args.userId, "uuid"],
      ["p_repository_id", args.repositoryId, "uuid"],
      ["p_full_name", args.fullName, "text"],
      ["p_scan_type", args.scanType, "text"],
      ["p_payload", args.payload, "jsonb"],
    ]);
  }

  async scanStatus(args: { userId: string; scanId: string }): Promise<{ access: Access; scan?: ScanStatus }> {
    return await this.fns.value("member_scan_status", [["p_user_id", args.userId, "uuid"], ["p_job_id", args.scanId, "uuid"]]);
  }

  async cancelScan(args: { userId: string; scanId: string }): Promise<{ access: Access; write?: CancelWrite }> {
    return await this.fns.value("member_cancel_scan", [["p_user_id", args.userId, "uuid"], ["p_job_id", args.scanId, "uuid"]]);
  }
}
