// Serves every supabase/functions/<name>/index.ts under real Deno at /functions/v1/<name>, the way
// Supabase's edge runtime does: the same environment (SUPABASE_URL, SUPABASE_DB_URL, the current
// keys SUPABASE_PUBLISHABLE_KEYS, SUPABASE_SECRET_KEYS and SUPABASE_JWKS, the legacy
// SUPABASE_ANON_KEY and SUPABASE_SERVICE_ROLE_KEY), and the gateway's JWT check — HS256 with the
// legacy secret, or ES256 against the JWKS — for functions whose config.toml block says verify_jwt
// (the default); for a verify_jwt = false function it checks nothing, the `apikey` header included,
// and passes the request on as it came, as Supabase's gateway does (docs, "Understanding API keys":
// the platform does not verify the apikey header of such a function; README, threat model). Each
// function is an unmodified `Deno.serve(handler)` listening where
// DENO_SERVE_ADDRESS says: a unix socket in a folder only this user can enter, so that nothing
// reaches a function but through the gateway (a TCP port would answer anyone on the machine).
// A function that crashes is restarted, and while it is down callers get a 503 naming the failure.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { LocalStackError } from "./errors.ts";
import { verifyJwt, type LocalKeys } from "./keys.ts";
import { portInUse } from "./postgres.ts";
import { REPO_ROOT } from "./migrate.ts";

export const FUNCTIONS_DIR = join(REPO_ROOT, "supabase", "functions");
const DENO = join(REPO_ROOT, "node_modules", ".bin", "deno");

/**
 * How a function's Deno process is started. In a process group of its own (`detached`), so that
 * Ctrl-C in the terminal — a SIGINT to the whole foreground group — reaches the command, which stops
 * the functions in order, and not each Deno process first (which then read as twelve crashes to
 * restart). And on Linux under `setpriv --pdeathsig SIGTERM` (util-linux), which execs Deno with the
 * kernel's promise to SIGTERM it when this process dies, however it dies: a SIGKILLed `npm start` or
 * test worker left the functions running under init.
 */
const PDEATHSIG = process.platform === "linux" && existsSync("/usr/bin/setpriv") ? ["/usr/bin/setpriv", "--pdeathsig", "SIGTERM", "--"] : [];

export interface FunctionsHostOptions {
  port?: number;
  /** What the gateway verifies JWTs with. */
  keys: Pick<LocalKeys, "jwtSecret" | "jwks">;
  env: Record<string, string>;
  functionsDir?: string;
  configPath?: string;
  onEvent?: (msg: string) => void;
}

type State = "starting" | "up" | "down";

interface FunctionProcess {
  name: string;
  verifyJwt: boolean;
  /** The unix socket the function listens on. */
  socket: string;
  state: State;
  child?: ChildProcess;
  lastError?: string;
  restarts: number;
  output: string[];
}

/** The functions of a project: folders under supabase/functions with an index.ts, not `_shared`. */
export function listFunctions(dir = FUNCTIONS_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("_") && !d.name.startsWith(".") && existsSync(join(dir, d.name, "index.ts")))
    .map((d) => d.name)
    .sort();
}

