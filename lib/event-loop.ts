/**
 * Lets the event loop run (timers, signals, I/O, a test runner's messages) in the middle of a
 * long synchronous computation: await it every few tens of milliseconds of work.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A yield at most every `everyMs` of work: `await tick()` in a hot loop costs a clock read. */
export function yielder(everyMs = 50): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last < everyMs) return undefined;
    last = now;
    return yieldToEventLoop();
  };
}
