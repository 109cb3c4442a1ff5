/**
 * MNIST image -> pen strokes, so the simulated touch panel (devices/touch.ts) can "write" test
 * digits with known labels: threshold, thin to a 1-pixel skeleton (Zhang–Suen), trace the
 * skeleton into ordered paths (one stroke each), and scale them to panel coordinates.
 * Deterministic: same image, same strokes.
 *
 * Tracing: skeleton pixels are joined to their 8-neighbours, except a diagonal link whose two
 * pixels also touch a common 4-neighbour (so staircases are single paths). Spurs (short branches
 * ending at a junction) are pruned. Paths start at end points in reading order (top to bottom,
 * left to right), then at what is left (closed loops, from their topmost pixel); a path follows
 * the straightest unused link at junctions, so a junction can be crossed by several strokes.
 */
import { IMAGE_SIDE } from "../mnist.ts";

export interface StrokeOptions {
  /** Pixel >= threshold is ink (0..255). */
  threshold?: number;
  /** Panel size in panel units (square panel). */
  panelSize?: number;
  /** Branches of at most this many pixels that end at a junction are removed. */
  spurLength?: number;
}

export const DEFAULT_PANEL_SIZE = 240;
export const DEFAULT_STROKE_THRESHOLD = 128;
const DEFAULT_SPUR_LENGTH = 2;

const N = IMAGE_SIDE;
// neighbour directions, clockwise from east: dx, dy
const DX = [1, 1, 0, -1, -1, -1, 0, 1];
const DY = [0, 1, 1, 1, 0, -1, -1, -1];

/** Binary image of 28x28 (1 = ink) from grayscale pixels at `offset`. */
export function binarize(pixels: Uint8Array, offset: number, threshold: number): Uint8Array {
  const b = new Uint8Array(N * N);
  for (let i = 0; i < N * N; i++) b[i] = pixels[offset + i] >= threshold ? 1 : 0;
  return b;
}

function at(img: Uint8Array, x: number, y: number): number {
  return x >= 0 && y >= 0 && x < N && y < N ? img[y * N + x] : 0;
}

/** Zhang–Suen thinning of a 28x28 binary image (in place; returns it). */
export function thin(img: Uint8Array): Uint8Array {
  const remove: number[] = [];
  for (let changed = true; changed; ) {
    changed = false;
    for (let pass = 0; pass < 2; pass++) {
      remove.length = 0;
      for (let y = 0; y < N; y++) {
        for (let x = 0; x < N; x++) {
          if (!img[y * N + x]) continue;
          // P2..P9 clockwise from north
          const p = [
            at(img, x, y - 1),
            at(img, x + 1, y - 1),
            at(img, x + 1, y),
            at(img, x + 1, y + 1),
            at(img, x, y + 1),
            at(img, x - 1, y + 1),
            at(img, x - 1, y),
            at(img, x - 1, y - 1),
          ];
          let b = 0;
          let a = 0;
          for (let k = 0; k < 8; k++) {
            b += p[k];
            if (!p[k] && p[(k + 1) % 8]) a++;
          }
          if (b < 2 || b > 6 || a !== 1) continue;
          const [p2, , p4, , p6, , p8] = p;
          if (pass === 0 ? p2 * p4 * p6 === 0 && p4 * p6 * p8 === 0 : p2 * p4 * p8 === 0 && p2 * p6 * p8 === 0) remove.push(y * N + x);
        }
      }
      for (const i of remove) img[i] = 0;
      if (remove.length) changed = true;
    }
  }
  return img;
}

/** Links of skeleton pixel i: bit d set when linked in direction d. */
function links(img: Uint8Array): Uint8Array {
  const l = new Uint8Array(N * N);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      if (!img[y * N + x]) continue;
      for (let d = 0; d < 8; d++) {
        const nx = x + DX[d];
        const ny = y + DY[d];
        if (!at(img, nx, ny)) continue;
        // a diagonal link is redundant when a common 4-neighbour joins the two pixels
        if (d % 2 === 1 && (at(img, nx, y) || at(img, x, ny))) continue;
        l[y * N + x] |= 1 << d;
      }
    }
  }
  return l;
}

