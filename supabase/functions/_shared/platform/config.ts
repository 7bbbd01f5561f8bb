/**
 * The configuration every edge function reads once, from the environment Supabase gives it
 * (and the local functions host gives it too): the one module that reads the environment. Frozen;
 * a missing or malformed value fails fast, naming it.
 */
export interface FunctionConfig {
  readonly supabaseUrl: string;
  readonly dbUrl: string;
  /** The keys a caller's credentials are checked against (http/supabase-callers.ts). */
  readonly callerKeys: CallerKeys;
  /** GitHub's API (GitHub Enterprise Server, or the local GitHub of `npm start`); undefined: api.github.com. */
  readonly githubApiUrl: string | undefined;
}

/**
 * The project's keys as the platform provisions them (reference/platform-keys-and-privileges.md):
 * the current secret and publishable keys (by name) and the JWKS that user sessions are verified
 * against, and the legacy anon and service_role JWTs Supabase is retiring.
 */
export interface CallerKeys {
  readonly supabaseUrl: string;
  readonly secretKeys: Readonly<Record<string, string>>;
  readonly publishableKeys: Readonly<Record<string, string>>;
  /** The project's JSON Web Key Set, or null when none is provisioned (no user sessions then). */
  readonly jwks: { readonly keys: readonly unknown[] } | null;
  readonly legacyServiceRoleKey: string | null;
  readonly legacyAnonKey: string | null;
  /** The key a page sends to Auth: the default publishable key, else the legacy anon key. */
  readonly publishableKey: string | null;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

/** A JSON object held by `name`, or null when unset; malformed: a ConfigError naming it. */
function jsonObject(env: Env, name: string): Record<string, unknown> | null {
  const text = env[name];
  if (!text) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${name} is not JSON (${(e as Error).message}): Supabase sets it for deployed functions; locally run npm start`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ConfigError(`${name} must be a JSON object, got ${text.slice(0, 40)}`);
  return v as Record<string, unknown>;
}

/** A map of key name → key: `plural` (a JSON object, Supabase's current form), else `single` as "default". */
function namedKeys(env: Env, plural: string, single: string): Readonly<Record<string, string>> {
  const keys = jsonObject(env, plural);
  if (keys) {
    for (const [k, v] of Object.entries(keys)) if (typeof v !== "string") throw new ConfigError(`${plural}.${k} must be a string`);
    return Object.freeze({ ...(keys as Record<string, string>) });
  }
  const one: Record<string, string> = {};
  if (env[single]) one.default = env[single]!;
  return Object.freeze(one);
}

/** The keys a function checks its callers' credentials against; none is required (a key not provisioned admits nobody). */
export function readCallerKeys(env: Env): CallerKeys {
  const publishableKeys = namedKeys(env, "SUPABASE_PUBLISHABLE_KEYS", "SUPABASE_PUBLISHABLE_KEY");
  const jwks = jsonObject(env, "SUPABASE_JWKS");
  if (jwks && !Array.isArray(jwks.keys)) throw new ConfigError("SUPABASE_JWKS must be a JSON Web Key Set: an object with a keys array");
  const legacyAnonKey = env.SUPABASE_ANON_KEY || null;
  return Object.freeze({
    supabaseUrl: env.SUPABASE_URL ?? "",
    secretKeys: namedKeys(env, "SUPABASE_SECRET_KEYS", "SUPABASE_SECRET_KEY"),
    publishableKeys,
    jwks: jwks as CallerKeys["jwks"],
    legacyServiceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY || null,
    legacyAnonKey,
    publishableKey: publishableKeys.default ?? Object.values(publishableKeys)[0] ?? legacyAnonKey,
  });
}

export function readConfig(env: Env): FunctionConfig {
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new ConfigError(`missing ${name}: Supabase sets it for deployed functions; locally run npm start`);
    return v;
  };
  return Object.freeze({
    supabaseUrl: need("SUPABASE_URL"),
    dbUrl: need("SUPABASE_DB_URL"),
    callerKeys: readCallerKeys(env),
    githubApiUrl: env.GITHUB_API_URL || undefined,
  });
}
