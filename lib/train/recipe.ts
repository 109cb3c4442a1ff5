/**
 * A training recipe: every option of a run (presets.ts names a few), and the check that refuses
 * a recipe whose network cannot be built before anything is loaded or trained.
 */
import { IMAGE_PIXELS } from "../mnist.ts";
import { ExitCode, UserError } from "../errors.ts";
import { cLimitProblems } from "../model/limits.ts";
import type { AugmentOptions } from "./augment.ts";
import { convShapes, type ConvSpec } from "./conv-network.ts";
import type { Loss } from "./network.ts";
import type { PenAugment } from "./pen-digits.ts";
import type { StrokeAugment } from "./stroke-render.ts";

/** Every option of a training run. */
export interface TrainOptions {
  /**
   * Convolution layers in front of the dense ones (a binary CNN, conv-network.ts); none or
   * absent: the chapter's MLP.
   */
  conv?: ConvSpec[];
  hidden: number[];
  epochs: number;
  batch: number;
  lr: number;
  lrEnd: number;
  loss: Loss;
  seed: number;
  threshold: number;
  /** Training images held out for model selection. */
  validation: number;
  /** Use only this many of the remaining training images (0 = all). */
  limit: number;
  /** Training images used to recalibrate the BatchNorm statistics after each epoch. */
  calibration: number;
  augment: AugmentOptions;
  /** Stochastic binarization (eqs. 1.4-1.5) of hidden activations in the training forward pass. */
  stochastic: boolean;
  /**
   * The fraction of training samples drawn as pen strokes and rasterized as the board does
   * (stroke-render.ts), the rest as images; with strokes, BatchNorm is calibrated on both kinds
   * and the model is selected on the mean of the validation images' accuracy as images and as
   * strokes (all from the training set).
   */
  strokes: number;
  strokeAugment: StrokeAugment;
  /**
   * The fraction of training samples replaced by a procedural pen digit of the same label
   * (procedural-digits.ts: letterforms MNIST has few of), reshaped and rasterized like the
   * stroke samples.
   */
  procedural: number;
  /**
   * The fraction of training samples replaced by a font's digit of the same label
   * (font-digits.ts: 40 typefaces' glyphs traced into strokes), reshaped and rasterized like the
   * stroke samples. The validation families' digits (each in FONT_VALIDATION_POSES reshapes)
   * then join model selection.
   */
  fonts: number;
  /**
   * The fraction of training samples replaced by a real pen digit of the same label
   * (pen-digits.ts: the UCI pen digits' writers), reshaped by `penAugment` and rasterized as
   * the board does. `penValidationWriters` whole writers (chosen by the seed) never enter
   * training: their digits, as written, join model selection. Writers in `penExcludeWriters`
   * are not used at all (cross-validation's test fold).
   */
  pen?: number;
  penAugment?: PenAugment;
  penValidationWriters?: number;
  penExcludeWriters?: string[];
}

/** Layer sizes of the MLP of a recipe, checked against what the generated C holds. */
export function denseSizes(o: TrainOptions): number[] {
  const sizes = [IMAGE_PIXELS, ...o.hidden, 10];
  const problems = cLimitProblems(
    IMAGE_PIXELS,
    o.hidden.map((h, k) => ({ inputs: sizes[k], outputs: h })),
    { inputs: sizes[sizes.length - 2], outputs: 10 },
  );
  if (problems.length) throw new UserError(`this network would not fit the generated C: ${problems.join("; ")}`, ExitCode.Usage);
  return sizes;
}

/** The layers of a CNN recipe on 28x28 images: its conv layers, its hidden dense layers, 10 outputs. */
export function convSpecs(o: TrainOptions): ConvSpec[] {
  const conv = o.conv ?? [];
  for (const [k, c] of conv.entries())
    if (c.kernel === "full" || c.outputs % 32 !== 0)
      throw new UserError(`conv layer ${k + 1}: a convolution needs a kernel size and a multiple of 32 channels`, ExitCode.Usage);
  return [...conv, ...o.hidden.map((h) => ({ kernel: "full" as const, outputs: h, pool: 1 })), { kernel: "full", outputs: 10, pool: 1 }];
}

/**
 * Refuses a recipe whose network cannot be built (one line, a usage error) before anything is
 * loaded or written; returns whether it is a CNN.
 */
export function checkRecipe(o: TrainOptions): boolean {
  if (!(o.conv?.length ?? 0)) {
    denseSizes(o);
    return false;
  }
  if (o.stochastic) throw new UserError("stochastic binarization is not implemented for convolution layers", ExitCode.Usage);
  convShapes(28, convSpecs(o));
  return true;
}
