// postgres.js drops the promise of the type query it runs on each new connection (isDroppedTypeFetch
// says why that one is safe to ignore); a connection lost at that moment must not end a worker
// mid-scan. Nor its write to a connection that closed meanwhile (isNullSocketWrite). Every other
// unhandled rejection or uncaught exception still ends the process, as Node's default does.
import { droppedTypeFetchWarning, isDroppedTypeFetch, isNullSocketWrite, nullSocketWriteWarning } from "../../supabase/functions/_shared/platform/db.ts";

export function outliveDroppedTypeFetches(): void {
  process.on("unhandledRejection", (reason) => {
    if (!isDroppedTypeFetch(reason)) throw reason;
    process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), level: "warn", message: droppedTypeFetchWarning(reason) })}\n`);
  });
  // Its write to a connection already closed (isNullSocketWrite) is thrown from a timer: outlived
  // too. Any other uncaught exception ends the process as Node's default does (its stack, exit 1).
  process.on("uncaughtException", (error) => {
    if (!isNullSocketWrite(error)) {
      process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(1);
    }
    process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), level: "warn", message: nullSocketWriteWarning() })}\n`);
  });
}
