/**
 * What a training run's samples are made of (TrainOptions: the share of each): MNIST training
 * images, as they are or augmented, or drawn as pen strokes; procedural digits; font digits; real
 * pen digits of the training writers. Every drawn sample is reshaped and rasterized as the board
 * does. Built once per run: these sources, the BatchNorm calibration set and the validation sets
 * model selection measures; then each batch is drawn from the sources (fillBatch).
 */
import { pixelIsOn } from "../binary.ts";
import { ExitCode, UserError } from "../errors.ts";
import { yieldToEventLoop } from "../event-loop.ts";
import { IMAGE_PIXELS, type MnistSet } from "../mnist.ts";
import { SeededRng } from "../rng.ts";
import type { StrokeSample } from "../strokes/format.ts";
import { augmentImage, isIdentity } from "./augment.ts";
import { fontDigits, fontDigitsByLabel } from "./font-digits.ts";
import type { SparseBatch } from "./network.ts";
import { NO_PEN_AUGMENT, penDigits, reshapePen, writerSplit, writersOf, type PenAugment } from "./pen-digits.ts";
import { HAND_STROKES } from "./presets.ts";
import { proceduralDigit } from "./procedural-digits.ts";
import type { TrainOptions } from "./recipe.ts";
import { rasterOnList, reshapeStrokes, strokesByLabel, strokesOf } from "./stroke-render.ts";

/** Reshapes of each held-out font glyph in the font validation set. */
export const FONT_VALIDATION_POSES = 10;

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

/** Digits given as strokes, each rasterized as the board does: one batch of on-lists. */
function rasterBatch(strokes: number[][][], bits: Uint8Array): SparseBatch {
  const on = new Int32Array(strokes.length * IMAGE_PIXELS);
  const start = new Int32Array(strokes.length + 1);
  let p = 0;
  strokes.forEach((s, k) => {
    start[k] = p;
    p = rasterOnList(s, bits, on, p);
  });
  start[strokes.length] = p;
  return { on: on.slice(0, p), start, count: strokes.length };
}

/** Where a run's training samples come from. */
export interface SampleSources {
  data: MnistSet;
  o: TrainOptions;
  /** The training images: their indices in `data`, their on-lists as they are. */
  trainIdx: Int32Array;
  plain: SparseBatch;
  /** With strokes: each training image drawn as pen strokes, by position in trainIdx. */
  trainStrokes: number[][][];
  /** With fonts: the training families' glyphs, by label. */
  fontBank?: number[][][][];
  /** With pen digits: the training writers' digits by label, and the writers on each side. */
  penBank?: number[][][][];
  penWriters?: { train: string[]; validation: string[] };
  augmenting: boolean;
  /**
   * Whether each sample draws what it becomes (the recipe mixes anything in), and where that
   * draw falls: below `procedural` a procedural digit, then below `fonts` a font's glyph, below
   * `strokes` the image as strokes, below `pen` a pen digit (the recipe's shares, summed once a run).
   */
  mixing: boolean;
  upTo: { procedural: number; fonts: number; strokes: number; pen: number };
  penAugment: PenAugment;
  /** Scratch: a raster's bits, an augmented image and its intermediate. */
  bits: Uint8Array;
  warped: Uint8Array;
  tmp: Uint8Array;
}

/** A set model selection measures after each epoch: its inputs and their labels. */
export interface LabeledSet {
  inputs: SparseBatch;
  labels: Uint8Array;
}

/**
 * The validation sets, all from the training set: the validation images; with strokes, the
 * same images drawn as strokes (un-reshaped, their labels); with fonts, the validation families'
 * digits, reshaped; with pen digits, the held-out writers' digits as written.
 */
export interface ValidationSets {
  images: LabeledSet;
  strokes?: SparseBatch;
  fonts?: LabeledSet;
  pen?: LabeledSet;
}

export interface TrainingData {
  sources: SampleSources;
  /** What BatchNorm is recalibrated on after each epoch. */
  calibration: SparseBatch;
  validation: ValidationSets;
}

