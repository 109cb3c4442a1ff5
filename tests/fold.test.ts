/**
 * The folded integer network is the trained float network: the float BatchNorm forward pass
 * (model.float; convolutions by ./float-network.ts) and the integer forward pass (thresholds,
 * OR/AND pooling, scales) are run on all 10,000 test images of every shipped model and must
 * predict the same digit for each.
 */
import { describe, expect, it } from "vitest";
import { argmax, dotPacked, lastWordMask, packSigns, testBit } from "../host/lib/binary.ts";
import { loadMnist } from "../host/lib/mnist.ts";
import { batchNorm, type BatchNormParams } from "../host/lib/model/batchnorm.ts";
import { readModelFile, type Model } from "../host/lib/model/format.ts";
import { classify } from "../host/lib/model/infer.ts";
import { packPixels } from "../host/lib/model/input.ts";
import { resolveModelPath } from "../host/lib/paths.ts";
import { shippedModels } from "../host/lib/paths.ts";
import { breather, floatConv, signImage, trainedConvLayer } from "./float-network.ts";

/**
 * Rows of dense layer k as trained: folding negated the rows of neurons whose gamma < 0. The
 * float parameters list the conv layers first, so dense layer k's are float[conv.length + k].
 */
function trainedRows(model: Model, k: number): Uint32Array {
  const layer = k < model.hidden.length ? model.hidden[k] : model.output;
  const bn = model.file.float![model.conv.length + k];
  const rows = layer.weights.slice();
  for (let j = 0; j < layer.outputs; j++) {
    if (k < model.hidden.length && bn.gamma[j] < 0) {
      for (let w = 0; w < layer.words; w++) rows[j * layer.words + w] = ~rows[j * layer.words + w] >>> 0;
      rows[j * layer.words + layer.words - 1] &= lastWordMask(layer.inputs);
    }
  }
  return rows;
}

/** The float network on a ±1 image: the float conv layers, then the dense layers (BatchNorm, sign; argmax of the last). */
function floatForward(model: Model, image: Int8Array, conv: ((x: Int8Array) => Int8Array)[], rows: Uint32Array[]): number {
  let tensor = image;
  for (const layer of conv) tensor = layer(tensor);
  let x = packSigns(tensor);
  const layers = [...model.hidden, model.output];
  for (let k = 0; k < layers.length; k++) {
    const l = layers[k];
    const bn: BatchNormParams = model.file.float![model.conv.length + k];
    const a = Array.from({ length: l.outputs }, (_, j) => batchNorm(bn, j, dotPacked(x, rows[k], l.inputs, 0, j * l.words)));
    if (k === layers.length - 1) return argmax(a);
    const y = new Uint32Array((l.outputs + 31) >>> 5);
    a.forEach((v, j) => {
      if (v >= 0) y[j >>> 5] |= 1 << (j & 31);
    });
    x = y;
  }
  throw new Error("unreachable");
}

describe.each(shippedModels())("folding of the shipped model '%s'", (name) => {
  const model = readModelFile(resolveModelPath(name));

  it("keeps the float BatchNorm parameters it was folded from, one set per layer, convolutions included", () => {
    expect(model.file.float?.length).toBe(model.conv.length + model.hidden.length + 1);
    [...model.conv, ...model.hidden, model.output].forEach((l, k) => {
      for (const p of ["gamma", "beta", "mean", "variance"] as const) expect(model.file.float![k][p], `layer ${k + 1} ${p}`).toHaveLength(l.outputs);
    });
  });

  it("gives every hidden neuron and conv channel the float neuron's decision for every reachable sum", () => {
    // a conv channel is a sign neuron over its kernel x kernel x channels patch (fold.ts)
    const layers = [...model.conv, ...model.hidden];
    layers.forEach((h, k) => {
      const bn = model.file.float![k];
      for (let j = 0; j < h.outputs; j++) {
        const flipped = bn.gamma[j] < 0;
        for (let s = -h.inputs; s <= h.inputs; s += 2) {
          const floatOn = batchNorm(bn, j, s) >= 0;
          const foldedOn = (flipped ? -s : s) >= h.thresholds[j];
          if (floatOn !== foldedOn) expect.fail(`layer ${k + 1} neuron ${j} sum ${s}: float ${floatOn}, folded ${foldedOn}`);
        }
      }
    });
    // max-pooling the sums before a decreasing BatchNorm is AND of the negated channel's bits
    model.conv.forEach((c, k) => {
      const gamma = model.file.float![k].gamma;
      for (let co = 0; co < c.outputs; co++) expect(testBit(c.poolAnd, co), `layer ${k + 1} channel ${co} pools with AND`).toBe(c.pool > 1 && gamma[co] < 0);
    });
  });

  it("predicts the same digit as the float BatchNorm network on all 10,000 test images", async () => {
    const test = loadMnist("test");
    const conv = model.conv.map((_, k) => floatConv(trainedConvLayer(model, k)));
    const rows = [...model.hidden.map((_, k) => trainedRows(model, k)), trainedRows(model, model.hidden.length)];
    let differ = 0;
    for (let i = 0; i < test.count; i++) {
      if (i % 50 === 0) await breather();
      const image = signImage(test.images, model.input.threshold, 784, i * 784);
      const input = packPixels(test.images, model.input.threshold, 784, i * 784);
      if (floatForward(model, image, conv, rows) !== classify(model, input).digit) differ++;
    }
    expect(differ).toBe(0);
  });
});
