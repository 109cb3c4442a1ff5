// Touch strokes -> the 28x28 binary input of the network, the way MNIST digits were framed: the
// strokes are deskewed (sheared so that their slant, measured by the second moments of the
// points, is upright: italic and hurried hands look like upright ones), their bounding box is
// scaled so its longer side (pen included) is 20 px, aspect ratio kept, and the drawing is moved
// so that its centre of mass lands on pixel (14, 14).
//
// Plain TypeScript importing only src/shared/, shared by the DeviceScript program, Node (host
// tools, simulator, tests) and, line for line, the C of the classifier service (c/bnn_raster.h):
// integer arithmetic only, every division floored with all operands non-negative or handled, so
// all three give the same bits. This file holds the pipeline (rasterizeBits) and the strokes'
// upload form; the steps are in stroke-raster-steps.ts, the constants and the state the steps
// hand on in stroke-raster-state.ts. The C twins: c/bnn_raster.c (the pipeline),
// c/bnn_raster_steps.c and c/bnn_raster_state.h.
//
// Strokes are flat point lists in panel coordinates [x0, y0, x1, y1, ...]; a stroke of one point
// is a dot. The pen is a disc of radius PEN_RADIUS (in 1/16 px): a pixel is ink when its centre
// lies within the pen of a point of the strokes, the points being the stroke points and points
// interpolated between them at most STEP apart. The work is one row span per disc and pen row
// (a disc is about 3 rows), so it grows with the length of the strokes, not with a canvas; the
// result is the packed input bits (element 28 * row + column), with no grayscale pass.
//
// Coordinates: "fine" units are 1/16 output pixel. A point (clamped to the panel) is first
// sheared, exactly, in 1/SHEAR_ONE panel units: X = SHEAR_ONE * (x - minX) - shear * (y - minY),
// Y = SHEAR_ONE * (y - minY); then it maps to fine coordinates by
//   f = round((X - lowX) * SPAN / side),  round(Y * SPAN / side)   (SPAN = 20 * 16 - 2 * PEN_RADIUS)
// where lowX is the smallest sheared X and side the longer side of the sheared points' box, in
// the same units; the pixel of column c covers [16c, 16c + 16), its centre is 16c + 8.

import { deskewShear, discCentres, drawDiscs, packRows, placeCentre, pointBox, shearedBox } from "./stroke-raster-steps.js";
import type { Bits, Raster } from "./stroke-raster-state.js";

/** The output's size, for the callers (the constants are in stroke-raster-state.ts). */
export { RASTER_BITS, RASTER_SIDE } from "./stroke-raster-state.js";

export interface RasterInfo {
  /** Points read (clamped to the panel). */
  points: number;
  /** Bounding box of the deskewed points, panel units (width and height 0 for a dot; -1 with no points). */
  boxWidth: number;
  boxHeight: number;
  /** Discs drawn. */
  discs: number;
  /** Ink pixels set. */
  ink: number;
}

/**
 * The one Raster of all calls: creating an object of this many fields costs the simulator's
 * DeviceScript VM about a fifth of a raster's time, and rasterizeBits runs to its end without
 * yielding, so two calls never share it. It holds numbers only (nothing stays alive through it).
 */
const STATE: Raster = {
  maxX: 0,
  maxY: 0,
  minX: 0,
  minY: 0,
  boxX: 0,
  boxY: 0,
  points: 0,
  shear: 0,
  lowX: 0,
  wideX: 0,
  tallY: 0,
  side: 0,
  boxWidth: 0,
  discs: 0,
  sumX: 0,
  sumY: 0,
  offX: 0,
  offY: 0,
};

/**
 * Rasterizes `strokes` drawn on a `panelWidth` x `panelHeight` panel into the packed input bits
 * `out` (25 u32 words as 100 little-endian bytes: element e is bit e & 7 of byte e >> 3; cleared
 * first). Returns what was drawn; with no points, `out` stays all 0.
 *
 * The steps, in this order in the C (bnn_raster.c) too: 1. pointBox, 2. deskewShear,
 * 3. shearedBox, 4. discCentres, 5. placeCentre, 6. drawDiscs, 7. packRows.
 */
export function rasterizeBits(strokes: number[][], panelWidth: number, panelHeight: number, out: Bits): RasterInfo {
  for (let i = 0; i < 100; i++) out[i] = 0;
  const r = STATE;
  r.maxX = panelWidth - 1;
  r.maxY = panelHeight - 1;
  pointBox(r, strokes);
  if (r.points === 0) return { points: 0, boxWidth: -1, boxHeight: -1, discs: 0, ink: 0 };
  deskewShear(r, strokes);
  shearedBox(r, strokes);
  discCentres(r, strokes);
  placeCentre(r);
  const ink = packRows(drawDiscs(r, strokes), out);
  return { points: r.points, boxWidth: r.boxWidth, boxHeight: r.boxY - r.minY, discs: r.discs, ink };
}

/** The pair that ends a stroke in the upload form of strokes. */
export const PEN_UP = 0xffff;

/** Pairs (points and stroke ends) of the upload form of `strokes`. */
export function strokePairCount(strokes: number[][]): number {
  let n = 0;
  for (let s = 0; s < strokes.length; s++) n += (strokes[s].length >> 1) + 1;
  return n;
}

function clampInt(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Strokes in the classifier service's upload form (services/bnnclassifier.md, c/bnn_raster.h):
 * u16 x, y pairs, little-endian, each stroke followed by the pair PEN_UP, PEN_UP. Points are
 * clamped to 0..65534 (65535 is the marker). `out` holds 4 * strokePairCount(strokes) bytes.
 */
export function encodeStrokes(strokes: number[][], out: Bits): number {
  let o = 0;
  for (let s = 0; s < strokes.length; s++) {
    const st = strokes[s];
    for (let i = 0; i + 1 < st.length; i += 2) {
      const x = clampInt(st[i], 0, PEN_UP - 1);
      const y = clampInt(st[i + 1], 0, PEN_UP - 1);
      out[o] = x & 0xff;
      out[o + 1] = x >> 8;
      out[o + 2] = y & 0xff;
      out[o + 3] = y >> 8;
      o += 4;
    }
    out[o] = 0xff;
    out[o + 1] = 0xff;
    out[o + 2] = 0xff;
    out[o + 3] = 0xff;
    o += 4;
  }
  return o >> 2;
}
