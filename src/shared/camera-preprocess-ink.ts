// Steps 1-3 of the camera preprocessing (camera-preprocess.ts describes the method and runs the
// steps): the frame's grey levels and which of them are ink. 1. histogramLevels: Otsu's
// threshold and the two classes' means; 2. inkBox: the ink's bounding box; 3. inkTable: the ink
// amount of each grey level. The C twin: firmware-codegen/c/bnn_preprocess_ink.c, the same
// functions in the same order.

import { MIN_LINE_INK, pauseSpent, zeros, type Prep } from "./camera-preprocess-state.js";

/** What step 1 finds in the histogram. */
export interface Levels {
  /** Otsu threshold: pixel p is ink when p <= threshold. -1 when the frame has one grey level. */
  threshold: number;
  /** Mean grey level of the ink class (floored). */
  ink: number;
  /** Mean grey level of the paper class (floored). */
  paper: number;
}

/** Otsu threshold and class means from a 256-bin histogram of `n` pixels. */
export function otsuLevels(hist: number[], n: number): Levels {
  let total = 0;
  for (let g = 0; g < 256; g++) total += g * hist[g];
  let w0 = 0;
  let s0 = 0;
  let best = -1;
  let bestScore = -1;
  for (let t = 0; t < 255; t++) {
    w0 += hist[t];
    s0 += t * hist[t];
    const w1 = n - w0;
    if (w0 === 0 || w1 === 0) continue;
    // between-class variance w0 * w1 * (m1 - m0)^2 with the means in quarter grey levels:
    // at most 2^30 * 1020^2 < 2^50 for frames up to 65535 pixels
    const d = Math.floor((4 * (total - s0)) / w1) - Math.floor((4 * s0) / w0);
    const score = w0 * w1 * d * d;
    if (score > bestScore) {
      bestScore = score;
      best = t;
    }
  }
  if (best < 0) return { threshold: -1, ink: 0, paper: 0 };
  let c0 = 0;
  let sum0 = 0;
  for (let g = 0; g <= best; g++) {
    c0 += hist[g];
    sum0 += g * hist[g];
  }
  return { threshold: best, ink: Math.floor(sum0 / c0), paper: Math.floor((total - sum0) / (n - c0)) };
}

/** 1. The histogram of the frame and its Otsu levels. */
export async function histogramLevels(p: Prep): Promise<Levels> {
  const frame = p.frame;
  const width = p.width;
  const height = p.height;
  const hist = zeros(256);
  for (let y = 0; y < height; y++) {
    const base = y * width;
    for (let x = 0; x < width; x++) hist[frame[base + x]]++;
    p.budget -= width;
    if (p.budget <= 0) await pauseSpent(p);
  }
  return otsuLevels(hist, width * height);
}

/** 2. The ink bounding box x0..x1, y0..y1: false when no row or column holds MIN_LINE_INK ink pixels. */
export async function inkBox(p: Prep): Promise<boolean> {
  const frame = p.frame;
  const width = p.width;
  const height = p.height;
  const t = p.t;
  const rowInk = zeros(height);
  const colInk = zeros(width);
  for (let y = 0; y < height; y++) {
    const base = y * width;
    for (let x = 0; x < width; x++) {
      if (frame[base + x] <= t) {
        rowInk[y]++;
        colInk[x]++;
      }
    }
    p.budget -= 2 * width;
    if (p.budget <= 0) await pauseSpent(p);
  }
  let x0 = 0;
  while (x0 < width && colInk[x0] < MIN_LINE_INK) x0++;
  let x1 = width - 1;
  while (x1 >= x0 && colInk[x1] < MIN_LINE_INK) x1--;
  let y0 = 0;
  while (y0 < height && rowInk[y0] < MIN_LINE_INK) y0++;
  let y1 = height - 1;
  while (y1 >= y0 && rowInk[y1] < MIN_LINE_INK) y1--;
  p.x0 = x0;
  p.x1 = x1;
  p.y0 = y0;
  p.y1 = y1;
  return x0 <= x1 && y0 <= y1;
}

/** 3. The ink amount of each grey level: 255 at or below the ink mean, 0 at or above the knee. */
export function inkTable(lv: Levels): number[] {
  const lo = lv.ink;
  const knee = lv.threshold + ((lv.paper - lv.threshold) >> 1);
  const span = knee - lo;
  const inkOf = zeros(256);
  for (let g = 0; g < 256; g++) inkOf[g] = g <= lo ? 255 : g < knee ? Math.floor((255 * (knee - g)) / span) : 0;
  return inkOf;
}
