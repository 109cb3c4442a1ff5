/**
 * The training recipe on the command line, one place for `bnn train` and `bnn crossval`: a
 * preset (lib/train/presets.ts) and the options that override it.
 */
import { usageError, type OptionSpec, type OptionValues } from "../lib/args.ts";
import { C_LIMITS } from "../lib/model/limits.ts";
import { CONV_LIMITS } from "../lib/model/format.ts";
import type { ConvSpec } from "../lib/train/conv-network.ts";
import { ELASTIC_STROKES, HAND_STROKES, LIGHT_AUGMENT, PRESET_NAMES, PRESETS, type PresetName } from "../lib/train/presets.ts";
import { NO_STROKE_AUGMENT } from "../lib/train/stroke-render.ts";
import { NO_AUGMENT } from "../lib/train/augment.ts";
import { NO_PEN_AUGMENT, PEN_STROKES } from "../lib/train/pen-digits.ts";
import type { TrainOptions } from "../lib/train/recipe.ts";

export const RECIPE_OPTIONS = {
  preset: { type: "string", description: "training recipe", default: "default", choices: PRESET_NAMES },
  hidden: { type: "string", description: "hidden layer sizes, e.g. 128,64", metavar: "list" },
  conv: {
    type: "string",
    description: "convolution layers before the hidden ones: KxC or KxCpP (kernel, channels, pooling), e.g. 5x32p2,3x64p2,3x64; 'none' for an MLP",
    metavar: "list",
  },
  epochs: { type: "int", description: "epochs", min: 1, max: 10000 },
  batch: { type: "int", description: "batch size", min: 2, max: 1000 },
  lr: { type: "number", description: "initial learning rate (Adam)", min: 1e-7, max: 1 },
  lrEnd: { type: "number", description: "learning rate of the last epoch (exponential decay)", min: 1e-9, max: 1 },
  loss: { type: "string", description: "loss", choices: ["ce", "hinge"] },
  seed: { type: "int", description: "random seed", min: 0, max: 2 ** 32 - 1 },
  threshold: { type: "int", description: "input pixel threshold (pixel >= t is +1)", min: 1, max: 255 },
  augment: { type: "string", description: "augmentation", choices: ["none", "light"] },
  stochastic: { type: "boolean", description: "stochastic binarization of hidden activations in training (eqs. 1.4-1.5)" },
  strokes: { type: "number", description: "fraction of training samples drawn as pen strokes and rasterized as the board does (0..1)", min: 0, max: 1 },
  procedural: { type: "number", description: "fraction of training samples replaced by procedural pen digits of the same label (0..1)", min: 0, max: 1 },
  fonts: {
    type: "number",
    description: "fraction of training samples replaced by font digits (40 typefaces traced into strokes) of the same label (0..1)",
    min: 0,
    max: 1,
  },
  strokeAugment: { type: "string", description: "reshaping of the stroke samples", choices: ["none", "hand", "elastic"] },
  pen: { type: "number", description: "fraction of training samples replaced by real pen digits (data/pendigits/) of the same label (0..1)", min: 0, max: 1 },
  penAugment: {
    type: "string",
    description: "reshaping of the pen digits: pen = slant, rotation, aspect, jitter, size and place on the panel, pen lifts",
    choices: ["none", "pen"],
  },
  penValidationWriters: {
    type: "int",
    description: "pen digits' writers held out whole for model selection (chosen by the seed)",
    min: 0,
    max: 29,
    metavar: "n",
  },
  validation: { type: "int", description: "training images held out for model selection", min: 100, max: 30000 },
  limit: { type: "int", description: "train on at most this many images (0 = all)", min: 0, max: 60000 },
} satisfies Record<string, OptionSpec>;

