/**
 * What a verified GitHub delivery asks for: its payload parsed with a schema of the fields we read
 * (everything else GitHub sends is let through unread), and the route record_github_webhook_delivery
 * takes (supabase/schemas/35_github_webhooks.sql):
 *   push to the default branch                          → an incremental scan of the repository;
 *   pull_request opened / synchronize / reopened,
 *     or closed and merged                              → pr_analysis of that PR ({"pr_number": n});
 *   installation created / unsuspend,
 *     installation_repositories added                   → register the repositories, full scans;
 *   installation deleted / suspend,
 *     installation_repositories removed                 → deactivate the repositories;
 *   ping                                                → answered, recorded;
 *   anything else                                       → ignored, recorded with the reason.
 *
 * Deno only (an `npm:` import): the github-webhook function uses it; tests drive it through the
 * function and Deno tests (supabase/functions/_deno_tests/webhook_routes_test.ts).
 */
import { z } from "npm:zod@4.6.7";

/** What record_github_webhook_delivery does with a delivery (its p_route). */
export type Route =
  | { kind: "scan"; scan_type: "incremental_scan"; repository: string; default_branch: string }
  | { kind: "scan"; scan_type: "pr_analysis"; repository: string; pr_number: number }
  | { kind: "register"; repositories: string[]; include_linked?: true; installation_status: "active"; account_login?: string }
  | { kind: "deactivate"; repositories: string[]; include_linked?: true; unlink?: true; installation_status?: "suspended" | "deleted" }
  | { kind: "ping" }
  | { kind: "ignored"; reason: string };

export interface ParsedDelivery {
  action: string | null;
  /** The GitHub App installation the delivery names (App deliveries), or null. */
  installationId: number | null;
  route: Route;
}

/** A payload that is not what GitHub sends for its event: `error` says what is wrong, field by field. */
export interface PayloadError {
  error: string;
}

// The repositories table's own rule for a name (10_tenants.sql), so that a name it would refuse is
// a 400 here, not a failed transaction.
// GitHub's own bounds: an account name has at most 39 characters, a repository's at most 100 — a
// longer "name" is no repository of GitHub's, and would only be stored and scanned for nothing.
const fullName = z.string().regex(/^[A-Za-z0-9_.-]{1,39}\/[A-Za-z0-9_.-]{1,100}$/,
  "expected owner/name (an owner of at most 39 characters, a name of at most 100, as GitHub allows)");
const installation = z.object({ id: z.number().int().positive() }).nullish();
const repositoryRef = z.object({ full_name: fullName });

const schemas = {
  push: z.object({
    ref: z.string(),
    deleted: z.boolean().optional(),
    repository: z.object({ full_name: fullName, default_branch: z.string().min(1) }),
    installation,
  }),
  pull_request: z.object({
    action: z.string(),
    number: z.number().int().positive(),
    pull_request: z.object({ merged: z.boolean().nullish() }),
    repository: repositoryRef,
    installation,
  }),
  installation: z.object({
    action: z.string(),
    installation: z.object({ id: z.number().int().positive(), account: z.object({ login: z.string() }).nullish() }),
    repositories: z.array(repositoryRef).nullish(),
  }),
  installation_repositories: z.object({
    action: z.string(),
    installation: z.object({ id: z.number().int().positive() }),
    repositories_added: z.array(repositoryRef),
    repositories_removed: z.array(repositoryRef),
  }),
  ping: z.object({ zen: z.string().optional(), hook_id: z.number().optional(), installation }),
  // Every other event: an object, and an action when it has one.
  other: z.object({ action: z.string().optional(), installation }),
};

