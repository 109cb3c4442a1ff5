/** The pictures written next to a trained model: learning curves, confusion matrix, per-class accuracy. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Evaluation } from "../model/evaluate.ts";
import type { EpochRecord } from "../train/trainer.ts";
import { barChartSvg, confusionMatrixSvg, learningCurvesSvg } from "./svg.ts";

export function writeModelPictures(dir: string, history: EpochRecord[], e: Evaluation, name: string): void {
  writeFileSync(join(dir, "curves.svg"), learningCurvesSvg(history, { title: `${name}: learning curves`, testAccuracy: e.accuracy }));
  writeFileSync(join(dir, "confusion.svg"), confusionMatrixSvg(e.confusion, { title: `${name}: MNIST test set, rows true, columns predicted` }));
  writeFileSync(
    join(dir, "per-class.svg"),
    barChartSvg(
      e.perClass.map((a, k) => ({ label: String(k), value: Math.round(a * 10000) / 100 })),
      { title: `${name}: test accuracy per digit`, unit: "%" },
    ),
  );
}
