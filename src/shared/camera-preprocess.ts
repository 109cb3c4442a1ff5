// Camera frame -> 28x28 MNIST-style digit. Plain TypeScript (imports only src/shared/) and integer
// arithmetic only (every intermediate value is an integer below 2^53, divisions are floored), so
// the DeviceScript program and Node (tests, fixture generator) compute the same bytes.
//
// Input: a W x H grayscale frame as the camera sees it (services/digitcamera.md): row-major,
// 0 = black, 255 = white, i.e. bright paper with dark ink.
// Output: 784 bytes in the MNIST convention: 0 = background, 255 = ink, the digit's longer side
// scaled to 20 px (keeping the aspect ratio, area-averaged) and placed so that its centre of
// mass is at pixel (14, 14), as MNIST was made (its test set's mean centre of mass is
// (14.00, 13.99) in pixel-index coordinates).
//
// Steps, run by preprocessSteps below: 1-3 in camera-preprocess-ink.ts, 4-7 in
// camera-preprocess-geometry.ts, with the constants and the state they hand on (Prep) in
// camera-preprocess-state.ts. The C twins have functions of the same names in the same order:
// firmware-codegen/c/bnn_preprocess.c (this file's), bnn_preprocess_ink.c, bnn_preprocess_geometry.c.
//  1. histogramLevels: Otsu's threshold on the 256-bin histogram (class means in quarter grey
//     levels), pixel p is ink when p <= t; ink mean `lo` and paper mean `hi` of the two classes.
//     Too little contrast (hi - lo < MIN_CONTRAST) or one grey level: blank output, returns 0.
//  2. inkBox: the bounding box of the rows and columns holding at least MIN_LINE_INK ink pixels
//     (p <= t), so a lone speck does not stretch it. No ink: returns 0.
//  3. inkTable: ink amount per grey level (inverted): v = 255 at or below `lo`, 0 at or above
//     `knee` = t + (hi - t) / 2 (so paper shading and noise around `hi` vanish), linear between.
//     (After the box, which needs only t: the C builds the table over the histogram's memory.)
//  4. deskewShear: the shear that makes the ink's slant, from its second moments, upright (as
//     the stroke rasterizer does for touch).
//  5. shearedBox: rows of the box are shifted by whole pixels by that shear, and the box's
//     columns are found again the same way in the sheared frame.
//  6. resampleBox: area-averaging resample of the sheared box's v values to tw x th,
//     max(tw, th) = 20, rounded, with the centre of mass of the result.
//  7. placeCentre: the patch placed so that its centre of mass lands on (14, 14), clamped to the field.
//
// DeviceScript: pass `pause` (src/yield.ts) so the VM's step limit is not hit and the firmware's main loop runs.
//
// Not handled: frames whose border is darker than the paper (vignetting, the table around the
// sheet), more than one mark on the paper, rotation. The frame should show the digit on plain paper.

import type { ByteArray } from "./bits.js";
import { deskewShear, placeCentre, resampleBox, shearedBox } from "./camera-preprocess-geometry.js";
import { histogramLevels, inkBox, inkTable } from "./camera-preprocess-ink.js";
import { MIN_CONTRAST, OUT_PIXELS, STEPS_PER_PAUSE, type Pause, type Prep } from "./camera-preprocess-state.js";

/** The output's size, for the callers (the constants are in camera-preprocess-state.ts). */
export { OUT_PIXELS, OUT_SIDE } from "./camera-preprocess-state.js";

/**
 * The Prep of the last call, free again. Creating an object of this many fields costs the
 * simulator's DeviceScript VM about 2 ms, a sixth of a frame, so calls that do not overlap share
 * this one; a call that overlaps another (preprocess awaits) makes its own.
 */
let sparePrep: Prep | undefined = undefined;

/** What a spare Prep holds instead of the last frame. */
const NO_FRAME: number[] = [];

/**
 * Turns the `width` x `height` frame into a 28x28 MNIST-style digit in `out[0..783]`.
 * Returns the number of ink pixels found in the frame's bounding box (0: no digit; `out` is then
 * all 0). Calls `pause` every STEPS_PER_PAUSE pixel steps (the result does not depend on it).
 */
export async function preprocess(frame: ByteArray, width: number, height: number, out: ByteArray, pause?: Pause): Promise<number> {
  for (let i = 0; i < OUT_PIXELS; i++) out[i] = 0;
  let p = sparePrep;
  sparePrep = undefined;
  if (p === undefined) {
    p = {
      frame,
      width,
      height,
      pause,
      budget: STEPS_PER_PAUSE,
      t: 0,
      x0: 0,
      x1: 0,
      y0: 0,
      y1: 0,
      sw: 0,
      syw: 0,
      shear: 0,
      left0: 0,
      bw: 0,
      tw: 0,
      th: 0,
      mass: 0,
      mx: 0,
      my: 0,
      inkCount: 0,
    };
  }
  p.frame = frame;
  p.width = width;
  p.height = height;
  p.pause = pause;
  p.budget = STEPS_PER_PAUSE;
  const ink = await preprocessSteps(p, out);
  p.frame = NO_FRAME;
  p.pause = undefined;
  sparePrep = p;
  return ink;
}

/** The steps, in this order in the C (bnn_preprocess.c) too; returns preprocess's result. */
async function preprocessSteps(p: Prep, out: ByteArray): Promise<number> {
  const lv = await histogramLevels(p);
  if (lv.threshold < 0 || lv.paper - lv.ink < MIN_CONTRAST) return 0;
  p.t = lv.threshold;
  if (!(await inkBox(p))) return 0;
  const inkOf = inkTable(lv);
  await deskewShear(p, inkOf);
  const shift: number[] = [];
  if (!(await shearedBox(p, shift))) return 0;
  const patch = await resampleBox(p, inkOf, shift);
  if (p.mass === 0) return 0;
  placeCentre(p, patch, out);
  return p.inkCount;
}
