// postgres.js drops the promise of the type query it runs on each new connection (isDroppedTypeFetch
// says why that one is safe to ignore); a connection lost at that moment must not end a worker
// mid-scan. Every other unhandled rejection still ends the process, as Node's default does.
import { droppedTypeFetchWarning, isDroppedTypeFetch } from "../../supabase/functions/_shared/platform/db.ts";

export function outliveDroppedTypeFetches(): void {
  process.on("unhandledRejection", (reason) => {
    if (!isDroppedTypeFetch(reason)) throw reason;
    process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), level: "warn", message: droppedTypeFetchWarning(reason) })}\n`);
  });
}
