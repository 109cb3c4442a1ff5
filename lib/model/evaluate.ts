/** Accuracy, per-class accuracy and the confusion matrix of a model on an image set. */
import { UserError } from "../errors.ts";
import { IMAGE_SIDE, type MnistSet } from "../mnist.ts";
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

/** MNIST has 28x28 images of 10 digits: a model of another shape cannot be run on it. */
export const MNIST_CLASSES = 10;

/** Throws a one-line error unless `model` takes 28x28 images and scores 10 classes. */
export function requireMnistShape(model: Model, what = "this command"): void {
  const { width, height } = model.input;
  if (width !== IMAGE_SIDE || height !== IMAGE_SIDE)
    throw new UserError(
      `model ${model.file.name} takes ${width}x${height} images; ${what} runs it on the MNIST test set, whose images are ${IMAGE_SIDE}x${IMAGE_SIDE}`,
    );
  if (model.output.outputs !== MNIST_CLASSES)
    throw new UserError(
      `model ${model.file.name} scores ${model.output.outputs} classes; ${what} runs it on the MNIST test set, which has ${MNIST_CLASSES} digits`,
    );
}

export function evaluate(model: Model, set: MnistSet, onImage?: (index: number, scores: Int32Array, digit: number) => void): Evaluation {
  requireMnistShape(model, "evaluation");
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
