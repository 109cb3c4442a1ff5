/**
 * Child processes that must not outlive us. Each runs in its own process group and is known by
 * its PID; stop() kills that group (TERM, then KILL after 2 s), and every child still running is
 * killed on normal exit, on Ctrl-C / SIGTERM / SIGHUP, and on failure. Node children also get
 * lifeline.cjs preloaded, so they exit by themselves when we are killed without a chance to
 * clean up (SIGKILL).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { UserError } from "./errors.ts";

/** Preload that ends a Node child when its parent is gone. */
export const LIFELINE = fileURLToPath(new URL("./lifeline.cjs", import.meta.url));

const live = new Set<ChildProcess>();
let hooked = false;
let interruptHandler: ((signal: NodeJS.Signals) => void) | undefined;

/**
 * Lets a command handle Ctrl-C / SIGTERM itself (stop its work, print what it has, then stop its
 * children) instead of the default: kill every child and exit at once. `undefined` restores it.
 */
export function onInterrupt(handler: ((signal: NodeJS.Signals) => void) | undefined): void {
  hook();
  interruptHandler = handler;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Kills every child still running (their whole process groups), at once. */
export function killAll(): void {
  for (const c of live) killGroup(c, "SIGKILL");
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", killAll);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      const handler = interruptHandler;
      interruptHandler = undefined; // a second Ctrl-C exits at once
      if (handler) return handler(sig);
      killAll();
      process.exit(sig === "SIGINT" ? 130 : 143);
    });
  }
}

export interface Managed {
  child: ChildProcess;
  pid: number;
  /** Resolves with the first output line matching `re` (stdout or stderr), rejects on exit or timeout. */
  waitFor(re: RegExp, timeoutMs: number): Promise<string>;
  onLine(fn: (line: string) => void): void;
  /** Writes to its stdin (started with `input: true`); false once it has exited. */
  write(text: string): boolean;
  /** The last lines it printed (for error messages). */
  recent(): string[];
  stop(): Promise<void>;
  exited: Promise<number | null>;
}

/** `input`: give it a stdin pipe to write() to (it sees end-of-file when we are gone). */
export function start(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; name: string; input?: boolean }): Managed {
  hook();
  const argv = cmd === process.execPath ? ["--require", LIFELINE, ...args] : args;
  const child = spawn(cmd, argv, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: [opts.input ? "pipe" : "ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new UserError(`cannot start ${opts.name} (${cmd})`);
  child.stdin?.on("error", () => {}); // a write after it exited: write() says so
  live.add(child);
  const listeners: ((line: string) => void)[] = [];
  const seen: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let buf = "";
    stream.setEncoding("utf8");
    stream.on("data", (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the terminal's colour escapes (ESC [ ... m)
        const line = buf.slice(0, i).replace(/\x1b\[[0-9;]*m/g, "");
        buf = buf.slice(i + 1);
        seen.push(line);
        if (seen.length > 200) seen.shift();
        for (const l of listeners) l(line);
      }
    });
  }
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  const last = () => seen.slice(-3).join(" | ") || "(none)";
  return {
    child,
    pid: child.pid,
    exited,
    onLine: (fn) => listeners.push(fn),
    write: (text) => {
      const stdin = child.stdin;
      if (!stdin || stdin.destroyed || child.exitCode !== null || child.signalCode !== null) return false;
      stdin.write(text);
      return true;
    },
    recent: () => seen.slice(),
    waitFor(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const hit = seen.find((l) => re.test(l));
        if (hit) return resolve(hit);
        const timer = setTimeout(() => reject(new UserError(`${opts.name} did not start within ${timeoutMs / 1000} s; its last output: ${last()}`)), timeoutMs);
        listeners.push((l) => {
          if (re.test(l)) {
            clearTimeout(timer);
            resolve(l);
          }
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new UserError(`${opts.name} exited (code ${code}) before it was ready; its last output: ${last()}`));
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
