import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// The verification matrix keeps a core busy for minutes (rp2040js interprets billions of
// Cortex-M0+ instructions), and the simulator tests are real-time (a pen-up of 650 ms against a
// 600 ms digit timeout): run beside them, it made the 100-digit touch run miss its timing. So
// it runs as a group of its own, after everything else (sequence.groupOrder). The other group
// leaves it out by its include pattern, not by `exclude`, so a command line's --exclude (npm run
// test:fast) still applies.

export default defineConfig({
  test: {
    // Whole-test-set checks take seconds, not milliseconds; no test asserts on time.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: "forks",
    // fails a file whose worker's event loop stalls past a limit (long work off the loop)
    setupFiles: ["tests/support/stall-guard.ts"],
    // Most test time is spent waiting on child processes (compilers, emulators, the DeviceScript
    // VM), so one worker per core, not vitest's default of one less.
    maxWorkers: Math.max(2, availableParallelism()),
    minWorkers: 1,
    projects: [
      { extends: true, test: { name: "tests", include: ["tests/**/!(verify).test.ts"] } },
      { extends: true, test: { name: "matrix", include: ["tests/verify.test.ts"], sequence: { groupOrder: 1 } } },
    ],
  },
});
