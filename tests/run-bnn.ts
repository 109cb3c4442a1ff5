/** Runs the `bnn` CLI as a user would, capturing output and exit code. */
import { spawn, type ChildProcess } from "node:child_process";
import { setPriority } from "node:os";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { LIFELINE } from "../host/lib/sim/processes.ts";

const BIN = fileURLToPath(new URL("../bin/bnn.mjs", import.meta.url));

export interface BnnOptions {
  /** A lower priority (nice value) for a long CPU-bound command. */
  nice?: number;
  /** Written to the command's stdin. */
  input?: string | Buffer;
  /**
   * The command is stopped (and the promise rejected) when it has printed nothing, on stdout or
   * stderr, for this long: the timeout of a long command that reports its progress follows the
   * work, not the clock. Default: none (vitest's test timeout applies).
   */
  idleMs?: number;
}

/**
 * Runs `bnn` without blocking the test worker while the command runs (a blocked worker misses
 * vitest's RPC heartbeats, and under load they time out). The command exits by itself if the
 * test worker dies (host/lib/sim/lifeline.cjs).
 */
export function bnn(args: string[], env: Record<string, string> = {}, opts: BnnOptions = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--require", LIFELINE, BIN, ...args], { env: { ...process.env, FORCE_COLOR: "0", ...env }, stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    // a lower priority for long CPU-bound commands, inherited by what they start (compilers,
    // emulators), so the real-time simulator runs in the other test worker keep their timing
    if (opts.nice && child.pid !== undefined) {
      try {
        setPriority(child.pid, opts.nice);
      } catch {
        // not permitted here: run at the normal priority
      }
    }
    collect(child, opts.input, resolve, reject, opts.idleMs && { ms: opts.idleMs, what: `bnn ${args.join(" ")}` });
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
  idle?: { ms: number; what: string } | 0,
): void {
  let stdout = "";
  let stderr = "";
  let timer: NodeJS.Timeout | undefined;
  let silent = false;
  const heard = () => {
    if (!idle) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      silent = true;
      child.kill("SIGKILL");
    }, idle.ms);
  };
  heard();
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    heard();
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    heard();
  });
  if (input !== undefined) {
    // a child that exits before reading all of it closes the pipe (EPIPE): its exit code and
    // output are the result, as with spawnSync
    child.stdin!.on("error", () => {});
    child.stdin!.end(input);
  }
  child.on("error", (e) => {
    clearTimeout(timer);
    reject(e);
  });
  child.on("close", (code) => {
    clearTimeout(timer);
    if (silent && idle) reject(new Error(`${idle.what}: no output for ${idle.ms / 1000} s; stopped. Output so far: ${(stdout + stderr).slice(-2000)}`));
    else resolve({ code: code ?? -1, stdout, stderr });
  });
}
