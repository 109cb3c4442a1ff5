import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Whole-test-set checks take seconds, not milliseconds; no test asserts on time.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});
