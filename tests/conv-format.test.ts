/**
 * Model format version 2 ("conv" layers, docs/model-format.md §2.3): the validator rejects
 * each way a version-2 file can be wrong with one line naming the problem (also through the
 * CLI); the folding of a trained convolution layer (pooled sums, then BatchNorm) into
 * thresholds and OR/AND pooling equals the float layer bit for bit on random layers and inputs;
 * and a tiny example computed by hand pins the tensor layout and the patch order.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lastWordMask, packSigns, setBit, testBit, wordsFor } from "../host/lib/binary.ts";
import { UserError } from "../host/lib/errors.ts";
import { foldConvLayer, foldModel } from "../host/lib/model/fold.ts";
import { encodeRow, modelId, readModelFile, serializeModel, validateModel, versionFor, type ConvLayer, type InputSpec, type ModelFile, type ModelLayer, type ScoreLayer } from "../host/lib/model/format.ts";
import { classify, convolve, type Trace } from "../host/lib/model/infer.ts";
import { packPixels } from "../host/lib/model/input.ts";
import { SeededRng } from "../host/lib/rng.ts";
import type { TrainedConvLayer, TrainedLayer } from "../host/lib/model/trained.ts";
import { floatConv, trainedConvLayer } from "./float-network.ts";
import { scratchDir } from "./helpers.ts";
import { bnn, expectOneLineError } from "./run-bnn.ts";
import { yieldToEventLoop } from "../host/lib/event-loop.ts";

const work = scratchDir("conv-format");

// ---------------------------------------------------------------------------------------------
// (a) version-2 files the validator must reject

interface ConvShape {
  kernel: number;
  outputs: number;
  pool: number;
  poolAnd?: number[];
}

interface NetShape {
  width: number;
  height: number;
  conv: ConvShape[];
  hidden?: number[];
  outputs?: number;
}

/** m random weight rows of n inputs, padding bits 0. */
function randomRows(rng: SeededRng, n: number, m: number): string[] {
  return Array.from({ length: m }, () => {
    const row = new Uint32Array(wordsFor(n));
    for (let i = 0; i < n; i++) if (rng.next() < 0.5) setBit(row, i);
    return encodeRow(row, 0, row.length);
  });
}

/** m thresholds in [-n, n + 1], the extremes included. */
function randomThresholds(rng: SeededRng, n: number, m: number): number[] {
  return Array.from({ length: m }, (_, j) => (j === 0 ? -n : j === 1 ? n + 1 : -n + rng.int(2 * n + 2)));
}

/** A valid model file of this shape (version from its layers, id computed). */
function modelFile(seed: number, shape: NetShape): ModelFile {
  const rng = new SeededRng(seed);
  const input: InputSpec = { width: shape.width, height: shape.height, threshold: 100 };
  const layers: ModelLayer[] = [];
  let [h, w, c] = [shape.height, shape.width, 1];
  for (const s of shape.conv) {
    const n = s.kernel * s.kernel * c;
    layers.push({ kind: "conv", input: [h, w, c], kernel: s.kernel, outputs: s.outputs, pool: s.pool, weights: randomRows(rng, n, s.outputs), thresholds: randomThresholds(rng, n, s.outputs), poolAnd: s.poolAnd ?? [] });
    [h, w, c] = [(h - s.kernel + 1) / s.pool, (w - s.kernel + 1) / s.pool, s.outputs];
  }
  let n = h * w * c;
  for (const m of shape.hidden ?? []) {
    layers.push({ kind: "sign", inputs: n, outputs: m, weights: randomRows(rng, n, m), thresholds: randomThresholds(rng, n, m) });
    n = m;
  }
  const m = shape.outputs ?? 10;
  layers.push({ kind: "score", inputs: n, outputs: m, weights: randomRows(rng, n, m), scale: Array.from({ length: m }, (_, j) => j - 5), offset: Array.from({ length: m }, (_, j) => 100 * j), shift: 0 });
  return { format: "bnn-mlp", version: versionFor(layers), name: "conv-test", id: modelId(input, layers), input, layers };
}

