// The steps of the stroke rasterizer (stroke-raster.ts describes the method and runs them, in
// this order): 1. pointBox, 2. deskewShear, 3. shearedBox, 4. discCentres, 5. placeCentre,
// 6. drawDiscs, 7. packRows. The C twin: firmware-codegen/c/bnn_raster_steps.c, the same
// functions (snake_case, prefixed bnn_raster_) in the same order.

import { roundedShear, SHEAR_ONE } from "./deskew.js";
import {
  CENTRE,
  FINE,
  MAX_DISCS,
  MOMENT_POINTS,
  MOMENT_RANGE,
  PEN_RADIUS,
  RASTER_SIDE,
  SHEAR_MAX,
  SPAN,
  STEP,
  type Bits,
  type Raster,
} from "./stroke-raster-state.js";

/** Half-width of the pen, in fine units, at each vertical distance 0..PEN_RADIUS from its centre. */
function penSpans(): number[] {
  const out: number[] = [];
  const r2 = PEN_RADIUS * PEN_RADIUS;
  for (let dy = 0; dy <= PEN_RADIUS; dy++) {
    // largest h with h^2 + dy^2 <= r^2
    let h = 0;
    while ((h + 1) * (h + 1) + dy * dy <= r2) h++;
    out.push(h);
  }
  return out;
}

const SPANS = penSpans();

// (The steps are written for the DeviceScript VM: function calls cost more than the arithmetic
// there, so clamps and divisions are inline; every operand of a shift-division is non-negative.)

/** 1. The bounding box of the points, clamped to the panel. */
export function pointBox(r: Raster, strokes: number[][]): void {
  const maxX = r.maxX;
  const maxY = r.maxY;
  let minX = maxX + 1;
  let minY = maxY + 1;
  let boxX = -1;
  let boxY = -1;
  let points = 0;
  for (let s = 0; s < strokes.length; s++) {
    const st = strokes[s];
    for (let i = 0; i + 1 < st.length; i += 2) {
      let x = st[i];
      let y = st[i + 1];
      x = x < 0 ? 0 : x > maxX ? maxX : x;
      y = y < 0 ? 0 : y > maxY ? maxY : y;
      if (x < minX) minX = x;
      if (x > boxX) boxX = x;
      if (y < minY) minY = y;
      if (y > boxY) boxY = y;
      points++;
    }
  }
  r.minX = minX;
  r.minY = minY;
  r.boxX = boxX;
  r.boxY = boxY;
  r.points = points;
}

/**
 * 2. Deskew: the shear that makes the points' second moments upright,
 *   shear = round(SHEAR_ONE * cov(x, y) / var(y)), limited to +-SHEAR_MAX,
 * from the first MOMENT_POINTS points, with coordinates measured from the box corner and
 * divided (floored) by q, the power of two that keeps them within MOMENT_RANGE: the sums
 * (n * sum(ab) - sum(a) * sum(b), times 2 * SHEAR_ONE) stay below 2^53: exact in doubles and in
 * the C's int64. A point then lies at X = SHEAR_ONE * (x - minX) - shear * (y - minY), in
 * 1/SHEAR_ONE panel units, exactly; everything after is a ratio of such differences, so the
 * raster is the same when the drawing is moved, or scaled by 2 while q stays 1.
 */
export function deskewShear(r: Raster, strokes: number[][]): void {
  const maxX = r.maxX;
  const maxY = r.maxY;
  const minX = r.minX;
  const minY = r.minY;
  let q = 1;
  while (r.boxX - minX > MOMENT_RANGE * q || r.boxY - minY > MOMENT_RANGE * q) q = q * 2;
  let m = 0;
  let sa = 0;
  let sb = 0;
  let sab = 0;
  let sbb = 0;
  for (let s = 0; s < strokes.length && m < MOMENT_POINTS; s++) {
    const st = strokes[s];
    for (let i = 0; i + 1 < st.length && m < MOMENT_POINTS; i += 2) {
      let x = st[i];
      let y = st[i + 1];
      x = x < 0 ? 0 : x > maxX ? maxX : x;
      y = y < 0 ? 0 : y > maxY ? maxY : y;
      const da = Math.floor((x - minX) / q);
      const db = Math.floor((y - minY) / q);
      sa += da;
      sb += db;
      sab += da * db;
      sbb += db * db;
      m++;
    }
  }
  r.shear = roundedShear(m * sab - sa * sb, m * sbb - sb * sb, SHEAR_MAX);
}

