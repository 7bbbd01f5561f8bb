/**
 * The ETag cache: for each conditional GET, its ETag and what the client made of the answer, so a
 * rescan can send `If-None-Match` and take GitHub's 304 — which does not count against the rate
 * limit — instead of paying for the same page again. It keeps the reader's value (a commit's
 * numstat, a page's list of shas), not GitHub's body: that is all a 304 needs, and a tenth of the
 * bytes. Rows are per company because GitHub varies answers (and ETags) by Authorization: one
 * company's token must never be answered from another's cache.
 */
import type { Db } from "../platform/db.ts";
import type { SqlFunctions } from "../platform/sql-call.ts";

/** One cached answer: `value` was made by the reader named `shape`; `link` is the Link header. */
export interface CachedResponse {
  etag: string;
  value: unknown;
  link: string | null;
}

/** Where cached answers live. `put` is called only with a validated value (never half a page). */
export interface EtagCache {
  /** The answer cached under `key` by reader `shape`, or null (a row another reader made is a miss). */
  get(key: string, shape: string): Promise<CachedResponse | null>;
  put(key: string, shape: string, value: CachedResponse): Promise<void>;
}

/** In-memory cache: for the CLI scanning without a database, and for tests of the client alone. */
export class MemoryEtagCache implements EtagCache {
  readonly entries = new Map<string, CachedResponse & { shape: string }>();
  async get(key: string, shape: string): Promise<CachedResponse | null> {
    const hit = this.entries.get(key);
    return hit && hit.shape === shape ? { etag: hit.etag, value: structuredClone(hit.value), link: hit.link } : null;
  }
  async put(key: string, shape: string, value: CachedResponse): Promise<void> {
    this.entries.set(key, { ...structuredClone(value), shape });
  }
}

/**
 * The Postgres cache (public.github_etag_cache, supabase/schemas/30_github.sql) of one company,
 * through github_etag_cache_get / _put; `trim` applies the company's bound (prune_github_etag_cache),
 * which the scan processor calls at the end of each scan.
 */
export class PostgresEtagCache implements EtagCache {
  private readonly sql: SqlFunctions;

  constructor(db: Db, private readonly companyId: string) {
    this.sql = db.functions;
  }

  async get(key: string, shape: string): Promise<CachedResponse | null> {
    const [row] = await this.sql.rows<{ etag: string; value: Uint8Array; link: string | null }>("github_etag_cache_get", [
      ["p_company_id", this.companyId, "uuid"],
      ["p_request_key", key, "text"],
      ["p_shape", shape, "text"],
    ]);
    return row ? { etag: row.etag, value: JSON.parse(await inflate(row.value)), link: row.link } : null;
  }

  async put(key: string, shape: string, value: CachedResponse): Promise<void> {
    await this.sql.rows("github_etag_cache_put", [
      ["p_company_id", this.companyId, "uuid"],
      ["p_request_key", key, "text"],
      ["p_etag", value.etag, "text"],
      ["p_shape", shape, "text"],
      ["p_value", await deflate(JSON.stringify(value.value)), "bytea"],
      ["p_link", value.link, "text"],
    ]);
  }

  /** Deletes this company's rows beyond its bound (least recently used first) and unused for 30 days. */
  async trim(): Promise<{ entries: number; bytes: number }> {
    const [r] = await this.sql.rows<{ entries: string; bytes: string }>("prune_github_etag_cache", [["p_company_id", this.companyId, "uuid"]]);
    return { entries: Number(r.entries), bytes: Number(r.bytes) };
  }
}

/** Raw deflate (RFC 1951) of a text, with the web's CompressionStream (Deno and Node alike). */
export async function deflate(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The text `deflate` packed. */
export async function inflate(bytes: Uint8Array): Promise<string> {
  return await new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("deflate-raw"))).text();
}
