// The local Supabase stack: embedded Postgres with the bootstrap and our migrations, the pg_cron
// and pg_net executors, and the functions host — everything `npm start` and end-to-end tests run.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { LocalNetDispatcher } from "./dispatcher.ts";
import type { LocalRepository } from "./github/dataset.ts";
import { startLocalGitHub, type LocalGitHub } from "./github/server.ts";
import { FunctionsHost } from "./functions-host.ts";
import { loadKeys, type LocalKeys } from "./keys.ts";
import { REPO_ROOT, preBaselineVersions, prepareDatabase, setAsidePreBaseline } from "./migrate.ts";
import { LEGACY_PASSWORD, startPostgres, type LocalPostgres } from "./postgres.ts";
import { LocalScheduler } from "./scheduler.ts";

export interface StackOptions {
  /** Where the stack keeps its state (Postgres data, keys). Default .codeguard/local. */
  stateDir?: string;
  pgPort?: number;
  functionsPort?: number;
  /** Throwaway cluster (tests): fsync off, data removed on stop. */
  ephemeral?: boolean;
  /** Postgres's connection slots (default 300). */
  pgMaxConnections?: number;
  /** Extra environment for the functions. */
  functionsEnv?: Record<string, string>;
  /**
   * Serve these repositories from a local GitHub and point the functions at it (GITHUB_API_URL).
   * Without it the functions talk to GITHUB_API_URL of functionsEnv, else api.github.com (so
   * `codeguard start` always passes one of them).
   */
  localGitHub?: () => LocalRepository[];
  onEvent?: (msg: string) => void;
  /**
   * Postgres exited on its own (killed, crashed): `how` says how. `npm start` then stops the stack
   * and exits non-zero, saying so; without a listener nothing is done.
   */
  onPostgresExit?: (how: string) => void;
}

export interface PartStatus {
  name: string;
  state: string;
  ms: number;
  detail?: string;
}

export interface LocalStack {
  dbUrl: string;
  apiUrl: string;
  functionsUrl: string;
  keys: LocalKeys;
  parts: PartStatus[];
  readyMs: number;
  postgres: LocalPostgres;
  functions: FunctionsHost;
  scheduler: LocalScheduler;
  dispatcher: LocalNetDispatcher;
  /** The local GitHub, when the stack was asked for one. */
  github?: LocalGitHub;
  stop(): Promise<void>;
}

/**
 * A password kept in the data folder (mode 0600), made on first use: every login role of a local
 * stack has its own, so that no default password opens it.
 */