/** 3. The box of the sheared points: its x range, its height, the longer side the scale maps to SPAN. */
export function shearedBox(r: Raster, strokes: number[][]): void {
  const maxX = r.maxX;
  const maxY = r.maxY;
  const minX = r.minX;
  const minY = r.minY;
  const shear = r.shear;
  let lowX = 0x7fffffff;
  let highX = -0x7fffffff;
  for (let s = 0; s < strokes.length; s++) {
    const st = strokes[s];
    for (let i = 0; i + 1 < st.length; i += 2) {
      let x = st[i];
      let y = st[i + 1];
      x = x < 0 ? 0 : x > maxX ? maxX : x;
      y = y < 0 ? 0 : y > maxY ? maxY : y;
      const sx = SHEAR_ONE * (x - minX) - shear * (y - minY);
      if (sx < lowX) lowX = sx;
      if (sx > highX) highX = sx;
    }
  }
  const wideX = highX - lowX;
  const tallY = SHEAR_ONE * (r.boxY - minY);
  let side = wideX > tallY ? wideX : tallY;
  if (side < SHEAR_ONE) side = SHEAR_ONE;
  r.lowX = lowX;
  r.wideX = wideX;
  r.tallY = tallY;
  r.side = side;
  // the width rounded to panel units (for RasterInfo)
  r.boxWidth = Math.floor((2 * wideX + SHEAR_ONE) / (2 * SHEAR_ONE));
}

/**
 * 4. The disc centres, fine units before the move: each point at
 * round((X - lowX) * SPAN / side), round(Y * SPAN / side), and between two points of a stroke
 * the centres at most STEP apart; at most MAX_DISCS. Their number and sums (the centre of mass).
 * No step keeps them: drawDiscs walks them again, in the same loops (the walk is written out in
 * both: a call per centre costs the VM more than the walk). The C walks them with one function,
 * bnn_raster_next_centre, in both steps: 600 kept centres would be 2,400 bytes of its static RAM.
 */
export function discCentres(r: Raster, strokes: number[][]): void {
  const maxX = r.maxX;
  const maxY = r.maxY;
  const minX = r.minX;
  const minY = r.minY;
  const shear = r.shear;
  const lowX = r.lowX;
  const side = r.side;
  const span2 = 2 * SPAN;
  const side2 = 2 * side;
  let n = 0;
  let sumX = 0;
  let sumY = 0;
  for (let s = 0; s < strokes.length && n < MAX_DISCS; s++) {
    const st = strokes[s];
    let px = -1;
    let py = -1;
    for (let i = 0; i + 1 < st.length && n < MAX_DISCS; i += 2) {
      let x = st[i];
      let y = st[i + 1];
      x = x < 0 ? 0 : x > maxX ? maxX : x;
      y = y < 0 ? 0 : y > maxY ? maxY : y;
      const fx = Math.floor(((SHEAR_ONE * (x - minX) - shear * (y - minY) - lowX) * span2 + side) / side2);
      const fy = Math.floor((SHEAR_ONE * (y - minY) * span2 + side) / side2);
      // from the last point to this one: k - 1 centres in between, then this one (none if it did
      // not move); a stroke's first point alone
      let k = 1;
      let dx = 0;
      let dy = 0;
      if (px >= 0) {
        dx = fx - px;
        dy = fy - py;
        const adx = dx < 0 ? -dx : dx;
        const ady = dy < 0 ? -dy : dy;
        k = Math.floor(((adx > ady ? adx : ady) + STEP - 1) / STEP);
      }
      const k2 = 2 * k;
      for (let t = 1; t <= k && n < MAX_DISCS; t++) {
        // round(p + d * t / k), d may be negative: floor of (2 d t + k) / (2 k)
        sumX += t < k ? px + Math.floor((2 * dx * t + k) / k2) : fx;
        sumY += t < k ? py + Math.floor((2 * dy * t + k) / k2) : fy;
        n++;
      }
      px = fx;
      py = fy;
    }
  }
  r.discs = n;
  r.sumX = sumX;
  r.sumY = sumY;
}

/** 5. The move: the centre of mass to CENTRE, kept inside the grid (pen included). */
export function placeCentre(r: Raster): void {
  const n = r.discs;
  const side = r.side;
  const extentX = Math.floor((r.wideX * 2 * SPAN + side) / (2 * side));
  const extentY = Math.floor((r.tallY * 2 * SPAN + side) / (2 * side));
  const lastFine = RASTER_SIDE * FINE - 1;
  const offX = CENTRE - Math.floor((2 * r.sumX + n) / (2 * n));
  const offY = CENTRE - Math.floor((2 * r.sumY + n) / (2 * n));
  const highX = lastFine - PEN_RADIUS - extentX;
  const highY = lastFine - PEN_RADIUS - extentY;
  r.offX = offX < PEN_RADIUS ? PEN_RADIUS : offX > highX ? highX : offX;
  r.offY = offY < PEN_RADIUS ? PEN_RADIUS : offY > highY ? highY : offY;
}

