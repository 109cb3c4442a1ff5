/**
 * The row-pattern method of a single-channel convolution (c/bnn_conv.h, bnn_conv_t.pattern): for kernel row dy and each of the 2^kernel bit patterns a patch
 * row can have, the number of the row's kernel weights each output channel matches, bit-sliced
 * over the 32 channels of a word; and the counter start of each channel, 2^B - R_j with
 * R_j = ceil((t_j + n) / 2) the matches m it needs (s = 2m - n >= t_j) and 2^B >= n + 1, so that
 * after adding the kernel rows' counts the counter's top plane B is the channel's bit.
 */
import { popcount32, testBit } from "../binary.ts";

/** Largest kernel the tables are made for (2^kernel patterns a row). */
export const PATTERN_MAX_KERNEL = 8;

export interface PatternTables {
  /** [kernel][2^kernel][outWords][countPlanes] words. */
  rowCounts: Uint32Array;
  /** [outWords][sumPlanes] words. */
  starts: Uint32Array;
  countPlanes: number;
  sumPlanes: number;
}

const bitsFor = (v: number): number => {
  let b = 0;
  while (2 ** b < v) b++;
  return b;
};

export function patternTables(kernel: number, outputs: number, words: number, weights: Uint32Array, thresholds: ArrayLike<number>): PatternTables {
  const n = kernel * kernel;
  const outWords = outputs / 32;
  const countPlanes = bitsFor(kernel + 1);
  const B = bitsFor(n + 1);
  const sumPlanes = B + 1;
  const patterns = 1 << kernel;
  const rowCounts = new Uint32Array(kernel * patterns * outWords * countPlanes);
  for (let dy = 0; dy < kernel; dy++) {
    for (let v = 0; v < patterns; v++) {
      for (let j = 0; j < outputs; j++) {
        let seg = 0;
        for (let dx = 0; dx < kernel; dx++) if (testBit(weights.subarray(j * words, (j + 1) * words), dy * kernel + dx)) seg |= 1 << dx;
        const matches = popcount32(~(v ^ seg) & (patterns - 1));
        const base = ((dy * patterns + v) * outWords + (j >>> 5)) * countPlanes;
        for (let q = 0; q < countPlanes; q++) if ((matches >>> q) & 1) rowCounts[base + q] |= 1 << (j & 31);
      }
    }
  }
  const starts = new Uint32Array(outWords * sumPlanes);
  for (let j = 0; j < outputs; j++) {
    const need = Math.ceil((thresholds[j] + n) / 2);
    const start = 2 ** B - need;
    for (let p = 0; p < sumPlanes; p++) if ((start >>> p) & 1) starts[(j >>> 5) * sumPlanes + p] |= 1 << (j & 31);
  }
  return { rowCounts, starts, countPlanes, sumPlanes };
}

/**
 * The C of one layer's position function: the counters of each 32-channel word are locals
 * (the planes unrolled, so they stay in registers on a Cortex-M0), each kernel row's pattern is
 * read from the packed image and its counts added by a ripple-carry adder over the planes.
 */
export function patternFunction(name: string, tablesName: string, kernel: number, width: number, outputs: number, t: PatternTables): string {
  const ow = outputs / 32;
  const b = t.sumPlanes;
  const q = t.countPlanes;
  const c = (p: number) => `c${p}`;
  const adder: string[] = [];
  adder.push(`            u = ${c(0)} ^ e[0];`, `            carry = ${c(0)} & e[0];`, `            ${c(0)} = u;`);
  for (let p = 1; p < q; p++)
    adder.push(
      `            u = ${c(p)} ^ e[${p}];`,
      `            g = ${c(p)} & e[${p}];`,
      `            ${c(p)} = u ^ carry;`,
      "            carry = g | (u & carry);",
    );
  for (let p = q; p < b - 1; p++) adder.push(`            g = ${c(p)} & carry;`, `            ${c(p)} ^= carry;`, "            carry = g;");
  adder.push(`            ${c(b - 1)} ^= carry;`);
  return `/* ${name}: the channel bits of position (oy, ox) by the row-pattern method (c/bnn_conv.h): kernel ${kernel}, ${ow} word${ow > 1 ? "s" : ""} of channels, counters of ${b} planes (counts of ${q}) */
static void ${name}(const uint32_t *x, int oy, int ox, uint32_t *bits) {
    for (int w = 0; w < ${ow}; w++) {
${Array.from({ length: b }, (_, p) => `        uint32_t ${c(p)} = ${tablesName}_starts[w * ${b} + ${p}];`).join("\n")}
        int at = oy * ${width} + ox;
        for (int dy = 0; dy < ${kernel}; dy++, at += ${width}) {
            const uint32_t *e = ${tablesName}_row_counts + ((size_t)((dy << ${kernel}) + (int)bnn_bits_at(x, at, ${kernel})) * ${ow}u + (size_t)w) * ${q}u;
            uint32_t u, g, carry;
${adder.join("\n")}
        }
        bits[w] = ${c(b - 1)};
    }
}
`;
}
