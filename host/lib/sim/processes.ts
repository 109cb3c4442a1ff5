/**
 * Child processes that must not outlive us: each runs in its own process group and is killed
 * (group-wide, TERM then KILL) on stop(), on normal exit, on Ctrl-C / SIGTERM, and on failure.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { UserError } from "../errors.ts";

const live = new Set<ChildProcess>();
let hooked = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const c of live) killGroup(c, "SIGKILL");
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      for (const c of live) killGroup(c, "SIGKILL");
      process.exit(sig === "SIGINT" ? 130 : 143);
    });
  }
}

export interface Managed {
  child: ChildProcess;
  /** Resolves with the first output line matching `re` (stdout or stderr), rejects on exit or timeout. */
  waitFor(re: RegExp, timeoutMs: number): Promise<string>;
  onLine(fn: (line: string) => void): void;
  stop(): Promise<void>;
  exited: Promise<number | null>;
}

export function start(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; name: string }): Managed {
  hook();
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  const listeners: ((line: string) => void)[] = [];
  const seen: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let buf = "";
    stream.setEncoding("utf8");
    stream.on("data", (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i).replace(/\x1b\[[0-9;]*m/g, "");
        buf = buf.slice(i + 1);
        seen.push(line);
        if (seen.length > 200) seen.shift();
        for (const l of listeners) l(line);
      }
    });
  }
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => {
    live.delete(child);
    resolve(code);
  }));
  return {
    child,
    exited,
    onLine: (fn) => listeners.push(fn),
    waitFor(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const hit = seen.find((l) => re.test(l));
        if (hit) return resolve(hit);
        const timer = setTimeout(() => reject(new UserError(`${opts.name} did not start within ${timeoutMs / 1000} s; its last output: ${seen.slice(-3).join(" | ") || "(none)"}`)), timeoutMs);
        listeners.push((l) => {
          if (re.test(l)) {
            clearTimeout(timer);
            resolve(l);
          }
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new UserError(`${opts.name} exited (code ${code}) before it was ready; its last output: ${seen.slice(-3).join(" | ") || "(none)"}`));
        });
      });
    },
    async stop() {
      killGroup(child, "SIGTERM");
      const t = setTimeout(() => killGroup(child, "SIGKILL"), 2000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Throws a one-line error when a TCP port on 127.0.0.1 is taken. */
export function ensurePortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", () => reject(new UserError(`port ${port} is busy (${what} needs it): stop the program using it (e.g. another 'devs devtools') and try again`)));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });
}
