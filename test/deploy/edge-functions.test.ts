// Every edge function, as the tree has it now (a folder of supabase/functions not starting with
// "_"), must deploy: a config.toml block with verify_jwt and its entrypoint, a Deno type-check, and
// a bundle whose module graph is closed — npm: specifiers and relative paths inside supabase/functions
// only — so a bad import fails here and not at `supabase functions deploy`.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configProblems, denoBundle, denoCheck, edgeFunctionNames, foreignImports, functionBlocks } from "../../src/deploy/edge-functions.ts";

const names = edgeFunctionNames();
const out = mkdtempSync(join(tmpdir(), "codeguard-bundles-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("edge functions", () => {
  it("are found in the tree (health and scan-repository at least)", () => {
    expect(names).toEqual(expect.arrayContaining(["health", "scan-repository"]));
  });

  it("each has its config.toml block (verify_jwt, entrypoint) and deno.json", () => {
    expect(names.flatMap(configProblems)).toEqual([]);
  });

  it("config.toml names no function the tree lacks", () => {
    expect(Object.keys(functionBlocks()).filter((n) => !names.includes(n))).toEqual([]);
  });

  // Two at a time (two cores); Deno caches what it checked, so a rerun costs about a second each.
  it("each type-checks under Deno and bundles a closed module graph", { timeout: 240_000 }, async () => {
    const failures: string[] = [];
    const queue = [...names];
    const worker = async () => {
      for (let name = queue.shift(); name; name = queue.shift()) {
        try {
          failures.push(...(await foreignImports(name)));
          await denoCheck(name);
          const file = join(out, `${name}.js`);
          await denoBundle(name, file);
          if (statSync(file).size < 1000) failures.push(`supabase/functions/${name}: the bundle is ${statSync(file).size} bytes`);
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    };
    await Promise.all([worker(), worker()]);
    expect(failures.join("\n\n")).toBe("");
  });
});
