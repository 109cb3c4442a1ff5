/**
 * The simulated board (npm start = bnn sim): hub + simulated classifier device (the firmware's C
 * service in WebAssembly) + DeviceScript VM running src/main.ts. Every sequence number arrives
 * exactly once and equals the TypeScript reference, through the native path, the bytecode
 * fallback, a model-id mismatch and a classifier restart; the device answers a wrong payload
 * with an error report; Ctrl-C and a busy port leave nothing running.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createWebSocketBus, Packet, REPORT_RECEIVE, type JDService } from "jacdac-ts";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { loadMnist } from "../host/lib/mnist.ts";
import { readModelFile } from "../host/lib/model/format.ts";
import { classifyImage } from "../host/lib/model/infer.ts";
import { packPixels } from "../host/lib/model/input.ts";
import { resolveModelPath, ROOT } from "../host/lib/paths.ts";
import { start } from "../host/lib/sim/processes.ts";
import { bnn, bnnAsync } from "./run-bnn.ts";

const PORTS = [8081, 8082, 8083];

function leftovers(): string[] {
  const r = spawnSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  return r.stdout.split("\n").filter((l) => /@devicescript\/cli\/devicescript (devtools|run)|devices\/(classifier|camera|touch)\.ts/.test(l));
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

async function expectCleanedUp(): Promise<void> {
  expect(leftovers()).toEqual([]);
  for (const p of PORTS) expect(await portFree(p)).toBe(true);
}

interface Line {
  seq?: number;
  backend?: string;
  reference?: boolean;
  summary?: { count: number; agreeWithReference: number };
}

async function runSim(args: string[]): Promise<Line[]> {
  const r = await bnnAsync(["sim", "--json", ...args]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout.trim().split("\n").map((l) => JSON.parse(l));
}

function expectAllOnceAndExact(lines: Line[], count: number): Line[] {
  const results = lines.filter((l) => l.seq !== undefined);
  expect(results.map((x) => x.seq).sort((a, b) => a! - b!)).toEqual([...Array(count).keys()]);
  expect(results.every((x) => x.reference)).toBe(true);
  expect(lines[lines.length - 1].summary).toMatchObject({ count, agreeWithReference: count });
  return results;
}

describe("bnn sim (the simulated board)", () => {
  it("touch: 300 MNIST test digits drawn as strokes through the native classifier, every digit once and exact", async () => {
    const results = expectAllOnceAndExact(await runSim(["--source", "touch", "--count", "300"]), 300);
    expect(results.every((x) => x.backend === "native")).toBe(true);
    await expectCleanedUp();
  });

  it("camera: 300 MNIST test digits as frames through the native classifier, every digit once and exact", async () => {
    const lines = await runSim(["--source", "camera", "--count", "300"]);
    const results = expectAllOnceAndExact(lines, 300);
    expect(results.every((x) => x.backend === "native")).toBe(true);
    await expectCleanedUp();
  });

  it("samples: classifies through the native classifier, every digit once and exact", async () => {
    const results = expectAllOnceAndExact(await runSim(["--source", "samples", "--count", "40"]), 40);
    expect(results.every((x) => x.backend === "native")).toBe(true);
    await expectCleanedUp();
  });

  it("uses the bytecode fallback without a classifier", async () => {
    const results = expectAllOnceAndExact(await runSim(["--source", "samples", "--count", "10", "--backend", "bytecode"]), 10);
    expect(results.every((x) => x.backend === "bytecode")).toBe(true);
    await expectCleanedUp();
  });

  it("does not use a classifier running another model (model-id check)", async () => {
    const r = await bnnAsync(["sim", "--source", "samples", "--count", "5", "--classifier-model", "large"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/the classifier runs model 75858029, this program 191e9cb9: not using it/);
    expect(r.stdout.match(/ bytecode /g)).toHaveLength(5);
    expect(r.stdout).toMatch(/5\/5 identical to the TypeScript reference/);
    await expectCleanedUp();
  });

  it("recovers from a classifier restart and loses no digit", async () => {
    const results = expectAllOnceAndExact(await runSim(["--source", "samples", "--count", "40", "--restart-classifier-at", "5"]), 40);
    expect(results.filter((x) => x.backend === "bytecode").length).toBeGreaterThan(0);
    expect(results.filter((x) => x.backend === "native" && x.seq! > 10).length).toBeGreaterThan(0);
    await expectCleanedUp();
  });

  it("stops the hub, the device and the VM on Ctrl-C", async () => {
    const child = spawn(process.execPath, [fileURLToPath(new URL("../bin/bnn.mjs", import.meta.url)), "sim", "--source", "samples", "--count", "40", "--backend", "bytecode"], { stdio: ["ignore", "pipe", "pipe"] });
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
    await expectCleanedUp();
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

describe("the simulated classifier device over the bus", () => {
  it("answers a wrong payload and a wrong model id with error reports, and a good one exactly", async () => {
    const devs = join(ROOT, "node_modules", "@devicescript", "cli", "devicescript");
    const hub = start(process.execPath, [devs, "devtools", "--ci"], { cwd: ROOT, name: "hub" });
    const device = start(process.execPath, ["--import", "tsx", join(ROOT, "devices", "classifier.ts")], { cwd: ROOT, name: "device" });
    (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
    const specs = JSON.parse(readFileSync(join(ROOT, ".devicescript", "services.json"), "utf8"));
    const bus = createWebSocketBus({ busOptions: { services: specs } });
    try {
      await hub.waitFor(/websocket\s*:/, 60_000);
      await device.waitFor(/^classifier ready/, 30_000);
      await bus.connect();
      let service: JDService | undefined;
      for (let t = 0; t < 100 && !service; t++) {
        service = bus.services({ serviceClass: specs[0].classIdentifier })[0];
        if (!service) await new Promise((r) => setTimeout(r, 100));
      }
      expect(service).toBeDefined();
      const reports: Uint8Array[] = [];
      service!.on(REPORT_RECEIVE, (pkt: Packet) => {
        if (pkt.serviceCommand === 0x80) reports.push(pkt.data);
      });
      const ask = async (payload: Uint8Array) => {
        const before = reports.length;
        await service!.sendPacketAsync(Packet.from(0x80, payload));
        for (let t = 0; t < 100 && reports.length === before; t++) await new Promise((r) => setTimeout(r, 20));
        return reports[before];
      };
      const model = readModelFile(resolveModelPath("default"));
      const test = loadMnist("test");
      const payload = (id: number, seq: number, bytes: number) => {
        const p = new Uint8Array(8 + bytes);
        const v = new DataView(p.buffer);
        v.setUint32(0, id, true);
        v.setUint32(4, seq, true);
        const bits = packPixels(test.images, model.input.threshold, 784, 3 * 784);
        p.set(new Uint8Array(bits.buffer).subarray(0, Math.min(bytes, 100)), 8);
        return p;
      };
      const id32 = parseInt(model.id.slice(0, 8), 16);
      const short = new DataView((await ask(payload(id32, 7, 50))).buffer);
      expect([short.getUint32(0, true), short.getUint8(4)]).toEqual([7, 1]); // BadLength
      const wrongId = new DataView((await ask(payload(id32 ^ 1, 8, 100))).buffer);
      expect([wrongId.getUint32(0, true), wrongId.getUint8(4)]).toEqual([8, 2]); // ModelMismatch
      const good = await ask(payload(id32, 9, 100));
      const g = new DataView(good.buffer, good.byteOffset, good.byteLength);
      const ref = classifyImage(model, test.images, 3);
      expect([g.getUint32(0, true), g.getUint8(4), g.getInt8(5)]).toEqual([9, 0, ref.digit]);
      expect(Array.from({ length: 10 }, (_, j) => g.getInt32(12 + 4 * j, true))).toEqual(Array.from(ref.scores));
    } finally {
      await bus.disconnect();
      await device.stop();
      await hub.stop();
    }
    await expectCleanedUp();
  });
});
