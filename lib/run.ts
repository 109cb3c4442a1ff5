/**
 * The one way this project runs a command to its end and takes its output: compilers and
 * emulators (firmware-codegen), `devs` (devs/cli.ts), and in the tests `bnn` and the child
 * processes of long computations. Asynchronous: a compile, an emulator run or a CLI run takes
 * seconds to minutes, and the process that starts it (the CLI's progress and Ctrl-C, a test
 * worker answering its runner) keeps running meanwhile. Long-lived processes (the simulator's
 * hub clients, the VM) are processes.ts's.
 */
import { spawn } from "node:child_process";
import { setPriority } from "node:os";

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
  seconds: number;
}

export interface RunOptions {
  cwd?: string;
  /** Written to the command's stdin (which is closed otherwise). */
  input?: string | Buffer;
  /** The environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Resolve with a non-zero exit code instead of rejecting. */
  allowFail?: boolean;
  /** Kills the command after this long (default 10 minutes; 0: never). */
  timeoutMs?: number;
  /**
   * Kills the command when it has printed nothing, on stdout or stderr, for this long: the limit
   * of a command that reports its progress follows its work, not the clock. Default: none.
   */
  idleMs?: number;
  /** A lower priority (a nice value), inherited by what the command starts. */
  nice?: number;
}

const DEFAULT_TIMEOUT_MS = 600_000;

/** A long error output's first and last 2,000 characters (a compiler's first error, a program's last words). */
function ends(text: string): string {
  return text.length <= 4000 ? text : `${text.slice(0, 2000)}\n…\n${text.slice(-2000)}`;
}

/** Runs a command; rejects with its stderr when it fails (a compiler) unless `allowFail`, and when a limit stops it. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const t0 = performance.now();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    if (opts.nice && child.pid !== undefined) {
      try {
        setPriority(child.pid, opts.nice);
      } catch {
        // not permitted here: the normal priority
      }
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let stopped: string | undefined;
    const stop = (why: string) => {
      stopped = why;
      child.kill("SIGKILL");
    };
    const total = timeoutMs > 0 ? setTimeout(() => stop(`killed after ${timeoutMs / 1000} s`), timeoutMs) : undefined;
    let idle: NodeJS.Timeout | undefined;
    const heard = () => {
      if (!opts.idleMs) return;
      clearTimeout(idle);
      idle = setTimeout(() => stop(`no output for ${opts.idleMs! / 1000} s; stopped`), opts.idleMs);
    };
    heard();
    child.stdout!.on("data", (d: Buffer) => {
      out.push(d);
      heard();
    });
    child.stderr!.on("data", (d: Buffer) => {
      err.push(d);
      heard();
    });
    if (opts.input !== undefined) {
      // a program that exits before reading all of its input is judged by its exit code
      child.stdin!.on("error", () => {});
      child.stdin!.end(opts.input);
    }
    const done = () => {
      clearTimeout(total);
      clearTimeout(idle);
    };
    child.on("error", (e) => {
      done();
      reject(new Error(`${cmd}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      done();
      const result = { code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8"), seconds: (performance.now() - t0) / 1000 };
      const command = `${cmd} ${args.join(" ")}`;
      if (stopped) return reject(new Error(`${command}: ${stopped}; its last output: ${(result.stdout.toString("utf8") + result.stderr).slice(-2000)}`));
      if (result.code !== 0 && !opts.allowFail)
        return reject(new Error(`${command} failed (${signal ? `signal ${signal}` : `exit ${result.code}`}):\n${ends(result.stderr)}`));
      resolve(result);
    });
  });
}
