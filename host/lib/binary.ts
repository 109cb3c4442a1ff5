/**
 * The binary conventions of the whole product. Every other part (trainer, model format,
 * weight tables, C generator, DeviceScript program) imports them from here.
 *
 * - Values are in {-1, +1}. `sign` follows eq. 1.3 of the chapter: sign(x) = +1 if x >= 0,
 *   else -1, so sign(0) = +1. (The chapter's C++ uses `x > 0`, which disagrees at 0; we don't.)
 * - Bit 1 encodes +1, bit 0 encodes -1.
 * - Packing: element 32*j + i is bit i (LSB = bit 0) of 32-bit word j; words are stored
 *   little-endian wherever they become bytes. Unused bits of the last word are 0.
 * - Dot product of two packed ±1 vectors of length n:
 *     a·b = n - 2*popcount(a XOR b)          (used everywhere; needs no padding mask)
 *   which equals the chapter's eqs. 1.1-1.2, a·b = 2*popcount(XNOR(a, b)) - n, when the XNOR is
 *   restricted to the n real bits.
 */

export type Rng = () => number;

/** Eq. 1.3: deterministic binarization, sign(0) = +1. */
export function sign(x: number): 1 | -1 {
  return x >= 0 ? 1 : -1;
}

/** Eq. 1.5: the "hard sigmoid" sigma(x) = clip((x + 1) / 2, 0, 1). */
export function hardSigmoid(x: number): number {
  return Math.max(0, Math.min(1, (x + 1) / 2));
}

/** Eq. 1.4: stochastic binarization, +1 with probability hardSigmoid(x). `rng` returns [0, 1). */
export function stochasticSign(x: number, rng: Rng): 1 | -1 {
  return rng() < hardSigmoid(x) ? 1 : -1;
}

/** Number of 32-bit words that hold n packed elements. */
export function wordsFor(n: number): number {
  return (n + 31) >>> 5;
}

/** Mask of the real (non-padding) bits of the last word of an n-element vector. */
export function lastWordMask(n: number): number {
  const r = n & 31;
  return r === 0 ? 0xffffffff : ((1 << r) - 1) >>> 0;
}

/**
 * Packs sign(values[i]) into bits: element i -> bit (i & 31) of word (i >>> 5), bit 1 <-> +1.
 */
export function packSigns(values: ArrayLike<number>, out?: Uint32Array): Uint32Array {
  const n = values.length;
  const words = out ?? new Uint32Array(wordsFor(n));
  words.fill(0);
  for (let i = 0; i < n; i++) {
    if (values[i] >= 0) words[i >>> 5] |= 1 << (i & 31);
  }
  return words;
}

/** Inverse of packSigns: n values in {-1, +1}. */
export function unpackSigns(words: Uint32Array, n: number): Int8Array {
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) out[i] = (words[i >>> 5] >>> (i & 31)) & 1 ? 1 : -1;
  return out;
}

/** Population count of a 32-bit word (SWAR; the same method the C fallback uses). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** a·b = n - 2*popcount(a XOR b) over packed vectors whose padding bits are 0. */
export function dotPacked(a: Uint32Array, b: Uint32Array, n: number, aOffset = 0, bOffset = 0): number {
  const words = wordsFor(n);
  let diff = 0;
  for (let j = 0; j < words; j++) diff += popcount32(a[aOffset + j] ^ b[bOffset + j]);
  return n - 2 * diff;
}

/** Eqs. 1.1-1.2 literally: a·b = 2*popcount(XNOR(a, b)) - n, XNOR masked to the n real bits. */
export function dotXnor(a: Uint32Array, b: Uint32Array, n: number): number {
  const words = wordsFor(n);
  let same = 0;
  for (let j = 0; j < words; j++) {
    const mask = j === words - 1 ? lastWordMask(n) : 0xffffffff;
    same += popcount32(~(a[j] ^ b[j]) & mask);
  }
  return 2 * same - n;
}

/** The multiply-accumulate the XNOR/popcount form replaces (reference for tests). */
export function dotMac(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Lowest index of the largest value: the argmax rule of every backend. */
export function argmax(scores: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return best;
}
