import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Whole-test-set checks take seconds, not milliseconds; no test asserts on time.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: "forks",
    // Most test time is spent waiting on child processes (compilers, emulators, the DeviceScript
    // VM), so one worker per core, not vitest's default of one less.
    maxWorkers: Math.max(2, availableParallelism()),
    minWorkers: 1,
  },
});
