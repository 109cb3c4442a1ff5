/**
 * The simulated board (npm start = bnn sim): hub + DeviceScript VM running src/main.ts; the
 * bytecode fallback's results arrive over the stream, each identical to the TypeScript
 * reference; Ctrl-C and a busy port leave nothing running behind.
 */
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bnn } from "./run-bnn.ts";

function devsProcesses(): string[] {
  const r = spawnSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  return r.stdout.split("\n").filter((l) => /@devicescript\/cli\/devicescript (devtools|run)/.test(l));
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

describe("bnn sim (the simulated board)", () => {
  it("streams every sample digit once, each identical to the reference, and cleans up", async () => {
    const r = bnn(["sim", "--json", "--count", "40"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const results = lines.filter((l) => l.seq !== undefined);
    expect(results.map((x) => x.seq).sort((a: number, b: number) => a - b)).toEqual([...Array(40).keys()]);
    expect(results.every((x) => x.reference && x.backend === "bytecode")).toBe(true);
    const { summary } = lines[lines.length - 1];
    expect(summary.count).toBe(40);
    expect(summary.agreeWithReference).toBe(40);
    expect(devsProcesses()).toEqual([]);
    for (const p of [8081, 8082, 8083]) expect(await portFree(p)).toBe(true);
  });

  it("stops the hub and the VM on Ctrl-C", async () => {
    const child = spawn(process.execPath, [fileURLToPath(new URL("../bin/bnn.mjs", import.meta.url)), "sim", "--count", "40"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (out.includes("#  1")) {
          clearInterval(t);
          resolve();
        }
      }, 50);
    });
    child.kill("SIGINT");
    const code = await new Promise((resolve) => child.on("exit", (c, s) => resolve(c ?? s)));
    expect(code).toBe(130);
    await new Promise((r) => setTimeout(r, 500));
    expect(devsProcesses()).toEqual([]);
    for (const p of [8081, 8082, 8083]) expect(await portFree(p)).toBe(true);
  });

  it("says so when the hub's port is busy", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(8081, "127.0.0.1", () => resolve()));
    try {
      const r = bnn(["sim", "--count", "1"]);
      expect(r.code).toBe(3);
      expect(r.stderr.trim()).toMatch(/^bnn: port 8081 is busy/);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    } finally {
      blocker.close();
    }
  });
});
