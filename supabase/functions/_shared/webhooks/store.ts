/**
 * The github-webhook function's SQL (supabase/schemas/35_github_webhooks.sql): a hook's secret
 * from Vault, and the one call that records a delivery and enqueues its jobs in one transaction.
 */
import type { Db } from "../platform/db.ts";
import type { SqlFunctions } from "../platform/sql-call.ts";

/** One job a delivery asked for, and what became of the request. */
export interface DeliveryJob {
  job_id: string;
  scan_type: string;
  repository_id: string | null;
  repository?: string;
  pr_number?: number;
  /** created: a new job; pending: a pending job covers it; follow_up: a running job scans again after; cancelled: a deactivation's. */
  result: "created" | "pending" | "follow_up" | "cancelled";
}

/** What record_github_webhook_delivery answers. */
export interface DeliveryRecord {
  /** False for a duplicate, a replay, an unknown installation or too many repositories: nothing was written. */
  recorded: boolean;
  duplicate: boolean;
  outcome: "enqueued" | "coalesced" | "registered" | "deactivated" | "ignored" | "ping" | "unknown_installation" | "replayed" | "too_many_repositories" | null;
  reason: string | null;
  jobs: DeliveryJob[];
  /** With too_many_repositories: how many the delivery registers, and the company's cap. */
  repositories?: number;
  max_repositories_per_registration?: number;
}

export class WebhookStore {
  private readonly fns: SqlFunctions;
  constructor(db: Db) {
    this.fns = db.functions;
  }

  /** The secret of a company's hook, or (null) of the GitHub App's; null when Vault has none. */
  async secret(companyId: string | null): Promise<string | null> {
    return await this.fns.value<string | null>("github_webhook_secret", [["p_company_id", companyId, "uuid"]]);
  }

  async record(args: {
    deliveryId: string;
    event: string;
    action: string | null;
    companyId: string | null;
    installationId: number | null;
    route: unknown;
    payloadBytes: number;
    /** SHA-256 of the signed body, hex: a body recorded before under another delivery id is a replay. */
    bodySha256: string;
  }): Promise<DeliveryRecord> {
    return await this.fns.value<DeliveryRecord>("record_github_webhook_delivery", [
      ["p_delivery_id", args.deliveryId, "uuid"],
      ["p_event", args.event, "text"],
      ["p_action", args.action, "text"],
      ["p_company_id", args.companyId, "uuid"],
      ["p_installation_id", args.installationId, "bigint"],
      ["p_route", args.route, "jsonb"],
      ["p_payload_bytes", args.payloadBytes, "integer"],
      ["p_body_sha256", args.bodySha256, "text"],
    ]);
  }
}
