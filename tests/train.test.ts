/**
 * The trainer's kernels, one property each, on small layers whose answers are known:
 * sign(0) = +1 wherever a value is binarized (weights in the wasm kernel, activations, the
 * stochastic rule's probability at 0), the straight-through estimator passes the gradient exactly
 * where |x| <= 1, latent weights stay clipped to [-1, 1], the BatchNorm backward pass agrees with
 * finite differences, and training is byte-reproducible.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { rasterizeBits } from "../src/shared/stroke-raster.ts";
import { DEFAULT_PANEL_SIZE, strokesFromImage } from "../lib/strokes/from-image.ts";

import { NO_STROKE_AUGMENT, rasterOnList, reshapeStrokes } from "../lib/train/stroke-render.ts";
import { proceduralDigit, TEMPLATES } from "../lib/train/procedural-digits.ts";
import { faceDigits, fillGlyph, fontFaceFiles, FONT_FAMILIES, VALIDATION_FAMILIES, type FontDigit } from "../lib/train/font-digits.ts";
import { hardSigmoid } from "../lib/binary.ts";
import { loadMnist, loadMnistAsync, type MnistSet } from "../lib/mnist.ts";
import { SeededRng } from "../lib/rng.ts";
import { Arena } from "../lib/train/kernels.ts";
import { DenseLayer } from "../lib/train/network.ts";
import { HAND_STROKES, PRESETS } from "../lib/train/presets.ts";
import type { TrainOptions } from "../lib/train/recipe.ts";
import { train } from "../lib/train/trainer.ts";
import { yieldToEventLoop } from "../lib/event-loop.ts";

// the 47 MB training set read without blocking the worker (a cold read stalled it for a second); later loadMnist("train") calls find it cached
beforeAll(async () => {
  await loadMnistAsync("train");
});

/** A one-epoch training run on 1,500 images with `extra` options: seconds, for the reproducibility checks. */
const quick = (extra: Partial<TrainOptions>): TrainOptions => ({
  ...PRESETS.tiny,
  hidden: [32],
  epochs: 1,
  limit: 1500,
  validation: 300,
  calibration: 500,
  ...extra,
});

/** Whether two trained networks hold the same binary weights in every layer. */
function sameWeights(a: Awaited<ReturnType<typeof train>>, b: Awaited<ReturnType<typeof train>>): boolean {
  return a.layers.length === b.layers.length && a.layers.every((l, k) => Buffer.from(l.weights.buffer).equals(Buffer.from(b.layers[k].weights.buffer)));
}

async function layer(nIn: number, nOut: number, capacity: number, hidden = true): Promise<DenseLayer> {
  const arena = await Arena.create(DenseLayer.arenaBytes(nIn, nOut, capacity) + 4 * (nIn * capacity + capacity + 1));
  return new DenseLayer(nIn, nOut, hidden, capacity, arena);
}

