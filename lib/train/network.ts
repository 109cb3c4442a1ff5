/**
 * The float training-time network of the chapter (Figs. 1.4 and 1.10): fully connected layers
 * with latent real weights W in [-1, 1], binarized weights W^b = sign(W) and binarized
 * activations in the forward pass, BatchNorm after every layer, sign() after every hidden
 * BatchNorm, and the straight-through estimator g_a = g_{a^b} * 1{|a| <= 1} on the way back.
 *
 * Speed: every layer's input is a ±1 vector, stored as the list of its +1 positions. With
 * x in {-1, +1}: x·W[:, j] = 2 * sum_{i: x_i = +1} W^b[i, j] - colsum_j, so the forward pass and
 * the weight gradient only touch the rows of the +1 inputs (about 13 % of the pixels of an
 * MNIST digit, about half of a hidden layer). The sums of ±1 values are exact in float32.
 */
import { hardSigmoid } from "../binary.ts";
import { BN_EPSILON, batchNorm } from "../model/batchnorm.ts";
import type { SeededRng } from "../rng.ts";
import type { Arena, Kernels } from "./kernels.ts";

/** A batch of ±1 vectors: the +1 positions of sample b are on[start[b] .. start[b+1]). */
export interface SparseBatch {
  on: Int32Array;
  start: Int32Array;
  count: number;
}

export class DenseLayer {
  readonly W: Float32Array; // latent weights, [i * nOut + j]
  readonly Wb: Float32Array; // sign(W): ±1
  readonly colsum: Float32Array; // sum_i Wb[i, j]
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
  /** Statistics BatchNorm uses at inference (set by calibration). */
  readonly mean: Float64Array;
  readonly variance: Float64Array;

  // Adam state.
  readonly mW: Float32Array;
  readonly vW: Float32Array;
  readonly mGamma: Float32Array;
  readonly vGamma: Float32Array;
  readonly mBeta: Float32Array;
  readonly vBeta: Float32Array;

  // Per-batch buffers, sized for `capacity` samples.
  readonly s: Float32Array; // pre-BatchNorm sums (integers)
  readonly xhat: Float32Array;
  readonly a: Float32Array; // post-BatchNorm
  readonly gA: Float32Array;
  readonly gS: Float32Array;
  readonly invstd: Float32Array;
  readonly gW: Float32Array;
  readonly gGamma: Float32Array;
  readonly gBeta: Float32Array;
  readonly gSum: Float32Array;
  /** This layer's binarized output (hidden layers). */
  readonly out: SparseBatch;
  private readonly inverse: Int32Array;
  private readonly inverseStart: Int32Array;
  private readonly inverseFill: Int32Array;
  private readonly k: Kernels;

  /** Bytes of arena a layer needs (an upper bound). */
  static arenaBytes(nIn: number, nOut: number, capacity: number): number {
    return 4 * (6 * nIn * nOut + 16 * nOut + 3 * nIn + 8 + capacity * (6 * nOut + nIn) + capacity) + 16 * 40;
  }

  constructor(
    readonly nIn: number,
    readonly nOut: number,
    readonly hidden: boolean,
    readonly capacity: number,
    arena: Arena,
  ) {
    const n = nIn * nOut;
    const m = capacity * nOut;
    this.k = arena.kernels;
    this.W = arena.f32(n);
    this.Wb = arena.f32(n);
    this.colsum = arena.f32(nOut);
    this.gamma = arena.f32(nOut).fill(1);
    this.beta = arena.f32(nOut);
    this.mean = new Float64Array(nOut);
    this.variance = new Float64Array(nOut).fill(1);
    this.mW = arena.f32(n);
    this.vW = arena.f32(n);
    this.mGamma = arena.f32(nOut);
    this.vGamma = arena.f32(nOut);
    this.mBeta = arena.f32(nOut);
    this.vBeta = arena.f32(nOut);
    this.gW = arena.f32(n);
    this.gGamma = arena.f32(nOut);
    this.gBeta = arena.f32(nOut);
    this.gSum = arena.f32(nOut);
    this.invstd = arena.f32(nOut);
    this.s = arena.f32(m);
    this.xhat = arena.f32(m);
    this.a = arena.f32(m);
    this.gA = arena.f32(m);
    this.gS = arena.f32(m);
    this.out = { on: arena.i32(m), start: arena.i32(capacity + 1), count: 0 };
    this.inverse = arena.i32(capacity * nIn);
    this.inverseStart = arena.i32(nIn + 1);
    this.inverseFill = arena.i32(nIn);
  }

