/**
 * The float convolution layers of a binary CNN, written from lib/train/conv-network.ts's
 * description and nothing in lib/model/infer.ts: ±1 multiply-accumulate per position and
 * channel with the trained (never negated) weights, max of the integer sums over each
 * pool x pool window, BatchNorm, sign with sign(0) = +1. No popcount, no packed activations.
 *
 * Tensors are ±1 Int8Arrays, element (r, c, ch) at (r * width + c) * channels + ch; a patch
 * element t = (dy * kernel + dx) * channels + ci, so a patch is `kernel` runs of
 * kernel * channels consecutive tensor elements.
 */
import { sign, testBit } from "../lib/binary.ts";
import { batchNorm } from "../lib/model/batchnorm.ts";
import type { Model } from "../lib/model/format.ts";
import type { TrainedConvLayer } from "../lib/model/trained.ts";

/** What a convolution's sums depend on: its input tensor and kernel, and its output channels. */
export interface ConvShape {
  height: number;
  width: number;
  channels: number;
  kernel: number;
  outputs: number;
}

/** Rows of ±1 weights: row j (of `outputs`) is [j * inputs, (j + 1) * inputs), unpacked from `weights` (bit 1 = +1). */
export function signRows(weights: Uint32Array, inputs: number, outputs: number): Int8Array {
  const words = (inputs + 31) >>> 5;
  const rows = new Int8Array(outputs * inputs);
  for (let j = 0; j < outputs; j++) {
    const row = weights.subarray(j * words, (j + 1) * words);
    for (let i = 0; i < inputs; i++) rows[j * inputs + i] = testBit(row, i) ? 1 : -1;
  }
  return rows;
}

/**
 * sums[(oy * convWidth + ox) * outputs + co] = the patch at (oy, ox) · row co of `rows`
 * ([co * n + t], n = kernel * kernel * channels): the "valid" convolution, stride 1.
 */
export function convSums(l: ConvShape, rows: Int8Array, x: Int8Array, sums: Int32Array): Int32Array {
  const { width, channels, kernel, outputs } = l;
  const n = kernel * kernel * channels;
  const run = kernel * channels;
  const convHeight = l.height - kernel + 1;
  const convWidth = width - kernel + 1;
  for (let oy = 0; oy < convHeight; oy++) {
    for (let ox = 0; ox < convWidth; ox++) {
      const base = (oy * convWidth + ox) * outputs;
      // four channels at a time: each input element is read once for four products
      let co = 0;
      for (; co + 4 <= outputs; co += 4) {
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let dy = 0; dy < kernel; dy++) {
          const a = ((oy + dy) * width + ox) * channels;
          const b = co * n + dy * run;
          for (let q = 0; q < run; q++) {
            const v = x[a + q];
            s0 += v * rows[b + q];
            s1 += v * rows[b + n + q];
            s2 += v * rows[b + 2 * n + q];
            s3 += v * rows[b + 3 * n + q];
          }
        }
        sums[base + co] = s0;
        sums[base + co + 1] = s1;
        sums[base + co + 2] = s2;
        sums[base + co + 3] = s3;
      }
      for (; co < outputs; co++) {
        let s = 0;
        for (let dy = 0; dy < kernel; dy++) {
          const a = ((oy + dy) * width + ox) * channels;
          const b = co * n + dy * run;
          for (let q = 0; q < run; q++) s += x[a + q] * rows[b + q];
        }
        sums[base + co] = s;
      }
    }
  }
  return sums;
}

/**
 * The trained float layer as a function of its ±1 input tensor; each call returns a new output
 * tensor [convHeight / pool, convWidth / pool, outputs].
 */
export function floatConv(l: TrainedConvLayer): (x: Int8Array) => Int8Array {
  const n = l.kernel * l.kernel * l.channels;
  // the trainer's [t * outputs + co] as rows [co * n + t]
  const rows = new Int8Array(l.outputs * n);
  for (let co = 0; co < l.outputs; co++) for (let t = 0; t < n; t++) rows[co * n + t] = l.weights[t * l.outputs + co];
  const convHeight = l.height - l.kernel + 1;
  const convWidth = l.width - l.kernel + 1;
  const outHeight = convHeight / l.pool;
  const outWidth = convWidth / l.pool;
  const sums = new Int32Array(convHeight * convWidth * l.outputs);
  return (x) => {
    convSums(l, rows, x, sums);
    const out = new Int8Array(outHeight * outWidth * l.outputs);
    for (let py = 0; py < outHeight; py++) {
      for (let px = 0; px < outWidth; px++) {
        for (let co = 0; co < l.outputs; co++) {
          let max = -Infinity;
          for (let dy = 0; dy < l.pool; dy++) {
            for (let dx = 0; dx < l.pool; dx++) max = Math.max(max, sums[((py * l.pool + dy) * convWidth + px * l.pool + dx) * l.outputs + co]);
          }
          out[(py * outWidth + px) * l.outputs + co] = sign(batchNorm(l, co, max));
        }
      }
    }
    return out;
  };
}

/**
 * Conv layer k of a model as it was trained: the stored rows, un-negated for the channels whose
 * BatchNorm decreases (folding negated those, fold.ts), and the BatchNorm of model.file.float[k].
 */
export function trainedConvLayer(model: Model, k: number): TrainedConvLayer {
  const c = model.conv[k];
  const bn = model.file.float![k];
  const rows = signRows(c.weights, c.inputs, c.outputs);
  const weights = new Int8Array(c.inputs * c.outputs);
  for (let co = 0; co < c.outputs; co++) {
    const negated = bn.gamma[co] < 0;
    for (let t = 0; t < c.inputs; t++) weights[t * c.outputs + co] = negated ? -rows[co * c.inputs + t] : rows[co * c.inputs + t];
  }
  const { height, width, channels, kernel, outputs, pool } = c;
  return {
    height,
    width,
    channels,
    kernel,
    outputs,
    pool,
    weights,
    gamma: Float64Array.from(bn.gamma),
    beta: Float64Array.from(bn.beta),
    mean: Float64Array.from(bn.mean),
    variance: Float64Array.from(bn.variance),
  };
}

/** The image's ±1 tensor [height, width, 1]: pixel p is +1 when p >= threshold (docs/model-format.md §2.1). */
export function signImage(pixels: Uint8Array, threshold: number, n: number, offset = 0): Int8Array {
  const x = new Int8Array(n);
  for (let p = 0; p < n; p++) x[p] = pixels[offset + p] >= threshold ? 1 : -1;
  return x;
}
