/**
 * The float training-time binary convolutional network: "valid" K x K convolutions with latent
 * weights in [-1, 1] binarized by sign() in the forward pass, P x P max pooling of the sums,
 * BatchNorm per channel, sign() as the next layer's ±1 input, and the straight-through
 * estimator on the way back, as the dense network (network.ts) does per neuron. A fully
 * connected layer is the convolution whose kernel covers its whole input, so the flatten and
 * the dense layers after it run through the same loops (conv-kernels.c, WebAssembly SIMD).
 *
 * Order inside a layer: convolution -> max pool -> BatchNorm -> sign. Pooling the integer sums
 * before BatchNorm is what the model file's OR/AND pooling folds (docs/model-format.md §2.3).
 */
import { readFileSync } from "node:fs";
import { argmax } from "../binary.ts";
import { ExitCode, UserError } from "../errors.ts";
import type { TrainedConvLayer } from "../model/trained.ts";
import type { SeededRng } from "../rng.ts";
import { ConvLayer, type ConvKernels } from "./conv-layer.ts";
import { Arena } from "./kernels.ts";
import { lossAndGradient, type Loss, type SparseBatch } from "./network.ts";

/** One layer of the recipe: kernel size ("full": a dense layer), output channels, pooling. */
export interface ConvSpec {
  kernel: number | "full";
  outputs: number;
  pool: number;
}

export const CONV_KERNELS_WASM = new URL("./conv-kernels.wasm", import.meta.url);

let compiled: WebAssembly.Module | undefined;
function convModule(): WebAssembly.Module {
  if (compiled) return compiled;
  let bytes: Buffer;
  try {
    bytes = readFileSync(CONV_KERNELS_WASM);
  } catch {
    throw new UserError("lib/train/conv-kernels.wasm is missing: run `npm run bnn -- regen` (needs clang and lld)");
  }
  compiled = new WebAssembly.Module(bytes);
  return compiled;
}

/** Samples per chunk outside training (calibration, prediction). */
const CHUNK = 250;

/** The shapes a recipe gives on a side x side single-channel input; throws a usage error when they do not fit. */
export function convShapes(side: number, specs: ConvSpec[]): { H: number; W: number; Cin: number; K: number; Cout: number; P: number }[] {
  let H = side;
  let W = side;
  let C = 1;
  return specs.map((sp, i) => {
    const K = sp.kernel === "full" ? H : sp.kernel;
    if (sp.kernel === "full" && H !== W) throw new UserError(`layer ${i + 1}: a dense layer needs a square input`, ExitCode.Usage);
    if (K < 1 || K > H || K > W) throw new UserError(`layer ${i + 1}: kernel ${K} does not fit a ${H}x${W} input`, ExitCode.Usage);
    const Ho = H - K + 1;
    const Wo = W - K + 1;
    if (sp.pool < 1 || Ho % sp.pool !== 0 || Wo % sp.pool !== 0)
      throw new UserError(`layer ${i + 1}: pooling ${sp.pool} does not divide its ${Ho}x${Wo} output`, ExitCode.Usage);
    const shape = { H, W, Cin: C, K, Cout: sp.outputs, P: sp.pool };
    H = Ho / sp.pool;
    W = Wo / sp.pool;
    C = sp.outputs;
    return shape;
  });
}

export class ConvNetwork {
  /** The ±1 input images of the current batch or chunk, [b][side][side][1]. */
  private readonly x0: Float32Array;
  readonly input: SparseBatch;

  private constructor(
    readonly layers: ConvLayer[],
    readonly side: number,
    x0: Float32Array,
    input: SparseBatch,
  ) {
    this.x0 = x0;
    this.input = input;
  }

