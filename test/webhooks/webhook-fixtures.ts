// Signed GitHub deliveries to the github-webhook function of a local stack, as GitHub sends them:
// the raw body, X-Hub-Signature-256 over it, X-GitHub-Event and X-GitHub-Delivery.
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { sign } from "@octokit/webhooks-methods";
import type postgres from "postgres";

export interface Example {
  name: string;
  payload: Record<string, unknown>;
}

/** Every example payload of these events in @octokit/webhooks-examples (GitHub's real payloads). */
export function examplesOf(...events: string[]): Example[] {
  const all = createRequire(import.meta.url)("@octokit/webhooks-examples") as { name: string; examples: Record<string, unknown>[] }[];
  return all.filter((e) => events.includes(e.name)).flatMap((e) => e.examples.map((payload) => ({ name: e.name, payload })));
}

export interface Delivery {
  event: string;
  body: string;
  /** Sign with this secret; null: send no signature. */
  secret: string | null;
  /** The company whose hook receives it (?company=); absent: the GitHub App's hook. */
  company?: string;
  deliveryId?: string;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  body: Record<string, unknown> & { outcome?: string; reason?: string; error?: string; jobs?: { result: string; scan_type: string; job_id: string }[] };
}

/** POSTs one delivery to github-webhook and reads the answer. */
export async function deliver(functionsUrl: string, d: Delivery): Promise<Answer> {
  const url = `${functionsUrl}/github-webhook${d.company ? `?company=${d.company}` : ""}`;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/test",
    "x-github-event": d.event,
    "x-github-delivery": d.deliveryId ?? randomUUID(),
    ...(d.secret !== null ? { "x-hub-signature-256": await sign(d.secret, d.body) } : {}),
    ...d.headers,
  };
  const res = await fetch(url, { method: "POST", headers, body: d.body });
  const text = await res.text();
  let body: Answer["body"];
  try {
    body = JSON.parse(text);
  } catch {
    body = { error: text };
  }
  return { status: res.status, body };
}

/** Rows of every table of public, and of the pg_net queue: what a refused delivery must leave as it was. */
export async function rowCounts(sql: postgres.Sql): Promise<Record<string, number>> {
  const tables = await sql<{ name: string }[]>`
    select c.oid::regclass::text as name from pg_class c
    where c.relnamespace in ('public'::regnamespace, 'net'::regnamespace) and c.relkind in ('r', 'p') order by 1`;
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [{ n }] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${name}`);
    counts[name] = n;
  }
  return counts;
}