  /** Glorot-uniform latent weights, then binarize. */
  init(rng: SeededRng): void {
    const limit = Math.sqrt(6 / (this.nIn + this.nOut));
    for (let k = 0; k < this.W.length; k++) this.W[k] = rng.uniform(-limit, limit);
    this.binarizeWeights();
  }

  /** Wb = sign(W) (sign(0) = +1), and the column sums the sparse forward pass needs. */
  binarizeWeights(): void {
    this.k.binarize(this.W.byteOffset, this.Wb.byteOffset, this.colsum.byteOffset, this.nIn, this.nOut);
  }

  /** s[b, j] = x_b · Wb[:, j] for a batch of ±1 inputs. */
  linear(input: SparseBatch): void {
    const { Wb, colsum, nOut, s } = this;
    const { on, start, count } = input;
    for (let b = 0; b < count; b++) {
      this.k.sum_rows(Wb.byteOffset, on.byteOffset, start[b], start[b + 1], nOut, s.byteOffset + 4 * b * nOut, colsum.byteOffset);
    }
  }

  /** BatchNorm with the batch's own statistics (training). */
  batchNormTrain(count: number): void {
    const { nOut, s, xhat, a, gamma, beta, invstd } = this;
    const mean = new Float64Array(nOut);
    const sq = new Float64Array(nOut);
    for (let b = 0; b < count; b++) {
      const base = b * nOut;
      for (let j = 0; j < nOut; j++) mean[j] += s[base + j];
    }
    for (let j = 0; j < nOut; j++) mean[j] /= count;
    for (let b = 0; b < count; b++) {
      const base = b * nOut;
      for (let j = 0; j < nOut; j++) {
        const d = s[base + j] - mean[j];
        sq[j] += d * d;
      }
    }
    for (let j = 0; j < nOut; j++) invstd[j] = 1 / Math.sqrt(sq[j] / count + BN_EPSILON);
    for (let b = 0; b < count; b++) {
      const base = b * nOut;
      for (let j = 0; j < nOut; j++) {
        const xh = (s[base + j] - mean[j]) * invstd[j];
        xhat[base + j] = xh;
        a[base + j] = gamma[j] * xh + beta[j];
      }
    }
  }

  /** BatchNorm with the calibrated statistics (inference). Float64, as the folding uses. */
  batchNormInference(count: number): void {
    const { nOut, s, a } = this;
    for (let b = 0; b < count; b++) {
      const base = b * nOut;
      for (let j = 0; j < nOut; j++) a[base + j] = this.bnAffine(j, s[base + j]);
    }
  }

  /** The inference BatchNorm of neuron j applied to an integer sum s (float64). */
  bnAffine(j: number, s: number): number {
    return batchNorm(this, j, s);
  }

  /** Binarize the post-BatchNorm values into this.out: eq. 1.3, or eqs. 1.4-1.5 with an rng. */
  binarizeOutput(count: number, stochastic?: SeededRng): void {
    const { nOut, a } = this;
    const { on, start } = this.out;
    let p = 0;
    for (let b = 0; b < count; b++) {
      start[b] = p;
      const base = b * nOut;
      if (stochastic) {
        for (let j = 0; j < nOut; j++) if (stochastic.next() < hardSigmoid(a[base + j])) on[p++] = j;
      } else {
        for (let j = 0; j < nOut; j++) if (a[base + j] >= 0) on[p++] = j;
      }
    }
    start[count] = p;
    this.out.count = count;
  }

  /** From gA (gradient at the BatchNorm output) to gS, gGamma, gBeta. */
  batchNormBackward(count: number): void {
    const { nOut, gA, xhat, gS, gamma, invstd, gGamma, gBeta } = this;
    gGamma.fill(0);
    gBeta.fill(0);
    for (let b = 0; b < count; b++) {
      const base = b * nOut;
      for (let j = 0; j < nOut; j++) {
        gGamma[j] += gA[base + j] * xhat[base + j];
        gBeta[j] += gA[base + j];
      }
    }
    for (let b = 0; b < count; b++) {
      const base = b * nOut;
      for (let j = 0; j < nOut; j++) {
        gS[base + j] = ((gamma[j] * invstd[j]) / count) * (count * gA[base + j] - gBeta[j] - xhat[base + j] * gGamma[j]);
      }
    }
  }

