/** The pictures written next to a trained model: learning curves, confusion matrix, per-class accuracy. */
import { join } from "node:path";
import { writeOutput } from "../output.ts";
import type { Evaluation } from "../model/evaluate.ts";
import type { EpochRecord } from "./trainer.ts";
import { barChartSvg, confusionMatrixSvg, learningCurvesSvg } from "../report/svg.ts";

/** The files of the pictures next to a model, as modelPictures names them. */
export const MODEL_PICTURES = ["curves.svg", "confusion.svg", "per-class.svg"] as const;

/** The three pictures, by file name: a pure function of the training history and the evaluation. */
export function modelPictures(history: EpochRecord[], e: Evaluation, name: string): Record<(typeof MODEL_PICTURES)[number], string> {
  return {
    "curves.svg": learningCurvesSvg(history, { title: `${name}: learning curves`, testAccuracy: e.accuracy }),
    "confusion.svg": confusionMatrixSvg(e.confusion, { title: `${name}: MNIST test set, rows true, columns predicted` }),
    "per-class.svg": barChartSvg(
      e.perClass.map((a, k) => ({ label: String(k), value: Math.round(a * 10000) / 100 })),
      { title: `${name}: test accuracy per digit`, unit: "%" },
    ),
  };
}

export function writeModelPictures(dir: string, history: EpochRecord[], e: Evaluation, name: string): void {
  for (const [file, svg] of Object.entries(modelPictures(history, e, name))) writeOutput(join(dir, file), svg);
}
