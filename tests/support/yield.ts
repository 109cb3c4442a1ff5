/**
 * Lets the test worker's event loop run (vitest's messages, timers) in a long loop of a test:
 * await it every few tens of milliseconds of work (tests/support/stall-guard.ts).
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
