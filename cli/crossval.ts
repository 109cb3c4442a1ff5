/**
 * `bnn crossval`: writer cross-validation of a training recipe on the real pen digits (library:
 * lib/train/crossval.ts). Trains one model a fold; prints each fold's accuracy on its unseen
 * writers, then mean ± standard deviation, the worst writer and per-class accuracy.
 */
import { defineCommand, onlyWith } from "../lib/args.ts";
import { loadMnistAsync } from "../lib/mnist.ts";
import { outputFile, writeOutput } from "../lib/output.ts";
import { ProgressBar, formatDuration } from "../lib/report/progress.ts";
import { confusionPicture } from "../lib/classify.ts";
import { writerCrossValidation, type FoldResult } from "../lib/train/crossval.ts";
import { checkRecipe } from "../lib/train/recipe.ts";
import { RECIPE_OPTIONS, recipeOptions } from "./recipe.ts";

export const crossvalCommand = defineCommand({
  name: "crossval",
  summary: "writer cross-validation of a training recipe: k folds of whole pen-digit writers, each unseen by its model",
  usage:
    "Each fold's writers are left out of training and of epoch selection; the model trained without them is\n" +
    "measured on their digits through the board's touch path (as `bnn classify --strokes`). The recipe options are\n" +
    "`bnn train`'s. Takes k trainings: minutes for default, hours for cnn (shorten with --epochs).",
  options: {
    ...RECIPE_OPTIONS,
    folds: { type: "int", description: "folds of whole writers", default: 5, min: 2, max: 30 },
    svg: { type: "string", description: "write the pooled confusion matrix (all folds' unseen writers) as an SVG picture", metavar: "file" },
    force: { type: "boolean", description: "overwrite --svg" },
    json: { type: "boolean", description: "print the result as one JSON object" },
  },
  async run(o, _positionals, given) {
    onlyWith(given, "force", o.svg !== undefined, "only applies with --svg");
    const recipe = recipeOptions(o);
    checkRecipe(recipe);
    const svg = o.svg === undefined ? undefined : outputFile(o.svg, "--svg", { force: o.force });
    const data = await loadMnistAsync("train");
    const pct = (v: number) => `${(100 * v).toFixed(2)} %`;
    const log = (s: string) => (o.json ? console.error(s) : console.log(s));
    let bar: ProgressBar | undefined;
    let barEpoch = 0;
    let fold = 0;
    const started = performance.now();
    const cv = await writerCrossValidation(data, recipe, o.folds, {
      onFoldStart: (f, writers) => {
        fold = f;
        barEpoch = 0;
        log(`fold ${f}/${o.folds}: writers ${writers.join(", ")} unseen`);
      },
      onProgress: (p) => {
        if (p.epoch !== barEpoch) {
          bar = new ProgressBar({ label: `fold ${fold} epoch ${p.epoch}/${p.epochs}`, total: p.total, unit: "img" });
          barEpoch = p.epoch;
        }
        const foldsLeft = o.folds - fold;
        const perFold = (performance.now() - started) / 1000 / Math.max(1e-9, fold - 1 + ((p.epoch - 1) * p.total + p.done) / (p.epochs * p.total));
        bar?.update(p.done, { loss: p.loss.toFixed(3), "total eta": formatDuration(p.etaSeconds + foldsLeft * perFold) });
      },
      onEpoch: (r) => bar?.finish({ val: pct(r.validationAccuracy), ...(r.validationPenAccuracy === undefined ? {} : { pen: pct(r.validationPenAccuracy) }) }),
      onFold: (f: FoldResult) =>
        log(
          `fold ${f.fold}: ${pct(f.accuracy ?? 0)} (${f.correct}/${f.samples}) on writers ${f.writers.join(", ")}; worst writer ${f.worstWriter?.writer} ${pct(f.worstWriter?.accuracy ?? 0)}; epoch ${f.bestEpoch}`,
        ),
    });
    if (svg) writeOutput(svg, confusionPicture(cv.pooled.confusion!, `writer cross-validation, ${o.folds} folds: unseen writers`));
    const seconds = Math.round((performance.now() - started) / 1000);
    if (o.json) {
      console.log(
        JSON.stringify({
          preset: o.preset,
          recipe,
          folds: cv.folds.map(({ confusion: _c, ...f }) => f),
          mean: cv.mean,
          sd: cv.sd,
          min: cv.min,
          max: cv.max,
          pooled: cv.pooled,
          seconds,
        }),
      );
      return;
    }
    console.log("");
    console.log(
      `unseen writers, ${o.folds} folds: ${pct(cv.mean)} ± ${(100 * cv.sd).toFixed(2)} (folds ${pct(cv.min)} .. ${pct(cv.max)}); pooled ${pct(cv.pooled.accuracy ?? 0)} (${cv.pooled.correct}/${cv.pooled.samples})`,
    );
    console.log(
      `worst writer ${cv.pooled.worstWriter?.writer}: ${pct(cv.pooled.worstWriter?.accuracy ?? 0)}; no digit: ${
        Object.entries(cv.pooled.noDigit)
          .map(([k, v]) => `${v} ${k}`)
          .join(", ") || "none"
      }`,
    );
    console.log(`per class: ${cv.pooled.perClass!.map((v, k) => `${k} ${(100 * (v ?? 0)).toFixed(1)}`).join("  ")}`);
    console.log(`per writer: ${cv.pooled.perWriter!.map((w) => `${w.writer} ${(100 * w.accuracy).toFixed(1)}`).join("  ")}`);
    console.log(`took ${formatDuration(seconds)}`);
  },
});