/** verify_jwt per function from config.toml; Supabase's default is true. */
export function readVerifyJwt(configPath: string): Map<string, boolean> {
  const config = parseToml(readFileSync(configPath, "utf8")) as { functions?: Record<string, { verify_jwt?: boolean }> };
  return new Map(Object.entries(config.functions ?? {}).map(([name, c]) => [name, c.verify_jwt !== false]));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export class FunctionsHost {
  private server?: Server;
  private readonly fns = new Map<string, FunctionProcess>();
  private stopping = false;
  port = 0;

  constructor(private readonly options: FunctionsHostOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/functions/v1`;
  }

  /** Name, state, restarts and last error of every function. */
  status(): { name: string; state: State; verifyJwt: boolean; restarts: number; pid?: number; socket: string; lastError?: string }[] {
    return [...this.fns.values()].map(({ name, state, verifyJwt, restarts, lastError, child, socket }) => ({ name, state, verifyJwt, restarts, pid: child?.pid, socket, lastError }));
  }

  /** The private folder of the functions' sockets. */
  private readonly socketDir = (() => {
    const dir = mkdtempSync(join(tmpdir(), "codeguard-functions-"));
    chmodSync(dir, 0o700);
    return dir;
  })();

  /** Starts the gateway (so its URL is known), then every function. */
  async start(): Promise<void> {
    await this.startServer();
    await this.startFunctions();
  }

  /** Starts the gateway; functions answer 404 until startFunctions(). */
  async startServer(): Promise<void> {
    if (this.options.port !== undefined && (await portInUse(this.options.port))) {
      throw new LocalStackError(`Port ${this.options.port} for the functions host is already in use on 127.0.0.1.`,
        `Stop the program using it (lsof -i :${this.options.port}), or choose another with CODEGUARD_FUNCTIONS_PORT.`);
    }
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((ok, fail) => {
      this.server!.once("error", fail);
      this.server!.listen(this.options.port ?? 0, "127.0.0.1", () => ok());
    });
    const addr = this.server.address();
    this.port = typeof addr === "object" && addr ? addr.port : 0;
  }

  /** Sets a variable of the functions' environment (before startFunctions). */
  setEnv(name: string, value: string): void {
    this.options.env[name] = value;
  }

  /** Launches every function under Deno and waits until each listens (or has failed). */
  async startFunctions(): Promise<void> {
    const dir = this.options.functionsDir ?? FUNCTIONS_DIR;
    const verify = readVerifyJwt(this.options.configPath ?? join(REPO_ROOT, "supabase", "config.toml"));
    for (const name of listFunctions(dir)) {
      this.fns.set(name, { name, verifyJwt: verify.get(name) ?? true, socket: join(this.socketDir, `${name}.sock`), state: "starting", restarts: 0, output: [] });
    }
    await Promise.all([...this.fns.values()].map((f) => this.launch(f, dir)));
  }

  private async launch(f: FunctionProcess, dir: string): Promise<void> {
    f.state = "starting";
    f.output = [];
    const fnDir = join(dir, f.name);
    const config = existsSync(join(fnDir, "deno.json")) ? join(fnDir, "deno.json") : join(dir, "deno.json");
    const argv = [...PDEATHSIG, DENO, "run", "--allow-all", "--no-prompt", "--config", config, join(fnDir, "index.ts")];
    const child = spawn(argv[0], argv.slice(1), {
      cwd: fnDir,
      detached: true,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        ...denoNetworkEnv(),
        DENO_NO_UPDATE_CHECK: "1",
        NO_COLOR: "1",
        DENO_SERVE_ADDRESS: `unix:${f.socket}`,
        SB_EXECUTION_ID: f.name,
        ...this.options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    rmSync(f.socket, { force: true }); // a crashed function's socket would refuse the restarted one
    f.child = child;
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line.trim() || line.startsWith("Listening on")) continue;
        f.output.push(line);
        if (f.output.length > 50) f.output.shift();
        this.options.onEvent?.(`[${f.name}] ${line}`);
      }
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    let signal: NodeJS.Signals | null = null;
    const exited = new Promise<number | null>((r) => child.once("exit", (code, sig) => ((signal = sig), r(code))));
    void exited.then((code) => {
      if (this.stopping || f.child !== child) return;
      f.state = "down";
      f.lastError = `${signal ? `killed by ${signal}` : `exited with code ${code}`}: ${f.output.slice(-5).join(" | ") || "(no output)"}`;
      this.options.onEvent?.(`function ${f.name} ${f.lastError}; restarting`);
      f.restarts++;
      const delay = Math.min(5000, 250 * 2 ** Math.min(f.restarts - 1, 5));
      setTimeout(() => void (this.stopping ? undefined : this.launch(f, dir)), delay).unref();
    });
    // Ready when the port accepts connections; the first start may fetch npm packages into Deno's cache.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !this.stopping) {
      const r = await Promise.race([exited.then(() => "exited" as const), canConnect(f.socket).then((ok): "up" | "no" => (ok ? "up" : "no"))]);
      if (r === "exited") return;
      if (r === "up") {
        f.state = "up";
        return;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    if (!this.stopping) {
      f.state = "down";
      f.lastError = `did not listen within 60 s: ${f.output.slice(-5).join(" | ")}`;
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://local");
    const m = /^\/functions\/v1\/([^/?]+)(\/.*)?$/.exec(url.pathname);
    const f = m ? this.fns.get(m[1]) : undefined;
    if (!f) return json(res, 404, { code: "NOT_FOUND", message: "Requested function was not found" });
    if (f.verifyJwt && req.method !== "OPTIONS") {
      const auth = req.headers.authorization;
      if (!auth || !/^bearer\s+/i.test(auth)) return json(res, 401, { code: 401, message: "Missing authorization header" });
      const check = verifyJwt(auth.replace(/^bearer\s+/i, ""), this.options.keys);
      if (!check.ok) return json(res, 401, { code: 401, message: `Invalid JWT: ${check.reason}` });
    }
    if (f.state !== "up") {
      return json(res, 503, { code: "FUNCTION_UNAVAILABLE", message: `function ${f.name} is ${f.state}`, detail: f.lastError });
    }
    const upstream = httpRequest(
      { socketPath: f.socket, method: req.method, path: url.pathname + url.search, headers: req.headers },
      (up) => {
        // An answer before the whole body was sent (a 413): the rest of the body goes nowhere, and
        // the client must not send its next request on this connection behind it.
        const headers = req.complete ? up.headers : { ...up.headers, connection: "close" };
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      },
    );
    upstream.on("error", (e) => {
      if (res.writableEnded || res.headersSent) {
        req.unpipe(upstream);
        req.resume(); // drain what the function did not read
        if (!res.writableEnded) res.end();
        return;
      }
      json(res, 502, { code: "FUNCTION_ERROR", message: `function ${f.name} failed: ${e.message}`, detail: f.lastError });
    });
    req.pipe(upstream);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.fns.values()].map(async (f) => {
        const c = f.child;
        if (!c || c.exitCode !== null || c.signalCode !== null) return;
        const gone = new Promise((r) => c.once("exit", r));
        c.kill("SIGTERM");
        const t = setTimeout(() => c.kill("SIGKILL"), 3000);
        await gone;
        clearTimeout(t);
      }),
    );
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    rmSync(this.socketDir, { recursive: true, force: true });
  }
}

/**
 * What Deno needs from our environment to fetch `npm:` packages on first start: the proxy and the
 * machine's CA bundle (behind a TLS-inspecting proxy Deno's built-in roots are not enough), and a
 * DENO_DIR if the user set one. Nothing else of ours leaks into a function's environment.
 */
function denoNetworkEnv(): Record<string, string> {
  const pass = ["DENO_DIR", "DENO_CERT", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "NPM_CONFIG_REGISTRY"];
  const env: Record<string, string> = { DENO_TLS_CA_STORE: process.env.DENO_TLS_CA_STORE ?? "system,mozilla" };
  for (const k of pass) if (process.env[k]) env[k] = process.env[k]!;
  const bundle = process.env.DENO_CERT ?? process.env.SSL_CERT_FILE ?? process.env.NODE_EXTRA_CA_CERTS;
  if (bundle) env.DENO_CERT = bundle;
  return env;
}

function canConnect(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path: socket });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}
