/**
 * Where the GitHub client's credentials come from: a company's personal access token kept in
 * Vault, or a GitHub App installation token minted from the app's private key. Tokens are held in
 * closures and sent only in the Authorization header; no error, log line or toString shows them.
 */
import type { Db } from "../platform/db.ts";
import { GitHubAuthError, GitHubRequestError, MalformedResponse } from "./errors.ts";

/** Gives the bearer token for the next request; `invalidate` drops a cached one after a 401. */
export interface TokenSource {
  token(): Promise<string>;
  invalidate?(): void;
}

/** The Vault secret name of a company's personal access token. */
export function githubTokenSecretName(companyId: string): string {
  return `github_token:${companyId}`;
}

/** A token known up front (tests, the CLI with GITHUB_TOKEN). */
export function staticToken(token: string): TokenSource {
  return { token: async () => token, toString: () => "[TokenSource static]" } as TokenSource;
}

/**
 * A company's personal access token, read once from Vault (public.github_token reads
 * `vault.decrypted_secrets` by the name `github_token:<company_id>`). Store it with
 * public.set_github_token.
 */
export function vaultToken(db: Db, companyId: string): TokenSource {
  const sql = db.functions;
  let cached: Promise<string> | null = null;
  const read = async (): Promise<string> => {
    const secret = await sql.value<string | null>("github_token", [["p_company_id", companyId, "uuid"]]);
    if (!secret) {
      throw new GitHubAuthError(401, `no GitHub token in Vault under ${githubTokenSecretName(companyId)}`);
    }
    return secret;
  };
  return {
    token: () => (cached ??= read().catch((error) => {
      cached = null;
      throw error;
    })),
    invalidate: () => {
      cached = null;
    },
    toString: () => `[TokenSource vault ${githubTokenSecretName(companyId)}]`,
  } as TokenSource;
}

export interface GitHubAppCredentials {
  appId: string | number;
  installationId: string | number;
  /** The app's private key as GitHub hands it out (PKCS#1 "RSA PRIVATE KEY") or PKCS#8 PEM. */
  privateKeyPem: string;
  /** REST base, default https://api.github.com. */
  baseUrl?: string;
  fetch?: typeof fetch;
  now?: () => number;
}

/** Renew this long before GitHub's expires_at, so a token never expires mid-request. */
const INSTALLATION_TOKEN_MARGIN_MS = 5 * 60_000;

/**
 * GitHub App mode: an RS256 app JWT (crypto.subtle, so it runs in Deno and Node alike) exchanged for
 * an installation token at POST /app/installations/{id}/access_tokens, cached until shortly before
 * its expires_at (GitHub issues them for one hour).
 */
export function githubAppToken(credentials: GitHubAppCredentials): TokenSource & { mints(): number } {
  const baseUrl = (credentials.baseUrl ?? "https://api.github.com").replace(/\/+$/, "");
  const fetchFn = credentials.fetch ?? ((input, init) => fetch(input, init));
  const now = credentials.now ?? (() => Date.now());
  let current: { token: string; expiresAt: number } | null = null;
  let pending: Promise<string> | null = null;
  let minted = 0;
  let keyPromise: Promise<CryptoKey> | null = null;

  const mint = async (): Promise<string> => {
    keyPromise ??= importRsaPrivateKey(credentials.privateKeyPem);
    const jwt = await signAppJwt(await keyPromise, String(credentials.appId), now());
    const url = `${baseUrl}/app/installations/${credentials.installationId}/access_tokens`;
    const res = await fetchFn(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${jwt}`,
        accept: "application/vnd.github+json",
        "x-github-api-version": "2022-11-28",
        "user-agent": "codeguard",
      },
    });
    const text = await res.text();
    if (res.status === 401 || res.status === 403) throw new GitHubAuthError(res.status, `the app JWT was refused: ${text.slice(0, 200)}`);
    if (res.status !== 201 && res.status !== 200) throw new GitHubRequestError(res.status, url, text.slice(0, 200));
    let body: { token?: unknown; expires_at?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      throw new MalformedResponse(url, "the installation token answer is not JSON");
    }
    if (typeof body.token !== "string" || typeof body.expires_at !== "string" || Number.isNaN(Date.parse(body.expires_at))) {
      throw new MalformedResponse(url, "the installation token answer lacks token/expires_at");
    }
    minted++;
    current = { token: body.token, expiresAt: Date.parse(body.expires_at) };
    return body.token;
  };

  return {
    token: async () => {
      if (current && current.expiresAt - INSTALLATION_TOKEN_MARGIN_MS > now()) return current.token;
      pending ??= mint().finally(() => {
        pending = null;
      });
      return pending;
    },
    invalidate: () => {
      current = null;
    },
    mints: () => minted,
    toString: () => `[TokenSource github-app ${credentials.appId}/${credentials.installationId}]`,
  } as TokenSource & { mints(): number };
}

/** Signs the app JWT: iat 60 s in the past (clock drift, as GitHub advises), exp 9 min ahead (max 10). */
export async function signAppJwt(key: CryptoKey, appId: string, nowMs: number): Promise<string> {
  const iat = Math.floor(nowMs / 1000) - 60;
  const header = base64url(new TextEncoder().encode(JSON.stringify({ alg: "RS256", typ: "JWT" })));
  const payload = base64url(new TextEncoder().encode(JSON.stringify({ iat, exp: iat + 600 - 60, iss: appId })));
  const signingInput = `${header}.${payload}`;
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(signingInput));
  return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}

/**
 * Imports a PEM RSA private key for RS256. crypto.subtle reads only PKCS#8, while GitHub hands out
 * PKCS#1 ("BEGIN RSA PRIVATE KEY"), so PKCS#1 is wrapped in the PKCS#8 envelope first.
 */
export async function importRsaPrivateKey(pem: string): Promise<CryptoKey> {
  const pkcs1 = /-----BEGIN RSA PRIVATE KEY-----/.test(pem);
  const der = base64Decode(pem.replace(/-----(BEGIN|END)[^-]+-----/g, "").replace(/\s+/g, ""));
  const pkcs8 = pkcs1 ? wrapPkcs1InPkcs8(der) : der;
  return crypto.subtle.importKey("pkcs8", pkcs8, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
}

/** PrivateKeyInfo ::= SEQUENCE { version 0, AlgorithmIdentifier rsaEncryption NULL, OCTET STRING pkcs1 } */
function wrapPkcs1InPkcs8(pkcs1: Uint8Array): Uint8Array<ArrayBuffer> {
  const version = Uint8Array.of(0x02, 0x01, 0x00);
  const algorithm = Uint8Array.of(0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00);
  const octets = der(0x04, pkcs1);
  return der(0x30, concat(version, algorithm, octets));
}

function der(tag: number, content: Uint8Array): Uint8Array<ArrayBuffer> {
  const n = content.length;
  let length: Uint8Array;
  if (n < 0x80) length = Uint8Array.of(n);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    length = Uint8Array.of(0x80 | bytes.length, ...bytes);
  }
  return concat(Uint8Array.of(tag), length, content);
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function base64Decode(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
