/**
 * The training loop: mini-batch Adam on the latent weights, clipping to [-1, 1] after each step,
 * exponential learning-rate decay from `lr` to `lrEnd` over the epochs, BatchNorm statistics
 * recalibrated on training data after every epoch, model selection on a validation split carved
 * out of the 60,000 training images (the test set is never looked at here).
 */
import { IMAGE_PIXELS, type MnistSet } from "../mnist.ts";
import { pixelIsOn } from "../binary.ts";
import { ExitCode, UserError } from "../errors.ts";
import { SeededRng } from "../rng.ts";
import { augmentImage, isIdentity } from "./augment.ts";
import { fontDigits, fontDigitsByLabel } from "./font-digits.ts";
import { HAND_STROKES } from "./presets.ts";
import { proceduralDigit } from "./procedural-digits.ts";
import { rasterOnList, reshapeStrokes, strokesByLabel, strokesOf } from "./stroke-render.ts";
import { Arena } from "./kernels.ts";
import { DenseLayer, lossAndGradient, type Loss, type SparseBatch } from "./network.ts";
import { ConvNetwork } from "./conv-network.ts";
import type { TrainedConvLayer, TrainedLayer } from "../model/trained.ts";
import { yieldToEventLoop, yielder } from "../event-loop.ts";
import { NO_PEN_AUGMENT, penDigits, reshapePen, writerSplit, writersOf } from "./pen-digits.ts";
import { checkRecipe, convSpecs, denseSizes, type TrainOptions } from "./recipe.ts";

/** Reshapes of each held-out font glyph in the font validation set. */
export const FONT_VALIDATION_POSES = 10;

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

/** Input on-lists for a set of images. */
export function sparseInputs(images: Uint8Array, indices: ArrayLike<number>, threshold: number): SparseBatch {
  const start = new Int32Array(indices.length + 1);
  let total = 0;
  for (let k = 0; k < indices.length; k++) {
    const base = indices[k] * IMAGE_PIXELS;
    for (let i = 0; i < IMAGE_PIXELS; i++) if (pixelIsOn(images[base + i], threshold)) total++;
  }
  const on = new Int32Array(total);
  let p = 0;
  for (let k = 0; k < indices.length; k++) {
    start[k] = p;
    const base = indices[k] * IMAGE_PIXELS;
    for (let i = 0; i < IMAGE_PIXELS; i++) if (pixelIsOn(images[base + i], threshold)) on[p++] = i;
  }
  start[indices.length] = p;
  return { on, start, count: indices.length };
}

/** One batch of the samples of `a`, then those of `b`. */
export function concatBatches(a: SparseBatch, b: SparseBatch): SparseBatch {
  const on = new Int32Array(a.on.length + b.on.length);
  on.set(a.on.subarray(0, a.start[a.count]));
  on.set(b.on.subarray(0, b.start[b.count]), a.start[a.count]);
  const start = new Int32Array(a.count + b.count + 1);
  start.set(a.start.subarray(0, a.count));
  for (let k = 0; k <= b.count; k++) start[a.count + k] = a.start[a.count] + b.start[k];
  return { on, start, count: a.count + b.count };
}

/** Samples per forward/backward chunk outside training (calibration, prediction). */
const CHUNK = 1000;

/** What the training loop needs of a network, dense or convolutional. */
interface Trainable {
  readonly input: SparseBatch;
  trainStep(input: SparseBatch, labels: ArrayLike<number>, loss: Loss, stochastic: SeededRng | undefined): { loss: number; correct: number };
  adamStep(lr: number, step: number): void;
  calibrate(inputs: SparseBatch): void;
  predict(inputs: SparseBatch): Uint8Array;
  snapshot(): { conv: TrainedConvLayer[]; layers: TrainedLayer[] };
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
  snapshot(): { conv: TrainedConvLayer[]; layers: TrainedLayer[] } {
    const all = this.net.snapshot();
    const dense = all.slice(this.convCount).map((l) => ({ nIn: l.kernel * l.kernel * l.channels, nOut: l.outputs, weights: l.weights, gamma: l.gamma, beta: l.beta, mean: l.mean, variance: l.variance }));
    return { conv: all.slice(0, this.convCount), layers: dense };
  }
}

