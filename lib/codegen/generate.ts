/**
 * The C generator: from a model's TypeScript weight tables (src/generated/models/<name>.ts, the single
 * source; read into a CModel by c-model.ts) writes portable C99: bnn_model.h (dimensions, id, entry points) and bnn_model.c
 * (const packed weights and integer thresholds in flash, static activation buffers sized here,
 * `bnn_classify`). No malloc, no floats, nothing from libc beyond <stdint.h>/<stddef.h>.
 * Output is a pure function of the tables: same tables, byte-identical C.
 */
import { generatedBy } from "../export/generated-header.ts";
import { lastWordMask, wordsFor } from "../binary.ts";
import type { ColumnsForm } from "../model/columns.ts";
import type { CModel } from "./c-model.ts";
import { PATTERN_MAX_KERNEL, patternFunction, patternTables, type PatternTables } from "./pattern-tables.ts";

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
  return `/* ${generatedBy("bnn codegen", "lib/codegen/generate.ts", source)} */
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
${
  m.conv.length
    ? `/* Convolution layers (the first hidden layers): output tensors ${m.conv.map((c) => `${c.outHeight}x${c.outWidth}x${c.outputs}`).join(", ")}. */
#define BNN_CONV_LAYERS ${m.conv.length}
`
    : ""
}/* Layers before the output layer${m.conv.length ? ", convolutions first" : ""}. */
#define BNN_HIDDEN_LAYERS ${m.conv.length + m.hidden.length}
#define BNN_OUTPUTS ${m.output.outputs}
/* Words of the packed output of hidden layer l (0-based). */
#define BNN_HIDDEN_WORDS(l) (${tracedWords(m)
    .map((w, k) => `(l) == ${k} ? ${w} : `)
    .join("")}0)
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

/**
 * \`bnn report\` measures each layer's cost as the difference between builds that stop after
 * successive layers (-DBNN_STOP_AFTER=k, 0 = run to the end). The layer to stop after is a
 * volatile variable, so those builds have the same code and differ only in its value; without
 * the macro the check compiles to nothing.
 */
function stopAfter(layer: number): string {
  return `#ifdef BNN_STOP_AFTER\n    if (bnn_stop_after == ${layer}) return 0;\n#endif\n`;
}

/** Words of each hidden layer's packed output: the convolutions' tensors, then the dense layers. */
export function tracedWords(m: CModel): number[] {
  return [...m.conv.map((c) => wordsFor(c.outHeight * c.outWidth * c.outputs)), ...m.hidden.map((h) => wordsFor(h.outputs))];
}

/** What the parts of the generated source share: the input's size and each layer's columns form. */
interface SourcePlan {
  inBits: number;
  words: number;
  forms: ColumnsForm[];
  convForms: ColumnsForm[];
  patterns: (PatternTables | undefined)[];
  counterWords: number;
}

function sourcePlan(m: CModel): SourcePlan {
  const inBits = m.width * m.height;
  const words = wordsFor(inBits);
  // the columns forms modelFromTables checked the tables against
  const forms = m.hidden.map((h) => h.form);
  const convForms = m.conv.map((c) => c.patch.form);
  // single-channel convolutions with a small kernel run the row-pattern tables (c/bnn_conv.h)
  const patterns = m.conv.map((c) =>
    c.channels === 1 && c.kernel <= PATTERN_MAX_KERNEL ? patternTables(c.kernel, c.outputs, c.patch.words, c.patch.weights, c.patch.thresholds) : undefined,
  );
  const counterWords = Math.max(1, ...[...forms, ...convForms].map((f) => f.outWords * f.planes));
  return { inBits, words, forms, convForms, patterns, counterWords };
}

/** bnn_model.c: its comment and includes, the weights of both hidden-layer methods, the convolutions' scratch, the output layer and bnn_classify. */
export function generateSource(m: CModel, source: string): string {
  const plan = sourcePlan(m);
  return [sourceHeader(m, source), ...rowsTables(m), ...columnsTables(m, plan), ...convLayers(m, plan), ...outputLayer(m), ...classifyFunction(m, plan)].join(
    "\n",
  );
}

function sourceHeader(m: CModel, source: string): string {
  return `/* ${generatedBy("bnn codegen", "lib/codegen/generate.ts", source)}
 *
 * Hidden neuron j of a layer with n inputs: on iff n - 2 * popcount(x XOR w_j) >= threshold_j.
 * Output j: score_j = scale_j * (n - 2 * popcount(x XOR w_j)) + offset_j.
 * Bit order: element 32*k + i is bit i of word k; bit 1 = +1; padding bits are 0.
 */
#include <stddef.h>
#include <stdint.h>

#include "bnn_layers.h"
${m.conv.length ? '#include "bnn_conv.h"\n' : ""}#include "bnn_model.h"
`;
}

