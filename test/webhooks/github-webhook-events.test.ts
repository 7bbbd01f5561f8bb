// The events github-webhook takes as GitHub's are at least those @octokit/webhooks-types names, so
// a real event is never refused as unknown (it is answered 202 and recorded as ignored instead).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { GITHUB_WEBHOOK_EVENTS, ROUTED_EVENTS } from "../../supabase/functions/_shared/webhooks/events.ts";

describe("GitHub's webhook events", () => {
  it("include every event of @octokit/webhooks-types and every event the examples have", () => {
    const require = createRequire(import.meta.url);
    const types = readFileSync(require.resolve("@octokit/webhooks-types/schema.d.ts"), "utf8");
    const map = /export interface EventPayloadMap \{([^}]*)\}/.exec(types)![1];
    const names = [...map.matchAll(/^\s*([a-z_]+):/gm)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(60);
    const examples = (require("@octokit/webhooks-examples") as { name: string }[]).map((e) => e.name);
    expect([...names, ...examples].filter((n) => !GITHUB_WEBHOOK_EVENTS.has(n))).toEqual([]);
    expect(ROUTED_EVENTS.every((n) => GITHUB_WEBHOOK_EVENTS.has(n))).toBe(true);
  });
});
