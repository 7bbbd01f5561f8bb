// A TCP proxy in front of the test Postgres that can lose connections the way a restart, a failover
// or a network reset does — all of them at once, or each new one just as postgres.js runs its
// array-type query on it (the moment its dropped promise, see isDroppedTypeFetch, rejects).
import { createServer, connect, type Socket } from "node:net";

export interface PgProxy {
  /** `target` with the proxy's host and port. */
  readonly url: string;
  /** Resets every connection open now (ECONNRESET on the client side). */
  cutAll(): void;
  /** Resets the next `n` connections when their client sends postgres.js's type query. */
  failTypeFetches(n: number): void;
  /** Type queries reset so far. */
  readonly typeFetchesFailed: number;
  close(): Promise<void>;
}

const TYPE_FETCH = Buffer.from("b.typarray");

export async function startPgProxy(target: string): Promise<PgProxy> {
  const upstream = new URL(target);
  const open = new Set<{ client: Socket; server: Socket }>();
  let toFail = 0;
  let failed = 0;
  const reset = (pair: { client: Socket; server: Socket }) => {
    open.delete(pair);
    pair.server.destroy();
    pair.client.resetAndDestroy();
  };
  const proxy = createServer((client) => {
    const server = connect(Number(upstream.port), upstream.hostname);
    const pair = { client, server };
    open.add(pair);
    client.on("data", (chunk: Buffer) => {
      if (toFail > 0 && chunk.includes(TYPE_FETCH)) {
        toFail--;
        failed++;
        reset(pair);
        return;
      }
      server.write(chunk);
    });
    server.on("data", (chunk) => client.write(chunk));
    const end = () => {
      open.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on("error", end).on("close", end);
    server.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const address = proxy.address() as { port: number };
  const url = new URL(target);
  url.hostname = "127.0.0.1";
  url.port = String(address.port);
  return {
    url: url.toString(),
    cutAll: () => [...open].forEach(reset),
    failTypeFetches: (n) => void (toFail = n),
    get typeFetchesFailed() {
      return failed;
    },
    close: () => {
      [...open].forEach(reset);
      return new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
