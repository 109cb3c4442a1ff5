/**
 * Seeded inputs that are no digit, to measure src/shared/no-digit.ts against (tests/no-digit.test.ts,
 * docs/strokes.md): for each kind, `count` stroke sets in the flat form of the rasterizer
 * ([x0, y0, x1, y1, ...] per stroke, integer panel coordinates inside the panel). Kinds:
 *
 *   empty     no point at all: no stroke, or strokes without points
 *   dot       1-5 points within 2 % of the panel's shorter side of each other, in 1-3 taps
 *   small     a random scrawl (2-30 points, 1-3 strokes) inside a box of 1-5.5 % of the panel
 *   line      one straight stroke that is not a 1: a flat dash (within 35 degrees of horizontal,
 *             8-90 % of the panel long) or a short line at any angle (6.5-12 % of the panel), hand
 *             jitter of up to 1 % of its length across it
 *   scribble  dense zigzags filling a box of 15-90 % of the panel: 10-40 sweeps in 1-3 strokes,
 *             horizontal, vertical or diagonal, or a spiral of 5-12 turns
 *   taps      scattered taps and dot clouds: 2-3,000 taps (log-uniform), each a one-point stroke
 *             or a tiny dash of 2-3 points (a slid finger: at most 1/40 of the panel of ink; 30 %
 *             of the sets have no dash, the others a random share of them), strewn over a box of
 *             15-100 % of the panel's sides or gathered in 2-6 clusters of radius 1-8 % of the
 *             panel (tapped cluster by cluster or in any order)
 *
 * and `manyTaps`: any number of one-point taps over the whole panel (issue 21's million).
 *
 * The same seed gives the same sets on every machine (lib/rng.ts).
 */
import { SeededRng } from "../rng.ts";

export const DEGENERATE_KINDS = ["empty", "dot", "small", "line", "scribble", "taps"] as const;
export type DegenerateKind = (typeof DEGENERATE_KINDS)[number];

export interface DegenerateSample {
  kind: DegenerateKind;
  strokes: number[][];
}

export interface DegenerateOptions {
  panelWidth?: number;
  panelHeight?: number;
}

class Pen {
  constructor(
    readonly w: number,
    readonly h: number,
  ) {}
  /** An integer point clamped into the panel. */
  push(out: number[], x: number, y: number): void {
    out.push(Math.min(this.w - 1, Math.max(0, Math.round(x))), Math.min(this.h - 1, Math.max(0, Math.round(y))));
  }
}

/** Points from (x0, y0) to (x1, y1) every `step` units (at least 2 points), jittered across by up to `jitter`. */
function segment(pen: Pen, rng: SeededRng, out: number[], x0: number, y0: number, x1: number, y1: number, step: number, jitter: number, first = true): void {
  const len = Math.hypot(x1 - x0, y1 - y0);
  const n = Math.max(1, Math.ceil(len / step));
  const nx = len > 0 ? -(y1 - y0) / len : 0;
  const ny = len > 0 ? (x1 - x0) / len : 0;
  for (let k = first ? 0 : 1; k <= n; k++) {
    const t = k / n;
    const j = k === 0 || k === n ? 0 : rng.uniform(-jitter, jitter);
    pen.push(out, x0 + (x1 - x0) * t + nx * j, y0 + (y1 - y0) * t + ny * j);
  }
}

function empty(rng: SeededRng): number[][] {
  const n = rng.int(3);
  return Array.from({ length: n }, () => []);
}

function dot(pen: Pen, rng: SeededRng): number[][] {
  const short = Math.min(pen.w, pen.h);
  const spread = Math.max(1, Math.floor(short / 50));
  const cx = rng.uniform(0, pen.w);
  const cy = rng.uniform(0, pen.h);
  const points = 1 + rng.int(5);
  const taps = 1 + rng.int(Math.min(3, points));
  const strokes: number[][] = Array.from({ length: taps }, () => []);
  for (let k = 0; k < points; k++) pen.push(strokes[k % taps], cx + rng.uniform(0, spread), cy + rng.uniform(0, spread));
  return strokes;
}

