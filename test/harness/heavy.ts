// The heavy process tests — a whole local stack (Postgres, twelve Deno functions), workers as
// processes, hundreds of scans — take turns: one such file at a time on this machine, across test
// runs too (two `npm test` side by side). On two cores, four of them at once starved each other
// past their timeouts (stack.test.ts, worker_processes' Postgres restart, the ETag-cache bound);
// the light files meanwhile run beside the one heavy file in the other workers.
//
// The turn is a folder in the temp dir (mkdir is atomic), holding the holder's pid: a holder that
// died (a killed run) is seen as gone and its turn taken.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { alive } from "./processes.ts";

const TURN = join(tmpdir(), "codeguard-heavy-test.turn");
/** How long a file may wait for its turn: the other heavy files' whole run on a busy machine. */
const WAIT_MS = 45 * 60_000;

function holder(): number | null {
  try {
    return Number(readFileSync(join(TURN, "pid"), "utf8")) || null;
  } catch {
    return null;
  }
}

async function takeTurn(): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(TURN);
      writeFileSync(join(TURN, "pid"), String(process.pid));
      return () => {
        if (holder() === process.pid) rmSync(TURN, { recursive: true, force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const pid = holder();
    // Gone: its holder died (or died between mkdir and writing its pid, a folder left for over 10 s).
    let age = 0;
    try {
      age = Date.now() - statSync(TURN).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    if ((pid !== null && !alive(pid)) || (pid === null && age > 10_000)) rmSync(TURN, { recursive: true, force: true });
    else await new Promise((r) => setTimeout(r, 200));
  }
}

/** Call first in a heavy test file (before the hooks that start its stack): its tests run in its turn. */
export function heavyFile(): void {
  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await takeTurn();
  }, WAIT_MS);
  afterAll(() => release?.());
}
