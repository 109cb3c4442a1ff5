/**
 * The CNN trainer (lib/train/conv-network.ts and its WebAssembly kernels,
 * conv-kernels.c), one property each on layers small enough to compute by hand: the forward
 * sums are the ±1 multiply-accumulate of the patches, pooling keeps the first maximum, the
 * weight and input gradients are the sums the chain rule gives, sign(0) = +1, latent weights
 * stay in [-1, 1]; and a CNN trains reproducibly into a model whose integer form predicts what
 * the float network predicts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadMnist, loadMnistAsync } from "../lib/mnist.ts";
import { foldModel } from "../lib/model/fold.ts";
import { serializeModel, validateModel } from "../lib/model/format.ts";
import { classifyImage } from "../lib/model/infer.ts";
import { SeededRng } from "../lib/rng.ts";
import { ConvNetwork } from "../lib/train/conv-network.ts";
import { PRESETS } from "../lib/train/presets.ts";
import { sparseInputs } from "../lib/train/sample-mix.ts";
import { train } from "../lib/train/trainer.ts";
import { yieldToEventLoop } from "../lib/event-loop.ts";

// the 47 MB training set read without blocking the worker (a cold read stalled it for a second); later loadMnist("train") calls find it cached
beforeAll(async () => {
  await loadMnistAsync("train");
});

/** 8x8 image -> conv 3x3, 4 channels, pool 2 -> [3, 3, 4] -> conv 2x2, 5 channels -> [2, 2, 5] -> dense 3. */
function smallNetwork(batch = 2): ConvNetwork {
  return ConvNetwork.create(
    8,
    [
      { kernel: 3, outputs: 4, pool: 2 },
      { kernel: 2, outputs: 5, pool: 1 },
      { kernel: "full", outputs: 3, pool: 1 },
    ],
    batch,
    new SeededRng(7),
  );
}

const pm1 = (rng: SeededRng) => (rng.next() < 0.5 ? -1 : 1);

describe("conv kernels", () => {
  it("forward sums are the ±1 multiply-accumulate over each patch, (dy, dx, channel) order", () => {
    const net = smallNetwork();
    const [first, conv] = net.layers;
    const rng = new SeededRng(1);
    const count = 2;
    for (let i = 0; i < count * conv.inSize; i++) first.out[i] = pm1(rng);
    conv.sums(first.out, count);
    for (let b = 0; b < count; b++)
      for (let oy = 0; oy < conv.Ho; oy++)
        for (let ox = 0; ox < conv.Wo; ox++)
          for (let co = 0; co < conv.Cout; co++) {
            let s = 0;
            for (let dy = 0; dy < conv.K; dy++)
              for (let dx = 0; dx < conv.K; dx++)
                for (let ci = 0; ci < conv.Cin; ci++) {
                  const t = (dy * conv.K + dx) * conv.Cin + ci;
                  s += first.out[((b * conv.H + oy + dy) * conv.W + ox + dx) * conv.Cin + ci] * conv.Wb[t * conv.Cout + co];
                }
            expect(conv.s[((b * conv.Ho + oy) * conv.Wo + ox) * conv.Cout + co]).toBe(s);
          }
  });

  it("pooling keeps the maximum, the first in window order on ties, and routes the gradient there", () => {
    const net = smallNetwork(1);
    const l = net.layers[0]; // 6x6 sums, 4 channels, pool 2
    l.s.fill(0);
    // window (0, 0) of channel 1: a tie of 3 at (0, 1) and (1, 0); channel 2: all equal
    l.s[(0 * 6 + 1) * 4 + 1] = 3;
    l.s[(1 * 6 + 0) * 4 + 1] = 3;
    l.k.pool_forward(l.s.byteOffset, l.ps.byteOffset, l.arg.byteOffset, 1, 6, 6, 4, 2);
    expect(l.ps[1]).toBe(3);
    expect(l.arg[1]).toBe((0 * 6 + 1) * 4 + 1);
    expect(l.arg[2]).toBe(2); // all zero: the window's first position
    l.gPS.fill(0);
    l.gPS[1] = 0.5;
    l.k.unpool(l.gPS.byteOffset, l.arg.byteOffset, l.outSize, l.gS.byteOffset, l.sumSize);
    expect(l.gS[(0 * 6 + 1) * 4 + 1]).toBe(0.5);
    expect(l.gS[(1 * 6 + 0) * 4 + 1]).toBe(0);
    expect(Array.from(l.gS).reduce((a, v) => a + v, 0)).toBe(0.5);
  });

  it("the backward pass gives gW[co][t] = sum gS * x and gX = sum gS * Wb over the positions", () => {
    const net = smallNetwork();
    const [first, conv] = net.layers;
    const rng = new SeededRng(2);
    const count = 2;
    for (let i = 0; i < count * conv.inSize; i++) first.out[i] = pm1(rng);
    for (let i = 0; i < count * conv.sumSize; i++) conv.gS[i] = rng.next() < 0.3 ? 0 : rng.uniform(-1, 1); // zeros are skipped by the kernel
    conv.gWT.fill(0);
    conv.gX!.fill(0);
    conv.k.conv_backward(
      first.out.byteOffset,
      conv.WbT.byteOffset,
      conv.gS.byteOffset,
      conv.gWT.byteOffset,
      conv.gX!.byteOffset,
      count,
      conv.H,
      conv.W,
      conv.Cin,
      conv.K,
      conv.Cout,
    );
    const gW = new Float64Array(conv.n * conv.Cout);
    const gX = new Float64Array(count * conv.inSize);
    for (let b = 0; b < count; b++)
      for (let oy = 0; oy < conv.Ho; oy++)
        for (let ox = 0; ox < conv.Wo; ox++)
          for (let co = 0; co < conv.Cout; co++) {
            const g = conv.gS[((b * conv.Ho + oy) * conv.Wo + ox) * conv.Cout + co];
            for (let dy = 0; dy < conv.K; dy++)
              for (let dx = 0; dx < conv.K; dx++)
                for (let ci = 0; ci < conv.Cin; ci++) {
                  const t = (dy * conv.K + dx) * conv.Cin + ci;
                  const at = ((b * conv.H + oy + dy) * conv.W + ox + dx) * conv.Cin + ci;
                  gW[co * conv.n + t] += g * first.out[at];
                  gX[at] += g * conv.WbT[co * conv.n + t];
                }
          }
    gW.forEach((v, i) => expect(conv.gWT[i]).toBeCloseTo(v, 5));
    gX.forEach((v, i) => expect(conv.gX![i]).toBeCloseTo(v, 5));
  });

  it("binarizes weights of 0 and -0 to +1 in both layouts, and keeps latent weights in [-1, 1]", () => {
    const net = smallNetwork();
    const l = net.layers[1];
    l.WT.fill(0);
    l.WT[1] = -0;
    l.WT[2] = -1e-30;
    l.binarizeWeights();
    expect([l.WbT[0], l.WbT[1], l.WbT[2]]).toEqual([1, 1, -1]);
    expect([l.Wb[0 * l.Cout], l.Wb[1 * l.Cout], l.Wb[2 * l.Cout]]).toEqual([1, 1, -1]);
    for (let i = 0; i < l.gWT.length; i++) l.gWT[i] = i % 2 ? 1e6 : -1e6;
    for (let t = 1; t <= 50; t++) l.adamStep(0.5, t);
    expect(Math.max(...l.WT)).toBeLessThanOrEqual(1);
    expect(Math.min(...l.WT)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...l.WT)).toBe(1);
  });

  it("the straight-through estimator passes the gradient where |a| <= 1, both ends included", () => {
    const net = smallNetwork();
    const [first, conv] = net.layers;
    first.a.set([-1.5, -1, -0.25, 0, 1, 1.0001]);
    conv.gX!.set([1, 2, 3, 4, 5, 6]);
    conv.k.ste(conv.gX!.byteOffset, first.a.byteOffset, first.gA.byteOffset, 6);
    expect(Array.from(first.gA.subarray(0, 6))).toEqual([0, 2, 3, 4, 5, 0]);
  });
});

