/**
 * The folded integer network is the trained float network: the float BatchNorm forward pass
 * (model.float) and the integer forward pass (thresholds, scales) are run on all 10,000 test
 * images of every shipped model and must predict the same digit for each.
 */
import { describe, expect, it } from "vitest";
import { argmax, dotPacked, lastWordMask } from "../host/lib/binary.ts";
import { loadMnist } from "../host/lib/mnist.ts";
import { batchNorm, type BatchNormParams } from "../host/lib/model/batchnorm.ts";
import { readModelFile, type Model } from "../host/lib/model/format.ts";
import { classify } from "../host/lib/model/infer.ts";
import { packPixels } from "../host/lib/model/input.ts";
import { resolveModelPath } from "../host/lib/paths.ts";
import { shippedModels } from "../host/lib/paths.ts";

/** Rows as trained: folding negated the rows of neurons whose gamma < 0. */
function trainedRows(model: Model, k: number): Uint32Array {
  const layer = k < model.hidden.length ? model.hidden[k] : model.output;
  const bn = model.file.float![k];
  const rows = layer.weights.slice();
  for (let j = 0; j < layer.outputs; j++) {
    if (k < model.hidden.length && bn.gamma[j] < 0) {
      for (let w = 0; w < layer.words; w++) rows[j * layer.words + w] = ~rows[j * layer.words + w] >>> 0;
      rows[j * layer.words + layer.words - 1] &= lastWordMask(layer.inputs);
    }
  }
  return rows;
}

function floatForward(model: Model, input: Uint32Array, rows: Uint32Array[]): number {
  let x = input;
  const layers = [...model.hidden, model.output];
  for (let k = 0; k < layers.length; k++) {
    const l = layers[k];
    const bn: BatchNormParams = model.file.float![k];
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

  it("keeps the float BatchNorm parameters it was folded from", () => {
    expect(model.file.float?.length).toBe(model.hidden.length + 1);
  });

  it("gives every hidden neuron the float neuron's decision for every reachable sum", () => {
    model.hidden.forEach((h, k) => {
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
  });

  it("predicts the same digit as the float BatchNorm network on all 10,000 test images", () => {
    const test = loadMnist("test");
    const rows = [...model.hidden.map((_, k) => trainedRows(model, k)), trainedRows(model, model.hidden.length)];
    let differ = 0;
    for (let i = 0; i < test.count; i++) {
      const input = packPixels(test.images, model.input.threshold, 784, i * 784);
      if (floatForward(model, input, rows) !== classify(model, input).digit) differ++;
    }
    expect(differ).toBe(0);
  });
});
