import { defineConfig } from "vitest/config";
import { isDroppedTypeFetch, isNullSocketWrite } from "./supabase/functions/_shared/platform/db.ts";

// `npm run test:chaos`: the chaos suite (test/chaos), apart from `npm test` — each file brings up a
// whole local stack and breaks a part of it, and a case waits out leases and outages (minutes).
export default defineConfig({
  test: {
    include: ["test/chaos/**/*.chaos.ts"],
    globalSetup: ["test/harness/global-setup.ts"],
    setupFiles: ["test/harness/orphaned-worker.ts"], // a worker whose vitest was SIGKILLed exits
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Files wait on leases and outages more than they compute: three at once on two cores.
    maxWorkers: 3,
    // The local stack runs in the test process: like the CLI (src/cli/main.ts), it outlives
    // postgres.js's dropped type-fetch rejection when a restart cuts a connection while it opens,
    // and its write to a connection already closed (isNullSocketWrite).
    onUnhandledError: (error) => (isDroppedTypeFetch(error) || isNullSocketWrite(error) ? false : undefined),
  },
});
