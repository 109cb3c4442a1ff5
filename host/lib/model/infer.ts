/**
 * The integer reference inference: what every other backend (C on the host, WebAssembly,
 * Cortex-M0, RISC-V, DeviceScript bytecode) must reproduce bit for bit.
 */
import { argmax, dotFromDifferences, popcount32, setBit, wordsFor } from "../binary.ts";
import { IMAGE_PIXELS } from "../mnist.ts";
import type { Model } from "./format.ts";
import { packPixels } from "./input.ts";

export interface Trace {
  /** Packed outputs of each hidden layer. */
  hidden: Uint32Array[];
  scores: Int32Array;
  digit: number;
}

/** Runs the model on packed input bits; returns the scores and the digit (argmax, lowest index on ties). */
export function classify(model: Model, input: Uint32Array, trace?: Trace): { scores: Int32Array; digit: number } {
  let x = input;
  for (const layer of model.hidden) {
    const { words, weights, thresholds, outputs, inputs } = layer;
    const y = new Uint32Array(wordsFor(outputs));
    for (let j = 0; j < outputs; j++) {
      let diff = 0;
      const base = j * words;
      for (let k = 0; k < words; k++) diff += popcount32(x[k] ^ weights[base + k]);
      if (dotFromDifferences(inputs, diff) >= thresholds[j]) setBit(y, j);
    }
    trace?.hidden.push(y);
    x = y;
  }
  const o = model.output;
  const scores = new Int32Array(o.outputs);
  for (let j = 0; j < o.outputs; j++) {
    let diff = 0;
    const base = j * o.words;
    for (let k = 0; k < o.words; k++) diff += popcount32(x[k] ^ o.weights[base + k]);
    scores[j] = o.scale[j] * dotFromDifferences(o.inputs, diff) + o.offset[j];
  }
  const digit = argmax(scores);
  if (trace) {
    trace.scores = scores;
    trace.digit = digit;
  }
  return { scores, digit };
}

/** Classifies image `index` of a uint8 image set. */
export function classifyImage(model: Model, images: Uint8Array, index: number): { scores: Int32Array; digit: number } {
  const input = packPixels(images, model.input.threshold, IMAGE_PIXELS, index * IMAGE_PIXELS);
  return classify(model, input);
}
