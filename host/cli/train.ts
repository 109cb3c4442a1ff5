/** `bnn train`: trains a preset (options override it), folds it and writes the model folder. */
import { existsSync, writeFileSync } from "node:fs";
import { cpus, hostname } from "node:os";
import { join, relative, resolve } from "node:path";
import { ExitCode, UserError } from "../lib/errors.ts";
import { loadMnist } from "../lib/mnist.ts";
import { C_LIMITS } from "../lib/model/limits.ts";
import { evaluate, type Evaluation } from "../lib/model/evaluate.ts";
import { foldModel } from "../lib/model/fold.ts";
import { CONV_LIMITS, MODEL_NAME, serializeModel, validateModel } from "../lib/model/format.ts";
import type { ConvSpec } from "../lib/train/conv-network.ts";
import { outputFolder } from "../lib/output.ts";
import { displayPath, MODELS_DIR, ROOT } from "../lib/paths.ts";
import { writeModelPictures } from "../lib/report/pictures.ts";
import { formatDuration, ProgressBar } from "../lib/report/progress.ts";
import { ELASTIC_STROKES, HAND_STROKES, LIGHT_AUGMENT, PRESET_NAMES, PRESETS, type PresetName } from "../lib/train/presets.ts";
import { NO_STROKE_AUGMENT } from "../lib/train/stroke-render.ts";
import { NO_AUGMENT } from "../lib/train/augment.ts";
import { checkRecipe, train, type TrainOptions } from "../lib/train/trainer.ts";
import { classifyStrokes, ClassifyTally, type ClassifySummary } from "../lib/classify/run.ts";
import { readStrokeFile } from "../lib/strokes/format.ts";
import { HERSHEY_SET_PATH } from "../lib/strokes/hershey-set.ts";
import { defineCommand, usageError } from "../lib/args.ts";

