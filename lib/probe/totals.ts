/**
 * What a board spends on one digit from the moment its input is complete to its result line:
 * the sum of the probe's stages that the program's path runs (src/app.ts, classifyAndReport and
 * the DigitInput of each source). A touch digit is complete once the pen has stayed up for
 * DIGIT_TIMEOUT_MS; a camera digit once its frame arrived whole.
 *
 *   touch native     strokesInput().native: encodeStrokes, classify_strokes (raster + inference in C)
 *   touch bytecode   strokesInput().bits: rasterizeBits, then scores() of src/bnn.ts
 *   camera native    frameInput().native, watched: classify_frame of the frame the service took off
 *                    the bus while it arrived (watch_frame; preprocessing + inference in C)
 *   camera bytecode  frameInput().bits: preprocess, packPixels, then scores()
 *   all of them      then scoreFields + formatResult, and console.log of the line
 *
 * Not in any sum: native-bits (`classify` of packed bits: the sample-digit path, and the probe's
 * check of the service's inference alone) and native-frame (the frame uploaded in `load` pieces,
 * then classified: the fallback when the service missed a chunk of a watched frame).
 */
import { DIGIT_TIMEOUT_MS } from "../../src/shared/touch-samples.ts";
import type { Source, StageFigure } from "./parse.ts";

export { DIGIT_TIMEOUT_MS };

export type Backend = "native" | "bytecode";
export const BACKENDS: Backend[] = ["native", "bytecode"];

/** The stages each source and backend runs for one digit, in order. */
export const BOARD_PATHS: Record<Source, Record<Backend, readonly string[]>> = {
  touch: {
    native: ["encode", "native-strokes", "format", "log"],
    bytecode: ["raster", "bytecode-scores", "format", "log"],
  },
  camera: {
    native: ["native-held-frame", "format", "log"],
    bytecode: ["preprocess", "pack", "bytecode-scores", "format", "log"],
  },
};

export interface PathTotal {
  /** The stages summed. */
  stages: readonly string[];
  /** Per case: the sum of its stages' ms; null when one of them did not run. */
  cases: { case: number; ms: number | null }[];
  /** The mean over the cases; null when a case has no sum. */
  meanMs: number | null;
}

export type Totals = Record<Source, Record<Backend, PathTotal>>;

const tenth = (x: number) => Math.round(x * 10) / 10;

/** The sums of one probe run's figures (every case and stage present: ProbeReader checks that). */
export function boardTotals(stages: readonly StageFigure[]): Totals {
  const out = {} as Totals;
  for (const source of Object.keys(BOARD_PATHS) as Source[]) {
    out[source] = {} as Record<Backend, PathTotal>;
    const cases = [...new Set(stages.filter((s) => s.source === source).map((s) => s.case))].sort((a, b) => a - b);
    for (const backend of BACKENDS) {
      const names = BOARD_PATHS[source][backend];
      const sums = cases.map((k) => {
        let ms: number | null = 0;
        for (const name of names) {
          const f = stages.find((s) => s.source === source && s.case === k && s.stage === name);
          ms = f?.ms == null || ms === null ? null : ms + f.ms;
        }
        return { case: k, ms: ms === null ? null : tenth(ms) };
      });
      const all = sums.every((s) => s.ms !== null) && sums.length > 0;
      const mean = all ? Math.round((100 * sums.reduce((a, s) => a + s.ms!, 0)) / sums.length) / 100 : null;
      out[source][backend] = { stages: names, cases: sums, meanMs: mean };
    }
  }
  return out;
}