describe("sign(0) = +1 in every kernel", () => {
  it("binarizes weights of 0 and -0 to +1 (wasm SIMD and scalar lanes)", async () => {
    const l = await layer(3, 5, 2); // 5 outputs: four SIMD lanes and one scalar
    l.W.set([0, -0, -1e-30, 1e-30, -0.5, /**/ 0.25, -0, 0, -1, 0, /**/ -0, -0, -0, -0, -0]);
    l.binarizeWeights();
    expect(Array.from(l.Wb)).toEqual([1, 1, -1, 1, -1, 1, 1, 1, -1, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(l.colsum)).toEqual([3, 3, 1, 1, 1]);
  });

  it("binarizes an activation of exactly 0 to +1, deterministically and at probability 1/2 stochastically", async () => {
    const l = await layer(2, 4, 1);
    l.a.set([0, -0, -1e-6, 1e-6]);
    l.binarizeOutput(1);
    expect(Array.from(l.out.on.subarray(0, l.out.start[1]))).toEqual([0, 1, 3]);
    expect(hardSigmoid(0)).toBe(0.5);
    // stochastic: +1 with probability hardSigmoid(a); a = 0 gives +1 about half the time
    const rng = new SeededRng(3);
    let on = 0;
    for (let t = 0; t < 4000; t++) {
      l.a.set([0, -1, 1, 0.5]);
      l.binarizeOutput(1, rng);
      const got = Array.from(l.out.on.subarray(0, l.out.start[1]));
      if (got.includes(0)) on++;
      expect(got.includes(1)).toBe(false); // a = -1: probability 0
      expect(got.includes(2)).toBe(true); // a = +1: probability 1
    }
    expect(on / 4000).toBeGreaterThan(0.46);
    expect(on / 4000).toBeLessThan(0.54);
  });
});

describe("straight-through estimator", () => {
  it("passes the gradient where |x| <= 1 (both ends included) and stops it elsewhere", async () => {
    // the kernels address one arena: both layers live in it
    const arena = await Arena.create(DenseLayer.arenaBytes(3, 6, 1) + DenseLayer.arenaBytes(6, 2, 1));
    const prev = new DenseLayer(3, 6, true, 1, arena);
    const next = new DenseLayer(6, 2, false, 1, arena);
    prev.a.set([-1.5, -1, -0.25, 0, 1, 1.0001]);
    next.Wb.set([1, -1, /**/ 1, 1, /**/ -1, 1, /**/ 1, -1, /**/ -1, -1, /**/ 1, 1]); // [i * nOut + j]
    next.gS.set([0.5, 2]);
    next.inputGradient(prev, 1);
    const through = (i: number) => 0.5 * next.Wb[2 * i] + 2 * next.Wb[2 * i + 1];
    expect(Array.from(prev.gA.subarray(0, 6))).toEqual([0, through(1), through(2), through(3), through(4), 0]);
  });
});

describe("latent weights", () => {
  it("stay clipped to [-1, 1] after Adam steps with huge gradients, gamma and beta do not", async () => {
    const l = await layer(4, 4, 1);
    l.W.set([0.99, -0.99, 0.5, -1, 1, 0, 0.2, -0.2, 0.99, -0.99, 0.5, -1, 1, 0, 0.2, -0.2]);
    for (let step = 1; step <= 20; step++) {
      for (let k = 0; k < l.gW.length; k++) l.gW[k] = k % 2 ? 1e6 : -1e6;
      l.gGamma.fill(-1e6);
      l.gBeta.fill(1e6);
      l.adamStep(0.5, step);
    }
    for (const w of l.W) expect(Math.abs(w)).toBeLessThanOrEqual(1);
    expect(Array.from(l.W).filter((_, k) => k % 2 === 0)).toEqual(new Array(8).fill(1));
    expect(Array.from(l.W).filter((_, k) => k % 2 === 1)).toEqual(new Array(8).fill(-1));
    expect(l.gamma[0]).toBeGreaterThan(1); // BatchNorm parameters are not clipped
    expect(Array.from(l.Wb)).toEqual(Array.from(l.W, (w) => (w >= 0 ? 1 : -1)));
  });
});

describe("BatchNorm backward", () => {
  it("agrees with finite differences of the loss sum(c * a) through the batch statistics", async () => {
    const count = 6;
    const nOut = 3;
    const l = await layer(2, nOut, count);
    const rng = new SeededRng(11);
    const s0 = Float32Array.from({ length: count * nOut }, () => Math.round(rng.uniform(-20, 20)));
    l.gamma.set([0.7, -1.3, 2]);
    l.beta.set([0.1, -0.4, 0.3]);
    const c = Float64Array.from({ length: count * nOut }, () => rng.uniform(-1, 1));
    const loss = (s: Float32Array) => {
      l.s.set(s);
      l.batchNormTrain(count);
      let sum = 0;
      for (let k = 0; k < count * nOut; k++) sum += c[k] * l.a[k];
      return sum;
    };
    loss(s0);
    for (let k = 0; k < count * nOut; k++) l.gA[k] = c[k];
    l.batchNormBackward(count);
    const analytic = Array.from(l.gS.subarray(0, count * nOut));
    const gGamma = Array.from(l.gGamma);
    const h = 0.05;
    for (let k = 0; k < count * nOut; k++) {
      const up = Float32Array.from(s0);
      const down = Float32Array.from(s0);
      up[k] += h;
      down[k] -= h;
      const numeric = (loss(up) - loss(down)) / (2 * h);
      expect(Math.abs(numeric - analytic[k])).toBeLessThan(2e-3 + 2e-3 * Math.abs(numeric));
    }
    // d loss / d gamma_j = sum_b c * xhat
    loss(s0);
    for (let j = 0; j < nOut; j++) {
      let want = 0;
      for (let b = 0; b < count; b++) want += c[b * nOut + j] * l.xhat[b * nOut + j];
      expect(gGamma[j]).toBeCloseTo(want, 4);
    }
  });
});

describe("training", () => {
  it("is byte-reproducible, with stochastic binarization and augmentation too", async () => {
    const data = loadMnist("train");
    const o = {
      ...PRESETS.tiny,
      hidden: [32],
      epochs: 1,
      limit: 1500,
      validation: 300,
      calibration: 500,
      stochastic: true,
      augment: { shift: 1, rotate: 5, scale: 0.05, thickness: 0.1 },
    };
    const a = await train(data, o);
    const b = await train(data, o);
    for (let k = 0; k < a.layers.length; k++) {
      expect(Buffer.from(a.layers[k].weights.buffer).equals(Buffer.from(b.layers[k].weights.buffer))).toBe(true);
      expect(Array.from(a.layers[k].mean)).toEqual(Array.from(b.layers[k].mean));
      expect(Array.from(a.layers[k].gamma)).toEqual(Array.from(b.layers[k].gamma));
    }
    expect(a.history[0].validationAccuracy).toBe(b.history[0].validationAccuracy);
    expect(a.history[0].validationAccuracy).toBeGreaterThan(0.5);
  });
});

describe("stroke samples (the board's rasterizer in training)", () => {
  // loaded before the tests, not while the file is collected (with the imports, a stall of 1 s)
  let data: MnistSet;
  beforeAll(() => {
    data = loadMnist("train");
  });

  it("reshape to integer points on the panel, and are the strokes themselves without reshaping", () => {
    const rng = new SeededRng(3);
    for (let i = 0; i < 200; i++) {
      const strokes = strokesFromImage(data.images, i);
      expect(reshapeStrokes(strokes, NO_STROKE_AUGMENT, rng)).toEqual(strokes);
      const hard = reshapeStrokes(strokes, { slant: 1, rotate: 45, aspect: 0.5, jitter: 20, elastic: 0.3 }, rng);
      expect(hard.map((s) => s.length)).toEqual(strokes.map((s) => s.length));
      for (const v of hard.flat()) expect(Number.isInteger(v) && v >= 0 && v < DEFAULT_PANEL_SIZE).toBe(true);
    }
  });

  it("enter training as exactly the bits the board's rasterizer draws", () => {
    const bits = new Uint8Array(100);
    const on = new Int32Array(784);
    for (let i = 0; i < 50; i++) {
      const strokes = strokesFromImage(data.images, i);
      const n = rasterOnList(strokes, bits, on, 0);
      const want = new Uint8Array(100);
      rasterizeBits(strokes, DEFAULT_PANEL_SIZE, DEFAULT_PANEL_SIZE, want);
      const got = new Uint8Array(100);
      for (const e of on.subarray(0, n)) got[e >> 3] |= 1 << (e & 7);
      expect(Array.from(got)).toEqual(Array.from(want));
      expect(Array.from(on.subarray(0, n))).toEqual(Array.from(on.subarray(0, n)).sort((a, b) => a - b));
    }
  });

  it("train reproducibly, and the model is selected on images and strokes", async () => {
    const o = quick({ epochs: 2, strokes: 0.5, strokeAugment: HAND_STROKES });
    const a = await train(data, o);
    expect(sameWeights(a, await train(data, o))).toBe(true);
    for (const r of a.history) expect(r.validationStrokeAccuracy).toBeGreaterThan(0.3);
    const score = (r: (typeof a.history)[number]) => (r.validationAccuracy + r.validationStrokeAccuracy!) / 2;
    expect(score(a.history[a.bestEpoch - 1])).toBe(Math.max(...a.history.map(score)));
  });
});

describe("procedural pen digits (training only)", () => {
  it("give every digit in several letterforms as integer points on the panel, reproducibly", async () => {
    for (let d = 0; d < 10; d++) {
      await yieldToEventLoop();
      expect(TEMPLATES[d].length).toBeGreaterThanOrEqual(1);
      const a = new SeededRng(d),
        b = new SeededRng(d);
      for (let k = 0; k < 50; k++) {
        const s = proceduralDigit(d, a);
        expect(proceduralDigit(d, b)).toEqual(s);
        expect(s.length).toBeGreaterThan(0);
        // one expect for all the coordinates (an expect per value cost most of the test's time)
        expect(s.flat().filter((v) => !(Number.isInteger(v) && v >= 0 && v < DEFAULT_PANEL_SIZE))).toEqual([]);
        const bits = new Uint8Array(100);
        expect(rasterizeBits(s, DEFAULT_PANEL_SIZE, DEFAULT_PANEL_SIZE, bits).points).toBeGreaterThan(1);
      }
    }
  });

  it("enter training reproducibly", async () => {
    const data = loadMnist("train");
    const o = quick({ strokes: 0.3, procedural: 0.3, strokeAugment: HAND_STROKES });
    expect(sameWeights(await train(data, o), await train(data, o))).toBe(true);
  });
});

describe("font digits (training only)", () => {
  it("trace every face's ten digits into strokes on the panel, the same each time", async () => {
    // fontDigits() is every face's faceDigits(); one face at a time, so the worker's event loop
    // runs between the fonts' parses (all of them take a few hundred ms, more on a busy machine)
    const byFace = async (files: string[]) => {
      const out: FontDigit[] = [];
      for (const file of files) {
        out.push(...faceDigits(file));
        await yieldToEventLoop();
      }
      return out;
    };
    const a = await byFace(fontFaceFiles());
    const faces = new Set(a.map((g) => g.face));
    for (const f of FONT_FAMILIES) expect(faces.has(f)).toBe(true);
    // every face gives every digit: a glyph that traced to nothing would be missing here
    expect(a.length).toBe(10 * faces.size);
    expect(await byFace(fontFaceFiles())).toEqual(a);
    // the held-out families are font families, and the two parts split the faces between them
    for (const f of VALIDATION_FAMILIES) expect(FONT_FAMILIES as readonly string[]).toContain(f);
    const train = await byFace(fontFaceFiles("train"));
    const validation = await byFace(fontFaceFiles("validation"));
    expect(train.length + validation.length).toBe(a.length);
    for (const g of validation) expect(VALIDATION_FAMILIES).toContain(g.face.replace(/-italic$/, ""));
    for (const g of train) expect(VALIDATION_FAMILIES).not.toContain(g.face.replace(/-italic$/, ""));
    for (const g of a) {
      for (const v of g.strokes.flat()) expect(Number.isInteger(v) && v >= 0 && v < DEFAULT_PANEL_SIZE).toBe(true);
      const bits = new Uint8Array(100);
      expect(rasterizeBits(g.strokes, DEFAULT_PANEL_SIZE, DEFAULT_PANEL_SIZE, bits).ink).toBeGreaterThan(20);
    }
  });

  it("fill an outline by the nonzero rule into a 20 px box, MNIST's framing", () => {
    // a 10 x 20 rectangle with a 4 x 4 hole wound the other way: 20 px tall, 10 px wide, centred
    const sq = (x0: number, y0: number, x1: number, y1: number, cw: boolean) => {
      const pts = cw
        ? [
            [x0, y0],
            [x1, y0],
            [x1, y1],
            [x0, y1],
          ]
        : [
            [x0, y0],
            [x0, y1],
            [x1, y1],
            [x1, y0],
          ];
      return [{ type: "M", x: pts[0][0], y: pts[0][1] }, ...pts.slice(1).map(([x, y]) => ({ type: "L", x, y })), { type: "Z" }];
    };
    const img = fillGlyph([...sq(0, 0, 10, 20, true), ...sq(3, 8, 7, 12, false)]);
    const on = (x: number, y: number) => img[28 * y + x];
    expect(on(9, 4)).toBe(255); // inside, away from the hole
    expect(on(18, 23)).toBe(255);
    expect(on(8, 3)).toBe(0); // left of the box (columns 9..18, rows 4..23)
    expect(on(19, 10)).toBe(0);
    expect(on(14, 14)).toBe(0); // the hole (columns 12..15, rows 12..15)
    let ink = 0;
    for (const v of img) ink += v;
    expect(ink).toBe(255 * (10 * 20 - 4 * 4));
  });

  it("enter training reproducibly", async () => {
    const data = loadMnist("train");
    const o = quick({ strokes: 0.2, fonts: 0.3, strokeAugment: HAND_STROKES });
    const a = await train(data, o);
    expect(sameWeights(a, await train(data, o))).toBe(true);
    const plain = await train(data, { ...o, fonts: 0 });
    expect(Buffer.from(plain.layers[0].weights.buffer).equals(Buffer.from(a.layers[0].weights.buffer))).toBe(false);
  });
});
