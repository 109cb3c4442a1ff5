/**
 * The TypeScript weight tables: one generated module per model that the DeviceScript program
 * (buffers written with DeviceScript's `hex` template tag live in flash on the board) and Node
 * (through hex-polyfill.ts) both import. It is the single source the C generator reads.
 */
import { tsHeader } from "./generated-header.ts";
import { wordsFor } from "../binary.ts";
import { columnsForm } from "../model/columns.ts";
import type { Model } from "../model/format.ts";

/** The command whose header marks a tables module (cli/export.ts refreshes only those). */
export const TABLES_COMMAND = "bnn export";

function wordsHex(words: Uint32Array, from: number, count: number): string {
  let s = "";
  for (let k = 0; k < count; k++) {
    const w = words[from + k];
    // little-endian bytes of each u32
    for (let b = 0; b < 4; b++) s += ((w >>> (8 * b)) & 0xff).toString(16).padStart(2, "0");
  }
  return s;
}

function intsHex(values: Int32Array, bytes: 2 | 4): string {
  let s = "";
  for (const v of values) for (let b = 0; b < bytes; b++) s += ((v >>> (8 * b)) & 0xff).toString(16).padStart(2, "0");
  return s;
}

function hexBlock(lines: string[]): string {
  return "hex`\n" + lines.map((l) => "  " + l).join("\n") + "\n`";
}