export const trainCommand = defineCommand({
  name: "train",
  summary: "train a binary MLP or CNN on MNIST and write model.json, metrics and pictures",
  usage: "The test set is only used once, for the final figures; model selection uses a validation split of the training set.",
  options: {
    preset: { type: "string", description: "training recipe", default: "default", choices: PRESET_NAMES },
    out: { type: "string", description: "model folder (default: models/<name>)", metavar: "dir" },
    name: { type: "string", description: "model name (default: the preset)" },
    hidden: { type: "string", description: "hidden layer sizes, e.g. 128,64", metavar: "list" },
    conv: { type: "string", description: "convolution layers before the hidden ones: KxC or KxCpP (kernel, channels, pooling), e.g. 5x32p2,3x64p2,3x64; 'none' for an MLP", metavar: "list" },
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
    fonts: { type: "number", description: "fraction of training samples replaced by font digits (40 typefaces traced into strokes) of the same label (0..1)", min: 0, max: 1 },
    strokeAugment: { type: "string", description: "reshaping of the stroke samples", choices: ["none", "hand", "elastic"] },
    validation: { type: "int", description: "training images held out for model selection", min: 100, max: 30000 },
    limit: { type: "int", description: "train on at most this many images (0 = all)", min: 0, max: 60000 },
    force: { type: "boolean", description: "overwrite an existing model" },
    json: { type: "boolean", description: "print the final metrics as JSON" },
  },
  async run(o) {
    const preset = o.preset as PresetName;
    const name = o.name ?? preset;
    if (!MODEL_NAME.test(name)) throw usageError(`--name must be lowercase letters, digits and dashes (at most 40); got '${name.slice(0, 50)}'`);
    const options: TrainOptions = { ...PRESETS[preset] };
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
    if (options.strokes + options.procedural + options.fonts > 1) throw usageError(`--strokes (${options.strokes}), --procedural (${options.procedural}) and --fonts (${options.fonts}) add up to more than 1`);
    if (o.strokeAugment !== undefined) options.strokeAugment = o.strokeAugment === "hand" ? HAND_STROKES : o.strokeAugment === "elastic" ? ELASTIC_STROKES : NO_STROKE_AUGMENT;
    if (o.validation !== undefined) options.validation = o.validation;
    if (o.limit !== undefined) options.limit = o.limit;
    if (options.lrEnd > options.lr) throw usageError(`--lr-end (${options.lrEnd}) must not exceed --lr (${options.lr})`);

    checkRecipe(options);
    // where the model goes is settled before training: a bad --out costs nothing
    const wanted = resolve(o.out ?? join(MODELS_DIR, name));
    const modelPath = join(wanted, "model.json");
    if (existsSync(modelPath) && !o.force) throw new UserError(`${displayPath(modelPath)} exists; pass --force to overwrite it`, ExitCode.WouldOverwrite);
    const dir = outputFolder(wanted, "--out");

    const data = loadMnist("train");
    const test = loadMnist("test");
    const started = performance.now();
    let bar: ProgressBar | undefined;
    let barEpoch = 0;
    const result = await train(
      data,
      options,
      (p) => {
        if (p.epoch !== barEpoch) {
          bar = new ProgressBar({ label: `epoch ${p.epoch}/${p.epochs}`, total: p.total, unit: "img" });
          barEpoch = p.epoch;
        }
        bar?.update(p.done, { loss: p.loss.toFixed(3), acc: (100 * p.accuracy).toFixed(1) + "%", "total eta": formatDuration(p.etaSeconds) });
      },
      (r) => {
        bar?.finish({ loss: r.trainLoss.toFixed(3), acc: (100 * r.trainAccuracy).toFixed(2) + "%", val: (100 * r.validationAccuracy).toFixed(2) + "%" });
      },
    );
    const wallSeconds = (performance.now() - started) / 1000;
    const training = {
      preset,
      options,
      bestEpoch: result.bestEpoch,
      trainSamples: result.trainSamples,
      validationSamples: result.validationSamples,
    };
    const file = foldModel(name, { width: 28, height: 28, threshold: options.threshold }, result.layers, training, result.conv);
    const model = validateModel(JSON.parse(serializeModel(file)), "folded model");
    const evaluation = evaluate(model, test);
    const strokeTest = strokeSetFigures(model);
    writeFileSync(modelPath, serializeModel(file));
    const metrics = {
      model: name,
      id: file.id,
      command: `bnn train ${process.argv.slice(3).join(" ")}`.trim(),
      seed: options.seed,
      epochs: options.epochs,
      bestEpoch: result.bestEpoch,
      testAccuracy: evaluation.accuracy,
      testCorrect: evaluation.correct,
      testTotal: evaluation.total,
      validationAccuracy: result.history[result.bestEpoch - 1].validationAccuracy,
      strokeTest,
      wallSeconds: round(wallSeconds, 1),
      meanEpochSeconds: round(result.history.reduce((s, h) => s + h.seconds, 0) / result.history.length, 3),
      samplesPerSecond: Math.round(result.history.reduce((s, h) => s + h.samplesPerSecond, 0) / result.history.length),
      machine: { host: hostname(), cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version },
      history: result.history,
    };
    writeFileSync(join(dir, "metrics.json"), JSON.stringify(metrics, null, 1) + "\n");
    writeModelPictures(dir, metrics.history, evaluation, name);
    if (o.json) console.log(JSON.stringify({ ...metrics, accuracy: evaluation.accuracy, history: undefined }));
    else printSummary(dir, metrics, evaluation, strokeTest);
  },
});

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
    if (!spec || spec.kernel < 1 || spec.kernel > CONV_LIMITS.kernel || spec.outputs % 32 !== 0 || spec.outputs < 32 || spec.outputs > CONV_LIMITS.outputs || spec.pool < 1 || spec.pool > CONV_LIMITS.pool) {
      throw usageError(`--conv must list layers as KxC or KxCpP (kernel 1..${CONV_LIMITS.kernel}, channels a multiple of 32 up to ${CONV_LIMITS.outputs}, pooling 1..${CONV_LIMITS.pool}), e.g. 5x32p2,3x64p2; got '${part.trim().slice(0, 30)}'`);
    }
    return spec;
  });
}

function round(x: number, d: number): number {
  return Math.round(x * 10 ** d) / 10 ** d;
}

/**
 * The stroke test set (data/strokes/hershey.jsonl) through the board's touch path, once, after
 * training and selection, like the MNIST test figures: a measurement, never a training signal.
 */
function strokeSetFigures(model: Parameters<typeof classifyStrokes>[0]): { set: string } & Pick<ClassifySummary, "samples" | "correct" | "accuracy" | "perClass" | "confusion" | "noDigit"> {
  const tally = new ClassifyTally();
  for (const s of readStrokeFile(join(ROOT, HERSHEY_SET_PATH))) tally.add(s.label ?? undefined, classifyStrokes(model, s));
  const { samples, correct, accuracy, perClass, confusion, noDigit } = tally.summary();
  return { set: HERSHEY_SET_PATH, samples, correct, accuracy, perClass, confusion, noDigit };
}

function printSummary(dir: string, m: { model: string; id: string; bestEpoch: number; wallSeconds: number; samplesPerSecond: number }, e: Evaluation, strokes: ReturnType<typeof strokeSetFigures>): void {
  const rel = relative(ROOT, dir) || dir;
  console.log(`model ${m.model} (id ${m.id}) written to ${rel}/model.json`);
  console.log(`test accuracy ${(100 * e.accuracy).toFixed(2)} % (${e.correct}/${e.total}); best epoch ${m.bestEpoch}; ${m.wallSeconds} s; ${m.samplesPerSecond} samples/s`);
  console.log(`stroke test set (${strokes.set}): ${(100 * (strokes.accuracy ?? 0)).toFixed(1)} % (${strokes.correct}/${strokes.samples})`);
  console.log(`pictures: ${rel}/curves.svg, ${rel}/confusion.svg, ${rel}/per-class.svg`);
}