export class Network implements Trainable {
  /** Input on-lists of the current batch or chunk, in the kernels' memory. */
  readonly input: SparseBatch;
  private constructor(
    readonly layers: DenseLayer[],
    input: SparseBatch,
  ) {
    this.input = input;
  }

  static async create(sizes: number[], batch: number, rng: SeededRng): Promise<Network> {
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
    return new Network(layers, input);
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

  snapshot(): { conv: TrainedConvLayer[]; layers: TrainedLayer[] } {
    return { conv: [], layers: this.denseSnapshot() };
  }

  private denseSnapshot(): TrainedLayer[] {
    return this.layers.map((l) => ({
      nIn: l.nIn,
      nOut: l.nOut,
      weights: Int8Array.from(l.Wb),
      gamma: Float64Array.from(l.gamma),
      beta: Float64Array.from(l.beta),
      mean: Float64Array.from(l.mean),
      variance: Float64Array.from(l.variance),
    }));
  }
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
  const net = convolutional ? convNetwork(o, rng) : await Network.create(denseSizes(o), o.batch, rng);
  // the event loop runs between the steps below and every 50 ms of training (progress, Ctrl-C, a
  // test runner's messages); nothing random happens at a yield, so runs stay reproducible
  const breathe = yielder();
  const plain = sparseInputs(data.images, trainIdx, o.threshold);
  const valInputs = sparseInputs(data.images, split.validation, o.threshold);
  const valLabels = Uint8Array.from(split.validation, (i) => data.labels[i]);
  const calibIdx = trainIdx.slice(0, Math.min(o.calibration, trainIdx.length));
  const drawing = o.strokes > 0;
  const fontBank = o.fonts > 0 ? fontDigitsByLabel("train") : undefined;
  await yieldToEventLoop();
  const trainStrokes = drawing ? strokesOf(data.images, trainIdx) : [];
  await yieldToEventLoop();
  const bits = new Uint8Array(100);
  const renderAll = (strokes: number[][][]): SparseBatch => {
    const on = new Int32Array(strokes.length * IMAGE_PIXELS);
    const start = new Int32Array(strokes.length + 1);
    let p = 0;
    strokes.forEach((s, k) => {
      start[k] = p;
      p = rasterOnList(s, bits, on, p);
    });
    start[strokes.length] = p;
    return { on: on.slice(0, p), start, count: strokes.length };
  };
  // real pen digits: whole writers held out for validation, the rest's digits by label
  const pen = o.pen ?? 0;
  const penAugment = o.penAugment ?? NO_PEN_AUGMENT;
  const excluded = new Set(o.penExcludeWriters ?? []);
  const penSamples = pen > 0 ? penDigits().filter((s) => s.writer !== undefined && !excluded.has(s.writer)) : [];
  const penWriters = pen > 0 ? writerSplit(writersOf(penSamples), o.penValidationWriters ?? 0, o.seed) : undefined;
  const training = new Set(penWriters?.train);
  const penBank = penWriters ? strokesByLabel(penSamples.filter((s) => training.has(s.writer!)).map((s) => [s.label!, s.strokes] as const)) : undefined;
  if (penBank?.some((b) => b.length === 0)) throw new UserError("--pen: the pen digits' training writers lack a digit", ExitCode.Usage);
  const validating = new Set(penWriters?.validation);
  const penValidation = penSamples.filter((s) => validating.has(s.writer!));
  const valPenInputs = penValidation.length ? renderAll(penValidation.map((s) => s.strokes)) : undefined;
  const valPenLabels = Uint8Array.from(penValidation, (s) => s.label!);
  await yieldToEventLoop();
  // calibration: images, or with strokes half images, half strokes
  let calibInputsWithPen: SparseBatch | undefined;
  const calibInputs = drawing
    ? concatBatches(sparseInputs(data.images, calibIdx.slice(0, calibIdx.length >> 1), o.threshold), renderAll(trainStrokes.slice(calibIdx.length >> 1, calibIdx.length)))
    : sparseInputs(data.images, calibIdx, o.threshold);
  await yieldToEventLoop();
  if (penBank) {
    // BatchNorm sees pen digits too, in the share training does
    const calibRng = new SeededRng(o.seed ^ 0xca11b);
    const extra = Array.from({ length: Math.round(calibIdx.length * pen) }, (_, k) => {
      const b = penBank[data.labels[calibIdx[k % calibIdx.length]]];
      return reshapePen(b[calibRng.int(b.length)], penAugment, calibRng);
    });
    calibInputsWithPen = concatBatches(calibInputs, renderAll(extra));
  }
  const valStrokeInputs = drawing ? renderAll(strokesOf(data.images, split.validation)) : undefined;
  await yieldToEventLoop();
  // font validation: each held-out glyph in a few reshapes (HAND_STROKES, whatever the recipe's
  // augmentation, so recipes compare on the same set) of its own seeded stream
  const valFonts = fontBank ? fontDigits("validation") : [];
  await yieldToEventLoop();
  const poseRng = new SeededRng(o.seed ^ 0x0f0e7);
  const valFontPoses = valFonts.flatMap((g) => Array.from({ length: FONT_VALIDATION_POSES }, () => ({ digit: g.digit, strokes: reshapeStrokes(g.strokes, HAND_STROKES, poseRng) })));
  const valFontInputs = fontBank ? renderAll(valFontPoses.map((g) => g.strokes)) : undefined;
  const valFontLabels = Uint8Array.from(valFontPoses, (g) => g.digit);
  const augmenting = !isIdentity(o.augment);
  const stochastic = o.stochastic ? new SeededRng(o.seed ^ 0x57c4a57c) : undefined;

  const n = trainIdx.length;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const batchInput = net.input;
  const labels = new Uint8Array(o.batch);
  const warped = new Uint8Array(IMAGE_PIXELS);
  const tmp = new Uint8Array(IMAGE_PIXELS);
  const history: EpochRecord[] = [];
  let best: { acc: number; epoch: number; layers: ReturnType<Trainable["snapshot"]> } | undefined;
  let step = 0;
  const decay = o.epochs > 1 ? Math.pow(o.lrEnd / o.lr, 1 / (o.epochs - 1)) : 1;
  const started = performance.now();

  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const lr = o.lr * Math.pow(decay, epoch - 1);
    rng.shuffle(order);
    const t0 = performance.now();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    let lastReport = 0;
    for (let from = 0; from < n; from += o.batch) {
      const count = Math.min(o.batch, n - from);
      if (count < 2) break; // BatchNorm needs at least two samples.
      let p = 0;
      for (let b = 0; b < count; b++) {
        const k = order[from + b];
        labels[b] = data.labels[trainIdx[k]];
        batchInput.start[b] = p;
        const u = drawing || o.procedural > 0 || fontBank || penBank ? rng.next() : 1;
        if (u < o.procedural) {
          p = rasterOnList(reshapeStrokes(proceduralDigit(labels[b], rng), o.strokeAugment, rng), bits, batchInput.on, p);
        } else if (fontBank && u < o.procedural + o.fonts) {
          const glyphs = fontBank[labels[b]];
          p = rasterOnList(reshapeStrokes(glyphs[rng.int(glyphs.length)], o.strokeAugment, rng), bits, batchInput.on, p);
        } else if (drawing && u < o.procedural + o.fonts + o.strokes) {
          p = rasterOnList(reshapeStrokes(trainStrokes[k], o.strokeAugment, rng), bits, batchInput.on, p);
        } else if (penBank && u < o.procedural + o.fonts + o.strokes + pen) {
          const bank = penBank[labels[b]];
          p = rasterOnList(reshapePen(bank[rng.int(bank.length)], penAugment, rng), bits, batchInput.on, p);
        } else if (augmenting) {
          const src = data.images.subarray(trainIdx[k] * IMAGE_PIXELS, (trainIdx[k] + 1) * IMAGE_PIXELS);
          augmentImage(src, warped, o.augment, rng, tmp);
          for (let i = 0; i < IMAGE_PIXELS; i++) if (pixelIsOn(warped[i], o.threshold)) batchInput.on[p++] = i;
        } else {
          for (let q = plain.start[k]; q < plain.start[k + 1]; q++) batchInput.on[p++] = plain.on[q];
        }
      }
      batchInput.start[count] = p;
      batchInput.count = count;
      await breathe();
      const r = net.trainStep(batchInput, labels, o.loss, stochastic);
      step++;
      net.adamStep(lr, step);
      lossSum += r.loss;
      correct += r.correct;
      seen += count;
      const now = performance.now();
      if (onProgress && (now - lastReport > 200 || seen === n)) {
        lastReport = now;
        const elapsed = (now - started) / 1000;
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
    const trainSeconds = (performance.now() - t0) / 1000;
    await yieldToEventLoop();
    net.calibrate(calibInputsWithPen ?? calibInputs);
    await yieldToEventLoop();
    const accuracy = (inputs: SparseBatch, want = valLabels) => {
      const preds = net.predict(inputs);
      let ok = 0;
      for (let i = 0; i < preds.length; i++) if (preds[i] === want[i]) ok++;
      return ok / Math.max(1, preds.length);
    };
    const validationAccuracy = accuracy(valInputs);
    await yieldToEventLoop();
    const validationStrokeAccuracy = valStrokeInputs ? accuracy(valStrokeInputs) : undefined;
    await yieldToEventLoop();
    const validationFontAccuracy = valFontInputs ? accuracy(valFontInputs, valFontLabels) : undefined;
    await yieldToEventLoop();
    const validationPenAccuracy = valPenInputs ? accuracy(valPenInputs, valPenLabels) : undefined;
    await yieldToEventLoop();
    const record: EpochRecord = {
      epoch,
      lr,
      trainLoss: lossSum / seen,
      trainAccuracy: correct / seen,
      validationAccuracy,
      ...(validationStrokeAccuracy === undefined ? {} : { validationStrokeAccuracy }),
      ...(validationFontAccuracy === undefined ? {} : { validationFontAccuracy }),
      ...(validationPenAccuracy === undefined ? {} : { validationPenAccuracy }),
      seconds: trainSeconds,
      samplesPerSecond: seen / trainSeconds,
    };
    history.push(record);
    onEpoch?.(record);
    // model selection: the mean of the validation accuracies the recipe has
    const parts = [validationAccuracy, validationStrokeAccuracy, validationFontAccuracy, validationPenAccuracy].filter((v): v is number => v !== undefined);
    const selection = parts.reduce((a, b) => a + b, 0) / parts.length;
    if (!best || selection > best.acc) best = { acc: selection, epoch, layers: net.snapshot() };
  }
  if (!best) throw new Error("no epoch was trained");
  return { conv: best.layers.conv, layers: best.layers.layers, history, bestEpoch: best.epoch, trainSamples: n, validationSamples: split.validation.length, ...(penWriters ? { penWriters } : {}) };
}

function convNetwork(o: TrainOptions, rng: SeededRng): ConvTrainable {
  const specs = convSpecs(o);
  return new ConvTrainable(ConvNetwork.create(28, specs, o.batch, rng), o.conv?.length ?? 0);
}
