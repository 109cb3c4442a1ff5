/**
 * Folding a trained convolution layer (pooled sums, then BatchNorm) into thresholds and OR/AND
 * pooling (lib/model/fold.ts) equals the float layer bit for bit on random layers and
 * inputs; a tiny example computed by hand pins the tensor layout and the patch order. The
 * version-2 file format itself is tests/conv-format.test.ts.
 */
import { describe, expect, it } from "vitest";
import { lastWordMask, packSigns, testBit, wordsFor } from "../lib/binary.ts";
import { foldConvLayer, foldModel } from "../lib/model/fold.ts";
import { modelId, validateModel, type ConvLayer, type InputSpec, type ModelLayer, type ScoreLayer } from "../lib/model/format.ts";
import { classify, convolve, type Trace } from "../lib/model/infer.ts";
import { packPixels } from "../lib/model/input.ts";
import { SeededRng } from "../lib/rng.ts";
import type { TrainedConvLayer, TrainedLayer } from "../lib/model/trained.ts";
import { floatConv, trainedConvLayer } from "./float-network.ts";
import { yieldToEventLoop } from "../lib/event-loop.ts";

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
    const pool =
      k === 0
        ? convHeight % firstPool === 0 && convWidth % firstPool === 0
          ? firstPool
          : 1
        : pools.length && rng.next() < 0.75
          ? pools[rng.int(pools.length)]
          : 1;
    const outputs = rng.next() < 0.2 ? 64 : 32;
    const n = kernel * kernel * channels;
    conv.push({
      height,
      width,
      channels,
      kernel,
      outputs,
      pool,
      weights: randomSigns(rng, n * outputs, rng.uniform(0.1, 0.9)),
      ...randomBatchNorm(rng, n, outputs),
    });
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
              problems.push(
                `net ${net} input ${r} layer ${k + 1} element ${e} (channel ${co}, gamma ${l.gamma[co]}, pool ${l.pool}): float ${y[e]}, folded ${testBit(bits, e) ? 1 : -1}`,
              );
            }
          }
        });
        // the score layer reads the last conv output flattened as it is: scale * (x · w) + offset
        for (let j = 0; j < dense.nOut; j++) {
          let s = 0;
          for (let i = 0; i < dense.nIn; i++) s += y[i] * dense.weights[i * dense.nOut + j];
          if (trace.scores[j] !== scoreLayer.scale[j] * s + scoreLayer.offset[j] && problems.length < 10)
            problems.push(`net ${net} input ${r}: score ${j} is ${trace.scores[j]}, expected ${scoreLayer.scale[j] * s + scoreLayer.offset[j]}`);
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
    const layer: TrainedConvLayer = {
      height: 2,
      width: 2,
      channels: 1,
      kernel: 1,
      outputs: 32,
      pool: 2,
      weights: new Int8Array(32).fill(1),
      gamma,
      beta: new Float64Array(32),
      mean: new Float64Array(32),
      variance: new Float64Array(32).fill(1),
    };
    const dense: TrainedLayer = {
      nIn: 32,
      nOut: 10,
      weights: new Int8Array(320).fill(1),
      gamma: new Float64Array(10).fill(1),
      beta: new Float64Array(10),
      mean: new Float64Array(10),
      variance: new Float64Array(10).fill(1),
    };
    const file = foldModel("and-matters", { width: 2, height: 2, threshold: 128 }, [dense], undefined, [layer]);
    expect(foldConvLayer(layer)).toEqual(file.layers[0]);
    const conv = file.layers[0] as ConvLayer;
    // channel 0 is folded as -s >= 1, i.e. the pixel is -1; channel 1 as s >= 1
    expect({ poolAnd: conv.poolAnd, t0: conv.thresholds[0], w0: conv.weights[0], t1: conv.thresholds[1], w1: conv.weights[1] }).toEqual({
      poolAnd: [0],
      t0: 1,
      w0: "00000000",
      t1: 1,
      w1: "00000001",
    });
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