function storedPassword(stateDir: string, name: string, ephemeral: boolean): { password: string; isNew: boolean } {
  const file = join(stateDir, `${name}-password`);
  if (!ephemeral && existsSync(file)) return { password: readFileSync(file, "utf8").trim(), isNew: false };
  const password = randomBytes(24).toString("base64url");
  if (!ephemeral) {
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return { password, isNew: true };
}

/** Whether the superuser can log in with the URL's password. */
async function canLogIn(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await sql`select 1`;
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === "28P01") return false; // invalid_password
    throw e;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

export async function startStack(options: StackOptions = {}): Promise<LocalStack> {
  const t0 = performance.now();
  const parts: PartStatus[] = [];
  const mark = (name: string, state: string, since: number, detail?: string) =>
    parts.push({ name, state, ms: Math.round(performance.now() - since), detail });
  const stateDir = resolve(options.stateDir ?? join(REPO_ROOT, ".codeguard", "local"));
  mkdirSync(stateDir, { recursive: true });
  const keys = loadKeys(stateDir, !!options.ephemeral);
  const superuser = storedPassword(stateDir, "postgres", !!options.ephemeral);
  const authenticator = storedPassword(stateDir, "authenticator", !!options.ephemeral);

  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    cleanups.length = 0;
  };

  try {
    let t = performance.now();
    const pg = await startPostgres({
      dataDir: join(stateDir, "pgdata"),
      port: options.pgPort,
      password: superuser.password,
      fast: options.ephemeral,
      ephemeral: options.ephemeral,
      maxConnections: options.pgMaxConnections,
      onEvent: options.onEvent,
    });
    cleanups.push(() => pg.stop());
    // A cluster made by an older stack has the default password: replace it with this stack's own.
    if (superuser.isNew && !(await canLogIn(pg.url()))) {
      const legacy = new URL(pg.url());
      legacy.password = LEGACY_PASSWORD;
      const sql = postgres(legacy.toString(), { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`alter role postgres password '${superuser.password}'`);
      } finally {
        await sql.end();
      }
      options.onEvent?.("the postgres role's default password was replaced by this stack's own (see postgres-password in the data folder)");
    }
    if (options.onPostgresExit) pg.onUnexpectedExit(options.onPostgresExit);
    mark("postgres", "up", t, `17 on 127.0.0.1:${pg.port}`);

    t = performance.now();
    const dbUrl = pg.url();
    const old = await preBaselineVersions(dbUrl);
    if (old.length > 0) {
      const kept = await setAsidePreBaseline(dbUrl);
      options.onEvent?.(`the database predates the schema baseline (its history: ${old.join(", ")}); kept as ${kept}, ` +
        `and a new one is built from supabase/migrations (drop the old one when done: drop database ${kept})`);
    }
    await prepareDatabase(dbUrl);
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    await sql.unsafe(`alter role authenticator password '${authenticator.password}'`);
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from supabase_migrations.schema_migrations`;
    mark("migrations", "applied", t, `${n} migrations`);

    let github: LocalGitHub | undefined;
    if (options.localGitHub) {
      t = performance.now();
      const repositories = options.localGitHub();
      github = await startLocalGitHub({ repositories });
      cleanups.push(() => github!.stop());
      mark("github", "up", t, `local GitHub at ${github.url} (${repositories.map((r) => `${r.owner}/${r.name}`).join(", ") || "no repository"})`);
    }

    t = performance.now();
    const functions = new FunctionsHost({
      port: options.functionsPort,
      keys,
      onEvent: options.onEvent,
      env: {
        SUPABASE_URL: "", // set below, once the port is known
        SUPABASE_DB_URL: dbUrl,
        // What Supabase provisions for every function (the current keys, and the legacy ones alongside).
        SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishableKey }),
        SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.secretKey }),
        SUPABASE_JWKS: JSON.stringify(keys.jwks),
        SUPABASE_ANON_KEY: keys.anonKey,
        SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
        ...(github ? { GITHUB_API_URL: github.url } : {}),
        ...options.functionsEnv,
      },
    });
    cleanups.push(() => functions.stop());
    await functions.startServer();
    const apiUrl = `http://127.0.0.1:${functions.port}`;
    functions.setEnv("SUPABASE_URL", apiUrl);

    // What the dispatch reads to call the functions (the documented Vault pattern; README, "Deploying").
    await sql.begin(async (tx) => {
      for (const [name, value] of [["project_url", apiUrl], ["secret_key", keys.secretKey]] as const) {
        const [row] = await tx<{ id: string }[]>`select id from vault.secrets where name = ${name}`;
        if (row) await tx`select vault.update_secret(${row.id}::uuid, ${value})`;
        else await tx`select vault.create_secret(${value}, ${name}, 'set by the local stack')`;
      }
    });
    await sql.end();

    await functions.startFunctions();
    const fnStates = functions.status();
    const down = fnStates.filter((f) => f.state !== "up");
    mark("functions", down.length ? "degraded" : "up", t,
      `${fnStates.length - down.length}/${fnStates.length} under Deno` + (down.length ? `; down: ${down.map((d) => `${d.name} (${d.lastError})`).join(", ")}` : ""));

    t = performance.now();
    const dispatcher = new LocalNetDispatcher({ url: dbUrl, onEvent: options.onEvent });
    cleanups.push(() => dispatcher.stop());
    await dispatcher.start();
    mark("pg_net", "up", t, "local dispatcher (LISTEN/NOTIFY)");

    t = performance.now();
    const scheduler = new LocalScheduler({ url: dbUrl, onEvent: options.onEvent });
    cleanups.push(() => scheduler.stop());
    await scheduler.start();
    mark("pg_cron", "up", t, `${scheduler.jobCount} schedules`);

    return {
      dbUrl,
      apiUrl,
      functionsUrl: functions.url,
      keys,
      parts,
      readyMs: Math.round(performance.now() - t0),
      postgres: pg,
      functions,
      scheduler,
      dispatcher,
      github,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