/**
 * 6. Draws the discs, walking their centres as discCentres does (the same loops): per disc and
 * pen row, one span of columns ORed into the row's bits (bit c: column c). cx, cy >= PEN_RADIUS
 * and the half-width h <= PEN_RADIUS, so the numerators of the >> 4 below are >= 0. Returns the
 * RASTER_SIDE rows.
 */
export function drawDiscs(r: Raster, strokes: number[][]): number[] {
  const maxX = r.maxX;
  const maxY = r.maxY;
  const minX = r.minX;
  const minY = r.minY;
  const shear = r.shear;
  const lowX = r.lowX;
  const side = r.side;
  const span2 = 2 * SPAN;
  const side2 = 2 * side;
  const offX = r.offX;
  const offY = r.offY;
  const rows: number[] = [];
  for (let row = 0; row < RASTER_SIDE; row++) rows.push(0);
  let n = 0;
  for (let s = 0; s < strokes.length && n < MAX_DISCS; s++) {
    const st = strokes[s];
    let px = -1;
    let py = -1;
    for (let i = 0; i + 1 < st.length && n < MAX_DISCS; i += 2) {
      let x = st[i];
      let y = st[i + 1];
      x = x < 0 ? 0 : x > maxX ? maxX : x;
      y = y < 0 ? 0 : y > maxY ? maxY : y;
      const fx = Math.floor(((SHEAR_ONE * (x - minX) - shear * (y - minY) - lowX) * span2 + side) / side2);
      const fy = Math.floor((SHEAR_ONE * (y - minY) * span2 + side) / side2);
      let k = 1;
      let dx = 0;
      let dy = 0;
      if (px >= 0) {
        dx = fx - px;
        dy = fy - py;
        const adx = dx < 0 ? -dx : dx;
        const ady = dy < 0 ? -dy : dy;
        k = Math.floor(((adx > ady ? adx : ady) + STEP - 1) / STEP);
      }
      const k2 = 2 * k;
      for (let t = 1; t <= k && n < MAX_DISCS; t++) {
        const cx = (t < k ? px + Math.floor((2 * dx * t + k) / k2) : fx) + offX;
        const cy = (t < k ? py + Math.floor((2 * dy * t + k) / k2) : fy) + offY;
        n++;
        // rows whose centre 16 r + 8 is within PEN_RADIUS of cy
        const r0 = (cy - PEN_RADIUS - 8 + FINE - 1) >> 4;
        let r1 = (cy + PEN_RADIUS - 8) >> 4;
        if (r1 > RASTER_SIDE - 1) r1 = RASTER_SIDE - 1;
        for (let row = r0; row <= r1; row++) {
          const dyc = row * FINE + 8 - cy;
          const h = SPANS[dyc < 0 ? -dyc : dyc];
          // columns whose centre 16 c + 8 is in [cx - h, cx + h]
          const c0 = (cx - h - 8 + FINE - 1) >> 4;
          let c1 = (cx + h - 8) >> 4;
          if (c1 > RASTER_SIDE - 1) c1 = RASTER_SIDE - 1;
          if (c0 <= c1) rows[row] = rows[row] | (((1 << (c1 + 1)) - 1) ^ ((1 << c0) - 1));
        }
      }
      px = fx;
      py = fy;
    }
  }
  return rows;
}

/**
 * 7. Packs the rows into input words (element 28 r + c is bit e & 31 of word e >> 5: a row of
 * 28 bits lands in one word or straddles two), then `out`'s bytes, little-endian. Returns the
 * number of ink pixels.
 */
export function packRows(rows: number[], out: Bits): number {
  const words: number[] = [];
  for (let w = 0; w < 25; w++) words.push(0);
  let ink = 0;
  for (let r = 0; r < RASTER_SIDE; r++) {
    const row = rows[r];
    if (row === 0) continue;
    // the set bits of the row (SWAR; inline: a call costs the VM more than these steps)
    let c = row - ((row >>> 1) & 0x55555555);
    c = (c & 0x33333333) + ((c >>> 2) & 0x33333333);
    c = (c + (c >>> 4)) & 0x0f0f0f0f;
    ink += Math.imul(c, 0x01010101) >>> 24;
    const e = r * RASTER_SIDE;
    const w = e >> 5;
    const lo = e & 31;
    words[w] = words[w] | (row << lo);
    if (lo > 32 - RASTER_SIDE) words[w + 1] = words[w + 1] | (row >>> (32 - lo));
  }
  for (let w = 0; w < 25; w++) {
    const v = words[w];
    out[4 * w] = v & 0xff;
    out[4 * w + 1] = (v >>> 8) & 0xff;
    out[4 * w + 2] = (v >>> 16) & 0xff;
    out[4 * w + 3] = (v >>> 24) & 0xff;
  }
  return ink;
}
