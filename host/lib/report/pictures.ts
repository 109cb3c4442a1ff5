/** The pictures written next to a trained model: learning curves, confusion matrix, per-class accuracy. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Evaluation } from "../model/evaluate.ts";
import type { EpochRecord } from "../train/trainer.ts";
import { barChartSvg, confusionMatrixSvg, learningCurvesSvg } from "./svg.ts";

/** The three pictures, by file name: a pure function of the training history and the evaluation. */
export function modelPictures(history: EpochRecord[], e: Evaluation, name: string): Record<"curves.svg" | "confusion.svg" | "per-class.svg", string> {
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
  for (const [file, svg] of Object.entries(modelPictures(history, e, name))) writeFileSync(join(dir, file), svg);
}
