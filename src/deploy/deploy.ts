// `npm run deploy`: CodeGuard onto a Supabase project with the Supabase CLI — link, db push, the
// functions' secrets, every function of the tree, then the Vault secrets the dispatch needs, and a
// health check. The plan is built from the environment and the tree first; every missing piece is
// named with where to find it before anything runs, and `--dry-run` prints the plan and exits 0
// without running a command or sending a byte. Every step is safe to repeat: after a failure, fix
// what it says and run it again.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import postgres from "postgres";
import { dbFromPostgresJs } from "../../supabase/functions/_shared/platform/db.ts";
import { REPO_ROOT } from "../local/migrate.ts";
import { redactUrl } from "../database-url.ts";
import { configProblems, denoBundle, denoCheck, edgeFunctionNames, foreignImports } from "./edge-functions.ts";
import { migrationFiles } from "./generated.ts";

const SUPABASE = join(REPO_ROOT, "node_modules", ".bin", "supabase");
const FUNCTIONS_ENV = join(REPO_ROOT, "supabase", "functions", ".env");

/** What the deploy needs, each with where a person finds it. */
export const NEEDS = {
  SUPABASE_PROJECT_REF: "the project's ref, the <ref> of https://<ref>.supabase.co (Project Settings → General → Project ID); or pass --project-ref",
  SUPABASE_ACCESS_TOKEN: "a personal access token for the CLI: run `npx supabase login` once, or create one under Account → Access Tokens and export SUPABASE_ACCESS_TOKEN",
  SUPABASE_DB_URL: "the database's connection string with its password: Connect → Session pooler (IPv4, port 5432), " +
    "postgresql://postgres.<ref>:<password>@aws-0-<region>.pooler.supabase.com:5432/postgres (reset a forgotten password under Project Settings → Database)",
  SUPABASE_SECRET_KEY: "a secret API key, sb_secret_… (Project Settings → API Keys → Secret keys): what pg_cron's dispatch sends to the functions; " +
    "a project on the legacy keys may set SUPABASE_SERVICE_ROLE_KEY (its service_role JWT) instead",
} as const;
export type Need = keyof typeof NEEDS;

export interface DeployOptions {
  dryRun: boolean;
  /**
   * Only the database (db push and the Vault secrets: no Management API, what the dashboard's SQL
   * file also does), only the functions (link, their secrets, deploy: what the dashboard cannot do),
   * or everything.
   */
  only?: "db" | "functions";
  projectRef?: string;
  env: Record<string, string | undefined>;
}

export interface Step {
  /** What it does, in a person's words. */
  title: string;
  /** The command as shown (secrets redacted), when it runs one. */
  shown?: string;
  run(): Promise<void>;
}

export interface DeployPlan {
  projectRef?: string;
  projectUrl?: string;
  steps: Step[];
  missing: Need[];
  notes: string[];
}

/** True when a Docker daemon is there to bundle functions; else `--use-api` (bundled by Supabase). */
function hasDocker(env: Record<string, string | undefined>): boolean {
  const onPath = (env.PATH ?? "").split(delimiter).some((d) => d && existsSync(join(d, "docker")));
  return onPath && (existsSync("/var/run/docker.sock") || Boolean(env.DOCKER_HOST));
}

function hasAccessToken(env: Record<string, string | undefined>): boolean {
  return Boolean(env.SUPABASE_ACCESS_TOKEN) || existsSync(join(env.HOME || homedir(), ".supabase", "access-token"));
}

/** The database password of a connection string (what `supabase link` asks for), or undefined. */
function passwordOf(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/** Runs the Supabase CLI with the person's terminal; fails with the step's name when it fails. */
function supabase(args: string[], env: Record<string, string | undefined>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(SUPABASE, args, { cwd: REPO_ROOT, env: env as NodeJS.ProcessEnv, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`supabase ${args[0]} ${args[1] ?? ""} exited with ${code}`))));
  });
}

