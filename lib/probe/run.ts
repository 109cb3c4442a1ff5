/**
 * Runs the stage probe (src/probe.ts, or another program that prints the same lines) in the
 * DeviceScript simulator's VM: a Jacdac hub of this run (in this process, on a free port), with
 * `native` the simulated classifier device (devices/classifier.ts: the firmware's C service and
 * model in WebAssembly), then `devs run` of the program on that hub. Returns the run's figures
 * once it prints `@probe done`.
 *
 * Everything started is known by PID and stopped when the run ends, on failure and on Ctrl-C /
 * SIGTERM (then the run fails with `interrupted` / `terminated`, exit 130 / 143), and the hub's
 * port is closed; the children exit by themselves if this process is killed outright
 * (lib/processes.ts, lifeline.cjs). The same discipline as `bnn sim`.
 *
 * A run fails in one line when the VM prints an exception or panics, exits, goes quiet for
 * `timeoutMs` without `@probe done`, prints a malformed probe line (parse.ts), or when the
 * probe's finding of the classifier is not what this run set up.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { startDevsRun } from "../devs/cli.ts";
import { watchVm } from "../devs/vm-watch.ts";
import { ExitCode, UserError } from "../errors.ts";
import { ROOT } from "../paths.ts";
import { startHub } from "../hub.ts";
import { onInterrupt, start, type Managed } from "../processes.ts";
import { makeRunDir } from "../devs/run-dir.ts";
import { ProbeReader, type ProbeRun } from "./parse.ts";

export const PROBE_PROGRAM = "src/probe.ts";

export interface ProbeRunOptions {
  /** Start the simulated classifier, so the probe times its native stages too. */
  native: boolean;
  /** The program: a path relative to the project, or absolute (default src/probe.ts). */
  program?: string;
  /** The shipped model the simulated classifier serves (the probe's own is src/generated/models/default.ts). */
  classifierModel?: string;
  /** How long the VM may go without a line before `@probe done` (default 180 s; compiling alone takes seconds). */
  timeoutMs?: number;
  /** Progress, one line each: the hub's address and every process started, with its PID. */
  progress?: (text: string) => void;
}

export async function runProbe(o: ProbeRunOptions): Promise<ProbeRun> {
  const program = o.program ?? PROBE_PROGRAM;
  const timeoutMs = o.timeoutMs ?? 180_000;
  const progress = o.progress ?? (() => {});
  const processes: Managed[] = [];
  let interrupted: UserError | undefined;
  let finish: ((error: UserError) => void) | undefined;
  onInterrupt((sig) => {
    interrupted = new UserError(sig === "SIGINT" ? "interrupted" : "terminated", sig === "SIGINT" ? 130 : 143);
    if (finish) finish(interrupted);
    else for (const p of processes) void p.stop(); // still starting up: what waits for them fails at once
  });
  let hub: Awaited<ReturnType<typeof startHub>> | undefined;
  let runDir: string | undefined;
  const reader = new ProbeReader();
  let outcome: UserError | undefined;
  try {
    hub = await startHub(0);
    if (interrupted) throw interrupted;
    runDir = makeRunDir();
    progress(`Jacdac hub ${hub.url}`);
    if (o.native) {
      const model = o.classifierModel ?? "default";
      const classifier = start(process.execPath, ["--import", "tsx", join(ROOT, "devices", "classifier.ts"), "--url", hub.url, "--model", model], {
        cwd: ROOT,
        name: "the simulated classifier",
      });
      processes.push(classifier);
      progress(`the simulated classifier (model ${model}, WebAssembly), pid ${classifier.pid}`);
      try {
        await classifier.waitFor(/^classifier ready/, 30_000);
      } catch (e) {
        throw interrupted ?? e;
      }
    }
    const vm = startDevsRun(program, hub.url, runDir);
    processes.push(vm);
    progress(`${program} in the DeviceScript VM, pid ${vm.pid}`);
    if (interrupted) throw interrupted;
    const watch = watchVm(vm, program, "@probe done", timeoutMs, (text) => {
      reader.push(text);
      return reader.done;
    });
    finish = watch.cancel;
    outcome = await watch.outcome;
  } finally {
    finish = undefined;
    onInterrupt(undefined);
    for (const p of processes.reverse()) await p.stop();
    await hub?.close();
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  }
  if (outcome) throw outcome;
  const run = reader.result();
  if (run.native !== o.native) {
    throw new UserError(
      o.native
        ? `${program} did not find the simulated classifier with its model (it printed @probe start bytecode-only)`
        : `${program} found a classifier although none was started`,
      ExitCode.Mismatch,
    );
  }
  return run;
}