function small(pen: Pen, rng: SeededRng): number[][] {
  const short = Math.min(pen.w, pen.h);
  const side = short * rng.uniform(0.01, 0.055);
  const x0 = rng.uniform(0, pen.w - side);
  const y0 = rng.uniform(0, pen.h - side);
  const strokes: number[][] = [];
  const n = 1 + rng.int(3);
  for (let s = 0; s < n; s++) {
    const st: number[] = [];
    const points = 2 + rng.int(10);
    for (let k = 0; k < points; k++) pen.push(st, x0 + rng.uniform(0, side), y0 + rng.uniform(0, side));
    strokes.push(st);
  }
  return strokes;
}

function line(pen: Pen, rng: SeededRng): number[][] {
  const short = Math.min(pen.w, pen.h);
  const flat = rng.next() < 0.6;
  const len = short * (flat ? rng.uniform(0.08, 0.9) : rng.uniform(0.065, 0.12));
  const angle = flat ? rng.uniform(-35, 35) + (rng.next() < 0.5 ? 180 : 0) : rng.uniform(0, 360);
  const a = (angle * Math.PI) / 180;
  const dx = len * Math.cos(a);
  const dy = len * Math.sin(a);
  const x0 = rng.uniform(Math.max(0, -dx), Math.min(pen.w, pen.w - dx));
  const y0 = rng.uniform(Math.max(0, -dy), Math.min(pen.h, pen.h - dy));
  const st: number[] = [];
  segment(pen, rng, st, x0, y0, x0 + dx, y0 + dy, rng.uniform(2, 8), len * 0.01 * rng.next());
  return [st];
}

function scribble(pen: Pen, rng: SeededRng): number[][] {
  const short = Math.min(pen.w, pen.h);
  const side = short * rng.uniform(0.15, 0.9);
  const bw = side * rng.uniform(0.6, 1);
  const bh = side * rng.uniform(0.6, 1);
  const x0 = rng.uniform(0, pen.w - bw);
  const y0 = rng.uniform(0, pen.h - bh);
  const step = Math.max(1.5, side / 30);
  if (rng.next() < 0.2) {
    // a spiral from the outside in
    const turns = 5 + rng.int(8);
    const st: number[] = [];
    const steps = turns * 24;
    for (let k = 0; k <= steps; k++) {
      const t = k / steps;
      const r = (1 - t) * 0.5;
      const a = 2 * Math.PI * turns * t;
      pen.push(st, x0 + bw * (0.5 + r * Math.cos(a)), y0 + bh * (0.5 + r * Math.sin(a)));
    }
    return [st];
  }
  const sweeps = 10 + rng.int(31);
  const direction = rng.int(3); // 0 horizontal sweeps, 1 vertical, 2 diagonal
  const parts = 1 + rng.int(3);
  const strokes: number[][] = [];
  let st: number[] = [];
  let px = x0;
  let py = y0;
  for (let k = 0; k <= sweeps; k++) {
    const t = k / sweeps;
    const wobble = rng.uniform(-0.05, 0.05);
    let x: number;
    let y: number;
    if (direction === 0) {
      x = x0 + bw * (k % 2 ? 1 : 0);
      y = y0 + bh * Math.min(1, Math.max(0, t + wobble));
    } else if (direction === 1) {
      x = x0 + bw * Math.min(1, Math.max(0, t + wobble));
      y = y0 + bh * (k % 2 ? 1 : 0);
    } else {
      // the horizontal sweeps turned by 45 degrees about the box centre, shrunk to stay inside
      const u = (k % 2 ? 1 : 0) - 0.5;
      const v = Math.min(1, Math.max(0, t + wobble)) - 0.5;
      x = x0 + bw * (0.5 + (u - v) / 2);
      y = y0 + bh * (0.5 + (u + v) / 2);
    }
    if (k === 0) pen.push(st, x, y);
    else segment(pen, rng, st, px, py, x, y, step, side * 0.01, false);
    px = x;
    py = y;
    if (k > 0 && k < sweeps && parts > 1 && k % Math.ceil(sweeps / parts) === 0) {
      strokes.push(st);
      st = [];
      pen.push(st, x, y);
    }
  }
  strokes.push(st);
  return strokes;
}

