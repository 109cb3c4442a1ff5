/**
 * Data augmentation for hand-drawn input: a random affine warp (shift, rotation, scale) with
 * bilinear sampling, and a random stroke thickness change (3x3 grayscale dilation or erosion),
 * applied to the 28x28 grayscale image before the input is binarized.
 */
import { IMAGE_SIDE } from "../mnist.ts";
import type { SeededRng } from "../rng.ts";

export interface AugmentOptions {
  /** Maximum shift in pixels, each axis. */
  shift: number;
  /** Maximum rotation in degrees, either way. */
  rotate: number;
  /** Maximum relative scale change (0.1 = 0.9x .. 1.1x). */
  scale: number;
  /** Probability of thickening, and of thinning, the strokes. */
  thickness: number;
}

export const NO_AUGMENT: AugmentOptions = { shift: 0, rotate: 0, scale: 0, thickness: 0 };

export function isIdentity(o: AugmentOptions): boolean {
  return o.shift === 0 && o.rotate === 0 && o.scale === 0 && o.thickness === 0;
}

const N = IMAGE_SIDE;

/** Writes an augmented copy of src (784 bytes) into dst (784 bytes). */
export function augmentImage(src: Uint8Array, dst: Uint8Array, o: AugmentOptions, rng: SeededRng, tmp: Uint8Array): void {
  const angle = (rng.uniform(-o.rotate, o.rotate) * Math.PI) / 180;
  const zoom = 1 + rng.uniform(-o.scale, o.scale);
  const dx = rng.uniform(-o.shift, o.shift);
  const dy = rng.uniform(-o.shift, o.shift);
  const t = rng.next();
  const thicken = t < o.thickness;
  const thin = !thicken && t < 2 * o.thickness;
  // Inverse map: for each output pixel, where it comes from in the source.
  const c = Math.cos(angle) / zoom;
  const s = Math.sin(angle) / zoom;
  const centre = (N - 1) / 2;
  const warped = thicken || thin ? tmp : dst;
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const ox = x - centre - dx;
      const oy = y - centre - dy;
      const sx = c * ox + s * oy + centre;
      const sy = -s * ox + c * oy + centre;
      warped[y * N + x] = bilinear(src, sx, sy);
    }
  }
  if (thicken) morph(tmp, dst, true);
  else if (thin) morph(tmp, dst, false);
}

function pixel(img: Uint8Array, x: number, y: number): number {
  return x < 0 || y < 0 || x >= N || y >= N ? 0 : img[y * N + x];
}

function bilinear(img: Uint8Array, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const top = pixel(img, x0, y0) * (1 - fx) + pixel(img, x0 + 1, y0) * fx;
  const bottom = pixel(img, x0, y0 + 1) * (1 - fx) + pixel(img, x0 + 1, y0 + 1) * fx;
  return Math.round(top * (1 - fy) + bottom * fy);
}

/** 3x3 cross-shaped grayscale dilation (max) or erosion (min). */
function morph(src: Uint8Array, dst: Uint8Array, dilate: boolean): void {
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const l = pixel(src, x - 1, y);
      const r = pixel(src, x + 1, y);
      const u = pixel(src, x, y - 1);
      const d = pixel(src, x, y + 1);
      const v = pixel(src, x, y);
      dst[y * N + x] = dilate ? Math.max(v, l, r, u, d) : Math.min(v, l, r, u, d);
    }
  }
}
