/**
 * The C generator: reads a model's TypeScript weight tables (src/models/<name>.ts, the single
 * source) and writes portable C99: bnn_model.h (dimensions, id, entry points) and bnn_model.c
 * (const packed weights and integer thresholds in flash, static activation buffers sized here,
 * `bnn_classify`). No malloc, no floats, nothing from libc beyond <stdint.h>/<stddef.h>.
 * Output is a pure function of the tables: same tables, byte-identical C.
 */
import { lastWordMask, wordsFor } from "../../host/lib/binary.ts";
import { UserError } from "../../host/lib/errors.ts";
import { columnsForm, rowsFromColumns } from "../../host/lib/model/columns.ts";
import { cLimitProblems } from "../../host/lib/model/limits.ts";
import type { Tables } from "../../host/lib/export/load-tables.ts";

export interface CLayer {
  inputs: number;
  outputs: number;
  words: number;
  weights: Uint32Array;
}

export interface CModel {
  name: string;
  id: string;
  width: number;
  height: number;
  threshold: number;
  shift: number;
  hidden: (CLayer & { thresholds: Int16Array })[];
  output: CLayer & { scale: Int32Array; offset: Int32Array };
}

function view<T>(bytes: unknown, ctor: { new (b: ArrayBuffer): T }, what: string): T {
  if (!(bytes instanceof Uint8Array)) throw new UserError(`weight tables: ${what} is not a buffer`);
  return new ctor(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
}

function sameWords(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] >>> 0 !== b[i] >>> 0) return false;
  return true;
}

/**
 * Decodes the tables module into typed arrays, checking every size against LAYER_SIZES. Hidden
 * layers come as columns (host/lib/model/columns.ts): the rows are their transpose, and the
 * counter starts must be exactly what the columns and thresholds give (a table edited by hand,
 * or written by an older `bnn export`, is refused here).
 */
export function modelFromTables(t: Tables): CModel {
  const sizes = t.LAYER_SIZES;
  const words = (k: number, name: string, expected: number): Uint32Array => {
    const w = view(t[`L${k}_${name}`], Uint32Array, `L${k}_${name}`);
    if (w.length !== expected) throw new UserError(`weight tables: L${k}_${name} holds ${w.length} words, expected ${expected}`);
    return w;
  };
  const hidden = Array.from({ length: t.HIDDEN_LAYERS }, (_, i) => {
    const k = i + 1;
    const inputs = sizes[k - 1];
    const outputs = sizes[k];
    const columns = words(k, "COLUMNS", inputs * wordsFor(outputs));
    const thresholds = view(t[`L${k}_THRESHOLDS`], Int16Array, `L${k}_THRESHOLDS`);
    if (thresholds.length !== outputs) throw new UserError(`weight tables: L${k}_THRESHOLDS has ${thresholds.length} entries, expected ${outputs}`);
    const layer = { inputs, outputs, words: wordsFor(inputs), weights: rowsFromColumns(columns, inputs, outputs), thresholds };
    const form = columnsForm(layer);
    if (t[`L${k}_PLANES`] !== form.planes) throw new UserError(`weight tables: L${k}_PLANES is ${String(t[`L${k}_PLANES`])}, the columns and thresholds need ${form.planes} (run bnn regen)`);
    if (!sameWords(words(k, "K_EVEN", form.kEven.length), form.kEven) || !sameWords(words(k, "ODD_DEC", form.oddDec.length), form.oddDec)) {
      throw new UserError(`weight tables: L${k}_K_EVEN/ODD_DEC disagree with L${k}_COLUMNS and L${k}_THRESHOLDS (run bnn regen)`);
    }
    return layer;
  });
  const L = t.HIDDEN_LAYERS + 1;
  const inputs = sizes[L - 1];
  const outputs = sizes[L];
  const o: CLayer = { inputs, outputs, words: wordsFor(inputs), weights: words(L, "WEIGHTS", wordsFor(inputs) * outputs) };
  // the C's limits, refused here, where a model enters the generator
  const problems = cLimitProblems(t.INPUT_WIDTH * t.INPUT_HEIGHT, hidden, o);
  if (problems.length) throw new UserError(`model ${t.MODEL_NAME} does not fit the generated C: ${problems.join("; ")}`);
  const scale = view(t[`L${L}_SCALE`], Int32Array, `L${L}_SCALE`);
  const offset = view(t[`L${L}_OFFSET`], Int32Array, `L${L}_OFFSET`);
  if (scale.length !== o.outputs || offset.length !== o.outputs) throw new UserError(`weight tables: L${L}_SCALE/OFFSET sizes differ from ${o.outputs}`);
  return { name: t.MODEL_NAME, id: t.MODEL_ID, width: t.INPUT_WIDTH, height: t.INPUT_HEIGHT, threshold: t.INPUT_THRESHOLD, shift: t.SCORE_SHIFT, hidden, output: { ...o, scale, offset } };
}

