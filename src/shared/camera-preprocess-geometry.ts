// Steps 4-7 of the camera preprocessing (camera-preprocess.ts describes the method and runs the
// steps): the ink's box deskewed, resampled and placed. 4. deskewShear: the shear that makes the
// ink's slant upright; 5. shearedBox: the box's rows shifted by it, its columns found again;
// 6. resampleBox: the sheared box area-averaged to BOX_SIDE, with its centre of mass;
// 7. placeCentre: the patch placed by its centre of mass. The C twin:
// firmware-codegen/c/bnn_preprocess_geometry.c, the same functions in the same order.

import type { ByteArray } from "./bits.js";
import { roundedShear, SHEAR_ONE } from "./deskew.js";
import { BOX_SIDE, CENTRE, MIN_LINE_INK, MOMENT_LIMIT, MOMENT_RANGE, OUT_SIDE, pauseSpent, SHEAR_MAX, zeros, type Prep } from "./camera-preprocess-state.js";

/**
 * The overlaps of an area-averaging resample of `n` source cells to `m` output cells along one
 * axis: on a common axis source cell s covers [s*m, (s+1)*m) and output cell o covers
 * [o*n, (o+1)*n), so the overlaps of an output cell add up to n. Source cell s overlaps output
 * cell cell[k] by weight[k] for k = first[s] .. first[s+1]-1, in increasing o.
 */
interface Overlaps {
  first: number[];
  cell: number[];
  weight: number[];
}

/**
 * The overlaps of resampling `n` cells to `m` (both >= 1). Called once per pass, both passes of
 * step 6 (resampleBox) use it: their per-pixel loops only look the overlaps up, no call per
 * pixel. o = floor(s*m / n) is kept by stepping instead of dividing.
 *
 * (DeviceScript: a call costs the VM some 20 additions' steps but, in the simulator's VM, the
 * time of hundreds, about 30 us: no loop over pixels or grey levels calls a function, divisions
 * are Math.floor inline. Math.floor itself is a builtin, not a call of bytecode.)
 */
function areaOverlaps(n: number, m: number): Overlaps {
  const first: number[] = [];
  const cell: number[] = [];
  const weight: number[] = [];
  let o0 = 0;
  for (let s = 0; s < n; s++) {
    first.push(cell.length);
    const a = s * m;
    const b = a + m;
    while ((o0 + 1) * n <= a) o0++;
    let o = o0;
    while (o < m && o * n < b) {
      const lo2 = o * n > a ? o * n : a;
      const hi2 = (o + 1) * n < b ? (o + 1) * n : b;
      cell.push(o);
      weight.push(hi2 - lo2);
      o++;
    }
  }
  first.push(cell.length);
  return { first, cell, weight };
}

/**
 * 4. Deskew: the shear that makes the ink's second moments upright (weights v >> 5, box
 * coordinates divided (floored) by q, the power of two keeping them within MOMENT_RANGE),
 * shear = round(SHEAR_ONE * cov / var), limited to +-SHEAR_MAX. Every sum stays below 2^53 for
 * frames up to 65535 pixels (n * 7 * 127^2 * 7 n), and cov, var are halved together to
 * MOMENT_LIMIT before the division, so doubles and the C's int64 give the same integers.
 */
