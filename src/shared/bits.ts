// The binary conventions of the whole product, in one place. Plain TypeScript with no imports:
// the DeviceScript program (src/), the host library, the trainer and the C generator all import
// these definitions (Node through lib/binary.ts, which adds typed-array helpers on top).
//
// - Values are in {-1, +1}. sign(x) = +1 if x >= 0, else -1: eq. 1.3 of the chapter, so
//   sign(0) = +1 (the chapter's C++ uses `x > 0`, which disagrees at 0; we do not).
// - Bit 1 encodes +1, bit 0 encodes -1.
// - Packing: element 32*k + i is bit i (LSB = bit 0) of 32-bit word k; words are stored
//   little-endian wherever they become bytes, so element e is also bit (e & 7) of byte (e >> 3).
//   Unused bits of the last word are 0.
// - Dot product of two packed ±1 vectors of length n:
//     a·b = n - 2 * popcount(a XOR b)
//   which equals the chapter's eqs. 1.1-1.2, a·b = 2 * popcount(XNOR(a, b)) - n, when the XNOR
//   is restricted to the n real bits (the padding bits are 0 in both, so XOR ignores them).
// - Input: a grayscale pixel p (0..255, 0 = background) is +1 when p >= threshold.
// - Scores: the class is the lowest index of the largest score.

/** Byte storage both runtimes index: a DeviceScript Buffer, a Node Uint8Array or Buffer. */
export interface ByteArray {
  [index: number]: number;
  readonly length: number;
}

/** Numbers both runtimes index: an array, a typed array. */
export interface NumberArray {
  readonly [index: number]: number;
  readonly length: number;
}

/** Eq. 1.3: deterministic binarization, sign(0) = +1. */
export function sign(x: number): number {
  return x >= 0 ? 1 : -1;
}

/** Number of 32-bit words that hold n packed elements. */
export function wordsFor(n: number): number {
  return (n + 31) >>> 5;
}

/** Bytes of n packed elements: whole 32-bit words. */
export function packedBytes(n: number): number {
  return 4 * wordsFor(n);
}

/** Mask of the real (non-padding) bits of the last word of an n-element vector. */
export function lastWordMask(n: number): number {
  const r = n & 31;
  return r === 0 ? 0xffffffff : ((1 << r) - 1) >>> 0;
}

/** Population count of a 32-bit word (SWAR; the same method as the C fallback). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** The ±1 dot product of two n-element vectors whose XOR has `differing` set bits. */
export function dotFromDifferences(n: number, differing: number): number {
  return n - 2 * differing;
}

/** Input binarization: pixel p is +1 (bit 1) when p >= threshold. */
export function pixelIsOn(pixel: number, threshold: number): boolean {
  return pixel >= threshold;
}

/**
 * Packs n pixels from pixels[offset..] into input bits, written as little-endian bytes:
 * element e (pixel offset + e) is bit (e & 7) of out[e >> 3]. `out` must hold packedBytes(n)
 * bytes; it is cleared first (so the padding bits are 0).
 */
export function packPixelBytes(pixels: ByteArray, offset: number, n: number, threshold: number, out: ByteArray): void {
  const bytes = packedBytes(n);
  for (let b = 0; b < bytes; b++) out[b] = 0;
  for (let e = 0; e < n; e++) {
    if (pixels[offset + e] >= threshold) out[e >> 3] |= 1 << (e & 7);
  }
}

/** Lowest index of the largest value: the argmax rule of every backend. */
export function argmax(scores: NumberArray): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return best;
}
