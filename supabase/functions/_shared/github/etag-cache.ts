/**
 * The ETag cache: the last good answer to each conditional GET, so a rescan can send
 * `If-None-Match` and take GitHub's 304 — which does not count against the rate limit — instead of
 * paying for the same page again. Rows are per company because GitHub varies answers (and ETags)
 * by Authorization: one company's token must never be answered from another's cache.
 */
import type { Db } from "../db.ts";

/** One cached answer. `link` is the Link header, kept so cached pages still paginate. */
export interface CachedResponse {
  etag: string;
  body: unknown;
  link: string | null;
}

/** Where cached answers live. `put` is called only with a validated body (never half a page). */
export interface EtagCache {
  get(key: string): Promise<CachedResponse | null>;
  put(key: string, value: CachedResponse): Promise<void>;
}

/** In-memory cache: for the CLI scanning without a database, and for tests of the client alone. */
export class MemoryEtagCache implements EtagCache {
  readonly entries = new Map<string, CachedResponse>();
  async get(key: string): Promise<CachedResponse | null> {
    return this.entries.get(key) ?? null;
  }
  async put(key: string, value: CachedResponse): Promise<void> {
    this.entries.set(key, structuredClone(value));
  }
}

/**
 * The Postgres cache (table public.github_etag_cache, migration 20261124002000_github_source.sql),
 * scoped to one company. Writes go through public.github_etag_cache_put, one upsert per answer.
 */
export class PostgresEtagCache implements EtagCache {
  constructor(private readonly db: Db, private readonly companyId: string) {}

  async get(key: string): Promise<CachedResponse | null> {
    const rows = await this.db.query<{ etag: string; body: unknown; link: string | null }>(
      "select etag, body, link from public.github_etag_cache where company_id = $1 and request_key = $2",
      [this.companyId, key],
    );
    const row = rows[0];
    if (!row) return null;
    // postgres.js hands jsonb back decoded; other drivers may give text.
    const body = typeof row.body === "string" ? JSON.parse(row.body) : row.body;
    return { etag: row.etag, body, link: row.link };
  }

  async put(key: string, value: CachedResponse): Promise<void> {
    await this.db.query("select public.github_etag_cache_put($1, $2, $3, $4::text::jsonb, $5)", [
      this.companyId,
      key,
      value.etag,
      JSON.stringify(value.body),
      value.link,
    ]);
  }
}
