// Bytecode fallback of the BNN inference, in DeviceScript: the same integer arithmetic as the
// TypeScript reference (lib/model/infer.ts) and the generated C, reading the weight tables
// (src/generated/models/*.ts) straight from flash. Conventions: src/shared/bits.ts, docs/model-format.md.
//
// Hidden layers run the columns method of the generated C (firmware-codegen/c/bnn_layers.h,
// lib/model/columns.ts): the +1 inputs are enumerated once, and each one's column of
// neuron bits is added into bit-sliced per-neuron counters, eight columns at a time through a
// carry-save adder tree; the counters start where their top bit plane becomes the layer's
// output. With about a fifth of the inputs +1, that is a tenth of the word operations of one
// XOR/popcount per neuron and input word. The bytecode is written for the board: a function
// call costs as much as twenty bit operations there, so the inner loops call nothing.
import { yieldToFirmware } from "./yield";
import { dotFromDifferences, lastWordMask, packedBytes, packPixelBytes, wordsFor } from "./shared/bits";

export interface HiddenTables {
  inputs: number;
  outputs: number;
  /** Bit planes of each neuron's counter. */
  planes: number;
  /** inputs columns of ceil(outputs/32) u32 LE: bit j of column i = weight of neuron j at input i. */
  columns: Buffer;
  /** ceil(outputs/32) x planes u32 LE: counter starts for an even count of +1 inputs. */
  kEven: Buffer;
  /** ceil(outputs/32) u32 LE: lanes that start one less for an odd count of +1 inputs. */
  oddDec: Buffer;
}

/** A convolution layer (format version 2): the hidden-layer tables of its patch, its shape and pooling. */
export interface ConvTables {
  /** [height, width, channels, kernel, outputs, pool] of the layer's input and kernel. */
  shape: number[];
  planes: number;
  /** patch-length columns of ceil(outputs/32) u32 LE (the patch is a hidden layer's input). */
  columns: Buffer;
  kEven: Buffer;
  oddDec: Buffer;
  /** ceil(outputs/32) u32 LE: bit c = channel c pools with AND (else OR). */
  poolAnd: Buffer;
}

export interface OutputTables {
  inputs: number;
  outputs: number;
  weights: Buffer; // outputs rows x ceil(inputs/32) u32 LE
  scale: Buffer; // outputs x i32 LE
  offset: Buffer; // outputs x i32 LE
}

/** LOWEST_BIT[v]: the index of the lowest set bit of byte v > 0. */
const LOWEST_BIT = Buffer.alloc(256);
for (let v = 1; v < 256; v++) {
  let b = 0;
  while (((v >> b) & 1) === 0) b++;
  LOWEST_BIT[v] = b;
}

/** Packs grayscale pixels (0 = background) into input bits (src/shared/bits.ts). */
export function packPixels(pixels: Buffer, threshold: number): Buffer {
  const out = Buffer.alloc(packedBytes(pixels.length));
  packPixelBytes(pixels, 0, pixels.length, threshold, out);
  return out;
}

/**
 * Counter words (one 32-neuron word of eight columns, about 250 VM steps with its share of the
 * bit loop) between yields: 200 are some 50k steps, well under the VM's limit of 128k steps
 * without a yield (DEVS_MAX_STEPS; src/yield.ts), for any layer width. Each yield costs at
 * least a millisecond, so fewer is faster: at 48 the large model spent three quarters of its
 * simulator time asleep.
 */
const WORDS_PER_SLICE = 200;

/**
 * Work since the last yield, shared by the hidden layers of one convolution: each position's
 * patch is a small hidden layer that alone never reaches a slice, so a convolution counts its
 * patches' counter words (and a few for each patch's gather and set-up) across positions.
 */
interface Slice {
  work: number;
  limit: number;
}

/** Counter words between yields in a convolution (measured: 200 tripped the VM's step limit in a 3x3x64 -> 128 layer). */
const CONV_WORDS_PER_SLICE = 48;
/** What one patch's gather and counter set-up count as, in counter words. */
const PATCH_WORK = 2;