function degree(bits: number): number {
  let n = 0;
  for (let d = 0; d < 8; d++) if (bits & (1 << d)) n++;
  return n;
}

function unlink(l: Uint8Array, i: number, d: number): void {
  l[i] &= ~(1 << d);
  const j = i + DY[d] * N + DX[d];
  l[j] &= ~(1 << ((d + 4) % 8));
}

/** Removes branches of at most `maxLength` pixels from an end point to a junction. */
function prune(img: Uint8Array, l: Uint8Array, maxLength: number): void {
  const ends: number[] = [];
  for (let i = 0; i < N * N; i++) if (img[i] && degree(l[i]) === 1) ends.push(i);
  for (const start of ends) {
    const path = [start];
    let cur = start;
    let prev = -1;
    let junction = false;
    while (path.length <= maxLength + 1) {
      let next = -1;
      let nlinks = 0;
      for (let d = 0; d < 8; d++) {
        if (!(l[cur] & (1 << d))) continue;
        const j = cur + DY[d] * N + DX[d];
        if (j === prev) continue;
        nlinks++;
        next = j;
      }
      if (cur !== start && degree(l[cur]) >= 3) {
        junction = true;
        break;
      }
      if (nlinks !== 1) break;
      prev = cur;
      cur = next;
      path.push(cur);
    }
    if (!junction || path.length - 1 > maxLength) continue;
    // remove the branch pixels (not the junction)
    for (let k = 0; k < path.length - 1; k++) {
      const i = path[k];
      for (let d = 0; d < 8; d++) if (l[i] & (1 << d)) unlink(l, i, d);
      img[i] = 0;
    }
  }
}

/** Traces the linked skeleton into paths of pixel indices. */
function trace(img: Uint8Array, l: Uint8Array): number[][] {
  const paths: number[][] = [];
  const walk = (start: number): void => {
    const path = [start];
    let cur = start;
    let dir = -1;
    for (;;) {
      let best = -1;
      let bestTurn = 99;
      for (let d = 0; d < 8; d++) {
        if (!(l[cur] & (1 << d))) continue;
        const turn = dir < 0 ? 0 : Math.min((d - dir + 8) % 8, (dir - d + 8) % 8);
        if (turn < bestTurn) {
          bestTurn = turn;
          best = d;
        }
      }
      if (best < 0) break;
      unlink(l, cur, best);
      cur = cur + DY[best] * N + DX[best];
      dir = best;
      path.push(cur);
    }
    paths.push(path);
  };
  // end points first, in reading order
  for (let i = 0; i < N * N; i++) if (img[i] && degree(l[i]) === 1) walk(i);
  // then what is left: loops and pieces between junctions
  for (let i = 0; i < N * N; i++) while (img[i] && l[i]) walk(i);
  // isolated pixels: dots
  const used = new Uint8Array(N * N);
  for (const p of paths) for (const i of p) used[i] = 1;
  for (let i = 0; i < N * N; i++) if (img[i] && !used[i]) paths.push([i]);
  return paths;
}

/** Pixel index -> panel coordinate of the pixel's center. */
function toPanel(v: number, panelSize: number): number {
  return Math.floor(((2 * v + 1) * panelSize) / (2 * N));
}

/**
 * Pen strokes of image `index` of `images` (28x28 grayscale, 784 bytes each): flat
 * [x0, y0, x1, y1, ...] lists in panel coordinates (0..panelSize-1), the format of
 * src/shared/stroke-raster.ts. An image without ink gives no strokes.
 */
export function strokesFromImage(images: Uint8Array, index: number, options: StrokeOptions = {}): number[][] {
  const threshold = options.threshold ?? DEFAULT_STROKE_THRESHOLD;
  const panelSize = options.panelSize ?? DEFAULT_PANEL_SIZE;
  const spur = options.spurLength ?? DEFAULT_SPUR_LENGTH;
  const img = thin(binarize(images, index * N * N, threshold));
  const l = links(img);
  if (spur > 0) prune(img, l, spur);
  return trace(img, l).map((path) => {
    const out: number[] = [];
    for (const i of path) out.push(toPanel(i % N, panelSize), toPanel(Math.floor(i / N), panelSize));
    return out;
  });
}
