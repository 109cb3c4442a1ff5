/** `bnn train`: trains a preset (options override it), folds it and writes the model folder. */
import { cpus, hostname } from "node:os";
import { join, relative } from "node:path";
import { loadMnist } from "../lib/mnist.ts";
import { evaluate, type Evaluation } from "../lib/model/evaluate.ts";
import { foldModel } from "../lib/model/fold.ts";
import { MODEL_NAME, serializeModel, validateModel } from "../lib/model/format.ts";
import { outputFolder, writeOutput } from "../lib/output.ts";
import { MODELS_DIR, ROOT } from "../lib/paths.ts";
import { MODEL_PICTURES, writeModelPictures } from "../lib/train/pictures.ts";
import { formatDuration, ProgressBar } from "../lib/report/progress.ts";
import type { PresetName } from "../lib/train/presets.ts";
import { checkRecipe } from "../lib/train/recipe.ts";
import { train } from "../lib/train/trainer.ts";
import { penWriterFigures } from "../lib/train/pen-figures.ts";
import { classifyStrokes, ClassifyTally, type ClassifySummary } from "../lib/classify.ts";
import { readStrokeFile } from "../lib/strokes/format.ts";
import { HERSHEY_SET_PATH } from "../lib/strokes/hershey-set.ts";
import { defineCommand, usageError } from "../lib/args.ts";
import { RECIPE_OPTIONS, recipeOptions } from "./recipe.ts";

export const trainCommand = defineCommand({
  name: "train",
  summary: "train a binary MLP or CNN on MNIST and write model.json, metrics and pictures",
  usage: "The test set is only used once, for the final figures; model selection uses a validation split of the training set.",
  options: {
    ...RECIPE_OPTIONS,
    out: { type: "string", description: "model folder (default: models/<name>)", metavar: "dir" },
    name: { type: "string", description: "model name (default: the preset)" },
    force: { type: "boolean", description: "overwrite an existing model" },
    json: { type: "boolean", description: "print the final metrics as JSON" },
  },
  async run(o) {
    const preset = o.preset as PresetName;
    const name = o.name ?? preset;
    if (!MODEL_NAME.test(name)) throw usageError(`--name must be lowercase letters, digits and dashes (at most 40); got '${name.slice(0, 50)}'`);
    const options = recipeOptions(o);
    checkRecipe(options);
    // where the model goes is settled before training: a bad --out costs nothing
    const dir = outputFolder(o.out ?? join(MODELS_DIR, name), "--out", ["model.json", "metrics.json", ...MODEL_PICTURES], { force: o.force });
    const modelPath = join(dir, "model.json");

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
        const pct = (v: number) => (100 * v).toFixed(2) + "%";
        bar?.finish({
          loss: r.trainLoss.toFixed(3),
          acc: pct(r.trainAccuracy),
          val: pct(r.validationAccuracy),
          ...(r.validationPenAccuracy === undefined ? {} : { "pen writers": pct(r.validationPenAccuracy) }),
        });
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
    const penValidation = result.penWriters?.validation.length
      ? { ...penWriterFigures(model, result.penWriters.validation), trainWriters: result.penWriters.train }
      : undefined;
    writeOutput(modelPath, serializeModel(file));
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
      ...(penValidation ? { penValidation } : {}),
      wallSeconds: round(wallSeconds, 1),
      meanEpochSeconds: round(result.history.reduce((s, h) => s + h.seconds, 0) / result.history.length, 3),
      samplesPerSecond: Math.round(result.history.reduce((s, h) => s + h.samplesPerSecond, 0) / result.history.length),
      machine: { host: hostname(), cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version },
      history: result.history,
    };
    writeOutput(join(dir, "metrics.json"), JSON.stringify(metrics, null, 1) + "\n");
    writeModelPictures(dir, metrics.history, evaluation, name);
    if (o.json) console.log(JSON.stringify({ ...metrics, accuracy: evaluation.accuracy, history: undefined }));
    else printSummary(dir, metrics, evaluation, strokeTest);
  },
});

function round(x: number, d: number): number {
  return Math.round(x * 10 ** d) / 10 ** d;
}

/**
 * The stroke test set (data/strokes/hershey.jsonl) through the board's touch path, once, after
 * training and selection, like the MNIST test figures: a measurement, never a training signal.
 */
function strokeSetFigures(
  model: Parameters<typeof classifyStrokes>[0],
): { set: string } & Pick<ClassifySummary, "samples" | "correct" | "accuracy" | "perClass" | "confusion" | "noDigit"> {
  const tally = new ClassifyTally();
  for (const s of readStrokeFile(join(ROOT, HERSHEY_SET_PATH))) tally.add(s.label ?? undefined, classifyStrokes(model, s));
  const { samples, correct, accuracy, perClass, confusion, noDigit } = tally.summary();
  return { set: HERSHEY_SET_PATH, samples, correct, accuracy, perClass, confusion, noDigit };
}

function printSummary(
  dir: string,
  m: { model: string; id: string; bestEpoch: number; wallSeconds: number; samplesPerSecond: number; penValidation?: ReturnType<typeof penWriterFigures> },
  e: Evaluation,
  strokes: ReturnType<typeof strokeSetFigures>,
): void {
  const pen = m.penValidation;
  const rel = relative(ROOT, dir) || dir;
  console.log(`model ${m.model} (id ${m.id}) written to ${rel}/model.json`);
  console.log(
    `test accuracy ${(100 * e.accuracy).toFixed(2)} % (${e.correct}/${e.total}); best epoch ${m.bestEpoch}; ${m.wallSeconds} s; ${m.samplesPerSecond} samples/s`,
  );
  console.log(`stroke test set (${strokes.set}): ${(100 * (strokes.accuracy ?? 0)).toFixed(1)} % (${strokes.correct}/${strokes.samples})`);
  if (pen)
    console.log(
      `pen digits of the ${pen.writers.length} held-out writers (${pen.writers.join(", ")}; they chose the epoch): ${(100 * (pen.accuracy ?? 0)).toFixed(2)} % (${pen.correct}/${pen.samples}); worst writer ${pen.worstWriter?.writer} ${(100 * (pen.worstWriter?.accuracy ?? 0)).toFixed(1)} %`,
    );
  console.log(`pictures: ${rel}/curves.svg, ${rel}/confusion.svg, ${rel}/per-class.svg`);
}