/**
 * One tap at (x, y): a one-point stroke or, with chance `dashes`, a tiny dash of 2-3 points, each
 * at most `step` units (integers) from the one before in x and in y; with step = 1/120 of the
 * panel's shorter side, the dash's ink (its length as the rule measures it: max + min / 2 of |dx|,
 * |dy| a segment) is at most 1/40 of the panel: a finger that slid while it tapped.
 */
function tap(pen: Pen, rng: SeededRng, x: number, y: number, dashes: number, step: number): number[] {
  const st: number[] = [];
  pen.push(st, x, y);
  if (step > 0 && rng.next() < dashes) {
    const more = 1 + rng.int(2);
    for (let k = 0; k < more; k++) pen.push(st, st[st.length - 2] + rng.int(2 * step + 1) - step, st[st.length - 1] + rng.int(2 * step + 1) - step);
  }
  return st;
}

function taps(pen: Pen, rng: SeededRng): number[][] {
  const short = Math.min(pen.w, pen.h);
  const count = Math.round(2 * 1500 ** rng.next());
  // most sets mix one-point taps and tiny dashes, some have taps only
  const dashes = rng.next() < 0.3 ? 0 : rng.next();
  const step = Math.floor(short / 120);
  const strokes: number[][] = [];
  if (rng.next() < 0.5) {
    // strewn over a box
    const bw = pen.w * rng.uniform(0.15, 1);
    const bh = pen.h * rng.uniform(0.15, 1);
    const x0 = rng.uniform(0, pen.w - bw);
    const y0 = rng.uniform(0, pen.h - bh);
    for (let k = 0; k < count; k++) strokes.push(tap(pen, rng, x0 + rng.uniform(0, bw), y0 + rng.uniform(0, bh), dashes, step));
    return strokes;
  }
  // clusters
  const clusters = 2 + rng.int(5);
  const cx = Array.from({ length: clusters }, () => rng.uniform(0, pen.w));
  const cy = Array.from({ length: clusters }, () => rng.uniform(0, pen.h));
  const radius = Array.from({ length: clusters }, () => short * rng.uniform(0.01, 0.08));
  const inTurn = rng.next() < 0.5;
  for (let k = 0; k < count; k++) {
    const c = inTurn ? Math.floor((k * clusters) / count) : rng.int(clusters);
    const r = radius[c] * Math.sqrt(rng.next());
    const a = rng.uniform(0, 2 * Math.PI);
    strokes.push(tap(pen, rng, cx[c] + r * Math.cos(a), cy[c] + r * Math.sin(a), dashes, step));
  }
  return strokes;
}

/** `count` one-point taps strewn over the whole panel, from `seed` (the 10^6 taps: a million small arrays). */
export function manyTaps(count: number, seed: number, options: DegenerateOptions = {}): number[][] {
  const w = options.panelWidth ?? 240;
  const h = options.panelHeight ?? 240;
  const rng = new SeededRng(seed);
  const strokes: number[][] = new Array(count);
  for (let k = 0; k < count; k++) strokes[k] = [rng.int(w), rng.int(h)];
  return strokes;
}

/** `count` stroke sets of `kind`, from `seed`. */
export function degenerateSet(kind: DegenerateKind, count: number, seed: number, options: DegenerateOptions = {}): DegenerateSample[] {
  const pen = new Pen(options.panelWidth ?? 240, options.panelHeight ?? 240);
  const rng = new SeededRng(seed);
  const make = {
    empty: () => empty(rng),
    dot: () => dot(pen, rng),
    small: () => small(pen, rng),
    line: () => line(pen, rng),
    scribble: () => scribble(pen, rng),
    taps: () => taps(pen, rng),
  }[kind];
  return Array.from({ length: count }, () => ({ kind, strokes: make() }));
}

/** `count` of every kind, kind by kind, each from its own seed derived from `seed`. */
export function degenerateSets(count: number, seed: number, options: DegenerateOptions = {}): DegenerateSample[] {
  return DEGENERATE_KINDS.flatMap((kind, k) => degenerateSet(kind, count, seed * 31 + k, options));
}
