// Sends the requests queued by the local pg_net face (net.http_post/get/delete) and records each
// answer in net._http_response, as pg_net's background worker does. A NOTIFY sent by the enqueue
// reaches us only when the caller's transaction commits, so a rolled-back call sends nothing; a
// slow poll is only the backstop for a missed notification (e.g. while reconnecting).
import postgres from "postgres";

interface RequestRow {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer | null;
  timeout_milliseconds: number;
}

export interface DispatcherOptions {
  url: string;
  backstopMs?: number;
  onEvent?: (msg: string) => void;
}

export class LocalNetDispatcher {
  private readonly sql: postgres.Sql;
  private readonly inflight = new Map<string, Promise<void>>();
  private listener?: postgres.ListenMeta;
  private backstop?: NodeJS.Timeout;
  private draining = false;
  private again = false;
  private stopped = false;
  /** Requests sent since start. */
  sent = 0;

  constructor(private readonly options: DispatcherOptions) {
    this.sql = postgres(options.url, { max: 4, onnotice: () => {} });
  }

  async start(): Promise<void> {
    this.listener = await this.sql.listen("codeguard_net_request", () => void this.drain());
    this.backstop = setInterval(() => void this.drain(), this.options.backstopMs ?? 1000);
    await this.drain();
  }

  private async drain(): Promise<void> {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.again = false;
        const rows = await this.sql<RequestRow[]>`
          select id::text, method, url, headers, body, timeout_milliseconds from net.http_request_queue
          where not (id = any(${[...this.inflight.keys()]}::bigint[])) order by id limit 100`;
        for (const row of rows) {
          const p = this.send(row).finally(() => this.inflight.delete(row.id));
          this.inflight.set(row.id, p);
        }
        if (rows.length === 100) this.again = true;
      } while (this.again && !this.stopped);
    } catch (e) {
      if (!this.stopped) this.options.onEvent?.(`net dispatcher: ${(e as Error).message}`);
    } finally {
      this.draining = false;
    }
  }

  private async send(row: RequestRow): Promise<void> {
    let status: number | null = null;
    let contentType: string | null = null;
    let headers: Record<string, string> | null = null;
    let content: string | null = null;
    let timedOut = false;
    let error: string | null = null;
    try {
      const res = await fetch(row.url, {
        method: row.method,
        headers: row.headers,
        body: row.method === "POST" && row.body ? new Uint8Array(row.body) : undefined,
        signal: AbortSignal.timeout(row.timeout_milliseconds),
      });
      status = res.status;
      contentType = res.headers.get("content-type");
      headers = Object.fromEntries(res.headers.entries());
      content = await res.text();
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      timedOut = err.name === "TimeoutError";
      error = timedOut
        ? `Timeout of ${row.timeout_milliseconds} ms reached`
        : `${err.message}${err.cause?.code ? ` (${err.cause.code})` : ""}`;
    }
    this.sent++;
    if (this.stopped && status === null) return; // shutting down: leave the request queued for the next start
    try {
      await this.sql`
        with done as (delete from net.http_request_queue where id = ${row.id})
        insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
        values (${row.id}, ${status}, ${contentType}, ${headers === null ? null : this.sql.json(headers)}, ${content}, ${timedOut}, ${error})`;
    } catch (e) {
      // The answer could not be recorded (Postgres restarting, or out of connections: the chaos
      // suite does both): the request stays queued and is sent again when the database is back. A
      // wake-up sent twice starts a worker that finds nothing more to claim.
      if (!this.stopped) this.options.onEvent?.(`net dispatcher: the answer to request ${row.id} was not recorded, it will be sent again: ${(e as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.backstop);
    await this.listener?.unlisten().catch(() => {});
    await Promise.allSettled([...this.inflight.values()]);
    await this.sql.end({ timeout: 2 });
  }
}
