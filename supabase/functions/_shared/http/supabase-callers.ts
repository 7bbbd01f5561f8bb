/**
 * The functions' check of their callers' credentials, for the keys Supabase has now and the legacy
 * ones it is retiring (reference/platform-keys-and-privileges.md). The current keys — secret and
 * publishable keys in the `apikey` header, user session JWTs signed with the project's asymmetric
 * keys and checked against SUPABASE_JWKS — are verified by Supabase's own `@supabase/server`
 * (constant-time key comparison, JWKS verification). It refuses the legacy anon and service_role
 * keys by design, so those are matched here, in constant time, against the values the platform
 * provisions (SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY): a legacy key is a fixed JWT, so
 * equality with the provisioned one is the proof. The keys come from platform/config.ts, which
 * reads them from the environment once.
 *
 * Deno only (an `npm:` import): the edge functions build their check with it; the Node side never
 * imports this module, and reaches the functions over HTTP.
 */
import { verifyAuth } from "npm:@supabase/server@1.8.1/core";
import type { CallerKeys } from "../platform/config.ts";
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

/** The caller check of a function, against the project's keys (read by platform/config.ts). */
export function supabaseCallers(callerKeys: CallerKeys): VerifyCaller {
  const legacyService = callerKeys.legacyServiceRoleKey;
  const legacyAnon = callerKeys.legacyAnonKey;
  const keys = {
    url: callerKeys.supabaseUrl,
    secretKeys: { ...callerKeys.secretKeys },
    publishableKeys: { ...callerKeys.publishableKeys },
    // deno-lint-ignore no-explicit-any
    jwks: callerKeys.jwks as any,
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
