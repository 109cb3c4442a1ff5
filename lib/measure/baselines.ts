/**
 * Baselines for the benchmarks, generated from the same weight tables: the same network
 * computed (1) with float32 multiply-accumulate (the chapter's §1.6.3 feed_forward, BatchNorm
 * folded into float thresholds and scales) and (2) the chapter's C++ feed_forward_quantized
 * style, one int per bit with XNOR as (a == b). Each defines the same entry point as the
 * generated XNOR/popcount C, `bnn_classify`, so the same bench programs run all three.
 */
import { generatedBy } from "../export/generated-header.ts";
import type { CModel } from "../codegen/c-model.ts";
import { cArray } from "../codegen/generate.ts";

function signs(words: Uint32Array, rowWords: number, rows: number, n: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < rows; j++) for (let i = 0; i < n; i++) out.push((words[j * rowWords + (i >>> 5)] >>> (i & 31)) & 1);
  return out;
}

function header(m: CModel, what: string, source: string): string {
  return `/* ${generatedBy("bnn bench", "lib/measure/baselines.ts", source)} ${what}: a benchmark baseline only. */
#include <stdint.h>

#include "bnn_model.h"
`;
}

/** float32 MAC: weights ±1.0f, inputs ±1.0f, float thresholds and output scales. */
export function floatBaseline(m: CModel, source: string): string {
  const parts = [header(m, "float32 multiply-accumulate of the same network", source)];
  const f = (v: number) => (v ? "1.0f" : "-1.0f");
  const layers = [...m.hidden, m.output];
  layers.forEach((l, k) => parts.push(cArray("float", `f${k + 1}_w`, signs(l.weights, l.words, l.outputs, l.inputs), f, 16)));
  m.hidden.forEach((h, k) => parts.push(cArray("float", `f${k + 1}_t`, Array.from(h.thresholds), (v) => `${v}.0f`, 16)));
  const L = m.hidden.length + 1;
  parts.push(cArray("float", `f${L}_scale`, Array.from(m.output.scale), (v) => `${v}.0f`, 8));
  parts.push(cArray("float", `f${L}_offset`, Array.from(m.output.offset), (v) => `${v}.0f`, 8));
  const widest = Math.max(...layers.map((l) => Math.max(l.inputs, l.outputs)));
  parts.push(`static float fa[${widest}], fb[${widest}];

static void mac_layer(const float *x, const float *w, int n, int m, float *s) {
    for (int j = 0; j < m; j++) {
        float acc = 0.0f;
        for (int i = 0; i < n; i++) acc += w[j * n + i] * x[i];
        s[j] = acc;
    }
}

int bnn_classify(const uint32_t *input_bits, size_t input_words, int32_t *scores, size_t scores_length) {
    (void)input_words;
    (void)scores_length;
    for (int i = 0; i < ${m.width * m.height}; i++) fa[i] = (input_bits[i >> 5] >> (i & 31)) & 1 ? 1.0f : -1.0f;
    float *x = fa, *y = fb, *t;
${m.hidden
  .map(
    (h, k) => `    mac_layer(x, f${k + 1}_w, ${h.inputs}, ${h.outputs}, y);
    for (int j = 0; j < ${h.outputs}; j++) y[j] = y[j] >= f${k + 1}_t[j] ? 1.0f : -1.0f;
    t = x; x = y; y = t;`,
  )
  .join("\n")}
    mac_layer(x, f${L}_w, ${m.output.inputs}, ${m.output.outputs}, y);
    int best = 0;
    for (int j = 0; j < ${m.output.outputs}; j++) {
        scores[j] = (int32_t)(f${L}_scale[j] * y[j] + f${L}_offset[j]);
        if (scores[j] > scores[best]) best = j;
    }
    return best;
}
`);
  return parts.join("\n");
}

/** The chapter's C++ style: one int per bit, XNOR(a, b) = (a == b), counted one by one. */
export function intPerBitBaseline(m: CModel, source: string): string {
  const parts = [header(m, "one int per bit, XNOR as (a == b) (the chapter's C++ feed_forward_quantized)", source)];
  const layers = [...m.hidden, m.output];
  layers.forEach((l, k) => parts.push(cArray("int", `q${k + 1}_w`, signs(l.weights, l.words, l.outputs, l.inputs), String, 32)));
  m.hidden.forEach((h, k) => parts.push(cArray("int", `q${k + 1}_t`, Array.from(h.thresholds), String, 16)));
  const L = m.hidden.length + 1;
  parts.push(cArray("int32_t", `q${L}_scale`, Array.from(m.output.scale), String, 8));
  parts.push(cArray("int32_t", `q${L}_offset`, Array.from(m.output.offset), String, 8));
  const widest = Math.max(...layers.map((l) => Math.max(l.inputs, l.outputs)));
  parts.push(`static int qa[${widest}], qb[${widest}];

static int XNOR(int a, int b) { return (a == b) ? 1 : 0; }

static void matmul_xnor(const int *x, const int *w, int n, int m, int *res) {
    for (int j = 0; j < m; j++) {
        int cnt = 0;
        for (int i = 0; i < n; i++) cnt += XNOR(x[i], w[j * n + i]);
        res[j] = cnt;
    }
}

int bnn_classify(const uint32_t *input_bits, size_t input_words, int32_t *scores, size_t scores_length) {
    (void)input_words;
    (void)scores_length;
    for (int i = 0; i < ${m.width * m.height}; i++) qa[i] = (int)((input_bits[i >> 5] >> (i & 31)) & 1);
    int *x = qa, *y = qb, *t;
${m.hidden
  .map(
    (h, k) => `    matmul_xnor(x, q${k + 1}_w, ${h.inputs}, ${h.outputs}, y);
    for (int j = 0; j < ${h.outputs}; j++) y[j] = (2 * y[j] - ${h.inputs}) >= q${k + 1}_t[j] ? 1 : 0;
    t = x; x = y; y = t;`,
  )
  .join("\n")}
    matmul_xnor(x, q${L}_w, ${m.output.inputs}, ${m.output.outputs}, y);
    int best = 0;
    for (int j = 0; j < ${m.output.outputs}; j++) {
        scores[j] = q${L}_scale[j] * (2 * y[j] - ${m.output.inputs}) + q${L}_offset[j];
        if (scores[j] > scores[best]) best = j;
    }
    return best;
}
`);
  return parts.join("\n");
}
