/**
 * The longest stretch for which a thread's event loop did not run, and how much of it was the
 * thread's own doing.
 *
 * A timer ticks every `intervalMs`; a tick that comes late means the loop was busy (or asleep in
 * a synchronous call: spawnSync, a blocking read) for the difference. On a shared machine a late
 * tick is also time the thread spent ready to run but waiting for a core, which is not the
 * test's doing: on Linux the kernel counts it per thread (/proc/thread-self/schedstat, field 2:
 * nanoseconds waiting on a run queue), so the stall charged to the thread is
 *
 *   blocked = (tick delay − interval) − run-queue wait during that delay
 *
 * = time on a core + time asleep in a synchronous call. The same loop computing the same thing
 * is charged about the same on an idle machine and on one with every core busy; its wall-clock
 * stall (`wallMs`) grows with the load. Elsewhere than Linux, `blocked` is the wall-clock figure.
 */
import { readFileSync } from "node:fs";

export interface Stall {
  /** Time charged to the thread: on a core or asleep in a synchronous call (ms). */
  blockedMs: number;
  /** The same stretch by the wall clock, including waits for a core (ms). */
  wallMs: number;
  /** Of `blockedMs`, the time on a core (ms); the rest was asleep (a synchronous call, the disk). */
  cpuMs: number;
  /** What was running when the loop came back (a test's name, or a phase). */
  during: string;
}

const SCHEDSTAT = "/proc/thread-self/schedstat";

/** Nanoseconds this thread has run on a core and waited on a run queue, or undefined where the kernel does not say. */
function schedstat(): { runNs: number; waitNs: number } | undefined {
  try {
    const fields = readFileSync(SCHEDSTAT, "utf8").trim().split(/\s+/);
    const runNs = Number(fields[0]);
    const waitNs = Number(fields[1]);
    return Number.isFinite(runNs) && Number.isFinite(waitNs) ? { runNs, waitNs } : undefined;
  } catch {
    return undefined;
  }
}

export class StallMonitor {
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private last: { runNs: number; waitNs: number } | undefined;
  private worstStall: Stall = { blockedMs: 0, wallMs: 0, cpuMs: 0, during: "" };
  /** Set by whoever knows what runs now (the guard's beforeEach). */
  during = "loading the test file";

  constructor(readonly intervalMs = 20) {}

  /** Whether run-queue waits are subtracted (Linux with per-thread schedstat). */
  static readonly chargesOnlyOwnTime = schedstat() !== undefined;

  start(): this {
    this.lastTick = performance.now();
    this.last = schedstat();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    // the monitor never keeps a process alive by itself
    this.timer.unref();
    return this;
  }

  stop(): Stall {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.worst();
  }

  /** Closes the stretch since the last tick; called by the timer, and before reading the result. */
  sample(): void {
    const now = performance.now();
    const stat = schedstat();
    const late = Math.max(0, now - this.lastTick - this.intervalMs);
    const queued = stat && this.last ? (stat.waitNs - this.last.waitNs) / 1e6 : 0;
    const blocked = Math.max(0, late - queued);
    const cpu = stat && this.last ? Math.min(blocked, (stat.runNs - this.last.runNs) / 1e6) : blocked;
    if (blocked > this.worstStall.blockedMs) this.worstStall = { blockedMs: blocked, wallMs: late, cpuMs: cpu, during: this.during };
    this.lastTick = now;
    this.last = stat;
  }

  worst(): Stall {
    return { ...this.worstStall };
  }
}
