/**
 * A grayscale image of any size and polarity -> a camera frame as the program's camera path takes
 * it (services/digitcamera.md, src/shared/camera-preprocess.ts): dark ink on bright paper, at
 * most MAX_FRAME_BYTES pixels (src/shared/camera-chunks.ts: the largest frame the program
 * accepts, and the C preprocessing's default limit, firmware-codegen/c/bnn_preprocess.h).
 *
 * Polarity: the paper is what the image's border shows. When the median of the border pixels
 * is darker than the middle of the image's darkest and brightest pixel, the image is light ink
 * on dark paper and is inverted. Size: a larger image is area-averaged down (integer overlaps, as
 * the preprocessing resamples) to the largest size of its aspect ratio within the limit; a
 * smaller one is left as it is.
 */
import { MAX_FRAME_BYTES } from "../../src/shared/camera-chunks.ts";
import type { GrayImage } from "./decode.ts";

export interface CameraFrame {
  width: number;
  height: number;
  /** Row-major, 0 = black ink, 255 = white paper. */
  pixels: Uint8Array;
  /** The image was light ink on dark paper and was inverted. */
  inverted: boolean;
}

/** Median of the pixels on the image's outermost rows and columns. */
export function borderMedian(img: GrayImage): number {
  const { width: w, height: h, pixels } = img;
  const hist = new Array<number>(256).fill(0);
  let n = 0;
  const add = (x: number, y: number) => {
    hist[pixels[y * w + x]]++;
    n++;
  };
  for (let x = 0; x < w; x++) {
    add(x, 0);
    if (h > 1) add(x, h - 1);
  }
  for (let y = 1; y + 1 < h; y++) {
    add(0, y);
    if (w > 1) add(w - 1, y);
  }
  let seen = 0;
  for (let g = 0; g < 256; g++) {
    seen += hist[g];
    if (2 * seen >= n) return g;
  }
  return 255;
}

/** True when the image is light ink on dark paper. */
export function isLightOnDark(img: GrayImage): boolean {
  let lo = 255;
  let hi = 0;
  for (const p of img.pixels) {
    if (p < lo) lo = p;
    if (p > hi) hi = p;
  }
  return 2 * borderMedian(img) < lo + hi;
}

/** The size of `width` x `height` scaled down to at most `maxPixels`, aspect ratio kept (each side >= 1). */
export function fitSize(width: number, height: number, maxPixels = MAX_FRAME_BYTES): { width: number; height: number } {
  if (width * height <= maxPixels) return { width, height };
  const s = Math.sqrt(maxPixels / (width * height));
  let w = Math.max(1, Math.min(width, Math.floor(width * s + 1e-9)));
  let h = Math.max(1, Math.min(height, Math.round((height * w) / width)));
  if (w * h > maxPixels) h = Math.max(1, Math.floor(maxPixels / w));
  if (w * h > maxPixels) w = Math.floor(maxPixels / h);
  return { width: w, height: h };
}

/** For resampling n cells to m: source cell s covers [s m, (s + 1) m), output cell o [o n, (o + 1) n). */
function overlaps(n: number, m: number): { cell: number; weight: number }[][] {
  const out: { cell: number; weight: number }[][] = [];
  for (let s = 0; s < n; s++) {
    const a = s * m;
    const b = a + m;
    const list: { cell: number; weight: number }[] = [];
    for (let o = Math.floor(a / n); o < m && o * n < b; o++) list.push({ cell: o, weight: Math.min(b, (o + 1) * n) - Math.max(a, o * n) });
    out.push(list);
  }
  return out;
}

/** Area-averaging resample of `img` to `width` x `height` (rounded to the nearest level). */
export function resample(img: GrayImage, width: number, height: number): Uint8Array {
  const { width: W, height: H, pixels } = img;
  if (W === width && H === height) return Uint8Array.from(pixels);
  const xs = overlaps(W, width);
  const ys = overlaps(H, height);
  const rows = new Float64Array(H * width);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const v = pixels[y * W + x];
      for (const { cell, weight } of xs[x]) rows[y * width + cell] += v * weight;
    }
  }
  const sums = new Float64Array(width * height);
  for (let y = 0; y < H; y++) {
    for (const { cell, weight } of ys[y]) {
      for (let x = 0; x < width; x++) sums[cell * width + x] += rows[y * width + x] * weight;
    }
  }
  const denom = W * H;
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.floor((2 * sums[i] + denom) / (2 * denom)));
  return out;
}

/** `img` as a camera frame: dark ink on bright paper, at most MAX_FRAME_BYTES pixels. */
export function cameraFrame(img: GrayImage): CameraFrame {
  const inverted = isLightOnDark(img);
  const source: GrayImage = inverted ? { ...img, pixels: img.pixels.map((p) => 255 - p) } : img;
  const size = fitSize(img.width, img.height);
  return { ...size, pixels: resample(source, size.width, size.height), inverted };
}
