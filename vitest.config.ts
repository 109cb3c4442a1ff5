import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import LongFirstSequencer from "./tests/support/sequencer.ts";

// One pool for every test file; the longest start first (tests/support/sequencer.ts) and overlap
// the rest. The verification matrix runs at nice 5 (tests/verify.test.ts) so that the real-time
// simulator tests beside it keep their timing.
//
// Timeouts: no test has a limit tuned to how long it takes here. Long work reports progress and
// is stopped when it makes none (tests/support/child-work.ts, bnn()'s idleMs); the test and hook
// timeouts below only end a hang before CI's own limit does.
//
// Every file runs tests/support/stall-guard.ts: a file whose worker's event loop is blocked for
// over a second fails.

export default defineConfig({
  test: {
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: "forks",
    setupFiles: ["tests/support/stall-guard.ts"],
    // Most test time is spent waiting on child processes (compilers, emulators, the DeviceScript
    // VM, the simulated board in real time): one worker more than there are cores keeps both
    // cores busy while a file waits.
    maxWorkers: availableParallelism() + 1,
    minWorkers: 1,
    sequence: { sequencer: LongFirstSequencer },
    include: ["tests/**/*.test.ts"],
  },
});
