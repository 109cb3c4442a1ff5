/**
 * The training loop: mini-batch Adam on the latent weights, clipping to [-1, 1] after each step,
 * exponential learning-rate decay from `lr` to `lrEnd` over the epochs, BatchNorm statistics
 * recalibrated on training data after every epoch, model selection on a validation split carved
 * out of the 60,000 training images (the test set is never looked at here). The samples come
 * from sample-mix.ts, the network from mlp.ts or trainable.ts (a CNN).
 */
import { yieldToEventLoop, yielder } from "../event-loop.ts";
import type { MnistSet } from "../mnist.ts";
import type { TrainedConvLayer, TrainedLayer } from "../model/trained.ts";
import { SeededRng } from "../rng.ts";
import { Mlp } from "./mlp.ts";
import type { SparseBatch } from "./network.ts";
import { checkRecipe, denseSizes, type TrainOptions } from "./recipe.ts";
import { fillBatch, trainingData, type SampleSources, type ValidationSets } from "./sample-mix.ts";
import { convTrainable, type Trainable, type TrainedNetwork } from "./trainable.ts";

export interface EpochRecord {
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  validationAccuracy: number;
  /** With strokes: the validation images' accuracy drawn as strokes (un-reshaped). */
  validationStrokeAccuracy?: number;
  /** With fonts: the accuracy on the validation families' digits, reshaped. */
  validationFontAccuracy?: number;
  /** With pen digits: the accuracy on the held-out writers' digits, as written. */
  validationPenAccuracy?: number;
  seconds: number;
  samplesPerSecond: number;
}

export interface Progress {
  epoch: number;
  epochs: number;
  done: number; // samples done in this epoch
  total: number; // samples per epoch
  loss: number;
  accuracy: number;
  samplesPerSecond: number;
  etaSeconds: number;
}

export interface TrainResult {
  /** The convolution layers (none for an MLP), then the dense layers. */
  conv: TrainedConvLayer[];
  layers: TrainedLayer[];
  history: EpochRecord[];
  bestEpoch: number;
  trainSamples: number;
  validationSamples: number;
  /** With pen digits: the writers whose digits trained the model and those held out for validation. */
  penWriters?: { train: string[]; validation: string[] };
}

/** Splits the training set into (train, validation) index lists, seeded. */
export function splitTraining(count: number, validation: number, seed: number): { train: Int32Array; validation: Int32Array } {
  const order = new SeededRng(seed ^ 0x5eed5eed).shuffle(Int32Array.from({ length: count }, (_, i) => i));
  return { validation: order.slice(0, validation).sort(), train: order.slice(validation).sort() };
}

export async function train(data: MnistSet, o: TrainOptions, onProgress?: (p: Progress) => void, onEpoch?: (r: EpochRecord) => void): Promise<TrainResult> {
  const convolutional = checkRecipe(o);
  const rng = new SeededRng(o.seed);
  const split = splitTraining(data.count, o.validation, o.seed);
  let trainIdx = split.train;
  if (o.limit > 0 && o.limit < trainIdx.length) trainIdx = trainIdx.slice(0, o.limit);
  const net = convolutional ? convTrainable(o, rng) : await Mlp.create(denseSizes(o), o.batch, rng);
  // the event loop runs between the steps below and every 50 ms of training (progress, Ctrl-C, a
  // test runner's messages); nothing random happens at a yield, so runs stay reproducible
  const breathe = yielder();
  const { sources, calibration, validation } = await trainingData(data, o, trainIdx, split.validation);
  const stochastic = o.stochastic ? new SeededRng(o.seed ^ 0x57c4a57c) : undefined;

  const n = trainIdx.length;
  const run: EpochRun = {
    net,
    sources,
    o,
    rng,
    stochastic,
    order: Int32Array.from({ length: n }, (_, i) => i),
    labels: new Uint8Array(o.batch),
    step: 0,
    started: performance.now(),
    breathe,
    onProgress,
  };
  const history: EpochRecord[] = [];
  let best: { acc: number; epoch: number; layers: TrainedNetwork } | undefined;
  const decay = o.epochs > 1 ? (o.lrEnd / o.lr) ** (1 / (o.epochs - 1)) : 1;

  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const lr = o.lr * decay ** (epoch - 1);
    const t = await trainEpoch(run, epoch, lr);
    await yieldToEventLoop();
    net.calibrate(calibration);
    await yieldToEventLoop();
    const v = await validate(net, validation);
    const record: EpochRecord = {
      epoch,
      lr,
      trainLoss: t.lossSum / t.seen,
      trainAccuracy: t.correct / t.seen,
      validationAccuracy: v.images,
      ...(v.strokes === undefined ? {} : { validationStrokeAccuracy: v.strokes }),
      ...(v.fonts === undefined ? {} : { validationFontAccuracy: v.fonts }),
      ...(v.pen === undefined ? {} : { validationPenAccuracy: v.pen }),
      seconds: t.seconds,
      samplesPerSecond: t.seen / t.seconds,
    };
    history.push(record);
    onEpoch?.(record);
    // model selection: the mean of the validation accuracies the recipe has
    const parts = [v.images, v.strokes, v.fonts, v.pen].filter((a): a is number => a !== undefined);
    const selection = parts.reduce((a, b) => a + b, 0) / parts.length;
    if (!best || selection > best.acc) best = { acc: selection, epoch, layers: net.snapshot() };
  }
  if (!best) throw new Error("no epoch was trained");
  const { penWriters } = sources;
  return {
    conv: best.layers.conv,
    layers: best.layers.layers,
    history,
    bestEpoch: best.epoch,
    trainSamples: n,
    validationSamples: split.validation.length,
    ...(penWriters ? { penWriters } : {}),
  };
}

