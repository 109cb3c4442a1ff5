/**
 * The verification matrix on the whole official test set: every backend (host gcc with
 * ASan/UBSan, host clang, wasm32, Cortex-M0, rv32imc and Xtensa LX106 under QEMU, the RP2040
 * build on rp2040js, both hidden-layer methods, and the DeviceScript bytecode fallback in the
 * simulator's VM) gives the reference's integer scores and hidden
 * activations for all 10,000 images; --require-all makes a missing tool a failure. And the
 * matrix itself can fail: an injected fault is found and located.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scratchDir } from "./helpers.ts";
import { cFromModel } from "../lib/codegen/pipeline.ts";
import { CORTEX_M0, HOST_GCC, variant } from "../lib/targets/targets.ts";
import { BACKENDS, compareRecords, describeDifference, inputRecords, referenceRecords, verifyBackends } from "../lib/measure/verify.ts";
import { runBytecode } from "../lib/devs/bytecode-run.ts";
import { generateTables } from "../lib/export/tables.ts";
import { loadMnist } from "../lib/mnist.ts";
import { modelId, readModelFile, serializeModel, validateModel, type ConvLayer } from "../lib/model/format.ts";
import { classify, type Trace } from "../lib/model/infer.ts";
import { packPixels } from "../lib/model/input.ts";
import { resolveModelPath, ROOT, tablesPath } from "../lib/paths.ts";
import { bnn } from "./run-bnn.ts";
import { shippedModels } from "../lib/paths.ts";

// the models run concurrently, beside the other test files: the matrix is the suite's longest
// work, so it starts first (tests/support/sequencer.ts)
describe.concurrent.each(shippedModels())("bnn verify --model %s", (name) => {
  // no fixed timeout: `bnn verify` says on stderr how far it is whenever a backend moves on, and
  // the run is stopped when it has said nothing for 10 minutes (the longest backend without
  // progress of its own, QEMU's cortex-m0-rows on the CNN, takes under a minute alone)
  it("agrees on all 10,000 test images on every backend", async () => {
    // at a lower priority: with rp2040js (an interpreter in Node, ~30-40 M instructions/s) the
    // matrix keeps the cores busy for minutes, and the real-time simulator tests beside it
    // must not starve (nice 10 starved the bytecode backend's compiles past its idle limit)
    const r = await bnn(["verify", "--model", name, "--require-all", "--json"], {}, { nice: 5, idleMs: 600_000 });
    const out = JSON.parse(r.stdout);
    // a failing backend is named with its message
    expect(out.backends.filter((b: { status: string }) => b.status !== "ok").map((b: { name: string; message?: string }) => `${b.name}: ${b.message}`)).toEqual(
      [],
    );
    // stderr: progress lines only
    expect(r.stderr.split("\n").filter((l) => l && !l.startsWith(`verify ${name}: `))).toEqual([]);
    expect(r.code).toBe(0);
    expect(out.backends.map((b: { name: string }) => b.name)).toEqual(BACKENDS.map((b) => b.name));
    // the two real cores beside QEMU's: both hidden-layer methods of each
    expect(out.backends.map((b: { name: string }) => b.name)).toEqual(
      expect.arrayContaining(["rp2040js", "rp2040js-rows", "xtensa-lx106", "xtensa-lx106-rows"]),
    );
    // every backend on all 10,000 images, but for a CNN the two that sample (and say so)
    const sampled = readModelFile(resolveModelPath(name)).conv.length ? { "devicescript-vm": 200, "rp2040js-rows": 1000 } : {};
    for (const b of out.backends) {
      const images = (sampled as Record<string, number>)[b.name] ?? 10000;
      expect({ name: b.name, agree: b.agree, total: b.total, status: b.status, sampled: images < 10000 }).toEqual({
        name: b.name,
        agree: images,
        total: images,
        status: "ok",
        sampled: b.sampled !== undefined,
      });
    }
  }, 0);
});

describe("AND pooling in the generated C and the bytecode", () => {
  // The shipped CNN has no channel whose BatchNorm decreases in a pooled layer, so its poolAnd
  // lists are empty. This model is the shipped one with channels 0..15 of conv 2 turned into AND
  // channels computing the complement: weights negated (s -> -s) and threshold 1 - T, so each
  // position's bit is s < T and the AND of the window is NOT(OR of s >= T).
  const original = readModelFile(resolveModelPath("cnn"));
  const file = structuredClone(original.file);
  const conv2 = file.layers[1] as ConvLayer;
  const flipped = Array.from({ length: 16 }, (_, c) => c);
  for (const c of flipped) {
    conv2.weights[c] = conv2.weights[c].replace(/[0-9a-f]{8}/g, (w) => (~parseInt(w, 16) >>> 0).toString(16).padStart(8, "0"));
    conv2.thresholds[c] = 1 - conv2.thresholds[c];
  }
  conv2.poolAnd = flipped;
  file.id = modelId(file.input, file.layers);
  const model = validateModel(JSON.parse(serializeModel(file)), "and-pooling model");

  it("the reference's AND channels are the complement of the OR channels they were made from", () => {
    const test = loadMnist("test");
    for (let i = 0; i < 50; i++) {
      const a: Trace = { conv: [], hidden: [], scores: new Int32Array(0), digit: 0 };
      const b: Trace = { conv: [], hidden: [], scores: new Int32Array(0), digit: 0 };
      const input = packPixels(test.images, model.input.threshold, 784, i * 784);
      classify(original, input, a);
      classify(model, input, b);
      for (let p = 0; p < 25; p++) {
        // 64 channels = two words a pixel; channels 0..15 are the low half of word 0
        expect((a.conv![1][2 * p] ^ b.conv![1][2 * p]) >>> 0).toBe(0xffff);
        expect(a.conv![1][2 * p + 1]).toBe(b.conv![1][2 * p + 1]);
      }
    }
  });

  it("gives the reference's outputs on host gcc (both methods) and the Cortex-M0", async () => {
    const dir = await cFromModel(model, scratchDir("and-pooling"));
    const input = inputRecords(model, loadMnist("test"), 1000);
    const results = await verifyBackends(model, dir, input, [HOST_GCC, variant(HOST_GCC, "host-gcc-rows", "", ["-DBNN_HIDDEN_METHOD=1"]), CORTEX_M0]);
    for (const r of results) expect({ name: r.name, status: r.status, agree: r.agree }).toEqual({ name: r.name, status: "ok", agree: 1000 });
  }, 120_000);
  it("gives the reference's outputs in the DeviceScript bytecode", async () => {
    mkdirSync(join(ROOT, ".devicescript"), { recursive: true });
    const dir = mkdtempSync(join(ROOT, ".devicescript", "and-pooling-"));
    try {
      const tables = join(dir, "and.ts");
      writeFileSync(tables, generateTables(model, "tests/verify.test.ts (AND pooling model)"));
      const input = inputRecords(model, loadMnist("test"), 20);
      const c = compareRecords(model, await referenceRecords(model, input), await runBytecode(tables, input));
      expect(c).toEqual({ agree: 20, total: 20 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("the matrix finds and locates a difference", () => {
  it("reports the image, layer and neuron where an injected fault starts", async () => {
    const model = readModelFile(resolveModelPath("default"));
    const dir = await cFromModel(model, scratchDir("fault"));
    // break neuron 5 of layer 2 in the rows form: its threshold becomes "always on"
    const c = readFileSync(join(dir, "bnn_model.c"), "utf8");
    const start = c.indexOf("bnn_l2_thresholds[64] = {");
    const values = c.slice(start).match(/\{\n\s*([^}]*)\}/)![1];
    const nums = values
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    nums[5] = "-128";
    writeFileSync(join(dir, "bnn_model.c"), c.replace(values, "    " + nums.join(", ") + ",\n"));
    const rows = variant(HOST_GCC, "faulty-rows", "", ["-DBNN_HIDDEN_METHOD=1"]);
    const [r] = await verifyBackends(model, dir, inputRecords(model, loadMnist("test"), 2000), [rows]);
    expect(r.status).toBe("differs");
    expect(r.agree).toBeLessThan(2000);
    expect(r.first).toMatchObject({ layer: 2, neuron: 5, expected: 0, actual: 1 });
  });

  it("locates a fault in a convolution by layer, channel and position", async () => {
    const model = readModelFile(resolveModelPath("cnn"));
    const dir = await cFromModel(model, scratchDir("conv-fault"));
    // conv layer 2, channel 7 in the rows form: its threshold becomes "never on"
    const c = readFileSync(join(dir, "bnn_model.c"), "utf8");
    const start = c.indexOf("bnn_c2_thresholds[64] = {");
    expect(start).toBeGreaterThan(0);
    const values = c.slice(start).match(/\{\n\s*([^}]*)\}/)![1];
    const nums = values
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    nums[7] = "289";
    writeFileSync(join(dir, "bnn_model.c"), c.replace(values, "    " + nums.join(", ") + ",\n"));
    const rows = variant(HOST_GCC, "faulty-conv-rows", "", ["-DBNN_HIDDEN_METHOD=1"]);
    const [r] = await verifyBackends(model, dir, inputRecords(model, loadMnist("test"), 200), [rows]);
    expect(r.status).toBe("differs");
    // the first pixel of the 5x5x64 output whose channel 7 was on: the layer, the channel, where
    expect(r.first).toMatchObject({ layer: 2, expected: 1, actual: 0, at: { channel: 7 } });
    expect(r.first!.neuron % 64).toBe(7);
    expect(r.first!.at!.row * 5 + r.first!.at!.column).toBe(Math.floor(r.first!.neuron / 64));
    expect(describeDifference(r.first!)).toMatch(/conv layer 2, channel 7 at row \d, column \d \(expected 1, got 0\)/);
  });

  it("the bytecode backend locates a flipped counter bit in the DeviceScript tables", async () => {
    // a copy of the shipped tables whose layer-1 counter start of neuron 0 has its top plane
    // flipped: that neuron's output is inverted on every image
    const model = readModelFile(resolveModelPath("default"));
    const text = readFileSync(tablesPath("default"), "utf8");
    const planes = Number(/export const L1_PLANES = (\d+)/.exec(text)![1]);
    const m = /(export const L1_K_EVEN = hex`\s*)([0-9a-f]+)/.exec(text)!;
    const at = 8 * (planes - 1); // hex digits before byte 0 of word 0, plane planes - 1
    const byte = (parseInt(m[2].slice(at, at + 2), 16) ^ 1).toString(16).padStart(2, "0");
    mkdirSync(join(ROOT, ".devicescript"), { recursive: true });
    const dir = mkdtempSync(join(ROOT, ".devicescript", "faulty-tables-"));
    try {
      const faulty = join(dir, "default.ts");
      writeFileSync(faulty, text.replace(m[0], m[1] + m[2].slice(0, at) + byte + m[2].slice(at + 2)));
      const input = inputRecords(model, loadMnist("test"), 50);
      const c = compareRecords(model, await referenceRecords(model, input), await runBytecode(faulty, input));
      expect(c.agree).toBe(0);
      expect(c.first).toMatchObject({ image: 0, layer: 1, neuron: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("rejects an unknown backend name", async () => {
    const r = await bnn(["verify", "--backends", "host-gcc,z80"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown backend 'z80'/);
  });
});
