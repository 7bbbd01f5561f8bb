// The GitHub client under Deno (the edge runtime): conditional requests, the rate-limit mapping and
// the app JWT use only web standards, so the same module runs here and in Node.
import { staticToken, signAppJwt } from "../_shared/github/auth.ts";
import { MemoryEtagCache } from "../_shared/github/etag-cache.ts";
import { RateLimited } from "../_shared/github/errors.ts";
import { GitHubHttp } from "../_shared/github/http.ts";

function assertEquals(actual: unknown, expected: unknown) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new Error(`${JSON.stringify(actual)} !== ${JSON.stringify(expected)}`);
}
function assertInstanceOf(value: unknown, type: abstract new (...args: never[]) => unknown) {
  if (!(value instanceof type)) throw new Error(`expected a ${type.name}, got ${String(value)}`);
}

function serveLikeGitHub(): { url: string; close(): Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/limited") {
      return new Response(JSON.stringify({ message: "API rate limit exceeded" }), {
        status: 403,
        headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1900000000" },
      });
    }
    if (req.headers.get("if-none-match") === 'W/"v1"') return new Response(null, { status: 304 });
    return new Response(JSON.stringify([{ sha: "abc" }]), { headers: { etag: 'W/"v1"', "content-type": "application/json" } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

Deno.test("a repeated conditional GET is answered 304 from the cache and not counted", async () => {
  const gh = serveLikeGitHub();
  try {
    const http = new GitHubHttp({ token: staticToken("t"), baseUrl: gh.url, etagCache: new MemoryEtagCache() });
    const read = (b: unknown) => b as { sha: string }[];
    await http.get("/list", { shape: "list@1", read });
    const again = await http.get("/list", { shape: "list@1", read });
    assertEquals(again.data[0].sha, "abc");
    assertEquals([http.counter.counted, http.counter.notModified], [1, 1]);
  } finally {
    await gh.close();
  }
});

Deno.test("x-ratelimit-remaining 0 becomes RateLimited at x-ratelimit-reset", async () => {
  const gh = serveLikeGitHub();
  try {
    const http = new GitHubHttp({ token: staticToken("t"), baseUrl: gh.url });
    const error = await http.get("/limited", { shape: "raw", read: (b) => b }).catch((e) => e);
    assertInstanceOf(error, RateLimited);
    assertEquals((error as RateLimited).resetAt.getTime(), 1_900_000_000_000);
  } finally {
    await gh.close();
  }
});

Deno.test("an app JWT signed with crypto.subtle verifies with the public key", async () => {
  const pair = await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  );
  const jwt = await signAppJwt(pair.privateKey, "4242", Date.parse("2026-11-24T10:00:00Z"));
  const [h, p, s] = jwt.split(".");
  const sig = Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const ok = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", pair.publicKey, sig, new TextEncoder().encode(`${h}.${p}`));
  assertEquals(ok, true);
  assertEquals(JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/"))).iss, "4242");
});
