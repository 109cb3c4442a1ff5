/**
 * The MLP of the chapter as the training loop drives it (trainable.ts): the dense layers of
 * network.ts on one arena, their forward and backward pass over a batch, the recalibration of the
 * BatchNorm statistics and the float reference predictions.
 */
import type { TrainedLayer } from "../model/trained.ts";
import type { SeededRng } from "../rng.ts";
import { Arena } from "./kernels.ts";
import { DenseLayer, lossAndGradient, type Loss, type SparseBatch } from "./network.ts";
import type { Trainable, TrainedNetwork } from "./trainable.ts";

/** Samples per forward/backward chunk outside training (calibration, prediction). */
const CHUNK = 1000;

/** The MLP of a recipe: dense layers on one arena of the kernels' memory. */
export class Mlp implements Trainable {
  /** Input on-lists of the current batch or chunk, in the kernels' memory. */
  readonly input: SparseBatch;
  private constructor(
    readonly layers: DenseLayer[],
    input: SparseBatch,
  ) {
    this.input = input;
  }

  static async create(sizes: number[], batch: number, rng: SeededRng): Promise<Mlp> {
    const capacity = Math.max(batch, CHUNK);
    let bytes = 4 * (capacity * (sizes[0] + 1) + 1);
    for (let k = 1; k < sizes.length; k++) bytes += DenseLayer.arenaBytes(sizes[k - 1], sizes[k], capacity);
    const arena = await Arena.create(bytes);
    const input = { on: arena.i32(capacity * sizes[0]), start: arena.i32(capacity + 1), count: 0 };
    const layers: DenseLayer[] = [];
    for (let k = 1; k < sizes.length; k++) {
      const layer = new DenseLayer(sizes[k - 1], sizes[k], k < sizes.length - 1, capacity, arena);
      layer.init(rng);
      layers.push(layer);
    }
    return new Mlp(layers, input);
  }

  adamStep(lr: number, step: number): void {
    for (const layer of this.layers) layer.adamStep(lr, step);
  }

  /** Copies samples [from, to) of `src` into this.input. */
  load(src: SparseBatch, from: number, to: number): SparseBatch {
    const base = src.start[from];
    const dst = this.input;
    for (let b = 0; b <= to - from; b++) dst.start[b] = src.start[from + b] - base;
    dst.on.set(src.on.subarray(base, src.start[to]));
    dst.count = to - from;
    return dst;
  }

  /** Forward pass with batch statistics; returns loss and correct count; fills gradients. */
  trainStep(input: SparseBatch, labels: ArrayLike<number>, loss: Loss, stochastic: SeededRng | undefined) {
    const { layers } = this;
    const count = input.count;
    let x = input;
    for (const layer of layers) {
      layer.linear(x);
      layer.batchNormTrain(count);
      if (layer.hidden) {
        layer.binarizeOutput(count, stochastic);
        x = layer.out;
      }
    }
    const out = layers[layers.length - 1];
    const result = lossAndGradient(out, labels, count, loss);
    for (let k = layers.length - 1; k >= 0; k--) {
      const layer = layers[k];
      layer.batchNormBackward(count);
      layer.weightGradient(k === 0 ? input : layers[k - 1].out);
      if (k > 0) layer.inputGradient(layers[k - 1], count);
    }
    return result;
  }

  /**
   * Sets each layer's inference statistics to the exact mean and variance of its sums over
   * `inputs`, layer by layer (layer k's statistics are measured with layers < k already
   * calibrated), then leaves the calibrated forward pass's outputs in place.
   */
  calibrate(inputs: SparseBatch): void {
    const chunk = CHUNK;
    const n = inputs.count;
    // Binarized outputs of every layer for the whole calibration set.
    let current: SparseBatch = inputs;
    for (const layer of this.layers) {
      const sum = new Float64Array(layer.nOut);
      const sumsq = new Float64Array(layer.nOut);
      const sums = new Float32Array(n * layer.nOut);
      for (let from = 0; from < n; from += chunk) {
        const to = Math.min(n, from + chunk);
        layer.linear(this.load(current, from, to));
        sums.set(layer.s.subarray(0, (to - from) * layer.nOut), from * layer.nOut);
      }
      for (let b = 0; b < n; b++) {
        const base = b * layer.nOut;
        for (let j = 0; j < layer.nOut; j++) sum[j] += sums[base + j];
      }
      for (let j = 0; j < layer.nOut; j++) layer.mean[j] = sum[j] / n;
      for (let b = 0; b < n; b++) {
        const base = b * layer.nOut;
        for (let j = 0; j < layer.nOut; j++) {
          const d = sums[base + j] - layer.mean[j];
          sumsq[j] += d * d;
        }
      }
      for (let j = 0; j < layer.nOut; j++) layer.variance[j] = sumsq[j] / n;
      if (!layer.hidden) break;
      // Binarize with the inference statistics for the next layer.
      const on = new Int32Array(n * layer.nOut);
      const start = new Int32Array(n + 1);
      let p = 0;
      for (let b = 0; b < n; b++) {
        start[b] = p;
        const base = b * layer.nOut;
        for (let j = 0; j < layer.nOut; j++) if (layer.bnAffine(j, sums[base + j]) >= 0) on[p++] = j;
      }
      start[n] = p;
      current = { on, start, count: n };
    }
  }

  /** Predictions with inference statistics (float BatchNorm): the float reference. */
  predict(inputs: SparseBatch, onScores?: (b: number, scores: Float32Array) => void): Uint8Array {
    const chunk = CHUNK;
    const preds = new Uint8Array(inputs.count);
    for (let from = 0; from < inputs.count; from += chunk) {
      const to = Math.min(inputs.count, from + chunk);
      const count = to - from;
      let x: SparseBatch = this.load(inputs, from, to);
      for (const layer of this.layers) {
        layer.linear(x);
        layer.batchNormInference(count);
        if (layer.hidden) {
          layer.binarizeOutput(count);
          x = layer.out;
        }
      }
      const out = this.layers[this.layers.length - 1];
      for (let b = 0; b < count; b++) {
        const base = b * out.nOut;
        let best = 0;
        for (let j = 1; j < out.nOut; j++) if (out.a[base + j] > out.a[base + best]) best = j;
        preds[from + b] = best;
        onScores?.(from + b, out.a.subarray(base, base + out.nOut));
      }
    }
    return preds;
  }

  snapshot(): TrainedNetwork {
    const layers: TrainedLayer[] = this.layers.map((l) => ({
      nIn: l.nIn,
      nOut: l.nOut,
      weights: Int8Array.from(l.Wb),
      gamma: Float64Array.from(l.gamma),
      beta: Float64Array.from(l.beta),
      mean: Float64Array.from(l.mean),
      variance: Float64Array.from(l.variance),
    }));
    return { conv: [], layers };
  }
}