// ---- small formatting helpers (each tested) ----

/** `static const <type> <name>[<n>] = { ... };` with `perLine` values a line. */
export function cArray(type: string, name: string, values: ArrayLike<number>, format: (v: number) => string, perLine: number, comment?: string): string {
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += perLine) {
    lines.push("    " + Array.from({ length: Math.min(perLine, values.length - i) }, (_, k) => format(values[i + k])).join(", ") + ",");
  }
  return `${comment ? `/* ${comment} */\n` : ""}static const ${type} ${name}[${values.length}] = {\n${lines.join("\n")}\n};\n`;
}

export const hexWord = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, "0")}u`;
/** An int32 literal that is valid C for every value (INT32_MIN has no literal of its own). */
export const int32 = (v: number): string => (v === -2147483648 ? "(-2147483647 - 1)" : String(v));



export function generateHeader(m: CModel, source: string): string {
  const inBits = m.width * m.height;
  const words = wordsFor(inBits);
  return `/* Auto-generated by \`bnn codegen\` from ${source}; do not edit. */
#ifndef BNN_MODEL_H
#define BNN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "bnn_status.h"

#define BNN_MODEL_NAME "${m.name}"
#define BNN_MODEL_ID "${m.id}"
/* The first 32 bits of the model id, as the classifier service reports it. */
#define BNN_MODEL_ID32 0x${m.id.slice(0, 8)}u
#define BNN_INPUT_WIDTH ${m.width}
#define BNN_INPUT_HEIGHT ${m.height}
/* Pixel p (0..255, 0 = background) is +1 (bit 1) when p >= BNN_INPUT_THRESHOLD. */
#define BNN_INPUT_THRESHOLD ${m.threshold}
#define BNN_INPUT_BITS ${inBits}
#define BNN_INPUT_WORDS ${words}
#define BNN_HIDDEN_LAYERS ${m.hidden.length}
#define BNN_OUTPUTS ${m.output.outputs}
/* Words of the packed output of hidden layer l (0-based). */
#define BNN_HIDDEN_WORDS(l) (${m.hidden.map((h, k) => `(l) == ${k} ? ${wordsFor(h.outputs)} : `).join("")}0)
/* Scores are the float BatchNorm outputs times 2^BNN_SCORE_SHIFT, rounded. */
#define BNN_SCORE_SHIFT ${m.shift}

/*
 * Classifies one input: input_bits holds input_words >= BNN_INPUT_WORDS words (element 32*k + i
 * is bit i of word k, bit 1 = +1; set bits past BNN_INPUT_BITS are ignored). Writes BNN_OUTPUTS
 * integer scores into scores (scores_length >= BNN_OUTPUTS) and returns the digit (argmax,
 * lowest index on ties). Preconditions are checked first: a NULL buffer returns BNN_ERR_NULL, a
 * short one BNN_ERR_SIZE, and nothing is read or written. Uses static buffers: not reentrant.
 */
int bnn_classify(const uint32_t *input_bits, size_t input_words, int32_t *scores, size_t scores_length);

/* Packs BNN_INPUT_BITS grayscale pixels into input bits (pixel >= BNN_INPUT_THRESHOLD is +1). */
void bnn_pack_pixels(const uint8_t *pixels, uint32_t *input_bits);

/* Packed outputs of hidden layer number layer (0-based) from the last bnn_classify, or NULL. */
const uint32_t *bnn_hidden_output(int layer);

#endif /* BNN_MODEL_H */
`;
}

export function generateSource(m: CModel, source: string): string {
  const parts: string[] = [
    `/* Auto-generated by \`bnn codegen\` from ${source}; do not edit.
 *
 * Hidden neuron j of a layer with n inputs: on iff n - 2 * popcount(x XOR w_j) >= threshold_j.
 * Output j: score_j = scale_j * (n - 2 * popcount(x XOR w_j)) + offset_j.
 * Bit order: element 32*k + i is bit i of word k; bit 1 = +1; padding bits are 0.
 */
#include <stddef.h>
#include <stdint.h>

