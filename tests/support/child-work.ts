/**
 * Long computations of a test, run in a child process so that the test worker's event loop stays
 * free (tests/support/stall-guard.ts), with a timeout that follows the work: the child reports
 * progress on stderr (`progress <done>/<total>` lines, ./progress.ts), and it is stopped when
 * no progress has come for `idleMs`, however long the whole takes. A slow or busy machine makes
 * progress more slowly; a hung computation makes none.
 *
 * The child is a TypeScript module run by Node with tsx; it exits by itself if this process dies
 * (host/lib/sim/lifeline.cjs), and it is killed when the idle timeout fires.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { LIFELINE } from "../../host/lib/sim/processes.ts";

export const PROGRESS_LINE = /^progress (\d+)\/(\d+)$/;

export interface ChildWorkOptions {
  /** Fails when no progress line has come for this long (default 2 minutes). */
  idleMs?: number;
}

/** Runs `node --import tsx <module> <args>`; resolves with its stdout when it exits with 0. */
export function runChildWork(module: URL, args: string[], opts: ChildWorkOptions = {}): Promise<string> {
  const idleMs = opts.idleMs ?? 120_000;
  const script = fileURLToPath(module);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--require", LIFELINE, "--import", "tsx", script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let pending = "";
    let last = "none";
    let idle: NodeJS.Timeout;
    let timedOut = false;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, idleMs);
    };
    arm();
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      pending += d;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        const m = PROGRESS_LINE.exec(line);
        if (m) {
          last = `${m[1]}/${m[2]}`;
          arm();
        } else stderr += line + "\n";
      }
    });
    child.on("error", (e) => {
      clearTimeout(idle);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(idle);
      const name = `${script.replace(/.*\//, "")} ${args.join(" ")}`;
      if (timedOut) reject(new Error(`${name}: no progress for ${idleMs / 1000} s (last progress: ${last}); stopped`));
      else if (code !== 0) reject(new Error(`${name} failed (${signal ?? `exit ${code}`}): ${(stderr + pending).trim().slice(0, 2000)}`));
      else resolve(stdout);
    });
  });
}

/** For the child: reports progress (a line the parent's idle timer counts) and lets its event loop run. */
export async function reportProgress(done: number, total: number): Promise<void> {
  process.stderr.write(`progress ${done}/${total}\n`);
  await new Promise((resolve) => setImmediate(resolve));
}
