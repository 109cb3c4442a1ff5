/** Runs the `bnn` CLI as a user would, capturing output and exit code. */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../bin/bnn.mjs", import.meta.url));

export function bnn(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0", ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
