/** The scan queue in the core: the typed client of its SQL API and the worker loop in its parts. */
export * from "./types.ts";
export * from "./client.ts";
export * from "./clock.ts";
export * from "./worker/outcomes.ts";
export * from "./worker/worker-loop.ts";
