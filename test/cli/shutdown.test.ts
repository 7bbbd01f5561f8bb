// A long-running command stops when its parent (npm, npx) exits — also when the parent exited
// before the command had hooked its shutdown: `codeguard start` hooks it only once its stack is up,
// and a parent gone during the start was read then as init and never missed (its stack ran on).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../src/local/migrate.ts";
import { eventually } from "../harness/processes.ts";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("onShutdown", () => {
  it("stops a command whose parent exited before it hooked its shutdown", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cg-shutdown-"));
    const out = join(dir, "out");
    const fixture = join(REPO_ROOT, "test/cli/fixtures/late-shutdown-hook.ts");
    // The parent starts the command (hooking 3 s after it loaded), prints its pid, and exits once the
    // command has loaded — before it hooks.
    const parent = spawn(process.execPath, ["-e", `
      const { spawn } = require("node:child_process");
      const fs = require("node:fs");
      const fd = fs.openSync(${JSON.stringify(out)}, "w");
      const c = spawn(process.execPath, ["--import", "tsx", ${JSON.stringify(fixture)}, "3000"],
        { cwd: ${JSON.stringify(REPO_ROOT)}, detached: true, stdio: ["ignore", fd, fd] });
      process.stdout.write(String(c.pid));
      c.unref();
      const wait = setInterval(() => {
        if (fs.readFileSync(${JSON.stringify(out)}, "utf8").includes("loaded")) process.exit(0);
      }, 20);
    `], { stdio: ["ignore", "pipe", "inherit"] });
    let pid = "";
    parent.stdout.on("data", (d) => (pid += d));
    await new Promise((r) => parent.on("exit", r));
    const child = Number(pid);
    try {
      await eventually(async () => /stopping: parent process \d+ exited/.test(readFileSync(out, "utf8")), "the command saw its parent gone", 30_000);
      expect(readFileSync(out, "utf8")).toMatch(/^loaded\nhooked\nstopping: parent process \d+ exited/);
      await eventually(async () => !alive(child), "the command exited", 10_000);
    } finally {
      if (alive(child)) process.kill(child, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
