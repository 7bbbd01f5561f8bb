// The local stack's keys, as a Supabase project has them (reference/platform-keys-and-privileges.md):
//   * the legacy keys: anon and service_role JWTs, HS256-signed with the project's JWT secret;
//   * the current API keys: a publishable key (sb_publishable_…) and a secret key (sb_secret_…),
//     which are not JWTs and travel in the `apikey` header;
//   * a JWT signing key (ES256) whose public half is the project's JWKS, for user sessions.
// Generated once per data folder and kept there (keys.json, mode 0600; a jwt-secret file of an
// older stack is kept too, so its legacy keys stay valid), so that tokens handed out survive
// restarts. A JWT secret that is missing, empty or short is refused: a stack would accept tokens
// signed with it.
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, timingSafeEqual, verify, type JsonWebKey } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalStackError } from "./errors.ts";

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/** The shortest JWT secret the stack accepts (Supabase's are 40 characters and more). */
export const MIN_JWT_SECRET_LENGTH = 32;

export interface LocalKeys {
  /** The legacy HS256 secret (never printed: it signs service_role tokens). */
  jwtSecret: string;
  /** Legacy anon key: an HS256 JWT with role anon. */
  anonKey: string;
  /** Legacy service_role key: an HS256 JWT with role service_role. */
  serviceRoleKey: string;
  /** sb_publishable_…: public, maps to the anon role. */
  publishableKey: string;
  /** sb_secret_…: servers only, maps to the service role. */
  secretKey: string;
  /** The ES256 signing key's private JWK (never printed) and the public JWKS functions verify against. */
  signingKey: JsonWebKey & { kid: string };
  jwks: { keys: (JsonWebKey & { kid: string; alg: "ES256"; use: "sig" })[] };
}

export function signJwt(payload: Record<string, unknown>, secret: string): string {
  const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64url(JSON.stringify(payload));
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

/** A user session token as Supabase Auth issues it with a signing key: ES256, with a kid. */
export function signUserJwt(keys: LocalKeys, claims: { sub: string; email?: string; role?: string; expiresInSeconds?: number | null }): string {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ alg: "ES256", typ: "JWT", kid: keys.signingKey.kid }));
  const body = b64url(JSON.stringify({
    iss: "supabase-local", aud: "authenticated", role: claims.role ?? "authenticated", sub: claims.sub, email: claims.email,
    iat: now,
    // null: no exp at all (a token Supabase Auth never issues; the tests' forgery).
    ...(claims.expiresInSeconds === null ? {} : { exp: now + (claims.expiresInSeconds ?? 3600) }),
  }));
  const key = createPrivateKey({ key: keys.signingKey, format: "jwk" });
  const sig = sign("sha256", Buffer.from(`${head}.${body}`), { key, dsaEncoding: "ieee-p1363" }).toString("base64url");
  return `${head}.${body}.${sig}`;
}

export type JwtCheck = { ok: true; claims: Record<string, unknown> } | { ok: false; reason: string };

/**
 * Verifies a JWT as Supabase's gateway does: HS256 with the legacy secret, or ES256 with the key of
 * the JWKS its kid names; then the expiry. `nowSeconds` is injectable for tests.
 */
export function verifyJwt(token: string, keys: Pick<LocalKeys, "jwtSecret" | "jwks">, nowSeconds = Math.floor(Date.now() / 1000)): JwtCheck {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "malformed token" };
  const [head, body, sig] = parts;
  let header: { alg?: string; kid?: string };
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(head, "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed token" };
  }
  const given = Buffer.from(sig, "base64url");
  if (header.alg === "HS256") {
    const expected = createHmac("sha256", keys.jwtSecret).update(`${head}.${body}`).digest();
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "invalid signature" };
  } else if (header.alg === "ES256") {
    const jwk = keys.jwks.keys.find((k) => k.kid === header.kid);
    if (!jwk) return { ok: false, reason: `no signing key ${String(header.kid)} in the JWKS` };
    const ok = verify("sha256", Buffer.from(`${head}.${body}`), { key: createPublicKey({ key: jwk, format: "jwk" }), dsaEncoding: "ieee-p1363" }, given);
    if (!ok) return { ok: false, reason: "invalid signature" };
  } else {
    return { ok: false, reason: `unsupported algorithm ${String(header.alg)}` };
  }
  // Supabase Auth always sets exp: a JWT without one was not made by it, and would never expire.
  if (typeof claims.exp !== "number") return { ok: false, reason: "token has no exp" };
  if (claims.exp < nowSeconds) return { ok: false, reason: "token expired" };
  return { ok: true, claims };
}

