/**
 * Set-up file of every test file (vitest.config.ts): fails a test file whose tests, hooks or
 * imports kept its worker's event loop from running for longer than the limit. A worker whose loop
 * is blocked cannot answer vitest's main process; under load that became "Timeout calling
 * onTaskUpdate" and a red run with every test green. Long work belongs in a child process or a
 * worker thread, or yields (tests/support/child-work.ts).
 *
 * The limit is on time charged to the worker's own thread (./event-loop-stall.ts): a busy machine
 * makes the wall-clock stall longer but not the charge, so the guard does not fail a file
 * for the machine's load. BNN_STALL_LIMIT_MS changes the limit (default 1000);
 * BNN_STALL_REPORT=FILE appends one JSON line per test file with its longest stall.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { afterAll, afterEach, beforeEach, expect } from "vitest";
import { StallMonitor } from "./event-loop-stall.ts";

export const STALL_LIMIT_MS = Number(process.env.BNN_STALL_LIMIT_MS ?? 1000);

const monitor = new StallMonitor().start();

/**
 * CPU seconds of this worker process and of the child processes it has waited for (Linux
 * /proc/self/stat utime + stime, cutime + cstime; vitest runs each file in a process of its own),
 * or undefined elsewhere: where a run's CPU time goes, for BNN_STALL_REPORT.
 */
function cpuSeconds(): { own: number; children: number } | undefined {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const f = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    // fields 14-17 of the file are 12-15 after the name; clock ticks of 1/100 s on Linux
    return { own: (f[11] + f[12]) / 100, children: (f[13] + f[14]) / 100 };
  } catch {
    return undefined;
  }
}

interface Named {
  name: string;
  suite?: Named;
  /** Set on the file's own task, whose name is the file. */
  filepath?: string;
}

/** "describe > it", as vitest prints it. */
function fullName(task: Named): string {
  const names: string[] = [];
  for (let t: Named | undefined = task; t; t = t.suite) if (t.name && t.filepath === undefined) names.unshift(t.name);
  return names.join(" > ");
}

beforeEach((ctx) => {
  monitor.sample();
  monitor.during = fullName(ctx.task);
});

afterEach(() => {
  // a test that blocked to its end is charged here, not to what runs next
  monitor.sample();
  monitor.during = "between tests";
});

afterAll(() => {
  monitor.during = "after the tests";
  const worst = monitor.stop();
  const file = relative(process.cwd(), expect.getState().testPath ?? "?");
  if (process.env.BNN_STALL_REPORT) {
    const line = {
      file,
      blockedMs: Math.round(worst.blockedMs),
      wallMs: Math.round(worst.wallMs),
      cpuMs: Math.round(worst.cpuMs),
      during: worst.during,
      ownTime: StallMonitor.chargesOnlyOwnTime,
      cpuSeconds: cpuSeconds(),
    };
    appendFileSync(process.env.BNN_STALL_REPORT, JSON.stringify(line) + "\n");
  }
  if (worst.blockedMs > STALL_LIMIT_MS) {
    throw new Error(
      `event loop blocked for ${Math.round(worst.blockedMs)} ms (limit ${STALL_LIMIT_MS} ms; ${Math.round(worst.cpuMs)} ms of it on a core, ${Math.round(worst.wallMs)} ms by the clock) in '${worst.during}': ` +
        "run long work in a child process or worker thread, or yield (tests/support/stall-guard.ts)",
    );
  }
});
