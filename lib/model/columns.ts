/**
 * The columns form of a hidden layer: its weights transposed (one column of neuron bits per
 * input) plus the start values of bit-sliced per-neuron counters, chosen so that after the
 * columns of the layer's +1 inputs are added, the counters' top bit plane *is* the layer's
 * packed output. The generated C (firmware-codegen/c/bnn_layers.h, bnn_columns_layer) and the
 * DeviceScript bytecode (src/bnn.ts) run it; the weight tables (lib/export/tables.ts)
 * carry it. The arithmetic, for neuron j with n inputs, P_j +1 weights and threshold t_j:
 *
 *   s_j = n - 2 * popcount(x XOR w_j) >= t_j   <=>   C_j >= R_j,
 *
 * where C_j counts the +1 inputs whose weight is +1 and R_j = ceil((|X| + A_j) / 2) with
 * A_j = P_j - floor((n - t_j) / 2) and |X| the number of +1 inputs. A counter of B + 1 planes
 * starts at 2^B - R_j (kEven for even |X|, one less in the oddDec lanes for odd |X|, minus
 * floor(|X| / 2) in every lane), so it reaches 2^B, its top plane, exactly when C_j >= R_j.
 */
import { lastWordMask, popcount32, setBit, testBit, wordsFor } from "../binary.ts";
import { UserError } from "../errors.ts";
import { C_LIMITS } from "./limits.ts";

/** A hidden layer in rows form: `outputs` rows of `words` u32 words, one threshold a neuron. */
export interface RowsLayer {
  inputs: number;
  outputs: number;
  words: number;
  weights: Uint32Array;
  thresholds: ArrayLike<number>;
}

export interface ColumnsForm {
  planes: number;
  outWords: number;
  lastMask: number;
  /** inputs x outWords words: bit j of column i = weight of neuron j at input i. */
  columns: Uint32Array;
  /** outWords x planes words (word w, plane p at [w * planes + p]): counter starts for an even count of +1 inputs. */
  kEven: Uint32Array;
  /** outWords words: lanes whose start is one less for an odd count of +1 inputs. */
  oddDec: Uint32Array;
}

export function columnsForm(h: RowsLayer): ColumnsForm {
  const n = h.inputs;
  const m = h.outputs;
  const outWords = wordsFor(m);
  const A: number[] = [];
  for (let j = 0; j < m; j++) {
    let P = 0;
    for (let k = 0; k < h.words; k++) P += popcount32(h.weights[j * h.words + k]);
    A.push(P - Math.floor((n - h.thresholds[j]) / 2));
  }
  // A counter ends at 2^B - R_j + C_j, R_j = ceil((|X| + A_j) / 2), 0 <= C_j <= |X| <= n:
  // it must start >= 0 (2^B >= max R_j) and end below 2^(B+1) (C_j - R_j < 2^B).
  const rMax = Math.max(0, ...A.map((a) => Math.ceil((n + a) / 2)));
  const gainMax = Math.max(0, ...A.map((a) => n - Math.ceil(a / 2)));
  let B = 3; // at least 4 planes: the adder tree adds 4-bit counts
  while (2 ** B < rMax || 2 ** B <= gainMax) B++;
  const planes = B + 1;
  if (planes > C_LIMITS.counterPlanes) throw new UserError(`columns form: ${planes} counter planes needed, the C holds at most ${C_LIMITS.counterPlanes}`);
  const columns = new Uint32Array(n * outWords);
  for (let j = 0; j < m; j++) {
    const row = h.weights.subarray(j * h.words, (j + 1) * h.words);
    for (let i = 0; i < n; i++) if (testBit(row, i)) setBit(columns.subarray(i * outWords, (i + 1) * outWords), j);
  }
  const table = (q: number) => {
    const t = new Uint32Array(outWords * planes);
    for (let j = 0; j < m; j++) {
      const k = 2 ** B - Math.floor((A[j] + 1 + q) / 2);
      if (k < 0 || k >= 2 ** planes) throw new UserError(`columns form: counter start ${k} of neuron ${j} outside [0, 2^${planes})`);
      for (let p = 0; p < planes; p++) if ((k >>> p) & 1) t[(j >>> 5) * planes + p] |= 1 << (j & 31); // lane j of plane p
    }
    return t;
  };
  table(1); // range check of the odd starts
  const oddDec = new Uint32Array(outWords);
  for (let j = 0; j < m; j++) if (Math.floor((A[j] + 1) / 2) !== Math.floor((A[j] + 2) / 2)) setBit(oddDec, j);
  return { planes, outWords, lastMask: lastWordMask(m), columns, kEven: table(0), oddDec };
}

/** The rows (outputs x wordsFor(inputs) words) of a layer given as columns (inputs x wordsFor(outputs) words). */
export function rowsFromColumns(columns: Uint32Array, inputs: number, outputs: number): Uint32Array {
  const words = wordsFor(inputs);
  const outWords = wordsFor(outputs);
  const rows = new Uint32Array(outputs * words);
  for (let i = 0; i < inputs; i++) {
    const col = columns.subarray(i * outWords, (i + 1) * outWords);
    for (let j = 0; j < outputs; j++) if (testBit(col, j)) setBit(rows.subarray(j * words, (j + 1) * words), i);
  }
  return rows;
}
