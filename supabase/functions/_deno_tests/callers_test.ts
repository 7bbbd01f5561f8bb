// The functions' caller check (supabase-callers.ts) in the runtime it deploys to: each kind of
// credential Supabase issues, current and legacy, and what is refused.
import { supabaseCallers } from "../_shared/http/supabase-callers.ts";
import { readCallerKeys } from "../_shared/platform/config.ts";
import { CallerRejected } from "../_shared/http/callers.ts";

function assertEquals(actual: unknown, expected: unknown, msg?: string) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${msg ?? "not equal"}: ${JSON.stringify(actual)} !== ${JSON.stringify(expected)}`);
  }
}

const b64url = (bytes: Uint8Array | string) =>
  btoa(typeof bytes === "string" ? bytes : String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

async function signingKey(kid: string) {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const jwk = { ...(await crypto.subtle.exportKey("jwk", pair.publicKey)), kid, alg: "ES256", use: "sig" };
  const sign = async (claims: Record<string, unknown>) => {
    const input = `${b64url(JSON.stringify({ alg: "ES256", typ: "JWT", kid }))}.${b64url(JSON.stringify(claims))}`;
    const sig = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, new TextEncoder().encode(input)));
    return `${input}.${b64url(sig)}`;
  };
  return { jwk, sign };
}

const project = await signingKey("project-key");
const stranger = await signingKey("project-key"); // same kid, another key: a forgery
const now = Math.floor(Date.now() / 1000);
const env = {
  SUPABASE_URL: "http://127.0.0.1:1",
  SUPABASE_SECRET_KEYS: JSON.stringify({ default: "sb_secret_current", rotated: "sb_secret_next" }),
  SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: "sb_publishable_current" }),
  SUPABASE_JWKS: JSON.stringify({ keys: [project.jwk] }),
  SUPABASE_ANON_KEY: "eyJ.legacy-anon.key",
  SUPABASE_SERVICE_ROLE_KEY: "eyJ.legacy-service-role.key",
};
const verify = supabaseCallers(readCallerKeys(env));
const call = (headers: Record<string, string>) => verify(new Request("http://local/functions/v1/x", { headers }));
const member = { sub: "0b7e2f4c-5f9a-4a84-8d2c-000000000042", role: "authenticated", aud: "authenticated", iat: now, exp: now + 60 };

Deno.test("a secret key — any of the project's, for rotation — or the legacy service_role key is the service", async () => {
  assertEquals(await call({ apikey: "sb_secret_current" }), { kind: "service", via: "secret_key" });
  assertEquals(await call({ apikey: "sb_secret_next" }), { kind: "service", via: "secret_key" });
  assertEquals(await call({ authorization: `Bearer ${env.SUPABASE_SERVICE_ROLE_KEY}` }), { kind: "service", via: "legacy_service_role_key" });
  assertEquals(await call({ apikey: env.SUPABASE_SERVICE_ROLE_KEY }), { kind: "service", via: "legacy_service_role_key" });
});

Deno.test("a session JWT signed with the project's key is a member; the public keys, or nothing, are anyone", async () => {
  assertEquals(await call({ authorization: `Bearer ${await project.sign(member)}`, apikey: "sb_publishable_current" }),
    { kind: "member", userId: member.sub, via: "user_jwt" });
  assertEquals(await call({ authorization: `Bearer ${await project.sign(member)}`, apikey: env.SUPABASE_ANON_KEY }),
    { kind: "member", userId: member.sub, via: "user_jwt" });
  assertEquals(await call({ apikey: "sb_publishable_current" }), { kind: "anon", via: "publishable_key" });
  assertEquals(await call({ authorization: "Bearer sb_publishable_current", apikey: "sb_publishable_current" }), { kind: "anon", via: "publishable_key" });
  assertEquals(await call({ authorization: `Bearer ${env.SUPABASE_ANON_KEY}`, apikey: env.SUPABASE_ANON_KEY }), { kind: "anon", via: "legacy_anon_key" });
  assertEquals(await call({}), { kind: "anon", via: "no_credentials" });
});

Deno.test("a made-up key, a forged or expired JWT are refused, not taken for anyone", async () => {
  const forged: Record<string, string>[] = [
    { apikey: "sb_secret_guessed" },
    { authorization: `Bearer ${await stranger.sign(member)}` },
    { authorization: `Bearer ${await project.sign({ ...member, exp: now - 60 })}` },
    { authorization: "Bearer not-a-jwt" },
  ];
  for (const headers of forged) {
    let refused: unknown = null;
    try {
      await call(headers);
    } catch (e) {
      refused = e;
    }
    assertEquals(refused instanceof CallerRejected, true, JSON.stringify(headers));
    assertEquals(String((refused as Error).message).includes("sb_secret_guessed"), false, "the refusal does not quote the key");
  }
});
