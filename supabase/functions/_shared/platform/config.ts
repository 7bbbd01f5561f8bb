/**
 * The configuration every edge function reads once, from the environment Supabase gives it
 * (and the local functions host gives it too). Frozen; a missing value fails fast, naming it.
 */
export interface FunctionConfig {
  readonly supabaseUrl: string;
  readonly dbUrl: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export function readConfig(env: Record<string, string | undefined>): FunctionConfig {
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new ConfigError(`missing ${name}: Supabase sets it for deployed functions; locally run npm start`);
    return v;
  };
  return Object.freeze({ supabaseUrl: need("SUPABASE_URL"), dbUrl: need("SUPABASE_DB_URL") });
}
