/**
 * Sending one Slack delivery: what an answer of an incoming webhook means, the wait before the
 * next attempt, and the loop that sends, logs every attempt (record_slack_attempt) and stops when
 * Slack took it, when retrying cannot help, or after the fifth attempt. The webhook URL is a
 * secret: it is never logged, stored outside Vault, or copied into an error (fetch's own errors
 * name the URL, so they are rewritten).
 */
import type { Db } from "../platform/db.ts";

export const MAX_ATTEMPTS = 5;
const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 16_000;
const ATTEMPT_TIMEOUT_MS = 10_000;

export type SlackOutcome =
  | { outcome: "delivered" }
  | { outcome: "retry"; error: string; retryAfterMs?: number }
  | { outcome: "dead"; error: string };

/**
 * What Slack's answer means. 200 "ok": delivered. 429 and 5xx: try again (429's Retry-After is
 * honoured up to the 16 s cap). Any other 4xx is final — the webhook was revoked (403
 * invalid_token, 404 no_service), the channel is gone (404 channel_not_found, 410
 * channel_is_archived) or the message is malformed (400 invalid_payload) — with Slack's reason.
 */
export function classifySlackAnswer(status: number, body: string, retryAfter: string | null): SlackOutcome {
  const reason = body.trim().slice(0, 200) || `HTTP ${status}`;
  if (status >= 200 && status < 300) return { outcome: "delivered" };
  if (status === 429) {
    const seconds = Number(retryAfter);
    return { outcome: "retry", error: `429 rate limited: ${reason}`, retryAfterMs: Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined };
  }
  if (status >= 500 || status === 408) return { outcome: "retry", error: `${status} from Slack: ${reason}` };
  return { outcome: "dead", error: `${status} from Slack: ${reason} — retrying cannot fix this; check the webhook URL (codeguard slack set) and the channel` };
}

/** The wait after failed attempt n (1-based): 1 s, 2 s, 4 s, 8 s, 16 s, ±20 % jitter, never over 16 s. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.min(MAX_DELAY_MS, Math.round(base * (0.8 + 0.4 * random())));
}

/**
 * Text from the network or from the other side (an error page, a proxy's answer) with the webhook
 * URL cut out — whole, its path, and its last segment (the token) — and any other URL with it: an
 * answer that echoes the request's path would otherwise carry the secret into a row and a log
 * (test/platform/secret-leak.test.ts).
 */
export function withoutWebhookUrl(text: string, url: string): string {
  let out = text.split(url).join("<webhook URL>");
  let path = "";
  try {
    path = new URL(url).pathname;
  } catch { /* not a URL: the whole text was cut above */ }
  if (path.length > 1) out = out.split(path).join("<webhook path>");
  const token = path.split("/").filter(Boolean).pop();
  if (token && token.length >= 8) out = out.split(token).join("<token>");
  return out.replace(/https?:\/\/[^\s)]+/g, "<webhook URL>");
}

const LOOPBACK = new Set(["127.0.0.1", "localhost"]);

/**
 * Why this webhook URL must not be posted to, or null: checked with the URL parser before each
 * send, whatever set_slack_webhook_url accepted when it was stored (a row written before its
 * grammar was strict, a Vault secret changed behind its back). The host must be one of `hosts`
 * (pipeline_settings.slack_webhook_hosts), with no userinfo, no port and https — a port and http
 * only for a loopback host (the local receiver). Names the host, never the URL.
 */
export function slackUrlProblem(url: string, hosts: readonly string[]): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "the stored Slack webhook URL is not a URL";
  }
  const host = u.hostname.toLowerCase();
  if (u.username !== "" || u.password !== "") return `the stored Slack webhook URL carries a user name before its host ${host}`;
  if (!hosts.map((h) => h.toLowerCase()).includes(host)) return `the stored Slack webhook URL's host ${host} is not one of pipeline_settings.slack_webhook_hosts`;
  if (!LOOPBACK.has(host) && (u.protocol !== "https:" || u.port !== "")) return `the stored Slack webhook URL for ${host} must be https without a port`;
  if (u.protocol !== "https:" && u.protocol !== "http:") return `the stored Slack webhook URL's scheme ${u.protocol} is not https`;
  return null;
}

/** A network error without the URL in it. */
export function networkError(e: unknown, url: string): string {
  const raw = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return `network error: ${withoutWebhookUrl(raw, url)}`.slice(0, 300);
}

