// When a long-running command (codeguard worker, codeguard start) must stop: SIGINT, SIGTERM or
// SIGHUP — or its parent exiting. The parent matters because `npx codeguard …` and `npm start`
// run the command under npm, and npm exits on SIGTERM without passing it on (checked with npm 11:
// `npm exec` dies, its `sh -c` child with it, and the command is left running under init). A
// container runtime or a supervisor that stops "the process" signals npm, so the command watches
// its parent and stops the same way when it is gone.

// The parent as the process started with it, read when this module loads (at the command's start):
// `codeguard start` hooks its shutdown only once the stack is up, and a parent that exited during
// the start would otherwise be read then as init, and never missed (the command and its stack ran
// on under init).
const PARENT_AT_START = process.ppid;

export interface ShutdownOptions {
  /** A second signal while stopping (a second or more after the first): the caller exits at once. */
  force?: (reason: string) => void;
  /** How often the parent is checked; default 500 ms. */
  parentPollMs?: number;
}

/** Calls `stop(reason)` once, on the first signal or when the parent exits. Answers a function that removes the hooks. */
export function onShutdown(stop: (reason: string) => void, options: ShutdownOptions = {}): () => void {
  let stopping = false;
  let firstAt = 0;
  const trigger = (reason: string) => {
    if (stopping) {
      // Ctrl-C under `npm start` arrives twice at once: from the terminal (to the whole group) and
      // forwarded by npm. Only a signal a second later is someone asking again.
      if (performance.now() - firstAt > 1000) options.force?.(reason);
      return;
    }
    stopping = true;
    firstAt = performance.now();
    stop(reason);
  };
  const handlers = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((signal) => {
    const handler = () => trigger(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  const parent = PARENT_AT_START;
  const watch = setInterval(() => {
    if (process.ppid !== parent && !stopping) trigger(`parent process ${parent} exited`);
  }, options.parentPollMs ?? 500);
  watch.unref();
  return () => {
    clearInterval(watch);
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
