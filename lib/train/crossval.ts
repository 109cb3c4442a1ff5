/**
 * Writer cross-validation: the pen digits' writers in k folds of whole writers; for each fold a
 * model is trained by the recipe with that fold's writers left out entirely (not trained on, not
 * used to choose the epoch: the recipe's own validation writers come from the others), then
 * measured on the fold's digits through the board's touch path (a recipe without pen digits trains
 * one model, which no fold's writers can have shaped, and measures it on every fold). The folds' accuracies give a
 * figure with its spread on people the model never saw, for choosing recipes.
 */
import type { MnistSet } from "../mnist.ts";
import { foldModel } from "../model/fold.ts";
import { serializeModel, validateModel } from "../model/format.ts";
import { ClassifyTally } from "../classify.ts";
import { penDigits, writerFolds, writersOf } from "./pen-digits.ts";
import { figures, penWriterFigures, type PenFigures } from "./pen-figures.ts";
import type { TrainOptions } from "./recipe.ts";
import { train, type EpochRecord, type Progress } from "./trainer.ts";

export interface FoldResult extends PenFigures {
  fold: number;
  bestEpoch: number;
  /** The trainer's selection figures at the chosen epoch (MNIST validation, its own pen writers). */
  validationAccuracy: number;
  validationPenAccuracy: number | null;
}

export interface CrossValidation {
  folds: FoldResult[];
  /** Mean and sample standard deviation of the folds' accuracies, their range. */
  mean: number;
  sd: number;
  min: number;
  max: number;
  /** All folds' digits together: accuracy, per-class, confusion, per writer, the worst writer. */
  pooled: Omit<PenFigures, "writers">;
}

export async function writerCrossValidation(
  data: MnistSet,
  recipe: TrainOptions,
  k: number,
  hooks: {
    onFoldStart?: (fold: number, writers: string[]) => void;
    onProgress?: (p: Progress) => void;
    onEpoch?: (r: EpochRecord) => void;
    onFold?: (f: FoldResult) => void;
  } = {},
): Promise<CrossValidation> {
  const folds = writerFolds(writersOf(penDigits()), k, recipe.seed);
  const results: FoldResult[] = [];
  const pooled = new ClassifyTally();
  // without pen digits in training no fold's model depends on its writers: one model serves all
  let shared: Awaited<ReturnType<typeof train>> | undefined;
  for (const [f, writers] of folds.entries()) {
    hooks.onFoldStart?.(f + 1, writers);
    const r =
      (recipe.pen ?? 0) > 0
        ? await train(data, { ...recipe, penExcludeWriters: writers }, hooks.onProgress, hooks.onEpoch)
        : (shared ??= await train(data, recipe, hooks.onProgress, hooks.onEpoch));
    const file = foldModel(`fold-${f + 1}`, { width: 28, height: 28, threshold: recipe.threshold }, r.layers, undefined, r.conv);
    const model = validateModel(JSON.parse(serializeModel(file)), "folded model");
    const at = r.history[r.bestEpoch - 1];
    const result = {
      fold: f + 1,
      bestEpoch: r.bestEpoch,
      validationAccuracy: at.validationAccuracy,
      validationPenAccuracy: at.validationPenAccuracy ?? null,
      ...penWriterFigures(model, writers, pooled),
    };
    results.push(result);
    hooks.onFold?.(result);
  }
  return { folds: results, ...spread(results.map((r) => r.accuracy ?? 0)), pooled: figures(pooled.summary()) };
}

function spread(xs: number[]): { mean: number; sd: number; min: number; max: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
}