/** One hidden layer by the columns method: the packed outputs of input bits x. */
async function hiddenLayer(x: Buffer, layer: HiddenTables, slice: Slice = { work: 0, limit: WORDS_PER_SLICE }): Promise<Buffer> {
  const inputs = layer.inputs;
  const outWords = wordsFor(layer.outputs);
  const planes = layer.planes;
  const cols = layer.columns;
  const stride = 4 * outWords;
  const ctr: number[] = [];
  for (let p = 0; p < outWords * planes; p++) ctr.push(0);
  // count the +1 inputs into `ones` and add their columns into the counters
  const inBytes = (inputs + 7) >> 3;
  const lastBits = inputs & 7;
  const g: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  let pending = 0;
  let ones = 0;
  for (let byte = 0; byte < inBytes; byte++) {
    let v = x[byte];
    if (byte === inBytes - 1 && lastBits !== 0) v &= (1 << lastBits) - 1;
    while (v !== 0) {
      ones++;
      g[pending++] = stride * (8 * byte + LOWEST_BIT[v]);
      v &= v - 1;
      if (pending < 8) continue;
      pending = 0;
      const g0 = g[0],
        g1 = g[1],
        g2 = g[2],
        g3 = g[3],
        g4 = g[4],
        g5 = g[5],
        g6 = g[6],
        g7 = g[7];
      for (let w = 0, o = 0, base = 0; w < outWords; w++, o += 4, base += planes) {
        // eight one-bit lanes -> a 4-bit count b3 b2 b1 b0 per lane (Harley-Seal)
        const a0 = cols.getAt(g0 + o, "i32"),
          a1 = cols.getAt(g1 + o, "i32"),
          a2 = cols.getAt(g2 + o, "i32");
        const a3 = cols.getAt(g3 + o, "i32"),
          a4 = cols.getAt(g4 + o, "i32"),
          a5 = cols.getAt(g5 + o, "i32");
        const a6 = cols.getAt(g6 + o, "i32"),
          a7 = cols.getAt(g7 + o, "i32");
        let u = a0 ^ a1;
        const k1 = (a0 & a1) | (u & a2);
        const s1 = u ^ a2;
        u = a3 ^ a4;
        const k2 = (a3 & a4) | (u & a5);
        const s2 = u ^ a5;
        u = s1 ^ s2;
        const k3 = (s1 & s2) | (u & a6);
        const s3 = u ^ a6;
        const b0 = s3 ^ a7;
        const k4 = s3 & a7;
        u = k1 ^ k2;
        const k5 = (k1 & k2) | (u & k3);
        const s5 = u ^ k3;
        const b1 = s5 ^ k4;
        const k6 = s5 & k4;
        const b2 = k5 ^ k6;
        const b3 = k5 & k6;
        // counters += b3 b2 b1 b0, per lane, then the carry ripples up
        const q0 = ctr[base],
          q1 = ctr[base + 1],
          q2 = ctr[base + 2],
          q3 = ctr[base + 3];
        let c = q0 & b0;
        ctr[base] = q0 ^ b0;
        u = q1 ^ b1;
        ctr[base + 1] = u ^ c;
        c = (q1 & b1) | (u & c);
        u = q2 ^ b2;
        ctr[base + 2] = u ^ c;
        c = (q2 & b2) | (u & c);
        u = q3 ^ b3;
        ctr[base + 3] = u ^ c;
        c = (q3 & b3) | (u & c);
        for (let p = base + 4; c !== 0 && p < base + planes; p++) {
          const t = ctr[p] & c;
          ctr[p] ^= c;
          c = t;
        }
      }
      slice.work += outWords;
      if (slice.work >= slice.limit) {
        slice.work = 0;
        await yieldToFirmware();
      }
    }
  }
  // the last fewer than eight columns, one at a time
  for (let q = 0; q < pending; q++) {
    const gq = g[q];
    for (let w = 0, base = 0; w < outWords; w++, base += planes) {
      let c = cols.getAt(gq + 4 * w, "i32");
      for (let p = base; c !== 0 && p < base + planes; p++) {
        const t = ctr[p] & c;
        ctr[p] ^= c;
        c = t;
      }
    }
  }
  return countersToOutputs(ctr, layer, ones, outWords);
}

/**
 * The packed outputs of a hidden layer from its counters once `ones` +1 inputs were added:
 * counters += kEven - floor(ones / 2) - (ones odd ? oddDec : 0), modulo 2^planes: the sum is
 * below 2^planes by construction, and its top plane is the output (columns.ts).
 */
function countersToOutputs(ctr: number[], layer: HiddenTables, ones: number, outWords: number): Buffer {
  const planes = layer.planes;
  const minusHalf = -(ones >> 1);
  const kEven = layer.kEven;
  const y = Buffer.alloc(4 * outWords);
  for (let w = 0, base = 0; w < outWords; w++, base += planes) {
    let c1 = 0;
    let c2 = 0;
    for (let p = 0; p < planes; p++) {
      // start = kEven - floor(ones / 2) (as the C computes it), then counters += start
      const k = kEven.getAt(4 * (base + p), "i32");
      const h = ((minusHalf >> p) & 1) === 0 ? 0 : -1;
      const kh = k ^ h;
      const start = kh ^ c1;
      c1 = (k & h) | (c1 & kh);
      const a = ctr[base + p];
      const u = a ^ start;
      ctr[base + p] = u ^ c2;
      c2 = (a & start) | (u & c2);
    }
    if ((ones & 1) !== 0) {
      let borrow = layer.oddDec.getAt(4 * w, "i32");
      for (let p = base; borrow !== 0 && p < base + planes; p++) {
        const t = ~ctr[p] & borrow;
        ctr[p] ^= borrow;
        borrow = t;
      }
    }
    y.setAt(4 * w, "i32", ctr[base + planes - 1]);
  }
  const last = 4 * (outWords - 1);
  y.setAt(last, "i32", y.getAt(last, "i32") & lastWordMask(layer.outputs));
  return y;
}

