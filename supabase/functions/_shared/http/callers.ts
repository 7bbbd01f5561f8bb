/**
 * Who may call a function: decided from the verified caller, never from the mere presence of a
 * valid token (the anon and publishable keys are public). Pure: the checks of the credentials
 * themselves are in supabase-callers.ts (the functions'), and each handler states its rule here.
 */

/** Who is calling, as established from verified credentials. */
export type Caller =
  /** The platform's dispatch or a server of the project: a secret key, or the legacy service_role key. */
  | { readonly kind: "service"; readonly via: "secret_key" | "legacy_service_role_key" }
  /** A signed-in user: a session JWT verified against the project's keys. */
  | { readonly kind: "member"; readonly userId: string; readonly via: "user_jwt" }
  /** Anyone: a publishable key, the legacy anon key, or nothing at all. */
  | { readonly kind: "anon"; readonly via: "publishable_key" | "legacy_anon_key" | "no_credentials" };

/** Establishes the caller of a request; throws CallerRejected for credentials that do not verify. */
export type VerifyCaller = (req: Request) => Promise<Caller>;

/** Credentials were presented and did not verify (forged, expired, an unknown key): 401. */
export class CallerRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CallerRejected";
  }
}

/** Equality of two secrets in time that does not depend on where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

function describe(caller: Caller): string {
  if (caller.kind === "member") return "a signed-in user";
  if (caller.kind === "anon") return caller.via === "no_credentials" ? "a caller without credentials" : "a caller with the public key";
  return "the service";
}

/**
 * The caller, or the answer that refuses it: 401 for credentials that did not verify, 403 (saying
 * who may) when `allowed` does not hold.
 */
export async function callerOr(
  req: Request,
  verify: VerifyCaller,
  allowed: (caller: Caller) => boolean,
  who: string,
): Promise<Caller | Response> {
  let caller: Caller;
  try {
    caller = await verify(req);
  } catch (e) {
    if (!(e instanceof CallerRejected)) throw e;
    return Response.json({ error: `the credentials were refused: ${e.message}` }, { status: 401 });
  }
  if (allowed(caller)) return caller;
  return Response.json({ error: `${who}; this is ${describe(caller)}` }, { status: 403 });
}
