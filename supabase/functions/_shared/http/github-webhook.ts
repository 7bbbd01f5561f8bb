/**
 * The github-webhook function's handler: verify, parse, record and enqueue — nothing else, so it
 * answers in milliseconds, well within GitHub's 10 s; the scans run later, in workers.
 *
 *   1. X-Hub-Signature-256 present and shaped `sha256=<64 hex>`, else 401;
 *   2. the body read up to MAX_WEBHOOK_BODY_BYTES, else 413;
 *   3. the signature verified on the raw body with the hook's secret from Vault (a company's hook:
 *      `?company=<id>`; the GitHub App's hook: no parameter) by @octokit/webhooks-methods (HMAC-SHA256
 *      through Web Crypto, whose verify compares in constant time), else 401 — before anything of
 *      the body is parsed;
 *   4. X-GitHub-Event one of GitHub's events and X-GitHub-Delivery a GUID, else 400;
 *   5. the payload parsed with its event's schema, else 400 saying what was wrong;
 *   6. one SQL call records the delivery and enqueues its jobs in one transaction:
 *      202 with the jobs (or `ignored` and why), 200 for a ping and for a delivery id seen before
 *      (nothing new is written), 404 for an installation no company has linked, or that a company's
 *      hook names while another company (or none) holds it (nothing written), 409 for a body
 *      recorded before under another delivery id — a replay: the signature does not cover
 *      X-GitHub-Delivery, and GitHub's own redelivery keeps the id (nothing written), 429 for a
 *      registration of more repositories than the company's
 *      settings.max_repositories_per_registration (200) allows (nothing written: Redeliver once raised).
 *
 * Deno only (an `npm:` import).
 */
import { verify } from "npm:@octokit/webhooks-methods@6.0.0";
import type { Db } from "../platform/db.ts";
import { GITHUB_WEBHOOK_EVENTS } from "../webhooks/events.ts";
import { parseDelivery } from "../webhooks/routes.ts";
import { WebhookStore } from "../webhooks/store.ts";
import { readBodyBytes } from "./request-body.ts";

/**
 * GitHub's own cap on a webhook payload (it drops larger deliveries rather than send them). Any
 * smaller cap would refuse genuine deliveries — a push of up to 2,048 commits with their file
 * lists runs to megabytes, an installation of thousands of repositories too — and GitHub does not
 * retry on its own, so a refused push is a scan missed until the daily auto-scan. Larger than it,
 * nothing genuine arrives. A body is read counting bytes and refused as soon as it passes the cap;
 * one at the cap is ~75 MB as bytes and text, within an edge function's 256 MB; and a forged body
 * costs its reading and one HMAC, never a JSON parse.
 */
export const MAX_WEBHOOK_BODY_BYTES = 25 * 1024 * 1024;

const SIGNATURE = /^sha256=[0-9a-f]{64}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface GitHubWebhookDeps {
  db: Db;
  log?: (level: "info" | "warn" | "error", message: string, fields: Record<string, unknown>) => void;
}

const answer = (status: number, body: Record<string, unknown>) => Response.json(body, { status });

