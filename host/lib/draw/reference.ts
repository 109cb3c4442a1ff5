/**
 * What the host computes for a drawn digit, beside the board: the 28x28 bits the network sees
 * (the board's rasterizer, src/shared/stroke-raster.ts, on the same strokes) and the ten scores
 * of the reference inference (host/lib/model/infer.ts). The board's result line carries only the
 * digit, the two runners-up and a CRC of the ten scores; the CRC tells whether these ten are the
 * board's.
 */
import { testBit, wordBytes, wordsFor } from "../binary.ts";
import type { Model } from "../model/format.ts";
import { classify } from "../model/infer.ts";
import { RASTER_BITS, rasterizeBits } from "../../../src/shared/stroke-raster.ts";
import { scoreFields } from "../../../src/shared/stream-format.ts";

import { strokeNoDigit } from "../../../src/shared/no-digit.ts";

export interface DrawingReference {
  /** The reference inference's scores (int32, units of 2^-scoreShift). */
  scores: Int32Array;
  digit: number;
  runnersUp: number[];
  scoresCrc: number;
  /** The network's input: 784 characters "0"/"1", element 28 * row + column. */
  bits: string;
  /** Ink pixels. */
  ink: number;
  /** Why the program reports no digit for these strokes (src/shared/no-digit.ts), or "". */
  noDigit: string;
}

export function drawingReference(model: Model, strokes: number[][], width: number, height: number): DrawingReference {
  const words = new Uint32Array(wordsFor(RASTER_BITS));
  const info = rasterizeBits(strokes, width, height, wordBytes(words));
  const { scores, digit } = classify(model, words);
  const f = scoreFields(Array.from(scores), model.output.shift);
  let bits = "";
  for (let e = 0; e < RASTER_BITS; e++) bits += testBit(words, e) ? "1" : "0";
  return { scores, digit, runnersUp: f.runnersUp, scoresCrc: f.scoresCrc, bits, ink: info.ink, noDigit: strokeNoDigit(strokes, width, height) };
}
