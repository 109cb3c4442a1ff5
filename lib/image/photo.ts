/**
 * Photographs of MNIST test digits as a camera pointed at paper would see them: dark ink on light
 * paper in a 64x48 grayscale frame, with the position and size of the digit, a brightness
 * gradient and mild noise all derived from the image index (a frame is the same bytes on every
 * run and machine: integer arithmetic only). The simulated camera (devices/camera.ts) serves
 * them; `bnn sim` computes the reference result of each from the same frame.
 */
import { IMAGE_SIDE } from "../mnist.ts";

export const FRAME_WIDTH = 64;
export const FRAME_HEIGHT = 48;

/** A 32-bit integer hash (lowbias32) of a few integers: the frames' only source of variation. */
export function hash32(...values: number[]): number {
  let h = 0x2545f491;
  for (const v of values) {
    h = Math.imul(h ^ (v >>> 0), 0x9e3779b1) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d) >>> 0;
    h ^= h >>> 15;
    h = Math.imul(h, 0x846ca68b) >>> 0;
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Integer in lo..hi (inclusive) from hash h. */
function pick(h: number, lo: number, hi: number): number {
  return lo + (h % (hi - lo + 1));
}

export interface Shot {
  /** Side of the painted 28x28 field in frame pixels (28..42: the digit itself is ~20..30 px). */
  size: number;
  /** Top-left corner of the painted field in the frame. */
  x0: number;
  y0: number;
  /** Paper brightness at the frame centre, and its change across the frame in x and y. */
  paper: number;
  gradX: number;
  gradY: number;
  /** Grey level of full ink. */
  ink: number;
  /** Noise amplitude: each pixel gets a uniform integer in -noise..noise. */
  noise: number;
}

/** The deterministic photo parameters of image `index`. */
export function shotFor(index: number, width = FRAME_WIDTH, height = FRAME_HEIGHT): Shot {
  const size = pick(hash32(index, 1), IMAGE_SIDE, Math.min(Math.floor((IMAGE_SIDE * 3) / 2), width, height));
  return {
    size,
    x0: pick(hash32(index, 2), 0, width - size),
    y0: pick(hash32(index, 3), 0, height - size),
    paper: pick(hash32(index, 4), 175, 215),
    gradX: pick(hash32(index, 5), -30, 30),
    gradY: pick(hash32(index, 6), -20, 20),
    ink: pick(hash32(index, 7), 25, 70),
    noise: pick(hash32(index, 8), 3, 8),
  };
}

/**
 * Photographs a 28x28 MNIST digit (0 = background, 255 = ink; `digit[offset..offset+783]`) as
 * the camera would see it: 0 = black, 255 = white. The field is scaled bilinearly (fixed point,
 * 1/256 pixel) to `shot.size` pixels; every step is integer arithmetic.
 */
export function synthesizeFrame(digit: Uint8Array, offset: number, index: number, width = FRAME_WIDTH, height = FRAME_HEIGHT): Uint8Array {
  const s = shotFor(index, width, height);
  const frame = new Uint8Array(width * height);
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= IMAGE_SIDE || y >= IMAGE_SIDE ? 0 : digit[offset + y * IMAGE_SIDE + x]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const paper = s.paper + Math.trunc((s.gradX * (2 * x - width)) / (2 * width)) + Math.trunc((s.gradY * (2 * y - height)) / (2 * height));
      let g = 0;
      const dx = x - s.x0;
      const dy = y - s.y0;
      if (dx >= 0 && dy >= 0 && dx < s.size && dy < s.size) {
        // centre of frame pixel dx in field coordinates, in 1/256 field pixels
        const u = Math.floor(((2 * dx + 1) * IMAGE_SIDE * 256) / (2 * s.size)) - 128;
        const v = Math.floor(((2 * dy + 1) * IMAGE_SIDE * 256) / (2 * s.size)) - 128;
        const ix = u >> 8;
        const iy = v >> 8;
        const fx = u & 255;
        const fy = v & 255;
        const top = at(ix, iy) * (256 - fx) + at(ix + 1, iy) * fx;
        const bottom = at(ix, iy + 1) * (256 - fx) + at(ix + 1, iy + 1) * fx;
        g = (top * (256 - fy) + bottom * fy + 32768) >> 16;
      }
      const n = (hash32(index, 9, y * width + x) % (2 * s.noise + 1)) - s.noise;
      const p = paper - Math.floor(((paper - s.ink) * g + 127) / 255) + n;
      frame[y * width + x] = p < 0 ? 0 : p > 255 ? 255 : p;
    }
  }
  return frame;
}
