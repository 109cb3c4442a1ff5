/** Accuracy, per-class accuracy and the confusion matrix of a model on an image set. */
import type { MnistSet } from "../mnist.ts";
import type { Model } from "./format.ts";
import { classifyImage } from "./infer.ts";

export interface Evaluation {
  accuracy: number;
  correct: number;
  total: number;
  /** confusion[true][predicted] */
  confusion: number[][];
  perClass: number[];
}

export function evaluate(model: Model, set: MnistSet, onImage?: (index: number, scores: Int32Array, digit: number) => void): Evaluation {
  const classes = model.output.outputs;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < set.count; i++) {
    const { scores, digit } = classifyImage(model, set.images, i);
    const label = set.labels[i];
    confusion[label][digit]++;
    if (digit === label) correct++;
    onImage?.(i, scores, digit);
  }
  const perClass = confusion.map((row, k) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n ? row[k] / n : 0;
  });
  return { accuracy: correct / set.count, correct, total: set.count, confusion, perClass };
}
