// What github-webhook makes of a payload (routes.ts), one behaviour per test; the function itself
// is driven through the local gateway in test/webhooks/github-webhook.test.ts.

/** JSON with keys sorted, so that equal values print equal whatever their keys' order. */
const canonical = (v: unknown): string => JSON.stringify(v, (_k, x) =>
  x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x);
function assertEquals(actual: unknown, expected: unknown) {
  if (canonical(actual) !== canonical(expected)) throw new Error(`not equal: ${canonical(actual)} !== ${canonical(expected)}`);
}
function assertMatch(actual: string, re: RegExp) {
  if (!re.test(actual)) throw new Error(`${JSON.stringify(actual)} does not match ${re}`);
}
import { parseDelivery, type ParsedDelivery } from "../_shared/webhooks/routes.ts";

const repository = { full_name: "octo/repo", default_branch: "main" };

Deno.test("a push to the default branch is an incremental scan; to another branch it is ignored, saying which", () => {
  assertEquals(parseDelivery("push", { ref: "refs/heads/main", repository }), {
    action: null, installationId: null, route: { kind: "scan", scan_type: "incremental_scan", repository: "octo/repo", default_branch: "main" },
  });
  assertEquals(parseDelivery("push", { ref: "refs/tags/v1", repository, installation: { id: 7 } }), {
    action: null, installationId: 7, route: { kind: "ignored", reason: "a push to refs/tags/v1, not to the default branch main" },
  });
});

Deno.test("a pull request closed without a merge is ignored; merged, it is analysed", () => {
  const pr = (merged: boolean) => ({ action: "closed", number: 9, pull_request: { merged }, repository });
  assertEquals((parseDelivery("pull_request", pr(false)) as ParsedDelivery).route, { kind: "ignored", reason: "pull request #9 was closed without a merge" });
  assertEquals((parseDelivery("pull_request", pr(true)) as ParsedDelivery).route, { kind: "scan", scan_type: "pr_analysis", repository: "octo/repo", pr_number: 9 });
});

Deno.test("a suspended installation deactivates the repositories linked to it, although its payload lists none", () => {
  assertEquals((parseDelivery("installation", { action: "suspend", installation: { id: 5, account: { login: "octo" } } }) as ParsedDelivery).route,
    { kind: "deactivate", repositories: [], include_linked: true, installation_status: "suspended" });
});

Deno.test("a payload of the wrong shape is refused field by field", () => {
  const r = parseDelivery("pull_request", { action: "opened", number: -1, pull_request: {}, repository: { full_name: 3 } });
  assertMatch((r as { error: string }).error, /^not a GitHub pull_request payload: number: .*; repository.full_name: .*expected string/);
});