/** Real pen digits (with `pen`): whole writers held out for validation, the rest's digits by label. */
function penSources(o: TrainOptions): Pick<SampleSources, "penBank" | "penWriters"> & { penValidation: StrokeSample[] } {
  const pen = o.pen ?? 0;
  const excluded = new Set(o.penExcludeWriters ?? []);
  const penSamples = pen > 0 ? penDigits().filter((s) => s.writer !== undefined && !excluded.has(s.writer)) : [];
  const penWriters = pen > 0 ? writerSplit(writersOf(penSamples), o.penValidationWriters ?? 0, o.seed) : undefined;
  const training = new Set(penWriters?.train);
  const penBank = penWriters ? strokesByLabel(penSamples.filter((s) => training.has(s.writer!)).map((s) => [s.label!, s.strokes] as const)) : undefined;
  if (penBank?.some((b) => b.length === 0)) throw new UserError("--pen: the pen digits' training writers lack a digit", ExitCode.Usage);
  const validating = new Set(penWriters?.validation);
  return { penWriters, penBank, penValidation: penSamples.filter((s) => validating.has(s.writer!)) };
}

/**
 * The sources, calibration and validation sets of a run on training images `trainIdx` and
 * validation images `validationIdx` of `data`. Every random choice here has its own stream
 * seeded from the recipe's seed; the event loop runs between the slow steps.
 */
export async function trainingData(data: MnistSet, o: TrainOptions, trainIdx: Int32Array, validationIdx: Int32Array): Promise<TrainingData> {
  const plain = sparseInputs(data.images, trainIdx, o.threshold);
  const images = { inputs: sparseInputs(data.images, validationIdx, o.threshold), labels: Uint8Array.from(validationIdx, (i) => data.labels[i]) };
  const calibIdx = trainIdx.slice(0, Math.min(o.calibration, trainIdx.length));
  const drawing = o.strokes > 0;
  const fontBank = o.fonts > 0 ? fontDigitsByLabel("train") : undefined;
  await yieldToEventLoop();
  const trainStrokes = drawing ? strokesOf(data.images, trainIdx) : [];
  await yieldToEventLoop();
  const bits = new Uint8Array(100);
  const { penWriters, penBank, penValidation } = penSources(o);
  const pen = penValidation.length
    ? {
        inputs: rasterBatch(
          penValidation.map((s) => s.strokes),
          bits,
        ),
        labels: Uint8Array.from(penValidation, (s) => s.label!),
      }
    : undefined;
  await yieldToEventLoop();
  // calibration: images, or with strokes half images, half strokes
  let calibration = drawing
    ? concatBatches(
        sparseInputs(data.images, calibIdx.slice(0, calibIdx.length >> 1), o.threshold),
        rasterBatch(trainStrokes.slice(calibIdx.length >> 1, calibIdx.length), bits),
      )
    : sparseInputs(data.images, calibIdx, o.threshold);
  await yieldToEventLoop();
  if (penBank) {
    // BatchNorm sees pen digits too, in the share training does
    const calibRng = new SeededRng(o.seed ^ 0xca11b);
    const extra = Array.from({ length: Math.round(calibIdx.length * (o.pen ?? 0)) }, (_, k) => {
      const b = penBank[data.labels[calibIdx[k % calibIdx.length]]];
      return reshapePen(b[calibRng.int(b.length)], o.penAugment ?? NO_PEN_AUGMENT, calibRng);
    });
    calibration = concatBatches(calibration, rasterBatch(extra, bits));
  }
  const strokes = drawing ? rasterBatch(strokesOf(data.images, validationIdx), bits) : undefined;
  await yieldToEventLoop();
  // font validation: each held-out glyph in a few reshapes (HAND_STROKES, whatever the recipe's
  // augmentation, so recipes compare on the same set) of its own seeded stream
  const valFonts = fontBank ? fontDigits("validation") : [];
  await yieldToEventLoop();
  const poseRng = new SeededRng(o.seed ^ 0x0f0e7);
  const valFontPoses = valFonts.flatMap((g) =>
    Array.from({ length: FONT_VALIDATION_POSES }, () => ({ digit: g.digit, strokes: reshapeStrokes(g.strokes, HAND_STROKES, poseRng) })),
  );
  const fonts = fontBank
    ? {
        inputs: rasterBatch(
          valFontPoses.map((g) => g.strokes),
          bits,
        ),
        labels: Uint8Array.from(valFontPoses, (g) => g.digit),
      }
    : undefined;
  const sources: SampleSources = {
    data,
    o,
    trainIdx,
    plain,
    trainStrokes,
    fontBank,
    penBank,
    penWriters,
    augmenting: !isIdentity(o.augment),
    mixing: drawing || o.procedural > 0 || fontBank !== undefined || penBank !== undefined,
    upTo: mixBounds(o),
    penAugment: o.penAugment ?? NO_PEN_AUGMENT,
    bits,
    warped: new Uint8Array(IMAGE_PIXELS),
    tmp: new Uint8Array(IMAGE_PIXELS),
  };
  return { sources, calibration, validation: { images, strokes, fonts, pen } };
}

