import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/harness/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files run in parallel, each in its own database cloned from one template (see test/harness).
    pool: "forks",
    // More files at once than the two cores: the longest tests mostly wait (a 90 s GitHub outage,
    // a lease running out after a SIGKILL), and the whole suite took 267 s one file per core.
    maxWorkers: 4,
  },
});