export async function deskewShear(p: Prep, inkOf: number[]): Promise<void> {
  const frame = p.frame;
  const width = p.width;
  const x0 = p.x0;
  const x1 = p.x1;
  const y0 = p.y0;
  const y1 = p.y1;
  let q = 1;
  while (x1 - x0 > MOMENT_RANGE * q || y1 - y0 > MOMENT_RANGE * q) q = q * 2;
  let sw = 0;
  let sxw = 0;
  let syw = 0;
  let sxy = 0;
  let syy = 0;
  for (let y = y0; y <= y1; y++) {
    const base = y * width;
    const dy = Math.floor((y - y0) / q);
    for (let x = x0; x <= x1; x++) {
      const w = inkOf[frame[base + x]] >> 5;
      if (w === 0) continue;
      const dx = Math.floor((x - x0) / q);
      sw += w;
      sxw += w * dx;
      syw += w * dy;
      sxy += w * dx * dy;
      syy += w * dy * dy;
    }
    p.budget -= 2 * (x1 - x0 + 1);
    if (p.budget <= 0) await pauseSpent(p);
  }
  let cov = sw * sxy - sxw * syw;
  let vr = sw * syy - syw * syw;
  while (vr > MOMENT_LIMIT || cov > MOMENT_LIMIT || cov < -MOMENT_LIMIT) {
    cov = Math.floor(cov / 2);
    vr = Math.floor(vr / 2);
  }
  p.shear = roundedShear(cov, vr, SHEAR_MAX);
  p.sw = sw;
  p.syw = q * syw;
}

/**
 * 5. The sheared box: source row y moves by -round(shear * (y - mean y) / SHEAR_ONE) whole
 * pixels (its shift, subtracted from x, into `shift`), and the box's columns are found again in
 * the sheared frame: left0, the source x of its first column before the row's shift, and the
 * width bw. False when no sheared column holds MIN_LINE_INK ink pixels.
 */
export async function shearedBox(p: Prep, shift: number[]): Promise<boolean> {
  const frame = p.frame;
  const width = p.width;
  const t = p.t;
  const x0 = p.x0;
  const x1 = p.x1;
  const y0 = p.y0;
  const y1 = p.y1;
  const sw = p.sw;
  const syw = p.syw;
  const shear = p.shear;
  const bh = y1 - y0 + 1;
  let lowShift = 0;
  let highShift = 0;
  for (let dy = 0; dy < bh; dy++) {
    const d = sw > 0 ? Math.floor((2 * shear * (sw * dy - syw) + SHEAR_ONE * sw) / (2 * SHEAR_ONE * sw)) : 0;
    shift.push(d);
    if (dy === 0 || d < lowShift) lowShift = d;
    if (dy === 0 || d > highShift) highShift = d;
  }
  // sheared columns: c = x - x0 - shift + highShift, in 0 .. (x1 - x0) + highShift - lowShift
  const wide = x1 - x0 + 1 + highShift - lowShift;
  const colSheared = zeros(wide);
  for (let y = y0; y <= y1; y++) {
    const base = y * width;
    const o = highShift - shift[y - y0] - x0;
    for (let x = x0; x <= x1; x++) if (frame[base + x] <= t) colSheared[x + o]++;
    p.budget -= x1 - x0 + 1;
    if (p.budget <= 0) await pauseSpent(p);
  }
  let c0 = 0;
  while (c0 < wide && colSheared[c0] < MIN_LINE_INK) c0++;
  let c1 = wide - 1;
  while (c1 >= c0 && colSheared[c1] < MIN_LINE_INK) c1--;
  p.left0 = x0 + c0 - highShift;
  p.bw = c1 - c0 + 1;
  return c0 <= c1;
}

/**
 * 6. Resamples the sheared box (bw x bh) to tw x th, its longer side becoming BOX_SIDE: each
 * output pixel the v values times their overlaps (which add up to bw * bh), rounded; then the
 * centre of mass of the patch. Counts the box's ink pixels. Returns the patch.
 */
export async function resampleBox(p: Prep, inkOf: number[], shift: number[]): Promise<number[]> {
  const bw = p.bw;
  const bh = p.y1 - p.y0 + 1;
  const longer = bw > bh ? bw : bh;
  let tw = Math.floor((2 * bw * BOX_SIDE + longer) / (2 * longer));
  let th = Math.floor((2 * bh * BOX_SIDE + longer) / (2 * longer));
  if (tw < 1) tw = 1;
  if (th < 1) th = 1;
  const patch = await verticalPass(p, await horizontalPass(p, inkOf, shift, tw), tw, th);
  // rounding and centre of mass
  const denom = bw * bh;
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let oy = 0; oy < th; oy++) {
    for (let ox = 0; ox < tw; ox++) {
      let v = Math.floor((2 * patch[oy * tw + ox] + denom) / (2 * denom));
      if (v > 255) v = 255;
      patch[oy * tw + ox] = v;
      mass += v;
      mx += ox * v;
      my += oy * v;
    }
    p.budget -= 2 * tw;
    if (p.budget <= 0) await pauseSpent(p);
  }
  p.tw = tw;
  p.th = th;
  p.mass = mass;
  p.mx = mx;
  p.my = my;
  return patch;
}

