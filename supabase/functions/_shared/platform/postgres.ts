/**
 * The edge functions' one way to open a postgres.js pool (and the one place its version is pinned).
 * It also keeps the isolate alive through postgres.js's dropped type-fetch rejection (see
 * isDroppedTypeFetch): without this, a database restart while a connection is being opened ends the
 * isolate and every request it serves, instead of failing one statement that is retried anyway;
 * and through its write to a connection that closed meanwhile (isNullSocketWrite).
 */
import postgres from "npm:postgres@3.4.9";
import { droppedTypeFetchWarning, isDroppedTypeFetch, isNullSocketWrite, nullSocketWriteWarning } from "./db.ts";

let guarded = false;

/** Deno ends the isolate on an unhandled rejection unless a listener cancels the event. */
function keepIsolateThroughDroppedTypeFetches(): void {
  if (guarded) return;
  guarded = true;
  globalThis.addEventListener("unhandledrejection", (event) => {
    if (!isDroppedTypeFetch(event.reason)) return;
    event.preventDefault();
    console.warn(JSON.stringify({ level: "warn", message: droppedTypeFetchWarning(event.reason) }));
  });
  // And through its write to a connection already closed (isNullSocketWrite), thrown from a timer.
  globalThis.addEventListener("error", (event) => {
    if (!isNullSocketWrite((event as ErrorEvent).error)) return;
    event.preventDefault();
    console.warn(JSON.stringify({ level: "warn", message: nullSocketWriteWarning() }));
  });
}

export type Sql = postgres.Sql;
export type Options = postgres.Options<Record<string, postgres.PostgresType>>;

export function connectPostgres(url: string, options: Options): Sql {
  keepIsolateThroughDroppedTypeFetches();
  return postgres(url, options);
}
