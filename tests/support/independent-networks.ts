/**
 * Two implementations of a shipped model's forward pass that share nothing with the
 * XNOR/popcount reference (lib/model/infer.ts), each a function of an MNIST image (its
 * pixels at `offset`) to the predicted digit:
 *
 * - `macNetwork`: the folded integer network as ±1 tensors and vectors: unpacked rows (one flat
 *   array per layer), products summed in plain loops (../float-network.ts's convSums for the
 *   convolutions); a conv channel's bit by threshold at every position, then OR over each pool
 *   window (AND for the poolAnd channels); the hidden sign by threshold, the argmax with the
 *   lowest index on ties. No popcount, no packing.
 * - `floatNetwork`: the trained float network the integers were folded from: the float
 *   BatchNorm after each layer (model.file.float; convolutions by ../float-network.ts), sign with
 *   sign(0) = +1, the argmax of the last layer's BatchNorm outputs.
 */
import { argmax, dotPacked, lastWordMask, packSigns, testBit } from "../../lib/binary.ts";
import { batchNorm, type BatchNormParams } from "../../lib/model/batchnorm.ts";
import type { Model } from "../../lib/model/format.ts";
import { convSums, floatConv, signImage, signRows, trainedConvLayer } from "../float-network.ts";

const PIXELS = 784;

export type Network = (pixels: Uint8Array, offset: number) => number;

export function macNetwork(model: Model): Network {
  const conv = model.conv.map((c) => ({
    c,
    rows: signRows(c.weights, c.inputs, c.outputs),
    sums: new Int32Array(c.convHeight * c.convWidth * c.outputs),
    and: Array.from({ length: c.outputs }, (_, co) => testBit(c.poolAnd, co)),
  }));
  const layers = [...model.hidden, model.output].map((l) => ({ n: l.inputs, m: l.outputs, w: signRows(l.weights, l.inputs, l.outputs) }));
  return (pixels, offset) => {
    let x = new Int8Array(PIXELS);
    for (let p = 0; p < PIXELS; p++) x[p] = pixels[offset + p] >= model.input.threshold ? 1 : -1;
    for (const { c, rows, sums, and } of conv) {
      convSums(c, rows, x, sums);
      const y = new Int8Array(c.outHeight * c.outWidth * c.outputs);
      for (let py = 0; py < c.outHeight; py++) {
        for (let px = 0; px < c.outWidth; px++) {
          for (let co = 0; co < c.outputs; co++) {
            let on = and[co];
            for (let dy = 0; dy < c.pool; dy++) {
              for (let dx = 0; dx < c.pool; dx++) {
                const bit = sums[((py * c.pool + dy) * c.convWidth + px * c.pool + dx) * c.outputs + co] >= c.thresholds[co];
                on = and[co] ? on && bit : on || bit;
              }
            }
            y[(py * c.outWidth + px) * c.outputs + co] = on ? 1 : -1;
          }
        }
      }
      x = y;
    }
    let best = -1;
    let bestScore = -Infinity;
    layers.forEach(({ n, m, w }, k) => {
      const y = new Int8Array(m);
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let q = 0, o = j * n; q < n; q++, o++) s += x[q] * w[o];
        if (k < model.hidden.length) y[j] = s >= model.hidden[k].thresholds[j] ? 1 : -1;
        else {
          const score = model.output.scale[j] * s + model.output.offset[j];
          if (score > bestScore) [best, bestScore] = [j, score];
        }
      }
      x = y;
    });
    return best;
  };
}

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

export function floatNetwork(model: Model): Network {
  if (!model.file.float) throw new Error(`model ${model.file.name} keeps no float parameters`);
  const conv = model.conv.map((_, k) => floatConv(trainedConvLayer(model, k)));
  const rows = [...model.hidden.map((_, k) => trainedRows(model, k)), trainedRows(model, model.hidden.length)];
  const layers = [...model.hidden, model.output];
  return (pixels, offset) => {
    let tensor = signImage(pixels, model.input.threshold, PIXELS, offset);
    for (const layer of conv) tensor = layer(tensor);
    let x = packSigns(tensor);
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
  };
}
