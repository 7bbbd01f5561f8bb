// The typed client of CodeGuard's API functions (enqueue-scan, scan-status, cancel-scan) on
// @supabase/supabase-js: functions.invoke, with a user's session token. The same code reaches the
// local stack (its API URL, e.g. http://127.0.0.1:54321, and its publishable key) and a hosted
// project (https://<ref>.supabase.co and its publishable key): supabase-js adds /functions/v1/<name>.
import { createClient, FunctionsFetchError, FunctionsHttpError, FunctionsRelayError, type SupabaseClient } from "@supabase/supabase-js";
import WebSocket from "ws";
import type { Database } from "../../supabase/functions/_shared/platform/database.types.ts";
import type { ScanStatus as MemberScanStatus } from "../../supabase/functions/_shared/http/member-requests.ts";

/**
 * What scan-status answers about a job (the queue job enqueue-scan made; README, Glossary): its
 * status, progress and events, and its scan's summary. `scanId` is jobId's old name, the same value,
 * answered for one release.
 */
export type ScanStatus = { jobId: string } & MemberScanStatus;

export interface CodeGuardClientOptions {
  /** The project URL: https://<project-ref>.supabase.co, or the local stack's API URL. */
  url: string;
  /** The project's publishable key (sb_publishable_…) or legacy anon key: it names the project, it proves nothing. */
  publishableKey: string;
  /** A signed-in user's session token (their access_token): who is asking. */
  accessToken: string;
}

/** What enqueue-scan answers: the job's id, status 'queued', and what the request became. */
export interface EnqueuedScan {
  jobId: string;
  /** @deprecated jobId's old name (the same value), answered for one release. */
  scanId: string;
  status: "queued";
  scanType: string;
  repository: string;
  repositoryId: string;
  request: "created" | "pending" | "follow_up";
}

export type ScanRequest =
  | { repository: string; scanType?: "full_scan" | "incremental_scan" }
  | { repositoryId: string; scanType?: "full_scan" | "incremental_scan" }
  | { repository: string; scanType: "pr_analysis"; prNumber: number };

/** An answer other than success from a function, with its HTTP status and the function's own words. */
export class CodeGuardApiError extends Error {
  constructor(readonly status: number | null, message: string, readonly body?: unknown) {
    super(message);
    this.name = "CodeGuardApiError";
  }
}

/** The finished statuses of a scan. */
export const FINISHED: ReadonlySet<ScanStatus["status"]> = new Set(["completed", "failed", "cancelled"]);

export class CodeGuardClient {
  /** Typed by the database types generated from the migrations (npm run gen), for .from() and .rpc() as for invoke. */
  private readonly supabase: SupabaseClient<Database>;

  constructor(options: CodeGuardClientOptions) {
    this.supabase = createClient<Database>(options.url, options.publishableKey, {
      accessToken: async () => options.accessToken,
      auth: { persistSession: false, autoRefreshToken: false },
      // Node 20 has no global WebSocket; the client builds its realtime part at once.
      realtime: { transport: WebSocket as never },
    });
  }

  private async invoke<T>(name: string, body: Record<string, unknown>): Promise<T> {
    const { data, error } = await this.supabase.functions.invoke<T>(name, { body });
    if (!error) return data as T;
    if (error instanceof FunctionsHttpError) {
      const res = error.context as Response;
      let payload: unknown = null;
      try {
        payload = await res.json();
      } catch {
        // not JSON: the status says enough
      }
      const said = (payload as { error?: unknown } | null)?.error;
      throw new CodeGuardApiError(res.status, `${name}: ${typeof said === "string" ? said : `HTTP ${res.status}`}`, payload);
    }
    if (error instanceof FunctionsFetchError || error instanceof FunctionsRelayError) {
      throw new CodeGuardApiError(null, `${name}: could not reach the project at its URL (${(error as Error).message})`);
    }
    throw error;
  }

  /** "Run scan": a full scan by default. */
  async enqueueScan(request: ScanRequest): Promise<EnqueuedScan> {
    const body: Record<string, unknown> = "repositoryId" in request ? { repository_id: request.repositoryId } : { repository: request.repository };
    if (request.scanType) body.scan_type = request.scanType;
    if (request.scanType === "pr_analysis") body.pr_number = request.prNumber;
    return await this.invoke<EnqueuedScan>("enqueue-scan", body);
  }

  /** The job's status (jobId: what enqueueScan answered). */
  async scanStatus(jobId: string): Promise<ScanStatus> {
    return await this.invoke<ScanStatus>("scan-status", { jobId });
  }

  async cancelScan(jobId: string): Promise<{ jobId: string; /** @deprecated jobId's old name */ scanId: string; status: "cancelled" | "cancelling"; message: string | null }> {
    return await this.invoke("cancel-scan", { jobId });
  }

  /**
   * Polls scan-status until the scan finishes, calling onStatus with each answer. A scan whose
   * request arrived while it ran is followed to the scan that request became (followedBy). A 429
   * (the rate of status requests) waits its Retry-After and polls on.
   */
  async waitForScan(jobId: string, options: { intervalMs?: number; onStatus?: (s: ScanStatus) => void; signal?: AbortSignal; followUps?: boolean } = {}): Promise<ScanStatus> {
    const interval = options.intervalMs ?? 500;
    let id = jobId;
    for (;;) {
      let status: ScanStatus;
      try {
        status = await this.scanStatus(id);
      } catch (e) {
        // Past the member's or the company's rate of status requests (429): wait as told, then poll on.
        if (!(e instanceof CodeGuardApiError) || e.status !== 429 || options.signal?.aborted) throw e;
        const seconds = Number((e.body as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds);
        await new Promise((r) => setTimeout(r, (Number.isFinite(seconds) && seconds > 0 ? seconds : 5) * 1000));
        continue;
      }
      options.onStatus?.(status);
      if (FINISHED.has(status.status)) {
        if (status.followedBy && options.followUps !== false) {
          id = status.followedBy;
          continue;
        }
        return status;
      }
      if (options.signal?.aborted) return status;
      await new Promise((r) => setTimeout(r, interval));
    }
  }
}

/**
 * The client from the environment: CODEGUARD_URL, CODEGUARD_PUBLISHABLE_KEY, CODEGUARD_ACCESS_TOKEN
 * (SUPABASE_URL and SUPABASE_PUBLISHABLE_KEY / SUPABASE_ANON_KEY are read where ours are absent).
 * Throws naming what is missing and where to get it.
 */
export function clientFromEnv(env: Record<string, string | undefined> = process.env): CodeGuardClient {
  const url = env.CODEGUARD_URL || env.SUPABASE_URL;
  const publishableKey = env.CODEGUARD_PUBLISHABLE_KEY || env.SUPABASE_PUBLISHABLE_KEY || env.SUPABASE_ANON_KEY;
  const accessToken = env.CODEGUARD_ACCESS_TOKEN;
  const missing = [
    !url && "CODEGUARD_URL (the project URL, https://<project-ref>.supabase.co; locally the API URL npm start prints)",
    !publishableKey && "CODEGUARD_PUBLISHABLE_KEY (the project's publishable key; locally npm start prints it)",
    !accessToken && "CODEGUARD_ACCESS_TOKEN (a signed-in user's session token; locally: codeguard session <user id>, the id codeguard member add printed)",
  ].filter(Boolean);
  if (missing.length) throw new CodeGuardApiError(null, `set ${missing.join(", and ")}`);
  return new CodeGuardClient({ url: url!, publishableKey: publishableKey!, accessToken: accessToken! });
}
