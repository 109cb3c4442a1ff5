/** Named training recipes. `default` is the chapter's 784-128-64-10 network. */
import { DEFAULT_INPUT_THRESHOLD } from "../model/input.ts";
import { NO_AUGMENT } from "./augment.ts";
import { NO_STROKE_AUGMENT, type StrokeAugment } from "./stroke-render.ts";
import type { TrainOptions } from "./recipe.ts";
import { PEN_STROKES } from "./pen-digits.ts";

/** Augmentation that helps real hand-drawn input: small shifts, rotations, scaling, stroke width. */
export const LIGHT_AUGMENT = { shift: 1.5, rotate: 8, scale: 0.08, thickness: 0.1 };

/** How hands vary a digit's shape beyond MNIST's: slant, rotation, aspect, unsteady points. */
export const HAND_STROKES: StrokeAugment = { slant: 0.3, rotate: 10, aspect: 0.2, jitter: 2, elastic: 0 };
/** HAND_STROKES and elastic distortion of a tenth of the digit's size. */
export const ELASTIC_STROKES: StrokeAugment = { ...HAND_STROKES, elastic: 0.1 };

const base: TrainOptions = {
  hidden: [128, 64],
  epochs: 50,
  batch: 100,
  lr: 3e-3,
  lrEnd: 3e-5,
  loss: "ce",
  seed: 1,
  threshold: DEFAULT_INPUT_THRESHOLD,
  validation: 5000,
  limit: 0,
  calibration: 10000,
  augment: NO_AUGMENT,
  stochastic: false,
  strokes: 0,
  strokeAugment: NO_STROKE_AUGMENT,
  procedural: 0,
  fonts: 0,
  pen: 0,
  penAugment: PEN_STROKES,
  penValidationWriters: 6,
};

/**
 * What makes finger-drawn digits work (docs/strokes.md, "Training for strokes" and "Real pen
 * digits"): a fifth of the samples are MNIST training digits drawn as pen strokes, a tenth font
 * digits (font-digits.ts), both reshaped as hands vary, and three tenths real pen digits of 24 of
 * the 30 writers (pen-digits.ts, reshaped by PEN_STROKES), all rasterized as the board does; the
 * rest stay MNIST images. Chosen by writer cross-validation of `default` (bnn crossval: 97.1 % on
 * unseen writers, against 87.8 % without pen digits) with the MNIST validation accuracy kept.
 */
const TOUCH = { strokes: 0.2, fonts: 0.1, pen: 0.3, strokeAugment: HAND_STROKES };

export const PRESETS = {
  /** Seconds to train: for tests and smoke runs (images only). */
  tiny: { ...base, hidden: [64, 32], epochs: 3, limit: 6000, validation: 1000, calibration: 2000 },
  default: { ...base, ...TOUCH },
  /** Wider, still under 64 KB of packed weights. */
  large: { ...base, ...TOUCH, hidden: [320, 320, 320], augment: LIGHT_AUGMENT },
  /**
   * A binary CNN (docs/cnn.md): 5x5 conv 32 -> 2x2 pool -> 3x3 conv 64 -> 2x2 pool -> 3x3 conv 128
   * -> dense 10, every hidden layer ±1. 13 KB of packed weights.
   */
  cnn: {
    ...base,
    ...TOUCH,
    // chosen between two runs on the four validation figures (docs/strokes.md, "Real pen digits")
    fonts: 0.15,
    pen: 0.2,
    conv: [
      { kernel: 5, outputs: 32, pool: 2 },
      { kernel: 3, outputs: 64, pool: 2 },
      { kernel: 3, outputs: 128, pool: 1 },
    ],
    hidden: [],
    epochs: 35,
    calibration: 5000,
    augment: LIGHT_AUGMENT,
  },
  /** A CNN in seconds, for tests: both kinds of convolution input (the image, 32 channels), OR/AND pooling, a hidden dense layer. */
  "cnn-tiny": {
    ...base,
    conv: [
      { kernel: 5, outputs: 32, pool: 2 },
      { kernel: 3, outputs: 32, pool: 2 },
    ],
    hidden: [32],
    epochs: 2,
    limit: 2000,
    validation: 500,
    calibration: 500,
  },
} satisfies Record<string, TrainOptions>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
