/**
 * Folding a trained float network into the integer inference form.
 *
 * Hidden neuron j (BatchNorm f_j, then sign): the sum s = x·w_j takes the values n, n-2, ..., -n.
 * f_j is evaluated (float64, model/batchnorm.ts) at every one of them, exactly as the float
 * forward pass evaluates it, so the folded neuron agrees with the float one for every input,
 * ties (f_j(s) = 0 gives +1, eq. 1.3) included:
 * - gamma_j > 0: f_j increases; bit = s >= T with T the least s where f_j(s) >= 0 (n + 1: never).
 * - gamma_j < 0: f_j decreases; bit = s <= U. The weights of row j are negated (s -> -s), so the
 *   stored neuron is again "s >= T" with T = -U. Every hidden neuron is one popcount, one compare.
 * - gamma_j = 0: f_j is constant; T = -n (always +1) or n + 1 (never).
 * Output neuron j: f_j(s) = alpha_j * s + c_j, stored as round(alpha_j * 2^F) and round(c_j * 2^F)
 * with the largest F <= 24 that keeps every score inside ±2^30.
 */
import { setBit, wordsFor } from "../binary.ts";
import { UserError } from "../errors.ts";
import { BN_EPSILON, batchNorm } from "./batchnorm.ts";
import {
  encodeRow,
  MODEL_FORMAT,
  modelId,
  SCORE_LIMIT,
  versionFor,
  type ConvLayer,
  type FloatLayer,
  type InputSpec,
  type ModelFile,
  type ModelLayer,
} from "./format.ts";
import type { TrainedConvLayer, TrainedLayer } from "./trained.ts";

const MAX_SHIFT = 24;

/** Packs row j of a [i * nOut + j] ±1 matrix, negated when `negate`. */
function packRow(layer: TrainedLayer, j: number, negate: boolean): Uint32Array {
  const words = new Uint32Array(wordsFor(layer.nIn));
  for (let i = 0; i < layer.nIn; i++) {
    const w = layer.weights[i * layer.nOut + j];
    if (w > 0 !== negate) setBit(words, i);
  }
  return words;
}

export function foldSignLayer(layer: TrainedLayer): { weights: string[]; thresholds: number[] } {
  const n = layer.nIn;
  const weights: string[] = [];
  const thresholds: number[] = [];
  for (let j = 0; j < layer.nOut; j++) {
    const g = layer.gamma[j];
    let t: number;
    if (g > 0) {
      t = n + 1;
      for (let s = -n; s <= n; s += 2)
        if (batchNorm(layer, j, s) >= 0) {
          t = s;
          break;
        }
    } else if (g < 0) {
      let u = -n - 1;
      for (let s = n; s >= -n; s -= 2)
        if (batchNorm(layer, j, s) >= 0) {
          u = s;
          break;
        }
      t = -u;
    } else {
      t = layer.beta[j] >= 0 ? -n : n + 1;
    }
    weights.push(encodeRow(packRow(layer, j, g < 0), 0, wordsFor(n)));
    thresholds.push(t);
  }
  return { weights, thresholds };
}

export function foldScoreLayer(layer: TrainedLayer): { weights: string[]; scale: number[]; offset: number[]; shift: number } {
  const n = layer.nIn;
  const alpha: number[] = [];
  const c: number[] = [];
  for (let j = 0; j < layer.nOut; j++) {
    const a = layer.gamma[j] / Math.sqrt(layer.variance[j] + BN_EPSILON);
    alpha.push(a);
    c.push(layer.beta[j] - a * layer.mean[j]);
  }
  const fits = (f: number) => alpha.every((a, j) => Math.abs(Math.round(a * 2 ** f)) * n + Math.abs(Math.round(c[j] * 2 ** f)) < SCORE_LIMIT);
  let shift = MAX_SHIFT;
  while (shift > 0 && !fits(shift)) shift--;
  if (!fits(shift)) throw new UserError("output BatchNorm is too large to fold into 32-bit scores");
  const weights: string[] = [];
  for (let j = 0; j < layer.nOut; j++) weights.push(encodeRow(packRow(layer, j, false), 0, wordsFor(n)));
  return { weights, scale: alpha.map((a) => Math.round(a * 2 ** shift)), offset: c.map((v) => Math.round(v * 2 ** shift)), shift };
}

/**
 * A convolution layer pools the integer sums before its BatchNorm f (conv-network.ts), so its
 * output is sign(f(max of the window's sums)). Each position's sum s is folded as a sign
 * neuron (same T, same negation); then, per channel:
 * - gamma > 0: f increasing: f(max s) >= 0 iff max s >= T iff some s_i >= T: the window's bits
 *   are ORed;
 * - gamma < 0: f decreasing: f(max s) >= 0 iff max s <= U iff every s_i <= U, i.e. every negated
 *   sum -s_i >= -U = T: the window's bits are ANDed (the channel is listed in poolAnd);
 * - gamma = 0: every bit is the same constant; OR.
 */
export function foldConvLayer(l: TrainedConvLayer): ConvLayer {
  const n = l.kernel * l.kernel * l.channels;
  const { weights, thresholds } = foldSignLayer({
    nIn: n,
    nOut: l.outputs,
    weights: l.weights,
    gamma: l.gamma,
    beta: l.beta,
    mean: l.mean,
    variance: l.variance,
  });
  const poolAnd = l.pool > 1 ? [...l.gamma.keys()].filter((c) => l.gamma[c] < 0) : [];
  return { kind: "conv", input: [l.height, l.width, l.channels], kernel: l.kernel, outputs: l.outputs, pool: l.pool, weights, thresholds, poolAnd };
}

export function foldModel(
  name: string,
  input: InputSpec,
  layers: TrainedLayer[],
  training?: Record<string, unknown>,
  conv: TrainedConvLayer[] = [],
): ModelFile {
  const out: ModelLayer[] = [
    ...conv.map(foldConvLayer),
    ...layers.map((l, k): ModelLayer => {
      if (k < layers.length - 1) return { kind: "sign", inputs: l.nIn, outputs: l.nOut, ...foldSignLayer(l) };
      return { kind: "score", inputs: l.nIn, outputs: l.nOut, ...foldScoreLayer(l) };
    }),
  ];
  const float: FloatLayer[] = [...conv, ...layers].map((l) => ({ gamma: [...l.gamma], beta: [...l.beta], mean: [...l.mean], variance: [...l.variance] }));
  return { format: MODEL_FORMAT, version: versionFor(out), name, id: modelId(input, out), input, layers: out, float, training };
}