/** 8x8 image -> conv 3x3, 32 channels, pool 2 (6x6 -> 3x3x32) -> score 288 -> 10. */
const BASE = modelFile(1, { width: 8, height: 8, conv: [{ kernel: 3, outputs: 32, pool: 2, poolAnd: [1, 5, 30] }] });
/** The same with two convolutions: 8x8 -> 3x3x32 -> conv 2x2, pool 1 -> 2x2x32 -> sign 128 -> 16 -> score. */
const TWO = modelFile(2, { width: 8, height: 8, conv: [{ kernel: 3, outputs: 32, pool: 2, poolAnd: [0] }, { kernel: 2, outputs: 32, pool: 1 }], hidden: [16] });
/** A non-square image, 8 wide and 6 high: conv 3x3 pool 2 -> [2, 3, 32]. */
const WIDE = modelFile(3, { width: 8, height: 6, conv: [{ kernel: 3, outputs: 32, pool: 2 }] });
/** No pooling: 8x8 -> conv 3x3 -> 6x6x32 -> score 1152. */
const UNPOOLED = modelFile(4, { width: 8, height: 8, conv: [{ kernel: 3, outputs: 32, pool: 1 }] });

/** The UserError validating `file` gives, which must be one line naming the file. */
function rejection(file: unknown): string {
  let error: unknown;
  try {
    validateModel(file, "bad.json");
  } catch (e) {
    error = e;
  }
  if (error === undefined) expect.fail("the validator accepted it");
  expect(error).toBeInstanceOf(UserError);
  const message = (error as UserError).message;
  expect(message).not.toContain("\n");
  expect(message).toMatch(/^bad\.json: /);
  return message;
}

/** A copy of `base` edited by `edit`, with its id recomputed so that only the edit is wrong. */
function edited(base: ModelFile, edit: (m: any) => void): ModelFile {
  const m = structuredClone(base);
  edit(m);
  m.id = modelId(m.input, m.layers);
  return m;
}