describe("training a CNN", () => {
  it("is byte-reproducible, and the folded integer model predicts the float network's digit", async () => {
    const data = loadMnist("train");
    const options = { ...PRESETS["cnn-tiny"], epochs: 1, limit: 1000, validation: 300, calibration: 300 };
    const a = await train(data, options);
    const b = await train(data, options);
    expect(a.conv.map((l) => Buffer.from(l.weights.buffer).toString("hex"))).toEqual(b.conv.map((l) => Buffer.from(l.weights.buffer).toString("hex")));
    expect(a.conv.map((l) => Array.from(l.mean))).toEqual(b.conv.map((l) => Array.from(l.mean)));
    const file = foldModel("cnn-test", { width: 28, height: 28, threshold: options.threshold }, a.layers, undefined, a.conv);
    expect(file.version).toBe(2);
    const model = validateModel(JSON.parse(serializeModel(file)));
    expect(model.conv.map((c) => [c.kernel, c.outputs, c.pool])).toEqual([
      [5, 32, 2],
      [3, 32, 2],
    ]);
    // the float network of the training run, rebuilt from the snapshot: same weights, BatchNorm
    const net = ConvNetwork.create(
      28,
      [...PRESETS["cnn-tiny"].conv, { kernel: "full", outputs: 32, pool: 1 }, { kernel: "full", outputs: 10, pool: 1 }],
      100,
      new SeededRng(1),
    );
    [...a.conv, ...a.layers].forEach((l, k) => {
      const layer = net.layers[k];
      for (let co = 0; co < layer.Cout; co++) for (let t = 0; t < layer.n; t++) layer.WT[co * layer.n + t] = l.weights[t * layer.Cout + co];
      layer.binarizeWeights();
      layer.mean.set(l.mean);
      layer.variance.set(l.variance);
      layer.gamma.set(l.gamma);
      layer.beta.set(l.beta);
    });
    const test = loadMnist("test");
    // 100 images at a time, letting the worker's event loop run between them
    let same = 0;
    for (let start = 0; start < 1000; start += 100) {
      await yieldToEventLoop();
      const idx = Int32Array.from({ length: 100 }, (_, i) => start + i);
      const floatDigits = net.predict(sparseInputs(test.images, idx, options.threshold));
      for (let i = 0; i < idx.length; i++) if (classifyImage(model, test.images, idx[i]).digit === floatDigits[i]) same++;
    }
    expect(same).toBe(1000);
  }, 120_000);
});
