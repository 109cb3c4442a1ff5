/**
 * Training inputs the way the board sees a finger's digit: an MNIST training image turned into
 * pen strokes (lib/strokes/from-image.ts: thinned and traced), reshaped the way hands
 * vary (slant, rotation, aspect, point jitter), then rasterized by the board's own rasterizer
 * (src/shared/stroke-raster.ts: bounding box to 20 px, centre of mass to the middle, fixed pen).
 * Position and size need no augmentation: the rasterizer normalizes both away.
 */
import { IMAGE_PIXELS } from "../mnist.ts";
import type { SeededRng } from "../rng.ts";
import { DEFAULT_PANEL_SIZE, strokesFromImage } from "../strokes/from-image.ts";
import { RASTER_BITS, rasterizeBits } from "../../src/shared/stroke-raster.ts";

export interface StrokeAugment {
  /** Maximum horizontal shear (x += slant * (y - centre)), either way. */
  slant: number;
  /** Maximum rotation in degrees, either way. */
  rotate: number;
  /** Maximum relative change of the x scale (0.2 = 0.8x .. 1.2x). */
  aspect: number;
  /** Maximum point displacement in panel units, each axis. */
  jitter: number;
  /**
   * Elastic distortion: a smooth random displacement field (three low-frequency waves a axis)
   * of at most this fraction of the digit's size, which bends loops, stems and tails the way
   * letterforms differ (a 6's loop smaller, a 9's tail curved), not just the whole digit.
   */
  elastic: number;
}

export const NO_STROKE_AUGMENT: StrokeAugment = { slant: 0, rotate: 0, aspect: 0, jitter: 0, elastic: 0 };

const WAVES = 3;

/** The strokes of every image in `indices` (panel coordinates, DEFAULT_PANEL_SIZE square). */
export function strokesOf(images: Uint8Array, indices: ArrayLike<number>): number[][][] {
  const out: number[][][] = [];
  for (let k = 0; k < indices.length; k++) out.push(strokesFromImage(images, indices[k]));
  return out;
}

/** The bounding box of flat strokes' points, or undefined when they have none. */
export function strokeBounds(strokes: number[][]): { x0: number; y0: number; x1: number; y1: number } | undefined {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (const s of strokes) {
    for (let i = 0; i < s.length; i += 2) {
      x0 = Math.min(x0, s[i]);
      x1 = Math.max(x1, s[i]);
      y0 = Math.min(y0, s[i + 1]);
      y1 = Math.max(y1, s[i + 1]);
    }
  }
  return Number.isFinite(x0) ? { x0, y0, x1, y1 } : undefined;
}

/** Strokes grouped by their digit 0..9. */
export function strokesByLabel(samples: Iterable<readonly [label: number, strokes: number[][]]>): number[][][][] {
  const by: number[][][][] = Array.from({ length: 10 }, () => []);
  for (const [label, strokes] of samples) by[label].push(strokes);
  return by;
}

/** The strokes reshaped about their bounding box's centre, kept on the panel (integers). */
export function reshapeStrokes(strokes: number[][], o: StrokeAugment, rng: SeededRng): number[][] {
  const panel = DEFAULT_PANEL_SIZE;
  const box = strokeBounds(strokes);
  if (!box) return strokes;
  const { x0, y0, x1, y1 } = box;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const angle = (rng.uniform(-o.rotate, o.rotate) * Math.PI) / 180;
  const shear = rng.uniform(-o.slant, o.slant);
  const sx = 1 + rng.uniform(-o.aspect, o.aspect);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const size = Math.max(x1 - x0, y1 - y0, 1);
  // the elastic field: per axis, WAVES plane waves of 0.5-1.5 periods across the digit
  const waves: number[] = [];
  if (o.elastic > 0) {
    for (let k = 0; k < 2 * WAVES; k++) {
      const dir = rng.uniform(0, 2 * Math.PI);
      const freq = (2 * Math.PI * rng.uniform(0.5, 1.5)) / size;
      waves.push(Math.cos(dir) * freq, Math.sin(dir) * freq, rng.uniform(0, 2 * Math.PI), (rng.uniform(-1, 1) * o.elastic * size) / WAVES);
    }
  }
  const field = (axis: number, x: number, y: number) => {
    let d = 0;
    for (let k = axis * WAVES; k < (axis + 1) * WAVES; k++) d += waves[4 * k + 3] * Math.sin(waves[4 * k] * x + waves[4 * k + 1] * y + waves[4 * k + 2]);
    return d;
  };
  const clamp = (v: number) => Math.max(0, Math.min(panel - 1, Math.round(v)));
  return strokes.map((s) => {
    const t: number[] = [];
    for (let i = 0; i < s.length; i += 2) {
      const ex = waves.length ? field(0, s[i] - x0, s[i + 1] - y0) : 0;
      const ey = waves.length ? field(1, s[i] - x0, s[i + 1] - y0) : 0;
      const dy = s[i + 1] + ey - cy;
      const dx = (s[i] + ex - cx + shear * dy) * sx;
      const x = cx + cos * dx - sin * dy + rng.uniform(-o.jitter, o.jitter);
      const y = cy + sin * dx + cos * dy + rng.uniform(-o.jitter, o.jitter);
      t.push(clamp(x), clamp(y));
    }
    return t;
  });
}

/** Appends the +1 input indices (ascending) of `strokes` as the board rasterizes them to `on` from `p`; returns the new end. */
export function rasterOnList(strokes: number[][], bits: Uint8Array, on: Int32Array, p: number): number {
  rasterizeBits(strokes, DEFAULT_PANEL_SIZE, DEFAULT_PANEL_SIZE, bits);
  for (let e = 0; e < RASTER_BITS && e < IMAGE_PIXELS; e++) if ((bits[e >> 3] >> (e & 7)) & 1) on[p++] = e;
  return p;
}