/** The generated module's text. `source` is the model path relative to the repository. */
export function generateTables(model: Model, source: string): string {
  const f = model.file;
  // the dense layers' sizes, from the first dense layer's inputs (the image, or the flattened last convolution)
  const sizes = [model.hidden[0]?.inputs ?? model.output.inputs, ...model.hidden.map((h) => h.outputs), model.output.outputs];
  const out: string[] = [
    tsHeader(TABLES_COMMAND, "lib/export/tables.ts", source),
    "// Regenerate: npm run bnn -- regen   (or, for a model of your own: npm run bnn -- export --model <path> --out <file>)",
    "//",
    "// Conventions (src/shared/bits.ts, docs/model-format.md): element 32*k + i of a vector is bit i",
    "// of u32 word k, words stored little-endian; bit 1 = +1, bit 0 = -1; unused bits are 0.",
    "// Hidden neuron j: on iff (n - 2 * popcount(x XOR row_j)) >= threshold_j  (n = layer inputs).",
    "// Hidden layers are stored as columns (column i = the weights of every neuron at input i) with",
    "// the start values of bit-sliced counters whose top plane is the layer's output",
    "// (lib/model/columns.ts, docs/model-format.md section 8).",
    "// Output j: score_j = scale_j * (n - 2 * popcount(x XOR row_j)) + offset_j; digit = argmax,",
    "// lowest index on ties. Input pixel p (0..255) is +1 when p >= INPUT_THRESHOLD.",
    "",
    `export const MODEL_NAME = "${f.name}"`,
    `export const MODEL_ID = "${model.id}"`,
    `/** The first 32 bits of the id, as the classifier service's model_id register reports them. */`,
    `export const MODEL_ID32 = 0x${model.id.slice(0, 8)}`,
    `export const INPUT_WIDTH = ${model.input.width}`,
    `export const INPUT_HEIGHT = ${model.input.height}`,
    `export const INPUT_THRESHOLD = ${model.input.threshold}`,
    `export const LAYER_SIZES = [${sizes.join(", ")}]`,
    `export const HIDDEN_LAYERS = ${model.hidden.length}`,
    `export const SCORE_SHIFT = ${model.output.shift}`,
  ];
  if (model.conv.length) {
    out.push(
      "",
      "// Convolution layers (format version 2) come first. Tensor element (r, c, ch) is element",
      "// (r * width + c) * channels + ch of a packed vector (32 channels = one word a pixel). Output",
      "// channel co at position (oy, ox) is a hidden neuron over the patch of kernel x kernel pixels",
      "// (dy, dx, ci in that order), stored in columns form like the hidden layers; then each",
      "// pool x pool window of bits is ORed, ANDed for the channels of C<k>_POOL_AND.",
      `export const CONV_LAYERS = ${model.conv.length}`,
    );
  }
  model.conv.forEach((c, k) => {
    const C = `C${k + 1}`;
    const form = columnsForm(c);
    out.push(
      "",
      `/** Conv ${k + 1}: input [height, width, channels], kernel, output channels, pool; output ${c.outHeight}x${c.outWidth}x${c.outputs}. */`,
      `export const ${C}_SHAPE = [${[c.height, c.width, c.channels, c.kernel, c.outputs, c.pool].join(", ")}]`,
      `/** Conv ${k + 1}: ${c.inputs} patch columns of ${form.outWords} u32 words (${c.outputs} channels), one column a line. */`,
      `export const ${C}_COLUMNS = ${hexBlock(Array.from({ length: c.inputs }, (_, i) => wordsHex(form.columns, i * form.outWords, form.outWords)))}`,
      `/** Conv ${k + 1} thresholds: ${c.outputs} x int16, little-endian. */`,
      `export const ${C}_THRESHOLDS = ${hexBlock([intsHex(c.thresholds, 2)])}`,
      `export const ${C}_PLANES = ${form.planes}`,
      `/** Conv ${k + 1} counter starts, even count of +1 patch inputs: ${form.outWords} x ${form.planes} u32. */`,
      `export const ${C}_K_EVEN = ${hexBlock([wordsHex(form.kEven, 0, form.kEven.length)])}`,
      `/** Conv ${k + 1}: lanes one less for an odd count of +1 patch inputs, ${form.outWords} u32. */`,
      `export const ${C}_ODD_DEC = ${hexBlock([wordsHex(form.oddDec, 0, form.oddDec.length)])}`,
      `/** Conv ${k + 1}: channels whose pooling is AND, ${form.outWords} u32 (bit c = channel c). */`,
      `export const ${C}_POOL_AND = ${hexBlock([wordsHex(c.poolAnd, 0, c.poolAnd.length)])}`,
    );
  });
  const forms = model.hidden.map(columnsForm);
  model.hidden.forEach((h, k) => {
    const L = `L${k + 1}`;
    const f = forms[k];
    out.push(
      "",
      `/** Layer ${k + 1} (hidden): ${h.inputs} columns of ${f.outWords} u32 words (${h.outputs} neurons), one column a line. */`,
      `export const ${L}_COLUMNS = ${hexBlock(Array.from({ length: h.inputs }, (_, i) => wordsHex(f.columns, i * f.outWords, f.outWords)))}`,
      `/** Layer ${k + 1} thresholds: ${h.outputs} x int16, little-endian (neuron j on iff its sum >= threshold j). */`,
      `export const ${L}_THRESHOLDS = ${hexBlock([intsHex(h.thresholds, 2)])}`,
      `/** Layer ${k + 1} counters: ${f.planes} bit planes a lane. */`,
      `export const ${L}_PLANES = ${f.planes}`,
      `/** Layer ${k + 1} counter starts, even count of +1 inputs: ${f.outWords} x ${f.planes} u32 (word w, plane p at w * ${f.planes} + p). */`,
      `export const ${L}_K_EVEN = ${hexBlock([wordsHex(f.kEven, 0, f.kEven.length)])}`,
      `/** Layer ${k + 1}: lanes one less for an odd count of +1 inputs, ${f.outWords} u32. */`,
      `export const ${L}_ODD_DEC = ${hexBlock([wordsHex(f.oddDec, 0, f.oddDec.length)])}`,
    );
  });
  const o = model.output;
  const L = `L${model.hidden.length + 1}`;
  out.push(
    "",
    `/** Layer ${model.hidden.length + 1} (output): ${o.outputs} rows of ${o.words} u32 words (${o.inputs} inputs). */`,
    `export const ${L}_WEIGHTS = ${hexBlock(Array.from({ length: o.outputs }, (_, j) => wordsHex(o.weights, j * o.words, o.words)))}`,
    `/** Output scales: ${o.outputs} x int32, little-endian. */`,
    `export const ${L}_SCALE = ${hexBlock([intsHex(o.scale, 4)])}`,
    `/** Output offsets: ${o.outputs} x int32, little-endian. */`,
    `export const ${L}_OFFSET = ${hexBlock([intsHex(o.offset, 4)])}`,
    "",
    "/** The layers in order, for code that walks any depth. */",
    // an empty list is typed, or DeviceScript's compiler refuses its implicit any[]
    model.hidden.length
      ? `export const HIDDEN = [${model.hidden.map((h, k) => `\n  { inputs: ${h.inputs}, outputs: ${h.outputs}, planes: L${k + 1}_PLANES, columns: L${k + 1}_COLUMNS, kEven: L${k + 1}_K_EVEN, oddDec: L${k + 1}_ODD_DEC },`).join("")}\n]`
      : "export const HIDDEN = [] as { inputs: number; outputs: number; planes: number; columns: Buffer; kEven: Buffer; oddDec: Buffer }[]",
    `export const OUTPUT = { inputs: ${o.inputs}, outputs: ${o.outputs}, weights: ${L}_WEIGHTS, scale: ${L}_SCALE, offset: ${L}_OFFSET }`,
    model.conv.length
      ? `export const CONV = [${model.conv.map((c, k) => `\n  { shape: C${k + 1}_SHAPE, planes: C${k + 1}_PLANES, columns: C${k + 1}_COLUMNS, kEven: C${k + 1}_K_EVEN, oddDec: C${k + 1}_ODD_DEC, poolAnd: C${k + 1}_POOL_AND },`).join("")}\n]`
      : "export const CONV = [] as { shape: number[]; planes: number; columns: Buffer; kEven: Buffer; oddDec: Buffer; poolAnd: Buffer }[]",
    "/** Everything the DeviceScript program needs of this model (src/app.ts, ProgramModel). */",
    "export const PROGRAM_MODEL = { MODEL_ID, MODEL_ID32, INPUT_THRESHOLD, SCORE_SHIFT, CONV, HIDDEN, OUTPUT }",
    "",
  );
  return out.join("\n");
}

/** Bytes of the model's packed weights (rows padded to whole words) and of its thresholds/scales/offsets, against float32 weights. */
export function tableBytes(model: Model): { weights: number; thresholds: number; floatWeights: number } {
  let weights = 0;
  let thresholds = 0;
  let floatWeights = 0;
  for (const c of model.conv) {
    weights += 4 * c.words * c.outputs;
    thresholds += 2 * c.outputs + 4 * c.poolAnd.length;
    floatWeights += 4 * c.inputs * c.outputs;
  }
  for (const h of model.hidden) {
    weights += 4 * wordsFor(h.inputs) * h.outputs;
    thresholds += 2 * h.outputs;
    floatWeights += 4 * h.inputs * h.outputs;
  }
  const o = model.output;
  weights += 4 * wordsFor(o.inputs) * o.outputs;
  thresholds += 8 * o.outputs;
  floatWeights += 4 * o.inputs * o.outputs;
  return { weights, thresholds, floatWeights };
}