/** What one epoch of training works with and carries over to the next (the Adam step count). */
interface EpochRun {
  net: Trainable;
  sources: SampleSources;
  o: TrainOptions;
  /** Shuffles the order and draws the samples. */
  rng: SeededRng;
  /** Stochastic binarization's stream (eqs. 1.4-1.5), when the recipe asks for it. */
  stochastic: SeededRng | undefined;
  /** Positions in the training images, shuffled each epoch. */
  order: Int32Array;
  labels: Uint8Array;
  step: number;
  /** When training started (performance.now()), for the time left. */
  started: number;
  breathe: () => Promise<void> | undefined;
  onProgress?: (p: Progress) => void;
}

/** One pass over the shuffled training samples, a batch an Adam step; progress every 200 ms. */
async function trainEpoch(run: EpochRun, epoch: number, lr: number): Promise<{ lossSum: number; correct: number; seen: number; seconds: number }> {
  const { net, o, order, labels, onProgress } = run;
  const n = order.length;
  const batchInput = net.input;
  run.rng.shuffle(order);
  const t0 = performance.now();
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  let lastReport = 0;
  for (let from = 0; from < n; from += o.batch) {
    const count = Math.min(o.batch, n - from);
    if (count < 2) break; // BatchNorm needs at least two samples.
    fillBatch(run.sources, order, from, count, batchInput, labels, run.rng);
    await run.breathe();
    const r = net.trainStep(batchInput, labels, o.loss, run.stochastic);
    run.step++;
    net.adamStep(lr, run.step);
    lossSum += r.loss;
    correct += r.correct;
    seen += count;
    const now = performance.now();
    if (onProgress && (now - lastReport > 200 || seen === n)) {
      lastReport = now;
      const elapsed = (now - run.started) / 1000;
      const rate = seen / ((now - t0) / 1000);
      const remaining = (o.epochs - epoch) * n + (n - seen);
      onProgress({
        epoch,
        epochs: o.epochs,
        done: seen,
        total: n,
        loss: lossSum / seen,
        accuracy: correct / seen,
        samplesPerSecond: rate,
        etaSeconds: elapsed > 0 ? remaining / rate : 0,
      });
    }
  }
  return { lossSum, correct, seen, seconds: (performance.now() - t0) / 1000 };
}

/** The fraction of `inputs` the network (inference statistics) labels as `labels` do. */
function accuracy(net: Trainable, inputs: SparseBatch, labels: Uint8Array): number {
  const preds = net.predict(inputs);
  let ok = 0;
  for (let i = 0; i < preds.length; i++) if (preds[i] === labels[i]) ok++;
  return ok / Math.max(1, preds.length);
}

/** The accuracy on each validation set the recipe has. */
async function validate(net: Trainable, v: ValidationSets): Promise<{ images: number; strokes?: number; fonts?: number; pen?: number }> {
  const images = accuracy(net, v.images.inputs, v.images.labels);
  await yieldToEventLoop();
  const strokes = v.strokes ? accuracy(net, v.strokes, v.images.labels) : undefined;
  await yieldToEventLoop();
  const fonts = v.fonts ? accuracy(net, v.fonts.inputs, v.fonts.labels) : undefined;
  await yieldToEventLoop();
  const pen = v.pen ? accuracy(net, v.pen.inputs, v.pen.labels) : undefined;
  await yieldToEventLoop();
  return { images, strokes, fonts, pen };
}
