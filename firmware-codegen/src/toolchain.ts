/**
 * Running the external tools (compilers, emulators) the C targets need, with clear failures.
 * Asynchronous: a compile or an emulator run takes seconds, and the process that starts it (the
 * CLI's progress display, a test worker answering its runner) keeps running meanwhile.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/** The tool's path on PATH, or undefined (no process is started). */
export function which(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, tool);
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
  seconds: number;
}

export interface RunOptions {
  cwd?: string;
  input?: Buffer;
  /** The environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  allowFail?: boolean;
  /** Kills the command after this long (default 10 minutes). */
  timeoutMs?: number;
}

/** Runs a command; rejects with its stderr when it fails (compilers) unless `allowFail`. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: [opts.input ? "pipe" : "ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (d: Buffer) => out.push(d));
    child.stderr!.on("data", (d: Buffer) => err.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? 600_000);
    if (opts.input) {
      // a program that exits before reading all of its input is judged by its exit code
      child.stdin!.on("error", () => {});
      child.stdin!.end(opts.input);
    }
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8"), seconds: (performance.now() - t0) / 1000 };
      if (timedOut) return reject(new Error(`${cmd}: killed after ${Math.round((opts.timeoutMs ?? 600_000) / 1000)} s`));
      if (result.code !== 0 && !opts.allowFail) return reject(new Error(`${cmd} ${args.join(" ")} failed (${signal ? `signal ${signal}` : `exit ${result.code}`}):\n${result.stderr.slice(0, 4000)}`));
      resolve(result);
    });
  });
}
