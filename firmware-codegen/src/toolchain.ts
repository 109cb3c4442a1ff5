/** Running the external tools (compilers, emulators) the C targets need, with clear failures. */
import { spawnSync } from "node:child_process";

export function which(tool: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
  seconds: number;
}

/** Runs a command; throws with its stderr when it fails (compilers) unless `allowFail`. */
export function run(cmd: string, args: string[], opts: { cwd?: string; input?: Buffer; allowFail?: boolean; timeoutMs?: number } = {}): RunResult {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, maxBuffer: 1 << 30, timeout: opts.timeoutMs ?? 600_000 });
  const result = { code: r.status ?? -1, stdout: r.stdout ?? Buffer.alloc(0), stderr: (r.stderr ?? Buffer.alloc(0)).toString("utf8"), seconds: (performance.now() - t0) / 1000 };
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (result.code !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${result.code}):\n${result.stderr.slice(0, 4000)}`);
  return result;
}
