/**
 * The functions' check of their callers' credentials, for the keys Supabase has now and the legacy
 * ones it is retiring (reference/platform-keys-and-privileges.md). The current keys — secret and
 * publishable keys in the `apikey` header, user session JWTs signed with the project's asymmetric
 * keys and checked against SUPABASE_JWKS — are verified by Supabase's own `@supabase/server`
 * (constant-time key comparison, JWKS verification). It refuses the legacy anon and service_role
 * keys by design, so those are matched here, in constant time, against the values the platform
 * provisions (SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY): a legacy key is a fixed JWT, so
 * equality with the provisioned one is the proof.
 *
 * Deno only (an `npm:` import): the edge functions build their check with it; the Node side never
 * imports this module, and reaches the functions over HTTP.
 */
import { verifyAuth } from "npm:@supabase/server@1.8.1/core";
import { type Caller, CallerRejected, sameSecret, type VerifyCaller } from "./callers.ts";

function bearerOf(req: Request): string | null {
  const m = /^bearer\s+(\S+)\s*$/i.exec(req.headers.get("authorization") ?? "");
  return m ? m[1] : null;
}

/** The `exp` claim of a JWT (already verified), or undefined. */
function expOf(jwt: string | null): unknown {
  try {
    const body = jwt?.split(".")[1];
    if (!body) return undefined;
    const text = new TextDecoder().decode(Uint8Array.from(atob(body.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)));
    return (JSON.parse(text) as { exp?: unknown }).exp;
  } catch {
    return undefined;
  }
}

/** A JSON object of the environment, or null when absent or malformed. */
function jsonOf(text: string | undefined): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text);
    return typeof v === "object" && v !== null ? v : null;
  } catch {
    return null;
  }
}

/** The caller check of a function, from the environment Supabase gives it. */
export function supabaseCallers(env: Record<string, string | undefined>): VerifyCaller {
  const legacyService = env.SUPABASE_SERVICE_ROLE_KEY || null;
  const legacyAnon = env.SUPABASE_ANON_KEY || null;
  const keys = {
    url: env.SUPABASE_URL ?? "",
    secretKeys: (jsonOf(env.SUPABASE_SECRET_KEYS) ?? (env.SUPABASE_SECRET_KEY ? { default: env.SUPABASE_SECRET_KEY } : {})) as Record<string, string>,
    publishableKeys: (jsonOf(env.SUPABASE_PUBLISHABLE_KEYS) ?? (env.SUPABASE_PUBLISHABLE_KEY ? { default: env.SUPABASE_PUBLISHABLE_KEY } : {})) as Record<string, string>,
    // deno-lint-ignore no-explicit-any
    jwks: jsonOf(env.SUPABASE_JWKS) as any,
  };
  return async (req: Request): Promise<Caller> => {
    let bearer = bearerOf(req);
    let apikey = req.headers.get("apikey");
    if (legacyService && [bearer, apikey].some((c) => c !== null && sameSecret(c, legacyService))) {
      return { kind: "service", via: "legacy_service_role_key" };
    }
    // The legacy anon key proves nothing beyond "anyone"; another credential beside it (a user's
    // session, as supabase-js sends it) still counts.
    let legacyAnonSeen = false;
    if (legacyAnon && bearer !== null && sameSecret(bearer, legacyAnon)) [bearer, legacyAnonSeen] = [null, true];
    if (legacyAnon && apikey !== null && sameSecret(apikey, legacyAnon)) [apikey, legacyAnonSeen] = [null, true];
    // An API key sent as a bearer token (some clients do) is an API key.
    if (bearer !== null && bearer.startsWith("sb_")) {
      if (apikey === null || sameSecret(apikey, bearer)) apikey = bearer;
      bearer = null;
    }
    if (bearer === null && apikey === null) return { kind: "anon", via: legacyAnonSeen ? "legacy_anon_key" : "no_credentials" };

    // An apikey that is not one of the project's keys is refused whatever comes with it — a user's
    // session too, which verifyAuth's user mode would take without looking at the key — so that
    // every function answers a wrong key alike (401, as health does without a session). Supabase's
    // gateway does not check the apikey of a verify_jwt = false function: this check is the only one.
    if (apikey !== null && bearer !== null) {
      const key = await verifyAuth(new Request(req.url, { headers: { apikey } }), { auth: ["secret:*", "publishable:*"], env: keys });
      if (key.error) throw new CallerRejected(`the apikey header is not one of this project's keys: ${key.error.message}`);
    }
    const headers = new Headers();
    if (bearer !== null) headers.set("authorization", `Bearer ${bearer}`);
    if (apikey !== null) headers.set("apikey", apikey);
    // A user's session before the publishable key beside it: supabase-js sends both.
    const { data, error } = await verifyAuth(new Request(req.url, { headers }), { auth: ["secret:*", "user", "publishable:*"], env: keys });
    if (error) throw new CallerRejected(error.message);
    if (data.authMode === "secret") return { kind: "service", via: "secret_key" };
    if (data.authMode === "user" && data.userClaims?.id && data.userClaims.role === "authenticated") {
      // A session that never expires is a key nobody can take back: Supabase Auth always sets exp,
      // so a signed token without one was not made by it (verifyAuth lets it through).
      if (typeof expOf(bearer) !== "number") throw new CallerRejected("the session token has no exp (expiry): sign in again");
      return { kind: "member", userId: data.userClaims.id, via: "user_jwt" };
    }
    return { kind: "anon", via: data.authMode === "publishable" ? "publishable_key" : "no_credentials" };
  };
}
