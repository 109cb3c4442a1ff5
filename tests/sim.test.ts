/**
 * The simulated board (npm start = bnn sim): a hub of the run's own + simulated classifier device
 * (the firmware's C service in WebAssembly) + DeviceScript VM running src/main.ts. Every sequence
 * number arrives exactly once and equals the TypeScript reference, through the native path, the
 * bytecode fallback, a model-id mismatch and a classifier restart; the device answers a wrong
 * payload with an error report; Ctrl-C and SIGKILL leave nothing running.
 *
 * Cleanup is checked on what each run started, nothing else: `bnn sim --json` names its hub port
 * and the PID of every process it starts, and the checks look at exactly those (other test
 * files, or a simulator someone runs beside the tests, are never looked at).
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { createWebSocketBus, Packet, REPORT_RECEIVE, type JDService } from "jacdac-ts";
import { describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { loadMnist } from "../lib/mnist.ts";
import { readModelFile } from "../lib/model/format.ts";
import { classifyImage } from "../lib/model/infer.ts";
import { packPixels } from "../lib/model/input.ts";
import { resolveModelPath, ROOT } from "../lib/paths.ts";
import { CLASSIFIER, customServiceSpecs } from "../lib/services.ts";
import { startHub } from "../lib/hub.ts";
import { start } from "../lib/processes.ts";
import { StartupReporter } from "../lib/sim/startup.ts";
import { bnn } from "./run-bnn.ts";
import { alive, BIN, expectAllOnceAndExact, expectCleanedUp, id32, parseRun, portFree, runSim, type Run } from "./sim-run.ts";

describe("bnn sim (the simulated board)", () => {
  it("uses the bytecode fallback without a classifier", async () => {
    const run = await runSim(["--source", "samples", "--count", "10", "--backend", "bytecode"]);
    const results = expectAllOnceAndExact(run, 10);
    expect(results.every((x) => x.backend === "bytecode")).toBe(true);
    await expectCleanedUp(run);
  });

  it("does not use a classifier running another model (model-id check)", async () => {
    const r = await bnn(["sim", "--source", "samples", "--count", "5", "--classifier-model", "large"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`the classifier runs model ${id32("large")}, this program ${id32("default")}: not using it`);
    expect(r.stdout.match(/ bytecode /g)).toHaveLength(5);
    expect(r.stdout).toMatch(/5\/5 identical to the TypeScript reference/);
  });

  const started = (signal: NodeJS.Signals) =>
    new Promise<{ run: Run; code: number | string | null }>((resolve) => {
      const child = spawn(process.execPath, [BIN, "sim", "--json", "--source", "samples", "--count", "40", "--backend", "bytecode"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let sent = false;
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (!sent && /"seq":1\b/.test(out)) sent = child.kill(signal); // once: a second Ctrl-C exits at once
      });
      child.on("close", (c, s) =>
        resolve({
          run: parseRun(
            out
              .split("\n")
              .filter((l) => l.startsWith("{") && l.endsWith("}"))
              .join("\n"),
          ),
          code: c ?? s,
        }),
      );
    });

  it("stops the devices and the VM, frees its port, and still prints a summary on Ctrl-C", async () => {
    const { run, code } = await started("SIGINT");
    expect(code).toBe(130);
    expect(run.lines[run.lines.length - 1].summary?.results).toBeGreaterThanOrEqual(2);
    await expectCleanedUp(run);
  });

  it("leaves nothing running when it is killed outright (SIGKILL: its children exit by themselves)", async () => {
    const { run, code } = await started("SIGKILL");
    expect(code).toBe("SIGKILL");
    await expectCleanedUp(run);
  });

  it("says what the VM is doing while it starts (the CLI, compiling, the program), before the first result", async () => {
    const r = await bnn(["sim", "--source", "samples", "--count", "1", "--backend", "bytecode"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const order = [
      at(/^starting src\/main\.ts in the DeviceScript VM \.\.\.$/),
      at(/^ {2}VM: compiling src\/main\.ts \.\.\.$/),
      at(/^ {2}VM: src\/main\.ts compiled and deployed in \d+\.\d s; the program starts and looks for its devices \.\.\.$/),
      at(/^ {2}vm: bnn: model [0-9a-f]{16}, source samples, backend bytecode$/),
      at(/^ {2}# {2}0 /),
    ];
    expect(
      order.every((i) => i >= 0),
      lines.join("\n"),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("--raw prints the board's stream, which bnn monitor --stdin reads", async () => {
    const raw = await bnn(["sim", "--source", "samples", "--count", "6", "--raw"]);
    expect(raw.code, raw.stderr).toBe(0);
    // the board's own lines only: not the DeviceScript CLI's (issue 21: its hub URL and version)
    expect(raw.stdout).not.toMatch(/connected to|using devs|self-deployed|^WASM>/m);
    expect(raw.stdout).toMatch(/^bnn: model [0-9a-f]{16}, source samples/m);
    const m = await bnn(["monitor", "--stdin", "--json"], {}, { input: raw.stdout });
    expect(m.code, m.stderr).toBe(0);
    const lines = m.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.pop().summary).toMatchObject({ results: 6, correct: 6, invalidLines: 0 });
    expect(lines.map((l) => l.seq)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("runs on the port it is given, and says so in one line when that port is busy", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await bnn(["sim", "--count", "1", "--port", String(port)]);
      expect(r.code).toBe(3);
      expect(r.stderr.trim()).toMatch(new RegExp(`^bnn: port ${port} is busy`));
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    } finally {
      blocker.close();
    }
    const run = await runSim(["--source", "samples", "--count", "1", "--port", String(port)]);
    expect(run.port).toBe(port);
    await expectCleanedUp(run);
  });
});

describe("the simulated classifier device over the bus", () => {
  it("answers a wrong payload and a wrong model id with error reports, and a good one exactly", async () => {
    const hub = await startHub(0);
    const device = start(process.execPath, ["--import", "tsx", join(ROOT, "devices", "classifier.ts"), "--url", hub.url], { cwd: ROOT, name: "device" });
    (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
    const bus = createWebSocketBus({ url: hub.url, busOptions: { services: customServiceSpecs() } });
    try {
      await device.waitFor(/^classifier ready/, 30_000);
      await bus.connect();
      let service: JDService | undefined;
      for (let t = 0; t < 100 && !service; t++) {
        service = bus.services({ serviceClass: CLASSIFIER.serviceClass })[0];
        if (!service) await new Promise((r) => setTimeout(r, 100));
      }
      expect(service).toBeDefined();
      const reports: Uint8Array[] = [];
      service!.on(REPORT_RECEIVE, (pkt: Packet) => {
        if (pkt.serviceCommand === CLASSIFIER.cmdClassify) reports.push(pkt.data);
      });
      const ask = async (payload: Uint8Array) => {
        const before = reports.length;
        await service!.sendPacketAsync(Packet.from(CLASSIFIER.cmdClassify, payload));
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
      const id = parseInt(model.id.slice(0, 8), 16);
      const short = new DataView((await ask(payload(id, 7, 50))).buffer);
      expect([short.getUint32(0, true), short.getUint8(4)]).toEqual([7, CLASSIFIER.statusBadLength]);
      const wrongId = new DataView((await ask(payload(id ^ 1, 8, 100))).buffer);
      expect([wrongId.getUint32(0, true), wrongId.getUint8(4)]).toEqual([8, CLASSIFIER.statusModelMismatch]);
      const good = await ask(payload(id, 9, 100));
      const g = new DataView(good.buffer, good.byteOffset, good.byteLength);
      const ref = classifyImage(model, test.images, 3);
      expect([g.getUint32(0, true), g.getUint8(4), g.getInt8(5)]).toEqual([9, CLASSIFIER.statusOk, ref.digit]);
      expect(Array.from({ length: 10 }, (_, j) => g.getInt32(12 + 4 * j, true))).toEqual(Array.from(ref.scores));
    } finally {
      await bus.disconnect();
      await device.stop();
      await hub.close();
    }
    expect(alive(device.pid)).toBe(false);
    expect(await portFree(hub.port)).toBe(true);
  });
});

describe("bnn sim's start-up lines", () => {
  it("says each stage once, then a line every 5 s while one lasts, and nothing once the program speaks", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
    try {
      const said: string[] = [];
      const r = new StartupReporter((l) => said.push(l));
      r.begin("starting src/main.ts in the DeviceScript VM ...", "starting the DeviceScript CLI");
      vi.advanceTimersByTime(4999);
      expect(said).toHaveLength(1);
      vi.advanceTimersByTime(1);
      r.vmLine("using devs: v2.16.4, runtime: v2.16.4, node: v20.20.2 from /x", "src/main.ts");
      r.vmLine("connected to ws://127.0.0.1:8081", "src/main.ts");
      vi.advanceTimersByTime(12_000);
      r.vmLine("self-deployed src/main.ts", "src/main.ts");
      r.vmLine("WASM> DeviceScript Simulator (WASM) v2.16.4; file v2.16.4", "src/main.ts");
      vi.advanceTimersByTime(6000);
      r.vmLine("WASM> bnn: model 6443658033e1e799, source touch, backend native", "src/main.ts");
      vi.advanceTimersByTime(60_000);
      r.begin("starting the simulated classifier device ...", "starting the simulated classifier device"); // a restart later on
      vi.advanceTimersByTime(60_000);
      expect(said).toEqual([
        "starting src/main.ts in the DeviceScript VM ...",
        "  ... still starting the DeviceScript CLI (5 s)",
        "  VM: compiling src/main.ts ...",
        "  ... still compiling src/main.ts (5 s)",
        "  ... still compiling src/main.ts (10 s)",
        "  VM: src/main.ts compiled and deployed in 12.0 s; the program starts and looks for its devices ...",
        "  ... still waiting for the program's first line (5 s)",
        "starting the simulated classifier device ...",
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});
