import { defineConfig } from "vitest/config";
import { isDroppedTypeFetch, isNullSocketWrite } from "./supabase/functions/_shared/platform/db.ts";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/harness/global-setup.ts"],
    // A worker whose vitest was SIGKILLed exits (test/harness/orphaned-worker.ts).
    setupFiles: ["test/harness/orphaned-worker.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files run in parallel, each in its own database cloned from one template (see test/harness).
    pool: "forks",
    // More files at once than the two cores: the longest tests mostly wait (a 90 s GitHub outage,
    // a lease running out after a SIGKILL), and the whole suite took 267 s one file per core.
    maxWorkers: 4,
    // The local stack runs in the test process: like the CLI (src/cli/main.ts), it outlives
    // postgres.js's dropped type-fetch rejection when a restart cuts a connection while it opens,
    // and its write to a connection already closed (isNullSocketWrite).
    onUnhandledError: (error) => (isDroppedTypeFetch(error) || isNullSocketWrite(error) ? false : undefined),
  },
});
