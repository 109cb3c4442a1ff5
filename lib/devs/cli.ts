/**
 * The one way this project runs the DeviceScript CLI (`devs`, from @devicescript/cli): builds,
 * DeviceScript unit tests (`devs run --test`, no network) and programs on a simulated board
 * (`devs run` connected to a hub of this run).
 *
 * Parallel runs: every `devs` invocation also writes .devicescript/bin/* and .devicescript/ts|c
 * of the project (its compiler's side outputs; `devs run` has no option to move them). Nothing
 * here reads those files back: a program is compiled and deployed from memory, and Node code
 * takes the service specs from services/*.md (lib/services.ts). The one file a VM reads
 * back, its flash, is moved to the caller's run folder (vm-preload.cjs).
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "../paths.ts";
import { run } from "../run.ts";
import { LIFELINE, start, type Managed } from "../processes.ts";

/** The CLI's entry script, and the bundle it loads (which tests read the CLI's built-in tables from). */
export const DEVS_CLI = join(createRequire(import.meta.url).resolve("@devicescript/cli/package.json"), "..", "devicescript");
export const DEVS_BUNDLE = join(DEVS_CLI, "..", "built", "devicescript-cli.cjs");
const VM_PRELOAD = fileURLToPath(new URL("./vm-preload.cjs", import.meta.url));

export interface DevsResult {
  code: number;
  /** stdout and stderr, colors removed. */
  output: string;
}

const NO_COLOR = { FORCE_COLOR: "0", NO_COLOR: "1" };
// biome-ignore lint/suspicious/noControlCharactersInRegex: strips the terminal's colour escapes (ESC [ ... m)
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

/**
 * `devs <args>` in the project or in `cwd`, without blocking the caller (a test worker must keep
 * answering its runner, a CLI its Ctrl-C); `preload` modules are loaded first (`node --require`).
 * Stopped after `timeoutMs` (default 5 minutes; 0: never), or when it has printed nothing for
 * `idleMs` (default: no such limit), the limit of a run whose length follows the machine's load.
 */
export async function devs(
  args: string[],
  opts: { cwd?: string; timeoutMs?: number; idleMs?: number; preload?: string[]; env?: Record<string, string> } = {},
): Promise<DevsResult> {
  const r = await run(process.execPath, [...(opts.preload ?? []).flatMap((p) => ["--require", p]), DEVS_CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env, ...NO_COLOR },
    timeoutMs: opts.timeoutMs ?? 300_000,
    idleMs: opts.idleMs,
    allowFail: true,
  });
  return { code: r.code, output: plain(r.stdout.toString("utf8") + r.stderr) };
}

/**
 * Runs a DeviceScript test file in the VM (`devs run <file> --test --test-self-exit`, no sockets);
 * it exits by itself when the caller dies.
 */
export function devsTest(file: string, opts: { timeoutMs?: number; cwd?: string } = {}): Promise<DevsResult> {
  const timeoutMs = opts.timeoutMs ?? 600_000;
  return devs(["run", file, "--test", "--test-self-exit", "--test-timeout", String(timeoutMs)], {
    cwd: opts.cwd,
    preload: [LIFELINE],
    timeoutMs: timeoutMs + 60_000,
  });
}

/**
 * Starts `devs run <file>` with its VM on the hub at `hubUrl` and its flash in `runDir` (a folder
 * of the caller's run). The process is managed: stopped with its group by stop(), and
 * it exits by itself when the caller dies.
 */
export function startDevsRun(file: string, hubUrl: string, runDir: string, name = "devs run"): Managed {
  return start(process.execPath, ["--require", VM_PRELOAD, DEVS_CLI, "run", file], {
    cwd: ROOT,
    name,
    env: { ...process.env, ...NO_COLOR, BNN_HUB_URL: hubUrl, BNN_VM_FLASH: join(runDir, "flash.bin") },
  });
}
