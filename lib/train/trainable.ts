/**
 * What the training loop (trainer.ts) needs of a network, dense (mlp.ts) or convolutional
 * (conv-network.ts), and the CNN of a recipe behind that interface.
 */
import type { TrainedConvLayer, TrainedLayer } from "../model/trained.ts";
import type { SeededRng } from "../rng.ts";
import { ConvNetwork } from "./conv-network.ts";
import type { Loss, SparseBatch } from "./network.ts";
import { convSpecs, type TrainOptions } from "./recipe.ts";

/** A snapshot of a network: the convolution layers (none for an MLP), then the dense layers. */
export interface TrainedNetwork {
  conv: TrainedConvLayer[];
  layers: TrainedLayer[];
}

/** What the training loop needs of a network, dense or convolutional. */
export interface Trainable {
  readonly input: SparseBatch;
  trainStep(input: SparseBatch, labels: ArrayLike<number>, loss: Loss, stochastic: SeededRng | undefined): { loss: number; correct: number };
  adamStep(lr: number, step: number): void;
  calibrate(inputs: SparseBatch): void;
  predict(inputs: SparseBatch): Uint8Array;
  snapshot(): TrainedNetwork;
}

/** The CNN of a recipe: its conv layers, then the dense ones as convolutions over their whole input. */
class ConvTrainable implements Trainable {
  constructor(
    private readonly net: ConvNetwork,
    private readonly convCount: number,
  ) {}
  get input(): SparseBatch {
    return this.net.input;
  }
  trainStep(input: SparseBatch, labels: ArrayLike<number>, loss: Loss): { loss: number; correct: number } {
    return this.net.trainStep(input, labels, loss);
  }
  adamStep(lr: number, step: number): void {
    this.net.adamStep(lr, step);
  }
  calibrate(inputs: SparseBatch): void {
    this.net.calibrate(inputs);
  }
  predict(inputs: SparseBatch): Uint8Array {
    return this.net.predict(inputs);
  }
  snapshot(): TrainedNetwork {
    const all = this.net.snapshot();
    const dense = all.slice(this.convCount).map((l) => ({
      nIn: l.kernel * l.kernel * l.channels,
      nOut: l.outputs,
      weights: l.weights,
      gamma: l.gamma,
      beta: l.beta,
      mean: l.mean,
      variance: l.variance,
    }));
    return { conv: all.slice(0, this.convCount), layers: dense };
  }
}

/** The CNN of a recipe, ready to train. */
export function convTrainable(o: TrainOptions, rng: SeededRng): Trainable {
  const specs = convSpecs(o);
  return new ConvTrainable(ConvNetwork.create(28, specs, o.batch, rng), o.conv?.length ?? 0);
}