  /** gW[i, j] = sum_b gS[b, j] * x_b[i], using x in {-1, +1}: 2 * sum over +1 inputs - column total. */
  weightGradient(input: SparseBatch): void {
    const { nIn, nOut, gS, gW, gSum } = this;
    const { on, start, count } = input;
    // Invert the batch's on-lists: for each input i, the samples b where x_b[i] = +1.
    const total = start[count];
    const inv = this.inverse;
    const istart = this.inverseStart;
    istart.fill(0);
    for (let p = 0; p < total; p++) istart[on[p] + 1]++;
    for (let i = 0; i < nIn; i++) istart[i + 1] += istart[i];
    const fillPos = this.inverseFill;
    fillPos.set(istart.subarray(0, nIn));
    for (let b = 0; b < count; b++) for (let p = start[b], e = start[b + 1]; p < e; p++) inv[fillPos[on[p]]++] = b;
    gSum.fill(0);
    for (let b = 0; b < count; b++) {
      const base = b * nOut;
      for (let j = 0; j < nOut; j++) gSum[j] += gS[base + j];
    }
    for (let i = 0; i < nIn; i++) {
      this.k.sum_rows(gS.byteOffset, inv.byteOffset, istart[i], istart[i + 1], nOut, gW.byteOffset + 4 * i * nOut, gSum.byteOffset);
    }
  }

  /**
   * Gradient into the previous hidden layer's BatchNorm output, through its sign() with the
   * straight-through estimator: prev.gA[b, i] = 1{|prev.a| <= 1} * sum_j gS[b, j] * Wb[i, j].
   */
  inputGradient(prev: DenseLayer, count: number): void {
    this.k.input_grad(this.gS.byteOffset, this.Wb.byteOffset, prev.a.byteOffset, prev.gA.byteOffset, count, this.nIn, this.nOut);
  }

  /** One Adam step on W (then clipped to [-1, 1] and re-binarized), gamma and beta. */
  adamStep(lr: number, t: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8): void {
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    const stepSize = (lr * Math.sqrt(c2)) / c1;
    const k = this.k;
    k.adam(this.W.byteOffset, this.gW.byteOffset, this.mW.byteOffset, this.vW.byteOffset, this.W.length, stepSize, beta1, beta2, eps, 1);
    k.adam(this.gamma.byteOffset, this.gGamma.byteOffset, this.mGamma.byteOffset, this.vGamma.byteOffset, this.nOut, stepSize, beta1, beta2, eps, 0);
    k.adam(this.beta.byteOffset, this.gBeta.byteOffset, this.mBeta.byteOffset, this.vBeta.byteOffset, this.nOut, stepSize, beta1, beta2, eps, 0);
    this.binarizeWeights();
  }
}

export type Loss = "ce" | "hinge";

/**
 * Loss at the output BatchNorm (a) and its gradient into out.gA, averaged over the batch.
 * ce: softmax cross-entropy. hinge: squared hinge with ±1 one-vs-all targets (Courbariaux et al.).
 * Returns the summed loss and the number of correct argmax predictions.
 */
export function lossAndGradient(
  out: { nOut: number; a: Float32Array; gA: Float32Array },
  labels: ArrayLike<number>,
  count: number,
  loss: Loss,
): { loss: number; correct: number } {
  const n = out.nOut;
  const { a, gA } = out;
  let total = 0;
  let correct = 0;
  for (let b = 0; b < count; b++) {
    const base = b * n;
    const y = labels[b];
    let best = 0;
    for (let j = 1; j < n; j++) if (a[base + j] > a[base + best]) best = j;
    if (best === y) correct++;
    if (loss === "ce") {
      const mx = a[base + best];
      let z = 0;
      for (let j = 0; j < n; j++) z += Math.exp(a[base + j] - mx);
      for (let j = 0; j < n; j++) {
        const pj = Math.exp(a[base + j] - mx) / z;
        gA[base + j] = (pj - (j === y ? 1 : 0)) / count;
      }
      total += Math.log(z) - (a[base + y] - mx);
    } else {
      for (let j = 0; j < n; j++) {
        const t = j === y ? 1 : -1;
        const m = Math.max(0, 1 - t * a[base + j]);
        total += m * m;
        gA[base + j] = (-2 * t * m) / count;
      }
    }
  }
  return { loss: total, correct };
}