/** The steps for `options`, and what is missing for them. Reads only the environment and the tree. */
export function deployPlan(options: DeployOptions): DeployPlan {
  const env = options.env;
  const ref = options.projectRef || env.SUPABASE_PROJECT_REF || undefined;
  const missing: Need[] = [];
  const notes: string[] = [];
  const dbOnly = options.only === "db";
  const functionsOnly = options.only === "functions";
  if (!ref && !dbOnly) missing.push("SUPABASE_PROJECT_REF");
  if (!dbOnly && !hasAccessToken(env)) missing.push("SUPABASE_ACCESS_TOKEN");
  const dbUrl = env.SUPABASE_DB_URL || undefined;
  if (!dbUrl && !functionsOnly) missing.push("SUPABASE_DB_URL");
  const secretKey = env.SUPABASE_SECRET_KEY || undefined;
  const legacyKey = env.SUPABASE_SERVICE_ROLE_KEY || undefined;
  if (!secretKey && !legacyKey && !functionsOnly) missing.push("SUPABASE_SECRET_KEY");
  const projectUrl = (env.SUPABASE_URL || (ref ? `https://${ref}.supabase.co` : "")).replace(/\/+$/, "") || undefined;
  if (dbOnly && !projectUrl) missing.push("SUPABASE_PROJECT_REF");

  const cliEnv = { ...env, SUPABASE_DB_PASSWORD: env.SUPABASE_DB_PASSWORD || (dbUrl ? passwordOf(dbUrl) : undefined) };
  const shownUrl = dbUrl ? redactUrl(dbUrl) : "$SUPABASE_DB_URL";
  const shownRef = ref ?? "$SUPABASE_PROJECT_REF";
  const steps: Step[] = [];
  const names = edgeFunctionNames();

  if (!dbOnly) {
    steps.push({
      title: `check every edge function (${names.join(", ")}): config.toml block, deno check, a bundle of npm: and relative imports only`,
      async run() {
        const problems: string[] = [];
        for (const name of names) {
          problems.push(...configProblems(name), ...(await foreignImports(name)));
          try {
            await denoCheck(name);
            await denoBundle(name, join(REPO_ROOT, ".codeguard", "bundles", `${name}.js`));
          } catch (e) {
            problems.push((e as Error).message);
          }
        }
        if (problems.length) throw new Error(`the functions would not deploy:\n  ${problems.join("\n  ")}`);
      },
    });
    const args = ["link", "--project-ref", shownRef];
    steps.push({ title: "link the project (its ref and database password are kept in supabase/.temp)", shown: `supabase ${args.join(" ")}`, run: () => supabase(["link", "--project-ref", ref!], cliEnv) });
  }
  const migrations = migrationFiles();
  if (!functionsOnly) steps.push({
    title: `apply the migrations (${migrations.length}, the newest ${migrations.at(-1)?.version}); the first enables pg_cron, pg_net and Vault`,
    shown: `supabase db push --db-url ${shownUrl} --include-all --yes`,
    run: () => supabase(["db", "push", "--db-url", dbUrl!, "--include-all", "--yes"], cliEnv),
  });
  if (!dbOnly) {
    if (existsSync(FUNCTIONS_ENV)) {
      steps.push({ title: "set the functions' secrets from supabase/functions/.env", shown: `supabase secrets set --env-file supabase/functions/.env --project-ref ${shownRef}`,
        run: () => supabase(["secrets", "set", "--env-file", FUNCTIONS_ENV, "--project-ref", ref!], cliEnv) });
    } else {
      notes.push("no supabase/functions/.env: no function secrets to set (the functions read what Supabase provides; GITHUB_API_URL for GitHub Enterprise would go there)");
    }
    const docker = hasDocker(env);
    if (!docker) notes.push("no Docker here: functions are deployed with --use-api (Supabase bundles them)");
    for (const name of names) {
      const args = ["functions", "deploy", name, "--project-ref", shownRef, ...(docker ? [] : ["--use-api"])];
      steps.push({ title: `deploy the function ${name}`, shown: `supabase ${args.join(" ")}`, run: () => supabase(args.map((a) => (a === shownRef ? ref! : a)), cliEnv) });
    }
  }
  const keyName = legacyKey && !secretKey ? "service_role_key" : "secret_key";
  if (!functionsOnly) steps.push({
    title: `store the dispatch's Vault secrets: project_url (${projectUrl ?? "https://<ref>.supabase.co"}) and ${keyName} (from ${keyName === "secret_key" ? "SUPABASE_SECRET_KEY" : "SUPABASE_SERVICE_ROLE_KEY"})`,
    shown: `select public.set_dispatch_secret('project_url', …), public.set_dispatch_secret('${keyName}', …)   -- over ${shownUrl}`,
    async run() {
      const sql = postgres(dbUrl!, { max: 1, prepare: false, onnotice: () => {}, connect_timeout: 15 });
      try {
        const api = dbFromPostgresJs(sql).functions;
        await api.value("set_dispatch_secret", [["p_name", "project_url", "text"], ["p_value", projectUrl, "text"]]);
        await api.value("set_dispatch_secret", [["p_name", keyName, "text"], ["p_value", secretKey ?? legacyKey, "text"]]);
      } finally {
        await sql.end({ timeout: 1 }).catch(() => {});
      }
    },
  });
  if (!dbOnly && !functionsOnly) {
    steps.push({
      title: "ask the health function, with the secret key, whether the pipeline is ready",
      shown: `GET ${projectUrl ?? "https://<ref>.supabase.co"}/functions/v1/health   (apikey: the secret key)`,
      async run() {
        const res = await fetch(`${projectUrl}/functions/v1/health`, { headers: { apikey: (secretKey ?? legacyKey)! }, signal: AbortSignal.timeout(30_000) });
        const body = (await res.json().catch(() => ({}))) as { status?: string; problems?: string[] };
        if (res.status !== 200 || body.status !== "ok") {
          throw new Error(`health answered ${res.status} ${body.status ?? ""}: ${(body.problems ?? []).join("; ") || "see the function's logs (Edge Functions → health → Logs)"}`);
        }
      },
    });
  }
  return { projectRef: ref, projectUrl, steps, missing: [...new Set(missing)], notes };
}

