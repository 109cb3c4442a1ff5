/** Runs the `bnn` CLI as a user would, capturing output and exit code. */
import { spawn, type ChildProcess } from "node:child_process";
import { setPriority } from "node:os";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

const BIN = fileURLToPath(new URL("../bin/bnn.mjs", import.meta.url));

/**
 * Runs `bnn` without blocking the test worker while the command runs (a blocked worker misses
 * vitest's RPC heartbeats, and under load they time out). `input` is written to its stdin.
 */
export function bnn(args: string[], env: Record<string, string> = {}, opts: { nice?: number; input?: string | Buffer } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, FORCE_COLOR: "0", ...env }, stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    // a lower priority for long CPU-bound commands, inherited by what they start (compilers,
    // emulators), so the real-time simulator runs in the other test worker keep their timing
    if (opts.nice && child.pid !== undefined) {
      try {
        setPriority(child.pid, opts.nice);
      } catch {
        // not permitted here: run at the normal priority
      }
    }
    collect(child, opts.input, resolve, reject);
  });
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

/** Like bnn(), for another command (git, socat): asynchronous, so the test worker keeps running. */
export function runAsync(cmd: string, args: string[], opts: { cwd?: string; input?: string | Buffer } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    collect(child, opts.input, resolve, reject);
  });
}

/** Writes `input` (if any) to the child's stdin and resolves with its exit code and output. */
function collect(
  child: ChildProcess,
  input: string | Buffer | undefined,
  resolve: (r: { code: number; stdout: string; stderr: string }) => void,
  reject: (e: Error) => void,
): void {
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  if (input !== undefined) {
    // a child that exits before reading all of it closes the pipe (EPIPE): its exit code and
    // output are the result, as with spawnSync
    child.stdin!.on("error", () => {});
    child.stdin!.end(input);
  }
  child.on("error", reject);
  child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
}