/**
 * Step 6's horizontal pass: each source row of the sheared box to tw columns, each the sum of
 * v * overlap over the source columns (the overlaps of an output column add up to bw); counts
 * the ink pixels. Returns the bh x tw sums.
 */
async function horizontalPass(p: Prep, inkOf: number[], shift: number[], tw: number): Promise<number[]> {
  const frame = p.frame;
  const width = p.width;
  const t = p.t;
  const x0 = p.x0;
  const x1 = p.x1;
  const y0 = p.y0;
  const bw = p.bw;
  const bh = p.y1 - y0 + 1;
  const left0 = p.left0;
  const columns = areaOverlaps(bw, tw);
  const xFirst = columns.first;
  const xCell = columns.cell;
  const xWeight = columns.weight;
  const rows = zeros(bh * tw);
  let inkCount = 0;
  for (let sy = 0; sy < bh; sy++) {
    // source x of sheared box column 0
    const left = left0 + shift[sy];
    const from = left < x0 ? x0 - left : 0;
    const to = left + bw - 1 > x1 ? x1 - left + 1 : bw;
    const base = (y0 + sy) * width + left;
    const rowBase = sy * tw;
    for (let sx = from; sx < to; sx++) {
      const px = frame[base + sx];
      if (px <= t) inkCount++;
      const v = inkOf[px];
      if (v === 0) continue;
      const end = xFirst[sx + 1];
      for (let k = xFirst[sx]; k < end; k++) rows[rowBase + xCell[k]] += v * xWeight[k];
    }
    p.budget -= 4 * bw;
    if (p.budget <= 0) await pauseSpent(p);
  }
  p.inkCount = inkCount;
  return rows;
}

/** Step 6's vertical pass: the rows' sums into the tw x th patch; an output pixel's total weight is bw * bh. */
async function verticalPass(p: Prep, rows: number[], tw: number, th: number): Promise<number[]> {
  const bh = p.y1 - p.y0 + 1;
  const lines = areaOverlaps(bh, th);
  const yFirst = lines.first;
  const yCell = lines.cell;
  const yWeight = lines.weight;
  const patch = zeros(tw * th);
  for (let sy = 0; sy < bh; sy++) {
    const end = yFirst[sy + 1];
    for (let k = yFirst[sy]; k < end; k++) {
      const oy = yCell[k];
      const w = yWeight[k];
      for (let ox = 0; ox < tw; ox++) patch[oy * tw + ox] += rows[sy * tw + ox] * w;
      p.budget -= 2 * tw;
    }
    if (p.budget <= 0) await pauseSpent(p);
  }
  return patch;
}

/** 7. Places the patch so that its centre of mass lands on (CENTRE, CENTRE), inside the field. */
export function placeCentre(p: Prep, patch: number[], out: ByteArray): void {
  const tw = p.tw;
  const th = p.th;
  const mass = p.mass;
  let px = Math.floor((2 * CENTRE * mass - 2 * p.mx + mass) / (2 * mass));
  let py = Math.floor((2 * CENTRE * mass - 2 * p.my + mass) / (2 * mass));
  if (px < 0) px = 0;
  if (py < 0) py = 0;
  if (px > OUT_SIDE - tw) px = OUT_SIDE - tw;
  if (py > OUT_SIDE - th) py = OUT_SIDE - th;
  for (let oy = 0; oy < th; oy++) {
    for (let ox = 0; ox < tw; ox++) out[(py + oy) * OUT_SIDE + px + ox] = patch[oy * tw + ox];
  }
}
