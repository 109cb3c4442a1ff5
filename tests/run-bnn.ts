/** Runs the `bnn` CLI as a user would, capturing output and exit code. */
import { spawn, spawnSync } from "node:child_process";
import { setPriority } from "node:os";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

const BIN = fileURLToPath(new URL("../bin/bnn.mjs", import.meta.url));

export function bnn(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0", ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
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

/**
 * Like bnn(), without blocking the test worker while the command runs (long simulator runs:
 * a blocked worker misses vitest's RPC heartbeats).
 */
export function bnnAsync(args: string[], env: Record<string, string> = {}, opts: { nice?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, FORCE_COLOR: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    // a lower priority for long CPU-bound commands, inherited by what they start (compilers,
    // emulators), so the real-time simulator runs in the other test worker keep their timing
    if (opts.nice && child.pid !== undefined) {
      try {
        setPriority(child.pid, opts.nice);
      } catch {
        // not permitted here: run at the normal priority
      }
    }
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
