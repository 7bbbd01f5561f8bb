// HS256 JWTs, as the Supabase gateway checks them. The local stack signs its anon and
// service-role keys with a secret of its own (kept in the data folder, never printed).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

export function signJwt(payload: Record<string, unknown>, secret: string): string {
  const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64url(JSON.stringify(payload));
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

export type JwtCheck = { ok: true; claims: Record<string, unknown> } | { ok: false; reason: string };

/** Verifies signature, algorithm and expiry; `nowSeconds` is injectable for tests. */
export function verifyJwt(token: string, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): JwtCheck {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "malformed token" };
  const [head, body, sig] = parts;
  let header: { alg?: string };
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(head, "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed token" };
  }
  if (header.alg !== "HS256") return { ok: false, reason: `unsupported algorithm ${String(header.alg)}` };
  const expected = createHmac("sha256", secret).update(`${head}.${body}`).digest();
  const given = Buffer.from(sig, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "invalid signature" };
  if (typeof claims.exp === "number" && claims.exp < nowSeconds) return { ok: false, reason: "token expired" };
  return { ok: true, claims };
}

export interface LocalKeys {
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
}

/** The keys of a local stack: a fresh secret, and the anon and service-role JWTs signed with it. */
export function makeLocalKeys(jwtSecret = randomBytes(32).toString("hex")): LocalKeys {
  // Fixed times, so the same secret always yields the same keys (they survive restarts).
  const iat = 1_767_225_600; // 2026-01-01
  const exp = iat + 20 * 365 * 24 * 3600;
  return {
    jwtSecret,
    anonKey: signJwt({ iss: "supabase-local", ref: "codeguard", role: "anon", iat, exp }, jwtSecret),
    serviceRoleKey: signJwt({ iss: "supabase-local", ref: "codeguard", role: "service_role", iat, exp }, jwtSecret),
  };
}