/** The rows method's tables: each neuron's weights and threshold. */
function rowsTables(m: CModel): string[] {
  const parts: string[] = [];
  parts.push("#if BNN_HIDDEN_METHOD == BNN_HIDDEN_ROWS\n");
  m.conv.forEach((c, k) => {
    const C = `bnn_c${k + 1}`;
    parts.push(
      cArray(
        "uint32_t",
        `${C}_weights`,
        c.patch.weights,
        hexWord,
        8,
        `conv ${k + 1}: ${c.outputs} rows of ${c.patch.words} words (${c.kernel}x${c.kernel}x${c.channels} patch)`,
      ),
    );
    parts.push(cArray("int16_t", `${C}_thresholds`, c.patch.thresholds, String, 16, `conv ${k + 1}: on iff sum >= threshold`));
  });
  if (m.conv.length) parts.push("static uint32_t bnn_counters[1]; /* the rows method counts no lanes */\n");
  m.hidden.forEach((h, k) => {
    const L = `bnn_l${k + 1}`;
    parts.push(cArray("uint32_t", `${L}_weights`, h.weights, hexWord, 8, `layer ${k + 1}: ${h.outputs} rows of ${h.words} words (${h.inputs} inputs)`));
    parts.push(cArray("int16_t", `${L}_thresholds`, h.thresholds, String, 16, `layer ${k + 1}: on iff sum >= threshold`));
  });
  return parts;
}

/** The columns method's tables (and the convolutions' row-pattern tables), its counters, the zero column's size check. */
function columnsTables(m: CModel, { forms, convForms, patterns, counterWords }: SourcePlan): string[] {
  const parts: string[] = [];
  parts.push("#else /* BNN_HIDDEN_COLUMNS */\n");
  m.conv.forEach((c, k) => {
    const C = `bnn_c${k + 1}`;
    const f = convForms[k];
    parts.push(
      cArray(
        "uint32_t",
        `${C}_columns`,
        f.columns,
        hexWord,
        8,
        `conv ${k + 1}: ${c.patch.inputs} patch columns of ${f.outWords} words (${c.outputs} channels)`,
      ),
    );
    parts.push(cArray("uint32_t", `${C}_k_even`, f.kEven, hexWord, 8, `conv ${k + 1}: counter starts (${f.planes} planes), even count of +1 patch inputs`));
    parts.push(cArray("uint32_t", `${C}_odd_dec`, f.oddDec, hexWord, 8, `conv ${k + 1}: lanes one less for an odd count of +1 patch inputs`));
    const t = patterns[k];
    if (t) {
      parts.push(
        cArray(
          "uint32_t",
          `${C}_row_counts`,
          t.rowCounts,
          hexWord,
          8,
          `conv ${k + 1}: matches of each kernel row's ${1 << c.kernel} patterns, ${t.countPlanes} bit planes over the channels`,
        ),
      );
      parts.push(cArray("uint32_t", `${C}_starts`, t.starts, hexWord, 8, `conv ${k + 1}: counter starts 2^B - R (${t.sumPlanes} planes)`));
      parts.push(patternFunction(`${C}_pattern`, C, c.kernel, c.width, c.outputs, t));
    }
  });
  m.hidden.forEach((h, k) => {
    const L = `bnn_l${k + 1}`;
    const f = forms[k];
    parts.push(cArray("uint32_t", `${L}_columns`, f.columns, hexWord, 8, `layer ${k + 1}: ${h.inputs} columns of ${f.outWords} words (${h.outputs} neurons)`));
    parts.push(cArray("uint32_t", `${L}_k_even`, f.kEven, hexWord, 8, `layer ${k + 1}: counter starts (${f.planes} planes), even count of +1 inputs`));
    parts.push(cArray("uint32_t", `${L}_odd_dec`, f.oddDec, hexWord, 8, `layer ${k + 1}: lanes one less for an odd count of +1 inputs`));
  });
  parts.push(`static uint32_t bnn_counters[${counterWords}];\n`);
  const widest = Math.max(1, ...[...forms, ...convForms].map((f) => f.outWords));
  parts.push(
    `/* the columns method's zero column holds BNN_MAX_OUT_WORDS words: this model needs ${widest} */\ntypedef char bnn_max_out_words_fits[BNN_MAX_OUT_WORDS >= ${widest} ? 1 : -1];\n`,
  );
  parts.push("#endif\n");
  return parts;
}