  static create(side: number, specs: ConvSpec[], batch: number, rng: SeededRng): ConvNetwork {
    const capacity = Math.max(batch, CHUNK);
    const shapes = convShapes(side, specs);
    let bytes = 4 * capacity * side * side * 3 + 4 * (capacity + 1);
    for (const s of shapes) bytes += ConvLayer.arenaBytes(s.H, s.W, s.Cin, s.K, s.Cout, s.P, capacity);
    const arena = Arena.forModule<ConvKernels>(convModule(), bytes);
    const x0 = arena.f32(capacity * side * side);
    const input: SparseBatch = { on: new Int32Array(capacity * side * side), start: new Int32Array(capacity + 1), count: 0 };
    const layers = shapes.map((s, i) => {
      const l = new ConvLayer(s.H, s.W, s.Cin, s.K, s.Cout, s.P, i < shapes.length - 1, i === 0, capacity, arena);
      l.init(rng);
      return l;
    });
    return new ConvNetwork(layers, side, x0, input);
  }

  /** x0 = the ±1 images of samples [from, to) of `src`. */
  private load(src: SparseBatch, from: number, to: number): number {
    const px = this.side * this.side;
    const count = to - from;
    this.x0.fill(-1, 0, count * px);
    for (let b = 0; b < count; b++) {
      const base = b * px;
      for (let p = src.start[from + b]; p < src.start[from + b + 1]; p++) this.x0[base + src.on[p]] = 1;
    }
    return count;
  }

  private inputOf(k: number): Float32Array {
    return k === 0 ? this.x0 : this.layers[k - 1].out;
  }

  trainStep(input: SparseBatch, labels: ArrayLike<number>, loss: Loss): { loss: number; correct: number } {
    const count = this.load(input, 0, input.count);
    const { layers } = this;
    layers.forEach((l, k) => l.forwardTrain(this.inputOf(k), count));
    const out = layers[layers.length - 1];
    const result = lossAndGradient({ nOut: out.Cout, a: out.a, gA: out.gA }, labels, count, loss);
    for (let k = layers.length - 1; k >= 0; k--) layers[k].backward(this.inputOf(k), count, k > 0 ? layers[k - 1] : undefined);
    return result;
  }

  adamStep(lr: number, step: number): void {
    for (const l of this.layers) l.adamStep(lr, step);
  }

  /**
   * Sets each layer's inference statistics to the exact mean and variance of its pooled sums
   * over `inputs`, layer by layer (layers before k already calibrated).
   */
  calibrate(inputs: SparseBatch): void {
    const n = inputs.count;
    this.layers.forEach((layer, k) => {
      const sum = new Float64Array(layer.Cout);
      const sq = new Float64Array(layer.Cout);
      for (let from = 0; from < n; from += CHUNK) {
        const to = Math.min(n, from + CHUNK);
        const count = this.load(inputs, from, to);
        for (let j = 0; j < k; j++) this.layers[j].forwardInference(this.inputOf(j), count);
        layer.sums(this.inputOf(k), count);
        const total = count * layer.outSize;
        for (let i = 0, c = 0; i < total; i++) {
          const v = layer.ps[i];
          sum[c] += v;
          sq[c] += v * v;
          if (++c === layer.Cout) c = 0;
        }
      }
      const rows = n * layer.Hp * layer.Wp;
      for (let c = 0; c < layer.Cout; c++) {
        layer.mean[c] = sum[c] / rows;
        // sums of integers: exact in float64
        layer.variance[c] = Math.max(0, sq[c] / rows - layer.mean[c] * layer.mean[c]);
      }
    });
  }

  /** Predictions with inference statistics (float64 BatchNorm): the float reference. */
  predict(inputs: SparseBatch, onScores?: (b: number, scores: Float32Array) => void): Uint8Array {
    const preds = new Uint8Array(inputs.count);
    const out = this.layers[this.layers.length - 1];
    for (let from = 0; from < inputs.count; from += CHUNK) {
      const to = Math.min(inputs.count, from + CHUNK);
      const count = this.load(inputs, from, to);
      this.layers.forEach((l, k) => l.forwardInference(this.inputOf(k), count));
      for (let b = 0; b < count; b++) {
        const scores = out.a.subarray(b * out.Cout, (b + 1) * out.Cout);
        preds[from + b] = argmax(scores);
        onScores?.(from + b, scores);
      }
    }
    return preds;
  }

  snapshot(): TrainedConvLayer[] {
    return this.layers.map((l) => l.snapshot());
  }
}