/** The recipe the options ask for (usage errors for impossible combinations). */
export function recipeOptions(o: OptionValues<typeof RECIPE_OPTIONS>): TrainOptions {
  const options: TrainOptions = { ...PRESETS[o.preset as PresetName] };
  if (o.hidden !== undefined) options.hidden = o.hidden === "none" ? [] : parseHidden(o.hidden);
  if (o.conv !== undefined) options.conv = parseConv(o.conv);
  if (o.epochs !== undefined) options.epochs = o.epochs;
  if (o.batch !== undefined) options.batch = o.batch;
  if (o.lr !== undefined) options.lr = o.lr;
  if (o.lrEnd !== undefined) options.lrEnd = o.lrEnd;
  if (o.loss !== undefined) options.loss = o.loss as TrainOptions["loss"];
  if (o.seed !== undefined) options.seed = o.seed;
  if (o.threshold !== undefined) options.threshold = o.threshold;
  if (o.augment !== undefined) options.augment = o.augment === "light" ? LIGHT_AUGMENT : NO_AUGMENT;
  if (o.stochastic) options.stochastic = true;
  if (o.strokes !== undefined) options.strokes = o.strokes;
  if (o.procedural !== undefined) options.procedural = o.procedural;
  if (o.fonts !== undefined) options.fonts = o.fonts;
  if (o.pen !== undefined) options.pen = o.pen;
  if (o.penAugment !== undefined) options.penAugment = o.penAugment === "pen" ? PEN_STROKES : NO_PEN_AUGMENT;
  if (o.penValidationWriters !== undefined) options.penValidationWriters = o.penValidationWriters;
  const pen = options.pen ?? 0;
  if (options.strokes + options.procedural + options.fonts + pen > 1)
    throw usageError(
      `--strokes (${options.strokes}), --procedural (${options.procedural}), --fonts (${options.fonts}) and --pen (${pen}) add up to more than 1`,
    );
  if (o.strokeAugment !== undefined)
    options.strokeAugment = o.strokeAugment === "hand" ? HAND_STROKES : o.strokeAugment === "elastic" ? ELASTIC_STROKES : NO_STROKE_AUGMENT;
  if (o.validation !== undefined) options.validation = o.validation;
  if (o.limit !== undefined) options.limit = o.limit;
  if (options.lrEnd > options.lr) throw usageError(`--lr-end (${options.lrEnd}) must not exceed --lr (${options.lr})`);
  return options;
}

function parseHidden(text: string): number[] {
  const parts = text.split(",").map((s) => s.trim());
  const sizes = parts.map(Number);
  const max = C_LIMITS.hiddenWidth;
  if (!parts.length || sizes.some((n, k) => parts[k] === "" || !Number.isInteger(n) || n < 1 || n > max)) {
    throw usageError(`--hidden must list layer sizes between 1 and ${max} (the most the generated C holds), e.g. 128,64; got '${text}'`);
  }
  return sizes;
}

function parseConv(text: string): ConvSpec[] {
  if (text === "none") return [];
  return text.split(",").map((part) => {
    const m = /^(\d+)x(\d+)(?:p(\d+))?$/.exec(part.trim());
    const spec = m ? { kernel: Number(m[1]), outputs: Number(m[2]), pool: m[3] === undefined ? 1 : Number(m[3]) } : undefined;
    if (
      !spec ||
      spec.kernel < 1 ||
      spec.kernel > CONV_LIMITS.kernel ||
      spec.outputs % 32 !== 0 ||
      spec.outputs < 32 ||
      spec.outputs > CONV_LIMITS.outputs ||
      spec.pool < 1 ||
      spec.pool > CONV_LIMITS.pool
    ) {
      throw usageError(
        `--conv must list layers as KxC or KxCpP (kernel 1..${CONV_LIMITS.kernel}, channels a multiple of 32 up to ${CONV_LIMITS.outputs}, pooling 1..${CONV_LIMITS.pool}), e.g. 5x32p2,3x64p2; got '${part.trim().slice(0, 30)}'`,
      );
    }
    return spec;
  });
}