export interface Delivery {
  id: string;
  attempts: number;
  /** Attempts of earlier rounds (the delivery was dead and its job retried): this round's are numbered after them. */
  earlierAttempts: number;
  status: "pending" | "delivered" | "dead";
  payload: unknown;
  lastError: string | null;
}

export interface DeliverOptions {
  db: Db;
  url: string;
  delivery: Delivery;
  signal: AbortSignal;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Called after each attempt is recorded (heartbeats, progress). */
  onAttempt?: (attempt: number, outcome: SlackOutcome) => Promise<void> | void;
}

export type DeliveryResult =
  | { status: "delivered"; attempts: number }
  | { status: "dead"; attempts: number; error: string }
  /** Another worker finished the delivery meanwhile. */
  | { status: "taken"; attempts: number };

const abortableSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => { signal.removeEventListener("abort", onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(signal.reason); };
    signal.addEventListener("abort", onAbort, { once: true });
  });

export async function deliver(o: DeliverOptions): Promise<DeliveryResult> {
  const sql = o.db.functions;
  const doFetch = o.fetch ?? fetch;
  const sleep = o.sleep ?? abortableSleep;
  let attempt = o.delivery.attempts;
  if (o.delivery.status === "delivered") return { status: "delivered", attempts: attempt };
  const body = JSON.stringify(o.delivery.payload);
  // A round is 5 attempts; a retried dead delivery's round numbers its attempts after the dead ones.
  const lastOfRound = o.delivery.earlierAttempts + MAX_ATTEMPTS;
  while (attempt < lastOfRound) {
    attempt++;
    const started = Date.now();
    let outcome: SlackOutcome;
    let status: number | null = null;
    try {
      const res = await doFetch(o.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.any([o.signal, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
        redirect: "manual",
      });
      status = res.status;
      outcome = classifySlackAnswer(res.status, withoutWebhookUrl(await res.text().catch(() => ""), o.url), res.headers.get("retry-after"));
    } catch (e) {
      if (o.signal.aborted) throw o.signal.reason;
      outcome = { outcome: "retry", error: networkError(e, o.url) };
    }
    // The fifth failure is the last.
    if (outcome.outcome === "retry" && attempt >= lastOfRound) {
      outcome = { outcome: "dead", error: `${outcome.error} (after ${MAX_ATTEMPTS} attempts)` };
    }
    const record = () => sql.value<boolean>("record_slack_attempt", [
      ["p_delivery_id", o.delivery.id, "uuid"], ["p_attempt", attempt, "integer"], ["p_status_code", status, "integer"],
      ["p_outcome", outcome.outcome, "text"], ["p_error", outcome.outcome === "delivered" ? null : outcome.error, "text"],
      ["p_duration_ms", Date.now() - started, "integer"]]);
    const recorded = await recordedAfterRetries(record, sleep, o.signal);
    if (!recorded) return { status: "taken", attempts: attempt };
    await o.onAttempt?.(attempt - o.delivery.earlierAttempts, outcome);
    if (outcome.outcome === "delivered") return { status: "delivered", attempts: attempt };
    if (outcome.outcome === "dead") return { status: "dead", attempts: attempt, error: outcome.error };
    await sleep(Math.min(MAX_DELAY_MS, outcome.retryAfterMs ?? backoffMs(attempt, o.random)), o.signal);
  }
  return { status: "dead", attempts: attempt, error: o.delivery.lastError ?? `no delivery after ${MAX_ATTEMPTS} attempts` };
}

/** Waits between tries of recording an attempt whose write failed: 1 s, 2 s, 4 s, 8 s. */
const RECORD_RETRY_MS = [1_000, 2_000, 4_000, 8_000];

/**
 * An attempt's record, tried again when the write fails (a connection cut, a restart): the post
 * already went out, and a record given up on fails the job, whose retry would post again — Slack's
 * incoming webhooks have no idempotency key, so the record is the only thing standing between a
 * retry and a second message. record_slack_attempt is idempotent, so a record that did commit
 * before its answer was lost answers true the second time. After the last try the error stands
 * (the job fails and the digest may be posted twice: at least once, as the README says).
 */
async function recordedAfterRetries(record: () => Promise<boolean>, sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  signal: AbortSignal): Promise<boolean> {
  for (let i = 0; ; i++) {
    try {
      return await record();
    } catch (e) {
      if (i >= RECORD_RETRY_MS.length || signal.aborted) throw e;
      await sleep(RECORD_RETRY_MS[i], signal);
    }
  }
}
