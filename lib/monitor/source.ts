/**
 * Where the result stream comes from: a serial port that may vanish and come back (a board
 * unplugged, reset, or re-enumerated by USB), or standard input (a log file, `bnn sim`'s VM
 * output). The serial source reopens a closed port every 500 ms until it reappears or the
 * session stops; `serialport` (a native module) is loaded only when a port is used.
 */
import { closeSync, constants, existsSync, openSync, type Stats, statSync } from "node:fs";
import { isatty } from "node:tty";
import { UserError } from "../errors.ts";

/** How often an open port checks that its device node still exists. */
const VANISHED_CHECK_MS = 500;

export interface SourceEvents {
  /** The source delivers from now on (the port opened for the first time). */
  opened(): void;
  data(chunk: Buffer): void;
  /** The stream broke: a partial line will never be completed. */
  broken(): void;
  /** One line for stderr (port opened, closed, reopened). */
  notice(text: string): void;
  reopened(): void;
  /** The input ended for good (standard input at end of file). */
  end(): void;
  /** The source cannot work at all (a port that does not open and no --timeout to wait in). */
  fail(error: UserError): void;
}

export interface Source {
  start(events: SourceEvents): Promise<void>;
  stop(): Promise<void>;
  /** Why it is not delivering data right now, if it is not (e.g. the port's open error). */
  problem(): string | undefined;
}

export const RETRY_MS = 500;

/** "No such file or directory, cannot open /dev/x" -> "No such file or directory" (+ a hint). */
function openReason(e: Error): string {
  const reason = e.message.replace(/^Error: /, "").replace(/, cannot open .*$/, "");
  return /permission denied/i.test(reason) ? `${reason} (on Linux: add yourself to the 'dialout' group)` : reason;
}

/**
 * What `path` is if it exists and can never be a serial port, else undefined: a serial port is a
 * terminal device; a file, a directory, /dev/null are not, and waiting does not make them one.
 * Asked only after the port failed to open.
 */
function notSerial(path: string): string | undefined {
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    return undefined; // gone, or not ours to look at: the open error says why
  }
  if (st.isDirectory()) return "a directory";
  if (st.isFile()) return "a file";
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return undefined;
  }
  try {
    return isatty(fd) ? undefined : "a device that is no terminal";
  } finally {
    closeSync(fd);
  }
}

type Port = import("serialport").SerialPort;

export function serialSource(path: string, baudRate: number, opts: { waitForPort: boolean }): Source {
  let stopped = false;
  let port: Port | undefined;
  let retry: NodeJS.Timeout | undefined;
  let everOpened = false;
  let problem: string | undefined = "not opened yet";
  let events: SourceEvents;
  let SerialPort: typeof import("serialport").SerialPort;

  const later = () => {
    if (!stopped) retry = setTimeout(attempt, RETRY_MS);
  };

  function attempt(): void {
    if (stopped) return;
    const p = new SerialPort({ path, baudRate, autoOpen: false });
    p.on("error", () => {
      // errors on an open port end in "close", handled below; this only keeps them off the console
    });
    p.open((err) => {
      if (stopped) {
        if (!err) p.close();
        return;
      }
      if (err) {
        problem = openReason(err);
        const what = everOpened ? undefined : notSerial(path);
        if (what) {
          const hint = what === "a file" ? `; to read a saved stream: bnn monitor --stdin < ${path}` : "";
          events.fail(new UserError(`cannot open port ${path}: ${what}, not a serial device (${problem})${hint}`));
        } else if (!everOpened && !opts.waitForPort) events.fail(new UserError(`cannot open port ${path}: ${problem} (pass --timeout S to wait for it)`));
        else later();
        return;
      }
      port = p;
      problem = undefined;
      if (everOpened) {
        events.notice(`bnn: port ${path} reopened`);
        events.reopened();
      } else {
        events.notice(`bnn: reading ${path} at ${baudRate} baud`);
        events.opened();
      }
      everOpened = true;
      p.on("data", (chunk: Buffer) => events.data(chunk));
      // A port whose device node vanished (a board unplugged, a pty pair ended) does not always
      // fail its next read at once, least of all on a busy machine: close it when the node goes.
      const watch = setInterval(() => {
        if (!existsSync(path) && p.isOpen) p.close();
      }, VANISHED_CHECK_MS);
      p.on("close", () => {
        clearInterval(watch);
        port = undefined;
        if (stopped) return;
        problem = "port closed";
        events.broken();
        events.notice(`bnn: port ${path} closed; reconnecting`);
        later();
      });
    });
  }

  return {
    async start(e) {
      events = e;
      SerialPort = (await import("serialport")).SerialPort;
      attempt();
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      const p = port;
      port = undefined;
      if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
    },
    problem: () => problem,
  };
}

export function stdinSource(): Source {
  const input = process.stdin;
  let onData: ((chunk: Buffer) => void) | undefined;
  let onEnd: (() => void) | undefined;
  return {
    async start(events) {
      events.opened();
      onData = (chunk) => events.data(chunk);
      onEnd = () => events.end();
      input.on("data", onData);
      input.once("end", onEnd);
      input.on("error", onEnd);
    },
    async stop() {
      if (onData) input.off("data", onData);
      if (onEnd) {
        input.off("end", onEnd);
        input.off("error", onEnd);
      }
      input.destroy(); // stop reading, so a still-open pipe does not keep the process alive
    },
    problem: () => undefined,
  };
}
