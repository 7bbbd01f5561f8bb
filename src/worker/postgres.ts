// The worker's postgres.js pool, with Nagle's algorithm off on its connections.
//
// Why: postgres.js leaves TCP_NODELAY off (node-postgres, which graphile-worker uses, turns it on),
// so a small write can wait in the kernel for the acknowledgement of the previous one — up to the
// 40 ms of a delayed ACK on Linux. In bench/queue.ts, 16 no-op workers fell to 1,900–3,100 jobs/s
// in about a third of the runs with it on (6,700–9,300 otherwise), and in none of nine with it off.
import { connect, type Socket } from "node:net";
import postgres from "postgres";

/** The parts of postgres.js's parsed options a socket factory needs. */
interface SocketOptions {
  host: string[];
  port: number[];
  path?: string | false;
  connect_timeout?: number;
}

/** A postgres.js client whose connections are opened with TCP_NODELAY. */
export function workerPostgres(url: string, options: postgres.Options<Record<string, postgres.PostgresType>> = {}): postgres.Sql {
  // `socket` (a factory of connected sockets) is a postgres.js option its typings do not list.
  return postgres(url, { ...options, socket: connectWithoutDelay } as typeof options);
}

/** Connects to the first host (or the unix socket), resolving once connected. */
function connectWithoutDelay(o: SocketOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = o.path ? connect(o.path) : connect({ host: o.host[0], port: o.port[0], noDelay: true });
    const timeoutMs = (o.connect_timeout ?? 30) * 1000;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`could not connect to Postgres at ${o.path || `${o.host[0]}:${o.port[0]}`} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      resolve(socket);
    });
    const onError = (e: Error) => {
      clearTimeout(timer);
      reject(e);
    };
    socket.once("error", onError);
  });
}
