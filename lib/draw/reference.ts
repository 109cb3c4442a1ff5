/**
 * What the host computes for a drawn digit, beside the board: the 28x28 bits the network sees
 * (the board's rasterizer, src/shared/stroke-raster.ts, on the same strokes) and the ten scores
 * of the reference inference (lib/model/infer.ts). The board's result line carries only the
 * digit, the two runners-up and a CRC of the ten scores; the CRC tells whether these ten are the
 * board's.
 */
import { testBit } from "../binary.ts";
import { touchPath } from "../classify.ts";
import type { Model } from "../model/format.ts";
import { RASTER_BITS } from "../../src/shared/stroke-raster.ts";
import { scoreFields } from "../../src/shared/stream-format.ts";

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
  const t = touchPath(model, strokes, width, height);
  const f = scoreFields(Array.from(t.scores), model.output.shift);
  let bits = "";
  for (let e = 0; e < RASTER_BITS; e++) bits += testBit(t.bits, e) ? "1" : "0";
  return { scores: t.scores, digit: t.digit, runnersUp: f.runnersUp, scoresCrc: f.scoresCrc, bits, ink: t.ink, noDigit: t.noDigit };
}