/**
 * One convolution layer (docs/model-format.md §2.3), as the generated C (bnn_conv.h) runs it:
 * for each output pixel, the patch of each position of its pooling window is gathered and run
 * through hiddenLayer(), and the window's channel bits are ORed (ANDed in the poolAnd channels).
 * Tensor element (r, c, ch) is element (r * width + c) * channels + ch of a packed vector. It
 * yields every CONV_WORDS_PER_SLICE counter words of work, counted across the positions.
 */
async function convLayer(x: Buffer, layer: ConvTables): Promise<Buffer> {
  const sh = layer.shape;
  const width = sh[1],
    channels = sh[2],
    kernel = sh[3],
    outputs = sh[4],
    pool = sh[5];
  const outH = (sh[0] - kernel + 1) / pool;
  const outW = (width - kernel + 1) / pool;
  const outWords = outputs >> 5;
  const n = kernel * kernel * channels;
  const patch = Buffer.alloc(4 * wordsFor(n));
  const patchLayer: HiddenTables = { inputs: n, outputs: outputs, planes: layer.planes, columns: layer.columns, kEven: layer.kEven, oddDec: layer.oddDec };
  const y = Buffer.alloc(packedBytes(outH * outW * outputs));
  const orAcc: number[] = [];
  const andAcc: number[] = [];
  for (let w = 0; w < outWords; w++) {
    orAcc.push(0);
    andAcc.push(0);
  }
  const cw = channels >> 5;
  const slice: Slice = { work: 0, limit: CONV_WORDS_PER_SLICE };
  for (let py = 0; py < outH; py++) {
    for (let px = 0; px < outW; px++) {
      for (let w = 0; w < outWords; w++) {
        orAcc[w] = 0;
        andAcc[w] = -1;
      }
      for (let dy = 0; dy < pool; dy++) {
        for (let dx = 0; dx < pool; dx++) {
          const oy = py * pool + dy;
          const ox = px * pool + dx;
          for (let k = 0; k < patch.length; k += 4) patch.setAt(k, "i32", 0);
          if (channels === 1) {
            // bit by bit: element (oy + ky) * width + ox + kx of the image
            for (let ky = 0, t = 0; ky < kernel; ky++) {
              const row = (oy + ky) * width + ox;
              for (let kx = 0; kx < kernel; kx++, t++) {
                const e = row + kx;
                if (((x[e >> 3] >> (e & 7)) & 1) !== 0) patch[t >> 3] |= 1 << (t & 7);
              }
            }
          } else {
            // whole words: kernel pixels of cw words a row of the patch
            const rowWords = kernel * cw;
            for (let ky = 0; ky < kernel; ky++) {
              const src = 4 * ((oy + ky) * width + ox) * cw;
              const dst = 4 * ky * rowWords;
              for (let k = 0; k < 4 * rowWords; k += 4) patch.setAt(dst + k, "i32", x.getAt(src + k, "i32"));
            }
          }
          slice.work += PATCH_WORK;
          const bits = await hiddenLayer(patch, patchLayer, slice);
          for (let w = 0; w < outWords; w++) {
            const b = bits.getAt(4 * w, "i32");
            orAcc[w] |= b;
            andAcc[w] &= b;
          }
        }
      }
      const at = 4 * (py * outW + px) * outWords;
      for (let w = 0; w < outWords; w++) {
        const m = layer.poolAnd.getAt(4 * w, "i32");
        y.setAt(at + 4 * w, "i32", (orAcc[w] & ~m) | (andAcc[w] & m));
      }
      if (slice.work >= slice.limit) {
        slice.work = 0;
        await yieldToFirmware();
      }
    }
  }
  return y;
}

/**
 * Integer scores of packed input bits; yields to the scheduler after each hidden layer. With
 * `hiddenOut`, each hidden layer's packed output (convolutions first) is appended to it (for
 * the verification matrix).
 */
export async function scores(input: Buffer, conv: ConvTables[], hidden: HiddenTables[], output: OutputTables, hiddenOut?: Buffer[]): Promise<number[]> {
  let x = input;
  for (const layer of conv) {
    x = await convLayer(x, layer);
    if (hiddenOut) hiddenOut.push(x);
  }
  for (const layer of hidden) {
    x = await hiddenLayer(x, layer);
    if (hiddenOut) hiddenOut.push(x);
    await yieldToFirmware();
  }
  const words = wordsFor(output.inputs);
  const weights = output.weights;
  const out: number[] = [];
  for (let j = 0, base = 0; j < output.outputs; j++) {
    let diff = 0;
    for (let k = 0; k < 4 * words; k += 4, base += 4) {
      // popcount(x XOR w) inline (SWAR, as bits.ts's popcount32, without the multiply)
      let v = x.getAt(k, "i32") ^ weights.getAt(base, "i32");
      v = v - ((v >>> 1) & 0x55555555);
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      v = (v + (v >>> 4)) & 0x0f0f0f0f;
      v = v + (v >>> 8);
      v = v + (v >>> 16);
      diff += v & 0x3f;
    }
    out.push(output.scale.getAt(4 * j, "i32") * dotFromDifferences(output.inputs, diff) + output.offset.getAt(4 * j, "i32"));
  }
  return out;
}