/** Prints the plan, then (unless a dry run) runs it; answers the exit code. */
export async function deploy(options: DeployOptions, print: (line: string) => void = console.log): Promise<number> {
  const plan = deployPlan(options);
  print(`CodeGuard → Supabase${options.only ? ` (the ${options.only === "db" ? "database" : "functions"} only)` : ""}${options.dryRun ? ": the plan (dry run — nothing is run, nothing is sent)" : ""}`);
  print(`project: ${plan.projectRef ?? "(no ref)"} ${plan.projectUrl ? `(${plan.projectUrl})` : ""}`.trimEnd());
  plan.steps.forEach((s, i) => print(`  ${i + 1}. ${s.title}${s.shown ? `\n       ${s.shown}` : ""}`));
  for (const n of plan.notes) print(`  note: ${n}`);
  if (plan.missing.length) {
    print(`missing${options.dryRun ? " (needed for a real run)" : ""}:`);
    for (const m of plan.missing) print(`  - ${m}: ${NEEDS[m]}`);
  }
  if (options.dryRun) return 0;
  if (plan.missing.length) {
    print("nothing was run: set what is missing, then run npm run deploy again");
    return 2;
  }
  for (const [i, step] of plan.steps.entries()) {
    print(`\n[${i + 1}/${plan.steps.length}] ${step.title}`);
    try {
      await step.run();
    } catch (e) {
      const err = e as { message: string; hint?: string };
      print(`✗ step ${i + 1} failed: ${err.message}${err.hint ? `\n→ ${err.hint}` : ""}`);
      print("every step is safe to repeat: fix the above, then run npm run deploy again");
      return 1;
    }
  }
  print(`\n✓ deployed. Next: npx codeguard company create "<name>" (with SUPABASE_DB_URL set), then token set, repo add, member add — README, "Onboarding a company"`);
  return 0;
}