/** Zod's issues as one line: `pull_request.number: expected number, received string; …`. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "the payload"}: ${i.message}`)
    .join("; ") + (error.issues.length > 5 ? `; and ${error.issues.length - 5} more` : "");
}

function parseWith<T>(schema: z.ZodType<T>, event: string, payload: unknown): T | PayloadError {
  const r = schema.safeParse(payload);
  return r.success ? r.data : { error: `not a GitHub ${event} payload: ${describeIssues(r.error)}` };
}

const isError = (v: unknown): v is PayloadError => typeof v === "object" && v !== null && "error" in v && !("route" in v);

const PR_ANALYSED = new Set(["opened", "synchronize", "reopened"]);
const names = (repos: { full_name: string }[] | null | undefined) => (repos ?? []).map((r) => r.full_name);

/** The route of a delivery of `event` (its X-GitHub-Event) with this parsed JSON payload. */
export function parseDelivery(event: string, payload: unknown): ParsedDelivery | PayloadError {
  switch (event) {
    case "push": {
      const p = parseWith(schemas.push, event, payload);
      if (isError(p)) return p;
      const branch = p.repository.default_branch;
      const base = { action: null, installationId: p.installation?.id ?? null };
      if (p.ref !== `refs/heads/${branch}`) {
        return { ...base, route: { kind: "ignored", reason: `a push to ${p.ref}, not to the default branch ${branch}` } };
      }
      if (p.deleted) return { ...base, route: { kind: "ignored", reason: `the default branch ${branch} was deleted` } };
      return { ...base, route: { kind: "scan", scan_type: "incremental_scan", repository: p.repository.full_name, default_branch: branch } };
    }
    case "pull_request": {
      const p = parseWith(schemas.pull_request, event, payload);
      if (isError(p)) return p;
      const base = { action: p.action, installationId: p.installation?.id ?? null };
      const analysed = PR_ANALYSED.has(p.action) || (p.action === "closed" && p.pull_request.merged === true);
      if (!analysed) {
        const reason = p.action === "closed" ? `pull request #${p.number} was closed without a merge` : `pull_request.${p.action} is not analysed`;
        return { ...base, route: { kind: "ignored", reason } };
      }
      return { ...base, route: { kind: "scan", scan_type: "pr_analysis", repository: p.repository.full_name, pr_number: p.number } };
    }
    case "installation": {
      const p = parseWith(schemas.installation, event, payload);
      if (isError(p)) return p;
      const base = { action: p.action, installationId: p.installation.id };
      const login = p.installation.account?.login;
      switch (p.action) {
        case "created":
          return { ...base, route: { kind: "register", repositories: names(p.repositories), installation_status: "active", ...(login ? { account_login: login } : {}) } };
        case "unsuspend":
          return { ...base, route: { kind: "register", repositories: names(p.repositories), include_linked: true, installation_status: "active" } };
        case "deleted":
          return { ...base, route: { kind: "deactivate", repositories: names(p.repositories), include_linked: true, unlink: true, installation_status: "deleted" } };
        case "suspend":
          return { ...base, route: { kind: "deactivate", repositories: names(p.repositories), include_linked: true, installation_status: "suspended" } };
        default:
          return { ...base, route: { kind: "ignored", reason: `installation.${p.action} changes no repository` } };
      }
    }
    case "installation_repositories": {
      const p = parseWith(schemas.installation_repositories, event, payload);
      if (isError(p)) return p;
      const base = { action: p.action, installationId: p.installation.id };
      if (p.action === "added") return { ...base, route: { kind: "register", repositories: names(p.repositories_added), installation_status: "active" } };
      if (p.action === "removed") return { ...base, route: { kind: "deactivate", repositories: names(p.repositories_removed), unlink: true } };
      return { ...base, route: { kind: "ignored", reason: `installation_repositories.${p.action} changes no repository` } };
    }
    case "ping": {
      const p = parseWith(schemas.ping, event, payload);
      if (isError(p)) return p;
      return { action: null, installationId: p.installation?.id ?? null, route: { kind: "ping" } };
    }
    default: {
      const p = parseWith(schemas.other, event, payload);
      if (isError(p)) return p;
      return {
        action: p.action ?? null,
        installationId: p.installation?.id ?? null,
        route: { kind: "ignored", reason: `${event} events start no scan` },
      };
    }
  }
}
