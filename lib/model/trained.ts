/**
 * The trained float network as training hands it to folding (fold.ts): each layer's binarized
 * weights, its BatchNorm parameters and the inference statistics calibrated on training data.
 * Defined here, below both, so that model/ needs nothing of train/: train/ fills these in
 * (network.ts's and conv-network.ts's snapshots), fold.ts reads them.
 */
import type { ConvShape } from "./format.ts";

/** A layer's BatchNorm per output: gamma, beta and the inference mean and variance (float64). */
export interface TrainedBatchNorm {
  gamma: Float64Array;
  beta: Float64Array;
  mean: Float64Array;
  variance: Float64Array;
}

/** A trained dense layer: binarized weights and BatchNorm. */
export interface TrainedLayer extends TrainedBatchNorm {
  nIn: number;
  nOut: number;
  /** sign(W): ±1, [i * nOut + j]. */
  weights: Int8Array;
}

/** A trained convolution layer: binarized weights and BatchNorm, with its place in the network. */
export interface TrainedConvLayer extends ConvShape, TrainedBatchNorm {
  /** sign(W): ±1, [t * outputs + co], t = (dy * kernel + dx) * channels + ci. */
  weights: Int8Array;
}
