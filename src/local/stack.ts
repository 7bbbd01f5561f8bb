// The local Supabase stack: embedded Postgres with the bootstrap and our migrations, the pg_cron
// and pg_net executors, and the functions host — everything `npm start` and end-to-end tests run.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { LocalNetDispatcher } from "./dispatcher.ts";
import type { LocalRepository } from "./github/dataset.ts";
import { startLocalGitHub, type LocalGitHub } from "./github/server.ts";
import { FunctionsHost } from "./functions-host.ts";
import { makeLocalKeys, type LocalKeys } from "./jwt.ts";
import { REPO_ROOT, preBaselineVersions, prepareDatabase, setAsidePreBaseline } from "./migrate.ts";
import { startPostgres, type LocalPostgres } from "./postgres.ts";
import { LocalScheduler } from "./scheduler.ts";

export interface StackOptions {
  /** Where the stack keeps its state (Postgres data, keys). Default .codeguard/local. */
  stateDir?: string;
  pgPort?: number;
  functionsPort?: number;
  /** Throwaway cluster (tests): fsync off, data removed on stop. */
  ephemeral?: boolean;
  /** Extra environment for the functions. */
  functionsEnv?: Record<string, string>;
  /**
   * Serve these repositories from a local GitHub and point the functions at it (GITHUB_API_URL).
   * Without it the functions talk to api.github.com.
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

/** Keys persist with the data, so tokens handed out keep working across restarts. */
function loadKeys(stateDir: string, ephemeral: boolean): LocalKeys {
  const file = join(stateDir, "jwt-secret");
  if (!ephemeral && existsSync(file)) return makeLocalKeys(readFileSync(file, "utf8").trim());
  const keys = makeLocalKeys();
  if (!ephemeral) {
    writeFileSync(file, keys.jwtSecret + "\n", { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return keys;
}

export async function startStack(options: StackOptions = {}): Promise<LocalStack> {
  const t0 = performance.now();
  const parts: PartStatus[] = [];
  const mark = (name: string, state: string, since: number, detail?: string) =>
    parts.push({ name, state, ms: Math.round(performance.now() - since), detail });
  const stateDir = resolve(options.stateDir ?? join(REPO_ROOT, ".codeguard", "local"));
  mkdirSync(stateDir, { recursive: true });
  const keys = loadKeys(stateDir, !!options.ephemeral);

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
      fast: options.ephemeral,
      ephemeral: options.ephemeral,
    });
    cleanups.push(() => pg.stop());
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
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from supabase_migrations.schema_migrations`;
    mark("migrations", "applied", t, `${n} migrations`);

    let github: LocalGitHub | undefined;
    if (options.localGitHub) {
      t = performance.now();
      const repositories = options.localGitHub();
      github = await startLocalGitHub({ repositories });
      cleanups.push(() => github!.stop());
      mark("github", "up", t, `local GitHub at ${github.url} (${repositories.map((r) => `${r.owner}/${r.name}`).join(", ")})`);
    }

    t = performance.now();
    const functions = new FunctionsHost({
      port: options.functionsPort,
      jwtSecret: keys.jwtSecret,
      onEvent: options.onEvent,
      env: {
        SUPABASE_URL: "", // set below, once the port is known
        SUPABASE_DB_URL: dbUrl,
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

    // What cron jobs on Supabase read to call the functions (the documented Vault pattern).
    await sql.begin(async (tx) => {
      for (const [name, value] of [["project_url", apiUrl], ["service_role_key", keys.serviceRoleKey]] as const) {
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
