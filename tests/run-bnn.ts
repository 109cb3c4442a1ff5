/** Runs the `bnn` CLI as a user would, capturing output and exit code. */
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { run, type RunOptions } from "../lib/run.ts";
import { LIFELINE } from "../lib/processes.ts";

const BIN = fileURLToPath(new URL("../bin/bnn.mjs", import.meta.url));

/**
 * `nice`: a lower priority for a long CPU-bound command; `input`: its stdin; `idleMs`: it is
 * stopped when it prints nothing for this long (for a command that reports progress). No total
 * limit: vitest's test timeout applies.
 */
export type BnnOptions = Pick<RunOptions, "nice" | "input" | "idleMs">;

/**
 * Runs `bnn` without blocking the test worker while the command runs (a blocked worker misses
 * vitest's RPC heartbeats, and under load they time out). The command exits by itself if the
 * test worker dies (lib/lifeline.cjs).
 */
export async function bnn(args: string[], env: Record<string, string> = {}, opts: BnnOptions = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await run(process.execPath, ["--require", LIFELINE, BIN, ...args], {
    ...opts,
    env: { ...process.env, FORCE_COLOR: "0", ...env },
    timeoutMs: 0,
    allowFail: true,
  });
  return { code: r.code, stdout: r.stdout.toString("utf8"), stderr: r.stderr };
}

/** A user-facing failure: the given exit code and one line on stderr, no stack trace. */
export function expectOneLineError(r: { code: number; stderr: string }, code: number, pattern: RegExp): void {
  expect(r.code).toBe(code);
  const lines = r.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^bnn: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** The JSON objects a command printed on `text` (its stdout), one a line. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