interface StoredKeys {
  publishableKey: string;
  secretKey: string;
  signingKey: JsonWebKey & { kid: string };
}

function newStoredKeys(): StoredKeys {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    publishableKey: `sb_publishable_${randomBytes(24).toString("base64url")}`,
    secretKey: `sb_secret_${randomBytes(24).toString("base64url")}`,
    signingKey: { ...privateKey.export({ format: "jwk" }), kid: randomBytes(8).toString("hex") },
  };
}

/** The keys of a stack from its secret and its stored keys. */
export function makeLocalKeys(jwtSecret = randomBytes(32).toString("hex"), stored: StoredKeys = newStoredKeys()): LocalKeys {
  // Fixed times, so the same secret always yields the same legacy keys (they survive restarts).
  const iat = 1_767_225_600; // 2026-01-01
  const exp = iat + 20 * 365 * 24 * 3600;
  const { d: _private, ...publicJwk } = stored.signingKey;
  return {
    jwtSecret,
    anonKey: signJwt({ iss: "supabase-local", ref: "codeguard", role: "anon", iat, exp }, jwtSecret),
    serviceRoleKey: signJwt({ iss: "supabase-local", ref: "codeguard", role: "service_role", iat, exp }, jwtSecret),
    publishableKey: stored.publishableKey,
    secretKey: stored.secretKey,
    signingKey: stored.signingKey,
    jwks: { keys: [{ ...publicJwk, kid: stored.signingKey.kid, alg: "ES256", use: "sig" }] },
  };
}

function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** The data folder's keys, made on first use (ephemeral stacks: fresh ones, kept nowhere). */
export function loadKeys(stateDir: string, ephemeral: boolean): LocalKeys {
  if (ephemeral) return makeLocalKeys();
  const secretFile = join(stateDir, "jwt-secret");
  const keysFile = join(stateDir, "keys.json");
  let jwtSecret: string;
  if (existsSync(secretFile)) {
    jwtSecret = readFileSync(secretFile, "utf8").trim();
    if (jwtSecret.length < MIN_JWT_SECRET_LENGTH) {
      throw new LocalStackError(
        `The JWT secret in ${secretFile} is ${jwtSecret.length === 0 ? "empty" : `only ${jwtSecret.length} characters`}: the stack would accept tokens signed with it.`,
        `Delete the file to have a new secret made (tokens signed with the old one stop working), or put a secret of at least ${MIN_JWT_SECRET_LENGTH} random characters in it.`,
      );
    }
  } else if (existsSync(join(stateDir, "pgdata", "global", "pg_control"))) {
    // The data folder has a database but lost the secret its tokens were signed with.
    throw new LocalStackError(
      `The JWT secret file ${secretFile} is missing, but ${stateDir} holds a database made with one.`,
      "Put the file back if you have it. Otherwise delete the data folder to start fresh, or write a new secret of at " +
        `least ${MIN_JWT_SECRET_LENGTH} random characters into the file (tokens signed with the old one stop working).`,
    );
  } else {
    jwtSecret = randomBytes(32).toString("hex");
    writePrivate(secretFile, `${jwtSecret}\n`);
  }
  let stored: StoredKeys;
  if (existsSync(keysFile)) {
    try {
      stored = JSON.parse(readFileSync(keysFile, "utf8")) as StoredKeys;
      if (!/^sb_publishable_/.test(stored.publishableKey) || !/^sb_secret_/.test(stored.secretKey) || !stored.signingKey?.d) throw new Error("incomplete");
    } catch {
      throw new LocalStackError(`The keys file ${keysFile} is damaged.`, "Delete it to have new keys made (clients holding the old publishable or secret key must take the new ones).");
    }
  } else {
    stored = newStoredKeys();
    writePrivate(keysFile, `${JSON.stringify(stored, null, 2)}\n`);
  }
  return makeLocalKeys(jwtSecret, stored);
}