/** The convolutions' scratch, pooling masks, per-layer functions, descriptors and outputs. */
function convLayers(m: CModel, { convForms, patterns }: SourcePlan): string[] {
  const parts: string[] = [];
  if (m.conv.length) {
    const patchWords = Math.max(...m.conv.map((c) => c.patch.words));
    const outWords = Math.max(...m.conv.map((c) => c.outputs / 32));
    parts.push(
      `/* convolution scratch: one patch, one position's channel bits, the AND of a pooling window */\nstatic uint32_t bnn_patch[${patchWords}];\nstatic uint32_t bnn_bits[${outWords}];\nstatic uint32_t bnn_and[${outWords}];\n`,
    );
    m.conv.forEach((c, k) => {
      const C = `bnn_c${k + 1}`;
      const f = convForms[k];
      parts.push(cArray("uint32_t", `${C}_pool_and`, c.poolAnd, hexWord, 8, `conv ${k + 1}: channels pooled with AND`));
      parts.push(`#if BNN_HIDDEN_METHOD != BNN_HIDDEN_ROWS
/* conv ${k + 1}: a patch's channel bits by the columns method, with this layer's constants */
static BNN_FLATTEN int ${C}_patch_layer(const uint32_t *patch, uint32_t *counters, uint32_t *bits) {
    return bnn_columns_layer(patch, ${c.patch.words}, ${C}_columns, ${C}_k_even, ${C}_odd_dec, ${f.planes}, ${c.outputs / 32}, 0xffffffffu, counters, bits);
}
#endif
`);
      parts.push(`static const bnn_conv_t ${C} = {
    .width = ${c.width}, .channels = ${c.channels}, .kernel = ${c.kernel}, .pool = ${c.pool},
    .out_height = ${c.outHeight}, .out_width = ${c.outWidth}, .out_words = ${c.outputs / 32},
    .patch_bits = ${c.patch.inputs}, .patch_words = ${c.patch.words}, .pool_and = ${C}_pool_and,
#if BNN_HIDDEN_METHOD == BNN_HIDDEN_ROWS
    .weights = ${C}_weights, .thresholds = ${C}_thresholds,
#else
    .columns = ${C}_columns, .k_even = ${C}_k_even, .odd_dec = ${C}_odd_dec, .planes = ${f.planes},
    .pattern = ${patterns[k] ? `${C}_pattern` : "NULL"}, .patch_layer = ${C}_patch_layer,
#endif
};
/* conv ${k + 1} output: ${c.outHeight}x${c.outWidth}x${c.outputs} */
static uint32_t ${C}_out[${wordsFor(c.outHeight * c.outWidth * c.outputs)}];
`);
    });
  }
  return parts;
}

/** The hidden layers' outputs and the output layer's weights, scales and offsets. */
function outputLayer(m: CModel): string[] {
  const parts: string[] = [];
  m.hidden.forEach((h, k) => parts.push(`static uint32_t bnn_l${k + 1}_out[${wordsFor(h.outputs)}];\n`));
  const o = m.output;
  const Lo = `bnn_l${m.hidden.length + 1}`;
  parts.push(cArray("uint32_t", `${Lo}_weights`, o.weights, hexWord, 8, `output layer: ${o.outputs} rows of ${o.words} words (${o.inputs} inputs)`));
  parts.push(cArray("int32_t", `${Lo}_scale`, o.scale, int32, 10));
  parts.push(cArray("int32_t", `${Lo}_offset`, o.offset, int32, 10));
  return parts;
}

/** The input buffer, bnn_pack_pixels, bnn_hidden_output and bnn_classify: the layers in order, then the scores. */
function classifyFunction(m: CModel, { inBits, words, forms }: SourcePlan): string[] {
  const parts: string[] = [];
  const o = m.output;
  const Lo = `bnn_l${m.hidden.length + 1}`;
  parts.push(`static uint32_t bnn_input[${words}];
#ifdef BNN_STOP_AFTER
static volatile int bnn_stop_after = BNN_STOP_AFTER;
#endif

void bnn_pack_pixels(const uint8_t *pixels, uint32_t *input_bits) {
    for (int k = 0; k < BNN_INPUT_WORDS; k++) input_bits[k] = 0;
    for (int i = 0; i < BNN_INPUT_BITS; i++) {
        if (pixels[i] >= BNN_INPUT_THRESHOLD) input_bits[i >> 5] |= (uint32_t)1 << (i & 31);
    }
}

const uint32_t *bnn_hidden_output(int layer) {
    switch (layer) {
${[...m.conv.map((_, k) => `bnn_c${k + 1}_out`), ...m.hidden.map((_, k) => `bnn_l${k + 1}_out`)].map((b, k) => `    case ${k}:\n        return ${b};`).join("\n")}
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
  m.conv.forEach((_, k) => {
    const C = `bnn_c${k + 1}`;
    parts.push(
      `    BNN_PRECONDITION(bnn_conv_layer(&${C}, ${x}, bnn_patch, bnn_bits, bnn_and, bnn_counters, ${C}_out) == BNN_OK, BNN_ERR_LIMIT);\n${stopAfter(k + 1)}`,
    );
    x = `${C}_out`;
  });
  m.hidden.forEach((h, k) => {
    const L = `bnn_l${k + 1}`;
    const f = forms[k];
    parts.push(`#if BNN_HIDDEN_METHOD == BNN_HIDDEN_ROWS
    bnn_rows_layer(${x}, ${L}_weights, ${L}_thresholds, ${h.inputs}, ${h.words}, ${h.outputs}, ${L}_out);
#else
    BNN_PRECONDITION(bnn_columns_layer(${x}, ${h.words}, ${L}_columns, ${L}_k_even, ${L}_odd_dec, ${f.planes}, ${f.outWords}, ${hexWord(f.lastMask)}, bnn_counters, ${L}_out) == BNN_OK, BNN_ERR_LIMIT);
#endif
${stopAfter(m.conv.length + k + 1)}`);
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
  return parts;
}
