// What the camera preprocessing's pipeline (camera-preprocess.ts, which describes the method) and
// its steps (camera-preprocess-ink.ts: steps 1-3, camera-preprocess-geometry.ts: steps 4-7) share:
// the method's constants, the state one call hands from step to step (Prep) and the pauses of
// its pixel loops. The C twins: the constants in firmware-codegen/c/bnn_preprocess.h, prep_t in
// firmware-codegen/c/bnn_preprocess_state.h.

import type { ByteArray } from "./bits.js";

export const OUT_SIDE = 28;
export const OUT_PIXELS = 784;
export const BOX_SIDE = 20;
/** Centre of mass target, pixel index (MNIST). */
export const CENTRE = 14;
/** Minimum paper - ink difference (grey levels) for a frame to count as showing a digit. */
export const MIN_CONTRAST = 40;
/** A row or column belongs to the ink bounding box when it holds at least this many ink pixels. */
export const MIN_LINE_INK = 2;
/** Deskew: the shear's limit either way, in 1/SHEAR_ONE (deskew.ts): 0.5 px of x per px of y. */
export const SHEAR_MAX = 128;
/** The moment sums are halved together until covariance and variance are within this (exact doubles, as the C's int64). */
export const MOMENT_LIMIT = 2 ** 40;
/** Largest reduced box coordinate in the moment sums. */
export const MOMENT_RANGE = 127;

export function zeros(n: number): number[] {
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push(0);
  return a;
}

/** Waits for the scheduler: DeviceScript passes src/yield.ts's yieldToFirmware; Node passes nothing. */
export type Pause = () => Promise<void>;

/**
 * Pixel steps between two pauses. The DeviceScript VM throws InfiniteLoop when a fiber runs
 * 128k opcodes without yielding (DEVS_MAX_STEPS); a histogram pixel costs ~40-60 of them (3072
 * pixels between pauses failed, 2048 passed), so 512 leaves a margin of 4 or more.
 */
export const STEPS_PER_PAUSE = 512;

/**
 * What the steps of preprocess hand on besides the ink table, the row shifts and the patch,
 * each step filling its part (the C's prep_t). (A step copies the fields its pixel loops read
 * into locals: in DeviceScript a field read is a lookup, a local is not.)
 */
export interface Prep {
  frame: ByteArray;
  width: number;
  height: number;
  pause: Pause | undefined;
  /** Pixel steps left before the next pause. */
  budget: number;
  /** 1. histogramLevels: the threshold, ink when p <= t. */
  t: number;
  /** 2. inkBox: the box, frame coordinates, inclusive. */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  /** 4. deskewShear: the moment sums' weight sw and q * syw (mean y = syw / sw, box rows), the shear. */
  sw: number;
  syw: number;
  shear: number;
  /** 5. shearedBox: the sheared box's first column (source x = left0 + the row's shift) and width. */
  left0: number;
  bw: number;
  /** 6. resampleBox: the patch's size, its mass and moments, the ink pixels of the sheared box. */
  tw: number;
  th: number;
  mass: number;
  mx: number;
  my: number;
  inkCount: number;
}

/**
 * A step's row loop has spent the budget (`if (p.budget <= 0) await pauseSpent(p)` after each
 * row): pauses, when there is a pause, and starts a new budget. Called once per pause, not per
 * row or pixel.
 */
export async function pauseSpent(p: Prep): Promise<void> {
  p.budget = STEPS_PER_PAUSE;
  if (p.pause) await p.pause();
}
