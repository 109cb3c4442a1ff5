/**
 * The binary conventions (sign(0) = +1, bit order, padding, the XNOR/popcount dot product) are
 * defined once, in src/shared/bits.ts, which the DeviceScript program imports too. This module
 * re-exports them for Node and adds what only the host needs: typed-array packing, eqs. 1.4-1.5
 * (stochastic binarization) and the multiply-accumulate the XNOR form replaces (for tests).
 */
import { endianness } from "node:os";
import { lastWordMask, popcount32, wordsFor } from "../src/shared/bits.ts";

export { argmax, dotFromDifferences, lastWordMask, packedBytes, packPixelBytes, pixelIsOn, popcount32, sign, wordsFor } from "../src/shared/bits.ts";
export type { ByteArray, NumberArray } from "../src/shared/bits.ts";

// Packed words are handed around as Uint32Array and as their bytes (little-endian by
// convention); a big-endian host would need byte swaps everywhere, so refuse it outright.
if (endianness() !== "LE") throw new Error("bnn needs a little-endian host (packed words are little-endian bytes)");

export type Rng = () => number;

/** Eq. 1.5: the "hard sigmoid" sigma(x) = clip((x + 1) / 2, 0, 1). */
export function hardSigmoid(x: number): number {
  return Math.max(0, Math.min(1, (x + 1) / 2));
}

/** Eq. 1.4: stochastic binarization, +1 with probability hardSigmoid(x). `rng` returns [0, 1). */
export function stochasticSign(x: number, rng: Rng): 1 | -1 {
  return rng() < hardSigmoid(x) ? 1 : -1;
}

/** The bytes of packed words (a view, no copy). */
export function wordBytes(words: Uint32Array): Uint8Array {
  return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
}

/** Sets element e of packed words (bit e & 31 of word e >>> 5) to +1. */
export function setBit(words: Uint32Array, e: number): void {
  words[e >>> 5] |= 1 << (e & 31);
}

/** Element e of packed words: true for +1. */
export function testBit(words: ArrayLike<number>, e: number): boolean {
  return ((words[e >>> 5] >>> (e & 31)) & 1) === 1;
}

/** Packs sign(values[i]) into words (bit 1 <-> +1, sign(0) = +1). */
export function packSigns(values: ArrayLike<number>, out?: Uint32Array): Uint32Array {
  const n = values.length;
  const words = out ?? new Uint32Array(wordsFor(n));
  words.fill(0);
  for (let i = 0; i < n; i++) {
    if (values[i] >= 0) setBit(words, i);
  }
  return words;
}

/** Inverse of packSigns: n values in {-1, +1}. */
export function unpackSigns(words: Uint32Array, n: number): Int8Array {
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) out[i] = testBit(words, i) ? 1 : -1;
  return out;
}

/** a·b = n - 2 * popcount(a XOR b) over packed vectors whose padding bits are 0. */
export function dotPacked(a: Uint32Array, b: Uint32Array, n: number, aOffset = 0, bOffset = 0): number {
  const words = wordsFor(n);
  let diff = 0;
  for (let j = 0; j < words; j++) diff += popcount32(a[aOffset + j] ^ b[bOffset + j]);
  return n - 2 * diff;
}

/** Eqs. 1.1-1.2 literally: a·b = 2 * popcount(XNOR(a, b)) - n, XNOR masked to the n real bits. */
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
