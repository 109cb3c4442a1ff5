/**
 * What the generated C, and the classifier service that carries it, can hold. The trainer and
 * the C generator refuse anything beyond these, with one line naming the limit, so a model that
 * trains and exports is a model the firmware runs (the TypeScript reference itself has none of
 * these limits: `bnn eval` reads any valid model file).
 *
 * Each limit is where the C has it:
 * - hiddenWidth: c/bnn_layers.h, BNN_MAX_OUT_WORDS (32) words of 32 neurons; the columns method
 *   adds a static zero column of that many words when fewer than eight inputs are pending.
 * - layerInputs: hidden thresholds are int16_t and lie in [-n, n + 1].
 * - counterPlanes: the columns method's per-neuron counters are bit planes of uint32_t words
 *   indexed by a shift count: at most 32 planes (the generator computes them; n <= 32766 needs 17).
 * - inputBits: the classify command carries 8 header bytes and the packed input in one Jacdac
 *   payload of at most 236 bytes (c/service/bnn_service.h).
 * - outputs: the classify report carries 12 header bytes and 4 bytes per score in 236 bytes,
 *   and the digit as an int8.
 * - score range: |scale| * n + |offset| < 2^30 per output (int32 scores with headroom), checked
 *   by the model format itself (format.ts, SCORE_LIMIT).
 */
import { wordsFor } from "../binary.ts";

export const C_LIMITS = {
  hiddenWidth: 32 * 32,
  layerInputs: 32766,
  counterPlanes: 32,
  inputBits: 8 * (236 - 8),
  outputs: Math.floor((236 - 12) / 4),
} as const;

export interface LayerShape {
  inputs: number;
  outputs: number;
}

/** Everything about a network's shape that the C cannot hold; empty when it fits. */
export function cLimitProblems(inputBits: number, hidden: LayerShape[], output: LayerShape): string[] {
  const out: string[] = [];
  if (inputBits > C_LIMITS.inputBits)
    out.push(
      `the input has ${inputBits} bits; the classifier service carries at most ${C_LIMITS.inputBits} (${wordsFor(C_LIMITS.inputBits)} words in one Jacdac packet)`,
    );
  hidden.forEach((h, k) => {
    if (h.outputs > C_LIMITS.hiddenWidth)
      out.push(
        `hidden layer ${k + 1} has ${h.outputs} neurons; the C holds at most ${C_LIMITS.hiddenWidth} per hidden layer (BNN_MAX_OUT_WORDS = ${C_LIMITS.hiddenWidth / 32} words)`,
      );
  });
  [...hidden, output].forEach((l, k) => {
    if (l.inputs > C_LIMITS.layerInputs) out.push(`layer ${k + 1} has ${l.inputs} inputs; the C's int16 thresholds allow at most ${C_LIMITS.layerInputs}`);
  });
  if (output.outputs > C_LIMITS.outputs) out.push(`the output layer has ${output.outputs} classes; the classifier service reports at most ${C_LIMITS.outputs}`);
  return out;
}
