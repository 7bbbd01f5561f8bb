// The whole local stack for an end-to-end test file: its own throwaway Postgres with every
// migration, the functions under Deno, and the pg_cron / pg_net executors. Slower than a cloned
// database (a few seconds), so use it only where a test must cross the HTTP boundary.
import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { startStack, type LocalStack, type StackOptions } from "../../src/local/stack.ts";

/** A temporary folder the `postgres` user can pass through (mkdtemp makes them 0700). */
export function tempStateDir(prefix = "cg-stack-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** Starts a stack before the file's tests and stops it after them. */
export function useLocalStack(options: StackOptions = {}): { readonly current: LocalStack } {
  const holder = {} as { current: LocalStack };
  beforeAll(async () => {
    holder.current = await startStack({ stateDir: tempStateDir(), ephemeral: true, ...options });
  }, 120_000);
  afterAll(async () => {
    await holder.current?.stop();
  });
  return holder;
}
