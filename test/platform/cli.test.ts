// What a new user sees from `codeguard` before anything runs: the help of every command (at once,
// starting nothing), and a bad or unreachable database named in one line. And the build the
// command runs from (dist/cli, scripts/build-cli.mjs): used only while it is of the sources as they are.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientFromEnv } from "../../src/client/codeguard-client.ts";
// @ts-expect-error: plain JavaScript, no types
import { buildCli, staleReason } from "../../scripts/build-cli.mjs";
import { CODEGUARD_BIN, processesMentioning, REPO_ROOT } from "../harness/processes.ts";

const run = promisify(execFile);
const COMMANDS = readdirSync(join(REPO_ROOT, "src", "cli", "commands")).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3));

interface Answer {
  code: number;
  stdout: string;
  stderr: string;
}

async function codeguard(args: string[], env: Record<string, string> = {}): Promise<Answer> {
  return await run(process.execPath, [CODEGUARD_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe("codeguard's help", () => {
  it("lists every command, from the build (the test run's global setup built it), without tsx", async () => {
    const { code, stdout, stderr } = await codeguard(["--help"]);
    expect(code).toBe(0);
    for (const name of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${name} +\\S`, "m"));
    expect(stderr).toBe(""); // no "running the sources through tsx", no deprecation warning
  });

  // Every command alike (src/cli/main.ts answers the help before the command runs): the help on
  // stdout, nothing on stderr, exit 0 — also after an action (`repo add --help`), with -h, and
  // after other arguments. repo, token, member and company printed theirs on stderr.
  const ACTIONS: Record<string, string[]> = { company: ["create"], repo: ["add"], member: ["add"], token: ["set"], queue: ["status"] };
  it.each(COMMANDS)("codeguard %s --help prints its usage on stdout, exits 0 and starts nothing", async (name) => {
    const marker = `cg-help-${name}-${process.pid}`;
    const calls = [[name, "--help"], [name, "-h"], [name, ...(ACTIONS[name] ?? []), "some-argument", "--help"]];
    for (const call of calls) {
      const { code, stdout, stderr } = await codeguard(call, { CODEGUARD_TEST_MARKER: marker });
      expect({ call: call.join(" "), code, stderr }).toEqual({ call: call.join(" "), code: 0, stderr: "" });
      expect(stdout).toMatch(new RegExp(`^usage: codeguard ${name}`));
      expect(stdout).not.toMatch(/CodeGuard local stack|^ {2}· |running the sources through tsx/m);
    }
    expect(processesMentioning(marker)).toEqual([]);
  });

  it("an option's value or anything after -- is not the help", async () => {
    const { code, stdout, stderr } = await codeguard(["detect", "--", "--help"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^codeguard detect: cannot read --help/);
  });
});

describe("the database URL", () => {
  const commands = [["repo", "add", "acme/api", "--company", "acme"], ["sql", "select 1"], ["schedules"], ["queue", "status"], ["worker"]];

  it.each(commands)("SUPABASE_DB_URL=not-a-url: codeguard %s … says so in one line, no stack trace", async (...args) => {
    const { code, stdout, stderr } = await codeguard(args, { SUPABASE_DB_URL: "not-a-url" });
    expect(code).not.toBe(0);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toEqual([expect.stringMatching(/^codeguard \w+( \w+)?: SUPABASE_DB_URL is not a URL: set it to postgres:\/\//)]);
  });

  // A host that takes the connection and never answers, as a firewall that drops packets looks to
  // postgres.js: without its own deadline the command reconnected without end, silent.
  let silent: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  });
  afterAll(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });

  it("a host that never answers: the command gives up after its connect timeout, naming the host and port it tried", async () => {
    const port = (silent.address() as { port: number }).port;
    const { code, stderr } = await codeguard(["repo", "add", "acme/api", "--company", "acme"], { SUPABASE_DB_URL: `postgres://u:secret@127.0.0.1:${port}/postgres` });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`codeguard repo add: cannot reach the database at postgres://u:***@127.0.0.1:${port}/postgres: no answer from 127.0.0.1:${port} within 10 s (connect timeout); ` +
      `is the host right, and does a firewall let port ${port} through?`);
  });
});

describe("what the commands say", () => {
  it("a missing session token points at codeguard session <user id>, the command that makes one", () => {
    expect(() => clientFromEnv({ CODEGUARD_URL: "http://127.0.0.1:1", CODEGUARD_PUBLISHABLE_KEY: "sb_publishable_x" }))
      .toThrow(/CODEGUARD_ACCESS_TOKEN \(.*locally: codeguard session <user id>/);
  });

  it("codeguard scan notarepo --wait: neither a repository name nor a directory, said so (not \"unknown option --wait\")", async () => {
    const { code, stderr } = await codeguard(["scan", "notarepo", "--wait"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^codeguard scan: notarepo is neither a repository name \(owner\/name, as on GitHub\) nor a directory on disk/);
    expect(stderr).not.toMatch(/unknown option/);
  });
});

describe("the build (scripts/build-cli.mjs)", () => {
  const out = mkdtempSync(join(tmpdir(), "codeguard-build-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("stands for the sources until one of them changes, a command is added or it is gone", async () => {
    const dist = join(out, "cli");
    expect(staleReason(dist)).toMatch(/^no build in /);
    await buildCli(dist);
    expect(staleReason(dist)).toBeNull();
    const manifestPath = join(dist, "inputs.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { commands: string[]; inputs: Record<string, [number, number]> };
    expect(Object.keys(manifest.inputs)).toEqual(expect.arrayContaining(["src/cli/main.ts", "src/cli/commands/start.ts", "src/local/stack.ts"]));

    // A source edited after the build: its time no longer matches.
    const edited = structuredClone(manifest);
    edited.inputs["src/local/stack.ts"][1] -= 1000;
    writeFileSync(manifestPath, JSON.stringify(edited));
    expect(staleReason(dist)).toBe("src/local/stack.ts changed");

    // A command added since (the build does not have it).
    const fewer = structuredClone(manifest);
    fewer.commands.pop();
    writeFileSync(manifestPath, JSON.stringify(fewer));
    expect(staleReason(dist)).toBe("src/cli/commands changed");
  });
});
