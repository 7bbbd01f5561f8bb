/**
 * The queue-metrics function: the queue's figures as Prometheus text (exposition format 0.0.4), for
 * a scraper with the project's secret key. The figures name every tenant's jobs, so only the
 * service may read them: anyone else gets 403 and the database is not asked.
 */
import type { Db } from "../platform/db.ts";
import { callerOr, type VerifyCaller } from "./callers.ts";
import type { QueueLag } from "./health.ts";

/** What public.queue_metrics() answers (supabase/schemas/61_queue_metrics.sql). */
export interface QueueMetrics {
  jobs: { scan_type: string; status: string; jobs: number }[];
  ready: number;
  expired_leases: number;
  overdue_heartbeats: number;
  sources_down: string[];
  lag: QueueLag;
  /** Upper bounds (seconds) of the duration histogram's buckets; +Inf is implied. */
  scan_duration_bounds: number[];
  scan_durations: { scan_type: string; count: number; sum: number; buckets: number[] }[];
  github_requests: { requests: number; counted: number; not_modified: number; graphql_points: number };
  rate_limit_snoozes: number;
  dead: Record<string, number>;
  /** Webhook deliveries by outcome; null before the webhook ingress exists. */
  webhook_deliveries: Record<string, number> | null;
}

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** A label value as the exposition format quotes it. */
function label(v: string): string {
  return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}=${label(v)}`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function num(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return "NaN";
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(6)));
}

class Exposition {
  private readonly lines: string[] = [];
  family(name: string, type: "gauge" | "counter" | "histogram", help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }
  sample(name: string, l: Record<string, string>, value: number | null): this {
    this.lines.push(`${name}${labels(l)} ${num(value)}`);
    return this;
  }
  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

const STATUSES = ["pending", "running", "completed", "dead", "cancelled"];

/** The figures as Prometheus text. Every status of every type present is a sample, 0 included, so a rate() has a series to start from. */
export function renderPrometheus(m: QueueMetrics): string {
  const e = new Exposition();
  e.family("codeguard_scan_jobs", "gauge", "Jobs in scan_queue by type and status (finished jobs until pruned).");
  const types = [...new Set(m.jobs.map((j) => j.scan_type))].sort();
  for (const t of types) {
    for (const s of STATUSES) e.sample("codeguard_scan_jobs", { scan_type: t, status: s }, m.jobs.find((j) => j.scan_type === t && j.status === s)?.jobs ?? 0);
  }
  e.family("codeguard_scan_jobs_ready", "gauge", "Pending jobs whose run_after has come: waiting for a worker.").sample("codeguard_scan_jobs_ready", {}, m.ready);
  e.family("codeguard_scan_queue_oldest_ready_seconds", "gauge", "How long the oldest ready job has waited for a worker (0 when none waits).")
    .sample("codeguard_scan_queue_oldest_ready_seconds", {}, m.lag.oldest_ready_seconds ?? 0);
  e.family("codeguard_scan_queue_claim_wait_seconds", "gauge", `Wait from ready to claimed of the jobs claimed in the last ${m.lag.window_seconds} s, by quantile.`);
  e.sample("codeguard_scan_queue_claim_wait_seconds", { quantile: "0.5" }, m.lag.claim_wait_p50_seconds ?? 0);
  e.sample("codeguard_scan_queue_claim_wait_seconds", { quantile: "0.95" }, m.lag.claim_wait_p95_seconds ?? 0);
  e.sample("codeguard_scan_queue_claim_wait_seconds", { quantile: "1" }, m.lag.claim_wait_max_seconds ?? 0);
  e.family("codeguard_scan_jobs_expired_leases", "gauge", "Running jobs whose lease has expired: their worker is gone; the reaper hands them on.")
    .sample("codeguard_scan_jobs_expired_leases", {}, m.expired_leases);
  e.family("codeguard_scan_jobs_overdue_heartbeats", "gauge", "Running jobs without a heartbeat for half their lease.")
    .sample("codeguard_scan_jobs_overdue_heartbeats", {}, m.overdue_heartbeats);
  e.family("codeguard_scan_dead_letters", "gauge", "Dead jobs (attempts spent, or a permanent failure) by type, until pruned.");
  for (const t of [...new Set([...types, ...Object.keys(m.dead)])].sort()) e.sample("codeguard_scan_dead_letters", { scan_type: t }, m.dead[t] ?? 0);
  e.family("codeguard_source_down", "gauge", "1 while a source (GitHub) is down: its jobs wait without spending attempts.");
  for (const s of m.sources_down) e.sample("codeguard_source_down", { source: s }, 1);

  e.family("codeguard_scan_duration_seconds", "histogram", "Wall-clock duration of completed scans (first claim to completion, resumptions included), by type.");
  for (const d of m.scan_durations) {
    m.scan_duration_bounds.forEach((le, i) => e.sample("codeguard_scan_duration_seconds_bucket", { scan_type: d.scan_type, le: String(le) }, d.buckets[i]));
    e.sample("codeguard_scan_duration_seconds_bucket", { scan_type: d.scan_type, le: "+Inf" }, d.count);
    e.sample("codeguard_scan_duration_seconds_sum", { scan_type: d.scan_type }, d.sum);
    e.sample("codeguard_scan_duration_seconds_count", { scan_type: d.scan_type }, d.count);
  }

  e.family("codeguard_github_requests_total", "counter", "GitHub requests the scans made, by kind: all, counted against the rate limit, answered 304.");
  e.sample("codeguard_github_requests_total", { kind: "all" }, m.github_requests.requests);
  e.sample("codeguard_github_requests_total", { kind: "counted" }, m.github_requests.counted);
  e.sample("codeguard_github_requests_total", { kind: "not_modified" }, m.github_requests.not_modified);
  e.family("codeguard_github_graphql_points_total", "counter", "GraphQL points the scans spent.")
    .sample("codeguard_github_graphql_points_total", {}, m.github_requests.graphql_points);
  e.family("codeguard_github_rate_limit_snoozes", "gauge", "Snoozes until GitHub's rate limit resets, in the job log's retention.")
    .sample("codeguard_github_rate_limit_snoozes", {}, m.rate_limit_snoozes);
  if (m.webhook_deliveries) {
    e.family("codeguard_github_webhook_deliveries_total", "counter", "GitHub webhook deliveries recorded, by outcome.");
    for (const [outcome, n] of Object.entries(m.webhook_deliveries).sort()) e.sample("codeguard_github_webhook_deliveries_total", { outcome }, n);
  }
  return e.text();
}

export interface QueueMetricsDeps {
  db: Db;
  verifyCaller: VerifyCaller;
}

/** GET → 200 with the text; the service only (a secret key, or the legacy service_role key). */
export async function handleQueueMetrics(req: Request, deps: QueueMetricsDeps): Promise<Response> {
  if (req.method !== "GET") {
    return Response.json({ error: "method not allowed: use GET" }, { status: 405, headers: { allow: "GET" } });
  }
  const caller = await callerOr(req, deps.verifyCaller, (c) => c.kind === "service",
    "queue-metrics serves every company's queue figures to the service only (a secret key in the apikey header)");
  if (caller instanceof Response) return caller;
  let metrics: QueueMetrics;
  try {
    metrics = await deps.db.functions.value<QueueMetrics>("queue_metrics", []);
  } catch (e) {
    return Response.json({ error: `the queue's figures could not be read: ${(e as Error).message}` }, { status: 503 });
  }
  return new Response(renderPrometheus(metrics), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
}