const cases: [what: string, base: ModelFile, edit: (m: any) => void, message: RegExp][] = [
  ["a conv layer in a version-1 file", BASE, (m) => (m.version = 1), /layer 1: "conv" layers need format version 2/],
  ["version 3", BASE, (m) => (m.version = 3), /unknown model format version 3 \(this bnn reads versions 1 and 2\)/],
  ["outputs not a multiple of 32", BASE, (m) => (m.layers[0].outputs = 48), /layer 1\.outputs = 48: a "conv" layer's channels must fill whole 32-bit words \(a multiple of 32\)/],
  ["fewer than 32 outputs", BASE, (m) => (m.layers[0].outputs = 16), /layer 1\.outputs = 16: a "conv" layer's channels must fill whole 32-bit words \(a multiple of 32\)/],
  ["an unknown field (stride)", BASE, (m) => (m.layers[0].stride = 2), /layer 1: unknown field "stride" in a "conv" layer/],
  ["an input shape that is not the image's (two channels)", BASE, (m) => (m.layers[0].input = [8, 8, 2]), /layer 1: input 8x8x2, but the input image gives 8x8x1/],
  ["an input shape given as [width, height, channels]", WIDE, (m) => (m.layers[0].input = [8, 6, 1]), /layer 1: input 8x6x1, but the input image gives 6x8x1/],
  ["a second conv layer whose input is not the first one's output", TWO, (m) => (m.layers[1].input = [6, 6, 32]), /layer 2: input 6x6x32, but the previous layer gives 3x3x32/],
  ["an input that is not a [height, width, channels] list", BASE, (m) => (m.layers[0].input = [8, 8]), /layer 1\.input must be \[height, width, channels\]/],
  ["a kernel larger than its input", BASE, (m) => (m.layers[0].kernel = 9), /layer 1: kernel 9 is larger than its 8x8 input/],
  ["a kernel larger than the largest", BASE, (m) => (m.layers[0].kernel = 16), /layer 1\.kernel = 16 is outside \[1, 15\]/],
  ["a pooling that does not divide the convolution output", BASE, (m) => (m.layers[0].pool = 4), /layer 1: pooling 4 does not divide the 6x6 convolution output/],
  ["a pooling of 0", BASE, (m) => (m.layers[0].pool = 0), /layer 1\.pool = 0 is outside \[1, 8\]/],
  ["a threshold above n + 1", BASE, (m) => (m.layers[0].thresholds[3] = 11), /layer 1\.thresholds\[3\] = 11 is outside \[-9, 10\]/],
  ["a threshold below -n", BASE, (m) => (m.layers[0].thresholds[31] = -10), /layer 1\.thresholds\[31\] = -10 is outside \[-9, 10\]/],
  ["a threshold that is not an integer", BASE, (m) => (m.layers[0].thresholds[0] = 1.5), /layer 1\.thresholds\[0\] must be an integer, got 1\.5/],
  ["a threshold per output missing", BASE, (m) => m.layers[0].thresholds.pop(), /layer 1\.thresholds must list 32 integers/],
  ["a weight row of the wrong length", BASE, (m) => (m.layers[0].weights[2] = "000001ff00000000"), /layer 1\.weights row 2 must be 8 lowercase hex digits/],
  ["a weight row in capitals", BASE, (m) => (m.layers[0].weights[4] = "000001FF"), /layer 1\.weights row 4 must be 8 lowercase hex digits/],
  ["a weight row missing", BASE, (m) => m.layers[0].weights.pop(), /layer 1\.weights must list 32 rows/],
  ["a padding bit set (bit 9 of a 9-bit patch)", BASE, (m) => (m.layers[0].weights[7] = "00000200"), /layer 1\.weights row 7 sets bits beyond its 9 inputs: a weight that is not ±1/],
  ["poolAnd unsorted", BASE, (m) => (m.layers[0].poolAnd = [5, 1]), /layer 1\.poolAnd must list distinct channels in ascending order/],
  ["poolAnd with a channel twice", BASE, (m) => (m.layers[0].poolAnd = [1, 1]), /layer 1\.poolAnd must list distinct channels in ascending order/],
  ["poolAnd naming channel 32 of 32", BASE, (m) => (m.layers[0].poolAnd = [1, 32]), /layer 1\.poolAnd\[1\] = 32 is outside \[0, 31\]/],
  ["poolAnd naming channel -1", BASE, (m) => (m.layers[0].poolAnd = [-1]), /layer 1\.poolAnd\[0\] = -1 is outside \[0, 31\]/],
  ["poolAnd missing", BASE, (m) => delete m.layers[0].poolAnd, /layer 1\.poolAnd must list the channels that pool with AND \(may be empty\)/],
  ["poolAnd channels in a layer that does not pool", UNPOOLED, (m) => (m.layers[0].poolAnd = [3]), /layer 1\.poolAnd lists channels, but the layer does not pool/],
  ["a conv layer after a sign layer", TWO, (m) => m.layers.splice(3, 0, structuredClone(m.layers[1])), /layer 4: a "conv" layer must come before every "sign" layer/],
  ["a conv layer last", BASE, (m) => m.layers.pop(), /layer 1: kind "conv", expected "score"/],
  ["a misspelt kind in a version-2 file", BASE, (m) => (m.layers[0].kind = "Conv"), /layer 1: kind "Conv", expected "conv" or "sign"/],
  ["first dense inputs one short of the flattened conv output", BASE, (m) => (m.layers[1].inputs = 287), /layer 2: inputs 287, but the previous layer gives 288/],
  ["first dense inputs the image's, as if there were no convolution", BASE, (m) => (m.layers[1].inputs = 64), /layer 2: inputs 64, but the previous layer gives 288/],
  ["first dense inputs the unpooled conv output", BASE, (m) => (m.layers[1].inputs = 1152), /layer 2: inputs 1152, but the previous layer gives 288/],
];

describe("version-2 model files", () => {
  it("the test models are valid, with the shapes they claim", () => {
    const base = validateModel(BASE);
    expect(base.file.version).toBe(2);
    expect(base.conv.map((c) => [c.convHeight, c.convWidth, c.outHeight, c.outWidth, c.outputs, c.inputs])).toEqual([[6, 6, 3, 3, 32, 9]]);
    expect(base.conv[0].poolAnd).toEqual(Uint32Array.of((1 << 1) | (1 << 5) | (1 << 30)));
    expect(base.output.inputs).toBe(288);
    const two = validateModel(TWO);
    expect(two.conv.map((c) => [c.height, c.width, c.channels, c.outHeight, c.outWidth])).toEqual([
      [8, 8, 1, 3, 3],
      [3, 3, 32, 2, 2],
    ]);
    expect(two.hidden[0].inputs).toBe(128);
    expect(validateModel(WIDE).conv[0]).toMatchObject({ height: 6, width: 8, outHeight: 2, outWidth: 3 });
    expect(validateModel(UNPOOLED).output.inputs).toBe(6 * 6 * 32);
  });

  it.each(cases)("rejects %s", (_what, base, edit, message) => {
    expect(rejection(edited(base, edit))).toMatch(message);
  });

  it("names conv fields in the id, in the documented key order, and not name, float or training", () => {
    const conv = BASE.layers[0] as ConvLayer;
    const score = BASE.layers[1] as ScoreLayer;
    // keys in the order of docs/model-format.md §5, written out here rather than taken from format.ts
    const canonical = JSON.stringify({
      input: { width: 8, height: 8, threshold: 100 },
      layers: [
        { kind: "conv", input: conv.input, kernel: conv.kernel, outputs: conv.outputs, pool: conv.pool, weights: conv.weights, thresholds: conv.thresholds, poolAnd: conv.poolAnd },
        { kind: "score", inputs: score.inputs, outputs: score.outputs, weights: score.weights, scale: score.scale, offset: score.offset, shift: score.shift },
      ],
    });
    expect(BASE.id).toBe(createHash("sha256").update(canonical, "utf8").digest("hex").slice(0, 16));
    // the same layer with its keys in another order has the same id
    const shuffled = { poolAnd: conv.poolAnd, thresholds: conv.thresholds, weights: conv.weights, pool: conv.pool, outputs: conv.outputs, kernel: conv.kernel, input: conv.input, kind: conv.kind };
    expect(modelId(BASE.input, [shuffled, score])).toBe(BASE.id);
    expect(validateModel({ ...BASE, name: "other", training: { x: 1 }, float: [] }).id).toBe(BASE.id);
    // every conv field is part of the id: a changed poolAnd with the old id is an edit
    const m = structuredClone(BASE) as any;
    m.layers[0].poolAnd = [1, 5];
    expect(rejection(m)).toMatch(/id [0-9a-f]{16} does not match the contents \([0-9a-f]{16}\): the file was changed after export/);
  });

  it("writes a model without conv layers as version 1 and one with them as version 2", () => {
    expect(modelFile(5, { width: 8, height: 8, conv: [] }).version).toBe(1);
    expect(BASE.version).toBe(2);
  });

  it("reads a version-2 file from disk, and the CLI refuses a bad one with one line and exit code 3", async () => {
    const good = join(work, "good-v2.json");
    writeFileSync(good, serializeModel(BASE));
    expect(readModelFile(good).conv).toHaveLength(1);
    const bad = join(work, "bad-v2.json");
    writeFileSync(bad, serializeModel(edited(BASE, (m) => (m.layers[0].poolAnd = [5, 1]))));
    expectOneLineError(await bnn(["eval", "--model", bad]), 3, /bad-v2\.json: layer 1\.poolAnd must list distinct channels in ascending order/);
    const v1 = join(work, "conv-in-v1.json");
    writeFileSync(v1, serializeModel(edited(BASE, (m) => (m.version = 1))));
    expectOneLineError(await bnn(["eval", "--model", v1]), 3, /conv-in-v1\.json: layer 1: "conv" layers need format version 2/);
  });
});

// ---------------------------------------------------------------------------------------------
// (b) the folding is exact: the folded layers against the float layers of ./float-network.ts

/** The BatchNorm kinds each layer gets: its first channels one of each, the rest drawn. */
const BN_KINDS = ["increasing", "decreasing", "constant on", "constant off", "tie", "always on", "always off", "any"] as const;

/**
 * BatchNorm parameters for `outputs` channels over patches of n: gamma > 0, < 0 and exactly 0
 * (also -0), exact ties f(s) = 0 at a reachable s, and channels that are on or off whatever
 * the sum (thresholds -n and n + 1).
 */
function randomBatchNorm(rng: SeededRng, n: number, outputs: number): Pick<TrainedConvLayer, "gamma" | "beta" | "mean" | "variance"> {
  const gamma = new Float64Array(outputs);
  const beta = new Float64Array(outputs);
  const mean = new Float64Array(outputs);
  const variance = new Float64Array(outputs);
  for (let c = 0; c < outputs; c++) {
    const kind = BN_KINDS[c < BN_KINDS.length ? c : rng.int(BN_KINDS.length)];
    const g = rng.uniform(0.05, 3) * (rng.next() < 0.5 ? 1 : -1);
    gamma[c] = g;
    beta[c] = rng.normal();
    mean[c] = rng.uniform(-n, n);
    variance[c] = rng.next() < 0.1 ? 0 : rng.uniform(0, 2 * n);
    const outside = n + 1 + rng.uniform(0, n);
    switch (kind) {
      case "increasing":
        gamma[c] = Math.abs(g);
        break;
      case "decreasing":
        gamma[c] = -Math.abs(g);
        break;
      case "constant on":
        gamma[c] = 0;
        beta[c] = rng.next() < 0.5 ? 0 : Math.abs(beta[c]);
        break;
      case "constant off":
        gamma[c] = rng.next() < 0.5 ? -0 : 0;
        beta[c] = -Math.abs(beta[c]) - 0.01;
        break;
      case "tie":
        // f(s0) = gamma * 0 / sd + 0 = 0 exactly at a reachable sum s0: sign(0) = +1 decides
        mean[c] = -n + 2 * rng.int(n + 1);
        beta[c] = 0;
        break;
      case "always on":
        // s - mean has the sign of gamma for every reachable s, and beta >= 0
        mean[c] = g > 0 ? -outside : outside;
        beta[c] = Math.abs(beta[c]);
        break;
      case "always off":
        mean[c] = g > 0 ? outside : -outside;
        beta[c] = -Math.abs(beta[c]) - 0.01;
        break;
      case "any":
        break;
    }
  }
  return { gamma, beta, mean, variance };
}

function randomSigns(rng: SeededRng, n: number, density = 0.5): Int8Array {
  return Int8Array.from({ length: n }, () => (rng.next() < density ? 1 : -1));
}

/**
 * One or two conv layers, then a 10-way dense layer. The first layer's pooling (1, 2 or 3) is
 * drawn first and its image sized to fit (3..11 pixels a side, often not square); the second
 * layer (32 or 64 input channels) pools by 2 or 3 where that divides its output.
 */
function randomNet(rng: SeededRng): { input: InputSpec; conv: TrainedConvLayer[]; dense: TrainedLayer } {
  const firstKernel = 1 + rng.int(3);
  const firstPool = [1, 2, 2, 3][rng.int(4)];
  const side = () => Math.max(3, firstPool * (1 + rng.int(3)) + firstKernel - 1);
  let [height, width, channels] = [side(), side(), 1];
  const input: InputSpec = { width, height, threshold: 128 };
  const conv: TrainedConvLayer[] = [];
  const count = 1 + rng.int(2);
  for (let k = 0; k < count; k++) {
    const kernel = k === 0 ? firstKernel : 1 + rng.int(Math.min(3, height, width));
    const convHeight = height - kernel + 1;
    const convWidth = width - kernel + 1;
    const pools = [2, 3].filter((p) => convHeight % p === 0 && convWidth % p === 0);
    const pool = k === 0 ? (convHeight % firstPool === 0 && convWidth % firstPool === 0 ? firstPool : 1) : pools.length && rng.next() < 0.75 ? pools[rng.int(pools.length)] : 1;
    const outputs = rng.next() < 0.2 ? 64 : 32;
    const n = kernel * kernel * channels;
    conv.push({ height, width, channels, kernel, outputs, pool, weights: randomSigns(rng, n * outputs, rng.uniform(0.1, 0.9)), ...randomBatchNorm(rng, n, outputs) });
    [height, width, channels] = [convHeight / pool, convWidth / pool, outputs];
  }
  const nIn = height * width * channels;
  const nOut = 10;
  const dense: TrainedLayer = {
    nIn,
    nOut,
    weights: randomSigns(rng, nIn * nOut),
    gamma: Float64Array.from({ length: nOut }, () => rng.uniform(0.1, 2) * (rng.next() < 0.5 ? 1 : -1)),
    beta: Float64Array.from({ length: nOut }, () => rng.normal()),
    mean: Float64Array.from({ length: nOut }, () => rng.uniform(-nIn / 4, nIn / 4)),
    variance: Float64Array.from({ length: nOut }, () => rng.uniform(1, nIn)),
  };
  return { input, conv, dense };
}

/** classify() with a trace of every conv layer's output. */
function traced(model: ReturnType<typeof validateModel>, x: Uint32Array): Trace & { conv: Uint32Array[] } {
  const trace: Trace & { conv: Uint32Array[] } = { conv: [], hidden: [], scores: new Int32Array(0), digit: -1 };
  classify(model, x, trace);
  return trace;
}

describe("folding a trained convolution layer", () => {
  it("gives the float layer's bit at every position and channel, on random layers and inputs, ties and constant channels included", async () => {
    const rng = new SeededRng(20240601);
    const seen = { nets: 0, inputs: 0, twoLayers: 0, pooled: 0, andChannels: 0, alwaysOn: 0, neverOn: 0, zeroGamma: 0, wideChannels: 0 };
    const problems: string[] = [];
    for (let net = 0; net < 80; net++) {
      // the worker's event loop runs between networks (the 80 take about a second in all)
      await yieldToEventLoop();
      const { input, conv, dense } = randomNet(rng);
      const file = foldModel("conv-fold", input, [dense], undefined, conv);
      const model = validateModel(file);
      seen.nets++;
      if (conv.length === 2) seen.twoLayers++;
      conv.forEach((l, k) => {
        const folded = file.layers[k] as ConvLayer;
        const n = l.kernel * l.kernel * l.channels;
        if (l.pool > 1) seen.pooled++;
        if (l.outputs > 32) seen.wideChannels++;
        seen.andChannels += folded.poolAnd.length;
        seen.alwaysOn += folded.thresholds.filter((t) => t === -n).length;
        seen.neverOn += folded.thresholds.filter((t) => t === n + 1).length;
        seen.zeroGamma += l.gamma.filter((g) => g === 0).length;
        // the folded file lists exactly the pooled channels whose BatchNorm decreases
        expect(folded.poolAnd).toEqual(l.pool > 1 ? [...l.gamma.keys()].filter((c) => l.gamma[c] < 0) : []);
        // and the trained layer is recovered from it as tests/fold.test.ts recovers a shipped model's
        expect(trainedConvLayer(model, k)).toEqual(l);
      });
      const scoreLayer = file.layers[file.layers.length - 1] as ScoreLayer;
      const floats = conv.map((l) => floatConv(l));
      for (let r = 0; r < 40; r++) {
        const x = randomSigns(rng, input.height * input.width, r === 0 ? 0 : r === 1 ? 1 : rng.next());
        const trace = traced(model, packSigns(x));
        seen.inputs++;
        let y = x;
        conv.forEach((l, k) => {
          y = floats[k](y);
          const bits = trace.conv[k];
          expect(bits.length).toBe(wordsFor(y.length));
          expect(bits[bits.length - 1] & ~lastWordMask(y.length)).toBe(0);
          for (let e = 0; e < y.length; e++) {
            if (testBit(bits, e) !== y[e] > 0 && problems.length < 10) {
              const co = e % l.outputs;
              problems.push(`net ${net} input ${r} layer ${k + 1} element ${e} (channel ${co}, gamma ${l.gamma[co]}, pool ${l.pool}): float ${y[e]}, folded ${testBit(bits, e) ? 1 : -1}`);
            }
          }
        });
        // the score layer reads the last conv output flattened as it is: scale * (x · w) + offset
        for (let j = 0; j < dense.nOut; j++) {
          let s = 0;
          for (let i = 0; i < dense.nIn; i++) s += y[i] * dense.weights[i * dense.nOut + j];
          if (trace.scores[j] !== scoreLayer.scale[j] * s + scoreLayer.offset[j] && problems.length < 10) problems.push(`net ${net} input ${r}: score ${j} is ${trace.scores[j]}, expected ${scoreLayer.scale[j] * s + scoreLayer.offset[j]}`);
        }
      }
    }
    expect(problems).toEqual([]);
    // the random layers did reach every case the folding distinguishes
    for (const [what, count] of Object.entries(seen)) expect(count, what).toBeGreaterThan(0);
  });

  it("needs AND for a decreasing BatchNorm: OR of the window's bits would disagree with the float layer", () => {
    // 2x2 image, kernel 1, pool 2: each position's sum is its pixel, the window is the whole image.
    // Channel 0: f(s) = -s / sqrt(1 + eps), decreasing; channel 1 (and the rest): f(s) = +s / ..., increasing.
    const gamma = new Float64Array(32).fill(1);
    gamma[0] = -1;
    const layer: TrainedConvLayer = { height: 2, width: 2, channels: 1, kernel: 1, outputs: 32, pool: 2, weights: new Int8Array(32).fill(1), gamma, beta: new Float64Array(32), mean: new Float64Array(32), variance: new Float64Array(32).fill(1) };
    const dense: TrainedLayer = { nIn: 32, nOut: 10, weights: new Int8Array(320).fill(1), gamma: new Float64Array(10).fill(1), beta: new Float64Array(10), mean: new Float64Array(10), variance: new Float64Array(10).fill(1) };
    const file = foldModel("and-matters", { width: 2, height: 2, threshold: 128 }, [dense], undefined, [layer]);
    expect(foldConvLayer(layer)).toEqual(file.layers[0]);
    const conv = file.layers[0] as ConvLayer;
    // channel 0 is folded as -s >= 1, i.e. the pixel is -1; channel 1 as s >= 1
    expect({ poolAnd: conv.poolAnd, t0: conv.thresholds[0], w0: conv.weights[0], t1: conv.thresholds[1], w1: conv.weights[1] }).toEqual({ poolAnd: [0], t0: 1, w0: "00000000", t1: 1, w1: "00000001" });
    const stage = validateModel(file).conv[0];
    // pixels +1, -1, -1, -1: the max sum is +1, so channel 0's float output is f(+1) < 0 -> -1
    const x = Int8Array.of(1, -1, -1, -1);
    const float = floatConv(layer)(x);
    expect([float[0], float[1]]).toEqual([-1, 1]);
    const unpooled = convolve({ ...stage, pool: 1, outHeight: 2, outWidth: 2, poolAnd: new Uint32Array(1) }, packSigns(x));
    const bitsOf = (words: Uint32Array, co: number, positions: number) => Array.from({ length: positions }, (_, p) => (testBit(words, p * 32 + co) ? 1 : 0));
    expect(bitsOf(unpooled, 0, 4)).toEqual([0, 1, 1, 1]);
    expect(bitsOf(unpooled, 1, 4)).toEqual([1, 0, 0, 0]);
    // the reference: AND for channel 0 (0), OR for channel 1 (1), as the float layer
    const pooled = convolve(stage, packSigns(x));
    expect(bitsOf(pooled, 0, 1)).toEqual([0]);
    expect(bitsOf(pooled, 1, 1)).toEqual([1]);
    // OR everywhere would turn channel 0 on; AND everywhere would turn channel 1 off
    expect(bitsOf(convolve({ ...stage, poolAnd: new Uint32Array(1) }, packSigns(x)), 0, 1)).toEqual([1]);
    expect(bitsOf(convolve({ ...stage, poolAnd: Uint32Array.of(0b11) }, packSigns(x)), 1, 1)).toEqual([0]);
  });
});

// ---------------------------------------------------------------------------------------------
// (c) a tiny example by hand

describe("a 3x3 image through a 2x2 convolution, by hand", () => {
  // Image (threshold 100) and its ±1 tensor [3, 3, 1]; element (r, c) is bit 3r + c of the input word:
  //   200   0  90      + - -
  //    10 255 128  ->  - + +     input word 0b000110001 = 0x31
  //     0  64  30      - - -
  // Patches in (dy, dx) order (0,0) (0,1) (1,0) (1,1), n = 4:
  //   P(0,0) = + - - +    P(0,1) = - - + +    P(1,0) = - + - -    P(1,1) = + + - -
  // Weight rows (bit t = patch element t), thresholds, and s = patch · w at the four positions:
  //   ch 0:  + + + +  0xf  T = 0    s =  0,  0, -2,  0  -> bits 1 1 0 1
  //   ch 1:  + - - +  0x9  T = 4    s =  4,  0, -2,  0  -> bits 1 0 0 0  (only P(0,0) matches exactly)
  //   ch 2:  - - - -  0x0  T = -4   always on           -> bits 1 1 1 1
  //   ch 3:  + + + +  0xf  T = 5    never (n + 1)       -> bits 0 0 0 0
  //   ch 4:  - + - +  0xa  T = 2    s =  0,  0,  2,  0  -> bits 0 0 1 0
  //   ch 31: + + + +  0xf  T = -1   s =  0,  0, -2,  0  -> bits 1 1 0 1  (s is even: -1 acts as 0)
  //   ch 5..30: all -1, T = 5: never on.
  // Output tensor [2, 2, 32]: position (oy, ox) is word 2 oy + ox, channel ch its bit ch:
  //   (0,0): ch 0, 1, 2, 31 -> 0x80000007     (0,1): ch 0, 2, 31 -> 0x80000005
  //   (1,0): ch 2, 4        -> 0x00000014     (1,1): ch 0, 2, 31 -> 0x80000005
  const rows = ["0000000f", "00000009", "00000000", "0000000f", "0000000a", ...Array<string>(26).fill("00000000"), "0000000f"];
  const thresholds = [0, 4, -4, 5, 2, ...Array<number>(26).fill(5), -1];
  const input: InputSpec = { width: 3, height: 3, threshold: 100 };
  const image = Uint8Array.of(200, 0, 90, 10, 255, 128, 0, 64, 30);

  function handModel(pool: number, poolAnd: number[], score: ScoreLayer) {
    const layers: ModelLayer[] = [{ kind: "conv", input: [3, 3, 1], kernel: 2, outputs: 32, pool, weights: rows, thresholds, poolAnd }, score];
    return validateModel({ format: "bnn-mlp", version: 2, name: "by-hand", id: modelId(input, layers), input, layers });
  }

  it("pool 1: the output tensor and the scores", () => {
    // Score layer over the 128 bits, popcount 4 + 3 + 2 + 3 = 12:
    //   row 0 all +1: s = 2 * 12 - 128 = -104, score = 2 * -104 + 5 = -203
    //   row 1 all -1: s = 128 - 2 * 12 = 104,  score = 1 * 104 + 0 = 104  -> digit 1
    const score: ScoreLayer = { kind: "score", inputs: 128, outputs: 2, weights: ["f".repeat(32), "0".repeat(32)], scale: [2, 1], offset: [5, 0], shift: 0 };
    const model = handModel(1, [], score);
    const x = packPixels(image, input.threshold, 9);
    expect(Array.from(x)).toEqual([0x31]);
    const trace = traced(model, x);
    expect(Array.from(trace.conv[0])).toEqual([0x80000007, 0x80000005, 0x00000014, 0x80000005]);
    expect({ scores: Array.from(trace.scores), digit: trace.digit }).toEqual({ scores: [-203, 104], digit: 1 });
  });

  it("pool 2 with AND for channels 1 and 4: one pixel of 32 channels", () => {
    // windows (all four positions): ch 0 OR(1 1 0 1) = 1, ch 1 AND(1 0 0 0) = 0, ch 2 OR = 1,
    // ch 3 OR = 0, ch 4 AND(0 0 1 0) = 0, ch 31 OR(1 1 0 1) = 1 -> 0x80000005
    // (with OR for all of them, ch 1 and ch 4 would be on: 0x80000017)
    const score: ScoreLayer = { kind: "score", inputs: 32, outputs: 1, weights: ["ffffffff"], scale: [1], offset: [0], shift: 0 };
    const model = handModel(2, [1, 4], score);
    const x = packPixels(image, input.threshold, 9);
    expect(Array.from(traced(model, x).conv[0])).toEqual([0x80000005]);
    expect(Array.from(traced(handModel(2, [], score), x).conv[0])).toEqual([0x80000017]);
  });
});