/** The recipe's shares summed in the order fillBatch tries them (the same sums it made a sample). */
function mixBounds(o: TrainOptions): SampleSources["upTo"] {
  const fonts = o.procedural + o.fonts;
  const strokes = fonts + o.strokes;
  return { procedural: o.procedural, fonts, strokes, pen: strokes + (o.pen ?? 0) };
}

/**
 * Fills `batch` and `labels` with training images order[from .. from + count) (positions in
 * trainIdx). One draw of `rng` per sample, when the recipe mixes anything in, picks what it
 * becomes: a procedural digit, a font's glyph or a pen digit of its label, or the image drawn as
 * strokes, each reshaped and rasterized; else the image, augmented when the recipe says so.
 */
export function fillBatch(s: SampleSources, order: Int32Array, from: number, count: number, batch: SparseBatch, labels: Uint8Array, rng: SeededRng): void {
  const { data, o, trainIdx, plain, trainStrokes, fontBank, penBank, upTo, bits } = s;
  let p = 0;
  for (let b = 0; b < count; b++) {
    const k = order[from + b];
    labels[b] = data.labels[trainIdx[k]];
    batch.start[b] = p;
    const u = s.mixing ? rng.next() : 1;
    if (u < upTo.procedural) {
      p = rasterOnList(reshapeStrokes(proceduralDigit(labels[b], rng), o.strokeAugment, rng), bits, batch.on, p);
    } else if (fontBank && u < upTo.fonts) {
      const glyphs = fontBank[labels[b]];
      p = rasterOnList(reshapeStrokes(glyphs[rng.int(glyphs.length)], o.strokeAugment, rng), bits, batch.on, p);
    } else if (o.strokes > 0 && u < upTo.strokes) {
      p = rasterOnList(reshapeStrokes(trainStrokes[k], o.strokeAugment, rng), bits, batch.on, p);
    } else if (penBank && u < upTo.pen) {
      const bank = penBank[labels[b]];
      p = rasterOnList(reshapePen(bank[rng.int(bank.length)], s.penAugment, rng), bits, batch.on, p);
    } else if (s.augmenting) {
      const src = data.images.subarray(trainIdx[k] * IMAGE_PIXELS, (trainIdx[k] + 1) * IMAGE_PIXELS);
      augmentImage(src, s.warped, o.augment, rng, s.tmp);
      for (let i = 0; i < IMAGE_PIXELS; i++) if (pixelIsOn(s.warped[i], o.threshold)) batch.on[p++] = i;
    } else {
      for (let q = plain.start[k]; q < plain.start[k + 1]; q++) batch.on[p++] = plain.on[q];
    }
  }
  batch.start[count] = p;
  batch.count = count;
}
