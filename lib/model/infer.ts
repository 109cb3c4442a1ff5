/**
 * The integer reference inference: what every other backend (C on the host, WebAssembly,
 * Cortex-M0, RISC-V, DeviceScript bytecode) must reproduce bit for bit.
 */
import { argmax, dotFromDifferences, popcount32, setBit, wordsFor } from "../binary.ts";
import { IMAGE_PIXELS } from "../mnist.ts";
import type { ConvStage, Model } from "./format.ts";
import { packPixels } from "./input.ts";

export interface Trace {
  /** Packed output tensor of each convolution layer (after pooling). */
  conv?: Uint32Array[];
  /** Packed outputs of each hidden layer. */
  hidden: Uint32Array[];
  scores: Int32Array;
  digit: number;
}

/** Runs the model on packed input bits; returns the scores and the digit (argmax, lowest index on ties). */
export function classify(model: Model, input: Uint32Array, trace?: Trace): { scores: Int32Array; digit: number } {
  let x = input;
  for (const layer of model.conv) {
    x = convolve(layer, x);
    trace?.conv?.push(x);
  }
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

/**
 * One "conv" layer (docs/model-format.md §2.3), written for clarity: element (r, c, ch) of a
 * tensor is element (r * width + c) * channels + ch of its packed vector; the patch of output
 * position (oy, ox) is the vector of the kernel x kernel input pixels (dy, dx) in row-major order,
 * each pixel's channels in order; bit = (patch · w_co >= threshold); then each pool x pool window
 * of bits is ORed, or ANDed for the poolAnd channels.
 */
export function convolve(layer: ConvStage, x: Uint32Array): Uint32Array {
  const { width, channels, kernel, outputs, pool, convHeight, convWidth, outWidth, outHeight, inputs, words, weights, thresholds, poolAnd } = layer;
  // local references: a module-namespace lookup per call (as vitest's transform writes imports)
  // made this loop five times slower under test
  const popcount = popcount32;
  const set = setBit;
  const dot = dotFromDifferences;
  const bits = new Uint32Array(wordsFor(convHeight * convWidth * outputs));
  const patch = new Uint32Array(words);
  for (let oy = 0; oy < convHeight; oy++) {
    for (let ox = 0; ox < convWidth; ox++) {
      patch.fill(0);
      for (let dy = 0, t = 0; dy < kernel; dy++) {
        for (let dx = 0; dx < kernel; dx++) {
          const at = ((oy + dy) * width + ox + dx) * channels;
          if (channels % 32 === 0) {
            // whole words: the pixel's channels are words at / 32 .. of x, and t is a multiple of 32
            for (let k = 0; k < channels / 32; k++, t += 32) patch[t >>> 5] = x[(at >>> 5) + k];
          } else {
            for (let ch = 0; ch < channels; ch++, t++) if ((x[(at + ch) >>> 5] >>> ((at + ch) & 31)) & 1) set(patch, t);
          }
        }
      }
      const base = (oy * convWidth + ox) * outputs;
      for (let co = 0; co < outputs; co++) {
        let diff = 0;
        for (let k = 0; k < words; k++) diff += popcount(patch[k] ^ weights[co * words + k]);
        if (dot(inputs, diff) >= thresholds[co]) set(bits, base + co);
      }
    }
  }
  if (pool === 1) return bits;
  const out = new Uint32Array(wordsFor(outHeight * outWidth * outputs));
  for (let py = 0; py < outHeight; py++) {
    for (let px = 0; px < outWidth; px++) {
      for (let co = 0; co < outputs; co++) {
        const and = ((poolAnd[co >>> 5] >>> (co & 31)) & 1) === 1;
        let v = and;
        for (let dy = 0; dy < pool; dy++) {
          for (let dx = 0; dx < pool; dx++) {
            const e = ((py * pool + dy) * convWidth + px * pool + dx) * outputs + co;
            const b = ((bits[e >>> 5] >>> (e & 31)) & 1) === 1;
            v = and ? v && b : v || b;
          }
        }
        if (v) set(out, (py * outWidth + px) * outputs + co);
      }
    }
  }
  return out;
}