/** The JSON text of the payload: the body itself, or its `payload` field when GitHub sends a form. */
function payloadText(req: Request, body: string): string | null {
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  if (type.startsWith("application/x-www-form-urlencoded")) return new URLSearchParams(body).get("payload");
  return body;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function handleGitHubWebhook(req: Request, deps: GitHubWebhookDeps): Promise<Response> {
  if (req.method !== "POST") {
    return Response.json({ error: "method not allowed: GitHub POSTs its deliveries" }, { status: 405, headers: { allow: "POST" } });
  }
  const signature = req.headers.get("x-hub-signature-256");
  if (!signature) {
    return answer(401, { error: "X-Hub-Signature-256 is missing: give the webhook a secret (the same one as in Vault) so that GitHub signs its deliveries" });
  }
  if (!SIGNATURE.test(signature)) return answer(401, { error: "X-Hub-Signature-256 is not sha256=<64 hex digits>" });
  const company = new URL(req.url).searchParams.get("company");
  if (company !== null && !UUID.test(company)) {
    return answer(400, { error: "the company parameter of the webhook's URL must be the company's id (a uuid)" });
  }
  const bytes = await readBodyBytes(req, MAX_WEBHOOK_BODY_BYTES);
  if (bytes === null) return answer(413, { error: `the body is larger than ${MAX_WEBHOOK_BODY_BYTES} bytes, GitHub's own maximum for a webhook payload` });
  const body = new TextDecoder().decode(bytes);

  const store = new WebhookStore(deps.db);
  const secret = await store.secret(company);
  // The same answer whether the hook has no secret or the signature is another's: a forger learns
  // nothing about which companies exist or have hooks.
  const verified = secret !== null && body.length > 0 && (await verify(secret, body, signature.toLowerCase()));
  if (!verified) {
    if (secret === null) deps.log?.("warn", "webhook delivery for a hook without a secret in Vault", { company });
    return answer(401, { error: "the signature does not match the body: GitHub signs with the webhook's secret, and Vault must hold the same one" });
  }

  const event = req.headers.get("x-github-event") ?? "";
  const deliveryId = req.headers.get("x-github-delivery") ?? "";
  if (!GITHUB_WEBHOOK_EVENTS.has(event)) return answer(400, { error: `X-GitHub-Event ${JSON.stringify(event)} is not a GitHub webhook event` });
  if (!UUID.test(deliveryId)) return answer(400, { error: "X-GitHub-Delivery must be the delivery's GUID" });

  const text = payloadText(req, body);
  if (text === null) return answer(400, { error: "a form-encoded delivery needs its JSON in the payload field" });
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (e) {
    return answer(400, { error: `the payload is not JSON: ${(e as Error).message}` });
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    return answer(400, { error: `the payload must be a JSON object, as GitHub sends; got ${Array.isArray(payload) ? "an array" : payload === null ? "null" : `a ${typeof payload}`}` });
  }
  const parsed = parseDelivery(event, payload);
  if ("error" in parsed) return answer(400, { error: parsed.error });

  const record = await store.record({
    deliveryId,
    event,
    action: parsed.action,
    companyId: company,
    installationId: parsed.installationId,
    route: parsed.route,
    payloadBytes: bytes.byteLength,
    bodySha256: await sha256Hex(bytes),
  });
  const summary = { delivery: deliveryId, event, action: parsed.action, outcome: record.outcome, reason: record.reason, jobs: record.jobs };
  // One line per delivery, with the ids that find it again: the delivery's, the company's (of the
  // hook; an App delivery's company is on the jobs) and each job it made or joined.
  deps.log?.("info", record.duplicate ? "webhook delivery seen before: nothing new" : `webhook delivery ${record.outcome}`, {
    deliveryId, event, action: parsed.action, companyId: company, installationId: parsed.installationId,
    jobIds: (record.jobs ?? []).map((j) => j.job_id), outcome: record.outcome,
  });
  if (record.outcome === "unknown_installation") return answer(404, { error: record.reason ?? "unknown installation", delivery: deliveryId });
  if (record.outcome === "replayed") return answer(409, { error: record.reason ?? "a replayed delivery", delivery: deliveryId });
  // A registration of more repositories than the company allows (a full scan each): nothing of it
  // written. 429, the code of a company's limit in this API, and no Retry-After: waiting does not
  // help, raising the setting does. GitHub treats every non-2xx alike (a failed delivery, not
  // retried on its own), and its Redeliver keeps the delivery id, which nothing here has claimed.
  if (record.outcome === "too_many_repositories") {
    return answer(429, {
      error: record.reason ?? "too many repositories in one registration", delivery: deliveryId,
      repositories: record.repositories, maxRepositoriesPerRegistration: record.max_repositories_per_registration,
    });
  }
  if (record.duplicate) return answer(200, { ...summary, duplicate: true });
  if (record.outcome === "ping") return answer(200, { ...summary, zen: (payload as { zen?: unknown }).zen ?? null });
  return answer(202, summary);
}
