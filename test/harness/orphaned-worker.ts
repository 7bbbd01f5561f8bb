// In each test worker (vitest.config.ts's setupFiles): a worker whose vitest is gone ends. The
// workers are forks of vitest's main process (pool "forks") talking to it over IPC; when that
// process was SIGKILLed (a CI time limit, the OOM killer) nothing told them, and a worker ran on
// under init through its file's tests — its local stacks, workers and Postgres with it. Its IPC
// channel closes then: the worker exits, and what it started goes with it (Postgres by its
// sentinel, Deno by pdeathsig, a `codeguard` child by noticing its parent gone: src/cli/shutdown.ts).
const key = Symbol.for("codeguard.orphaned-worker");
const state = globalThis as { [key]?: true };
if (!state[key] && process.connected) {
  state[key] = true;
  process.once("disconnect", () => {
    process.stderr.write(`test worker ${process.pid}: vitest's process is gone; exiting\n`);
    process.exit(1);
  });
}