#include "bnn_layers.h"
#include "bnn_model.h"
`,
  ];
  const inBits = m.width * m.height;
  const words = wordsFor(inBits);
  const forms = m.hidden.map(columnsForm);
  const counterWords = Math.max(...forms.map((f) => f.outWords * f.planes));
  parts.push("#if BNN_HIDDEN_METHOD == BNN_HIDDEN_ROWS\n");
  m.hidden.forEach((h, k) => {
    const L = `bnn_l${k + 1}`;
    parts.push(cArray("uint32_t", `${L}_weights`, h.weights, hexWord, 8, `layer ${k + 1}: ${h.outputs} rows of ${h.words} words (${h.inputs} inputs)`));
    parts.push(cArray("int16_t", `${L}_thresholds`, h.thresholds, String, 16, `layer ${k + 1}: on iff sum >= threshold`));
  });
  parts.push("#else /* BNN_HIDDEN_COLUMNS */\n");
  m.hidden.forEach((h, k) => {
    const L = `bnn_l${k + 1}`;
    const f = forms[k];
    parts.push(cArray("uint32_t", `${L}_columns`, f.columns, hexWord, 8, `layer ${k + 1}: ${h.inputs} columns of ${f.outWords} words (${h.outputs} neurons)`));
    parts.push(cArray("uint32_t", `${L}_k_even`, f.kEven, hexWord, 8, `layer ${k + 1}: counter starts (${f.planes} planes), even count of +1 inputs`));
    parts.push(cArray("uint32_t", `${L}_odd_dec`, f.oddDec, hexWord, 8, `layer ${k + 1}: lanes one less for an odd count of +1 inputs`));
  });
  parts.push(`static uint32_t bnn_counters[${counterWords}];\n`);
  const widest = Math.max(...forms.map((f) => f.outWords));
  parts.push(`/* the columns method's zero column holds BNN_MAX_OUT_WORDS words: this model needs ${widest} */\ntypedef char bnn_max_out_words_fits[BNN_MAX_OUT_WORDS >= ${widest} ? 1 : -1];\n`);
  parts.push("#endif\n");
  m.hidden.forEach((h, k) => parts.push(`static uint32_t bnn_l${k + 1}_out[${wordsFor(h.outputs)}];\n`));
  const o = m.output;
  const Lo = `bnn_l${m.hidden.length + 1}`;
  parts.push(cArray("uint32_t", `${Lo}_weights`, o.weights, hexWord, 8, `output layer: ${o.outputs} rows of ${o.words} words (${o.inputs} inputs)`));
  parts.push(cArray("int32_t", `${Lo}_scale`, o.scale, int32, 10));
  parts.push(cArray("int32_t", `${Lo}_offset`, o.offset, int32, 10));
  parts.push(`static uint32_t bnn_input[${words}];

void bnn_pack_pixels(const uint8_t *pixels, uint32_t *input_bits) {
    for (int k = 0; k < BNN_INPUT_WORDS; k++) input_bits[k] = 0;
    for (int i = 0; i < BNN_INPUT_BITS; i++) {
        if (pixels[i] >= BNN_INPUT_THRESHOLD) input_bits[i >> 5] |= (uint32_t)1 << (i & 31);
    }
}

const uint32_t *bnn_hidden_output(int layer) {
    switch (layer) {
${m.hidden.map((_, k) => `    case ${k}:\n        return bnn_l${k + 1}_out;`).join("\n")}
    default:
        return NULL;
    }
}

int bnn_classify(const uint32_t *input_bits, size_t input_words, int32_t *scores, size_t scores_length) {
    BNN_PRECONDITION(input_bits != NULL && scores != NULL, BNN_ERR_NULL);
    BNN_PRECONDITION(input_words >= BNN_INPUT_WORDS && scores_length >= BNN_OUTPUTS, BNN_ERR_SIZE);
    /* copy, clearing the padding bits of the last word */
    for (int k = 0; k < ${words}; k++) bnn_input[k] = input_bits[k];
${inBits % 32 ? `    bnn_input[${words - 1}] &= 0x${lastWordMask(inBits).toString(16)}u;\n` : ""}`);
  let x = "bnn_input";
  m.hidden.forEach((h, k) => {
    const L = `bnn_l${k + 1}`;
    const f = forms[k];
    parts.push(`#if BNN_HIDDEN_METHOD == BNN_HIDDEN_ROWS
    bnn_rows_layer(${x}, ${L}_weights, ${L}_thresholds, ${h.inputs}, ${h.words}, ${h.outputs}, ${L}_out);
#else
    BNN_PRECONDITION(bnn_columns_layer(${x}, ${h.words}, ${L}_columns, ${L}_k_even, ${L}_odd_dec, ${f.planes}, ${f.outWords}, ${hexWord(f.lastMask)}, bnn_counters, ${L}_out) == BNN_OK, BNN_ERR_LIMIT);
#endif
`);
    x = `${L}_out`;
  });
  parts.push(`    int best = 0;
    for (int j = 0; j < ${o.outputs}; j++) {
        int32_t s = ${o.inputs} - 2 * bnn_xor_popcount(${x}, ${Lo}_weights + (size_t)j * ${o.words}u, ${o.words});
        scores[j] = ${Lo}_scale[j] * s + ${Lo}_offset[j];
        if (scores[j] > scores[best]) best = j;
    }
    return best;
}
`);
  return parts.join("\n");
}
