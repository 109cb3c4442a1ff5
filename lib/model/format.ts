/**
 * The model file (JSON, format "bnn-mlp"): the inference form of a trained binary network,
 * version 1 a multi-layer perceptron, version 2 the same with binary convolution + pooling
 * layers in front. docs/model-format.md is the normative description; this module reads,
 * validates and writes it. Nothing here depends on how the model was trained.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { parseJson } from "../json.ts";
import { readTextFile } from "../text-file.ts";
import { lastWordMask, wordsFor } from "../binary.ts";
import { UserError } from "../errors.ts";

export const MODEL_FORMAT = "bnn-mlp";
/** The version a model without convolutions is written as (version-1 readers still read it). */
export const MODEL_VERSION = 1;
/** The version that adds "conv" layers. */
export const MODEL_VERSION_CONV = 2;
const VERSIONS: readonly number[] = [MODEL_VERSION, MODEL_VERSION_CONV];
/**
 * A model's name: lowercase letters, digits and dashes, at most 40 characters. It names files
 * (src/generated/models/<name>.ts, generated/<name>/), so a name read from a file is checked like one
 * typed on the command line.
 */
export const MODEL_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** Output scores must stay below this in magnitude (int32 with headroom). */
export const SCORE_LIMIT = 2 ** 30;

export interface InputSpec {
  width: number;
  height: number;
  /** Pixel p (0..255, 0 = background) is +1 when p >= threshold. */
  threshold: number;
}

/** Hidden layer: bit j = (n - 2*popcount(x XOR w_j)) >= thresholds[j]. */
export interface SignLayer {
  kind: "sign";
  inputs: number;
  outputs: number;
  /** One row per neuron: ceil(inputs/32) little-endian u32 words, each as 8 hex digits. */
  weights: string[];
  thresholds: number[];
}

/** Output layer: score_j = scale[j] * (n - 2*popcount(x XOR w_j)) + offset[j]. */
export interface ScoreLayer {
  kind: "score";
  inputs: number;
  outputs: number;
  weights: string[];
  scale: number[];
  offset: number[];
  /** Scores are in units of 2^-shift of the float BatchNorm output (informative). */
  shift: number;
}

/**
 * Convolution layer (version 2): a "valid" kernel x kernel convolution of ±1 weights over the
 * ±1 input tensor [height][width][channels], one threshold per output channel, then pool x pool
 * max pooling of the channel bits: OR, or AND for the channels listed in poolAnd.
 */
export interface ConvLayer {
  kind: "conv";
  /** Input tensor [height, width, channels]. */
  input: [number, number, number];
  kernel: number;
  /** Output channels: a multiple of 32. */
  outputs: number;
  pool: number;
  /** One row per output channel: the kernel*kernel*channels patch bits, as in SignLayer. */
  weights: string[];
  thresholds: number[];
  /** Channels whose pooling is AND (their BatchNorm decreases), ascending. */
  poolAnd: number[];
}

export type ModelLayer = ConvLayer | SignLayer | ScoreLayer;

/**
 * A convolution layer's place and size: its input tensor [height][width][channels], its
 * kernel, output channels and pooling. The one definition the validated layer, the trainer's
 * snapshot and the C generator's layer all extend.
 */
export interface ConvShape {
  height: number;
  width: number;
  channels: number;
  kernel: number;
  outputs: number;
  pool: number;
}

/** A validated convolution layer, ready to run. */
export interface ConvStage extends ConvShape {
  /** Convolution output before pooling, and after. */
  convHeight: number;
  convWidth: number;
  outHeight: number;
  outWidth: number;
  /** Patch length kernel * kernel * channels, and its words. */
  inputs: number;
  words: number;
  weights: Uint32Array;
  thresholds: Int32Array;
  /** Bit c set: channel c pools with AND. ceil(outputs / 32) words. */
  poolAnd: Uint32Array;
}

/** Float BatchNorm parameters a layer was folded from (not part of the id; used to verify). */
export interface FloatLayer {
  gamma: number[];
  beta: number[];
  mean: number[];
  variance: number[];
}

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION | typeof MODEL_VERSION_CONV;
  name: string;
  /** First 16 hex digits of SHA-256 over the canonical JSON of {input, layers}. */
  id: string;
  input: InputSpec;
  layers: ModelLayer[];
  float?: FloatLayer[];
  training?: Record<string, unknown>;
}

/** A validated model with its weights unpacked into words, ready to run. */
export interface Model {
  file: ModelFile;
  id: string;
  input: InputSpec;
  /** Convolution layers, in order (none in version 1). */
  conv: ConvStage[];
  hidden: { inputs: number; outputs: number; words: number; weights: Uint32Array; thresholds: Int32Array }[];
  output: { inputs: number; outputs: number; words: number; weights: Uint32Array; scale: Int32Array; offset: Int32Array; shift: number };
}

export function modelId(input: InputSpec, layers: ModelLayer[]): string {
  const canonical = JSON.stringify({ input: { width: input.width, height: input.height, threshold: input.threshold }, layers: layers.map(canonicalLayer) });
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

function canonicalLayer(l: ModelLayer): unknown {
  if (l.kind === "conv")
    return {
      kind: l.kind,
      input: l.input,
      kernel: l.kernel,
      outputs: l.outputs,
      pool: l.pool,
      weights: l.weights,
      thresholds: l.thresholds,
      poolAnd: l.poolAnd,
    };
  return l.kind === "sign"
    ? { kind: l.kind, inputs: l.inputs, outputs: l.outputs, weights: l.weights, thresholds: l.thresholds }
    : { kind: l.kind, inputs: l.inputs, outputs: l.outputs, weights: l.weights, scale: l.scale, offset: l.offset, shift: l.shift };
}

/** The version a file with these layers is written as. */
export function versionFor(layers: ModelLayer[]): ModelFile["version"] {
  return layers.some((l) => l.kind === "conv") ? MODEL_VERSION_CONV : MODEL_VERSION;
}

/** Refuses a model with convolution layers where only MLPs run (yet). */
export function requireMlp(model: Model, what: string): void {
  if (model.conv.length) throw new UserError(`model ${model.file.name} has convolution layers: ${what} runs MLP models (version 1) only`);
}

export function encodeRow(words: Uint32Array, offset: number, count: number): string {
  let s = "";
  for (let k = 0; k < count; k++) s += words[offset + k].toString(16).padStart(8, "0");
  return s;
}

/** Serializes with a stable layout: one weight row per line. */
export function serializeModel(m: ModelFile): string {
  return JSON.stringify(m, null, 1) + "\n";
}

/**
 * The largest model file read: weights are packed bits in hex (models/large is
 * 226 KB), so networks the C holds (C_LIMITS) stay within a few MB; 64 MB leaves room for
 * hand-written layouts.
 */
export const MAX_MODEL_BYTES = 64 * 1024 * 1024;

export function readModelFile(path: string): Model {
  if (!existsSync(path)) throw new UserError(`model file not found: ${path}`);
  const text = readTextFile(path, path, MAX_MODEL_BYTES, "model file");
  return validateModel(parseJson(text, path), path);
}

export function validateModel(json: unknown, where = "model"): Model {
  const fail = (msg: string): never => {
    throw new UserError(`${where}: ${msg}`);
  };
  if (!isObject(json)) return fail("not a model object");
  if (json.format !== MODEL_FORMAT) fail(`format is ${JSON.stringify(json.format)}, expected "${MODEL_FORMAT}"`);
  if (!VERSIONS.includes(json.version as number))
    fail(`unknown model format version ${JSON.stringify(json.version)} (this bnn reads versions ${VERSIONS.join(" and ")})`);
  if (typeof json.name !== "string") fail("name is missing");
  if (!MODEL_NAME.test(json.name as string))
    fail(
      `name ${JSON.stringify((json.name as string).slice(0, 50))}${(json.name as string).length > 50 ? "..." : ""} is not a model name (lowercase letters, digits and dashes, at most 40)`,
    );
  if (typeof json.id !== "string") fail("id is missing");
  const input = json.input;
  if (!isObject(input)) return fail("input is missing");
  const width = int(input.width, "input.width", 1, 4096, fail);
  const height = int(input.height, "input.height", 1, 4096, fail);
  const threshold = int(input.threshold, "input.threshold", 0, 256, fail);
  if (!Array.isArray(json.layers) || json.layers.length < 1) return fail("layers must be a non-empty list");
  const layers = json.layers as unknown[];
  const conv: ConvStage[] = [];
  const hidden: Model["hidden"] = [];
  let output: Model["output"] | undefined;
  let expectIn = width * height;
  // the tensor a convolution would get next: the image, then each convolution's output
  let tensor: [number, number, number] | undefined = [height, width, 1];
  layers.forEach((raw, li) => {
    const at = `layer ${li + 1}`;
    if (!isObject(raw)) return fail(`${at} is not an object`);
    const last = li === layers.length - 1;
    const kind = raw.kind;
    if (kind === "conv" && !last) {
      if (json.version !== MODEL_VERSION_CONV) fail(`${at}: "conv" layers need format version ${MODEL_VERSION_CONV}`);
      if (!tensor) return fail(`${at}: a "conv" layer must come before every "sign" layer`);
      const stage = validateConv(raw, tensor, at, fail);
      conv.push(stage);
      tensor = [stage.outHeight, stage.outWidth, stage.outputs];
      expectIn = stage.outHeight * stage.outWidth * stage.outputs;
      return;
    }
    tensor = undefined;
    if (kind !== (last ? "score" : "sign"))
      fail(`${at}: kind ${JSON.stringify(kind)}, expected "${last ? "score" : json.version === MODEL_VERSION_CONV ? `conv" or "sign` : "sign"}"`);
    const inputs = int(raw.inputs, `${at}.inputs`, 1, 1 << 20, fail);
    const outputs = int(raw.outputs, `${at}.outputs`, 1, 1 << 20, fail);
    if (inputs !== expectIn) fail(`${at}: inputs ${inputs}, but the ${li === 0 ? "input image" : "previous layer"} gives ${expectIn}`);
    expectIn = outputs;
    const words = wordsFor(inputs);
    const weights = decodeWeights(raw.weights, inputs, outputs, at, fail);
    if (kind === "sign") {
      const thresholds = intList(raw.thresholds, outputs, `${at}.thresholds`, -inputs, inputs + 1, fail);
      hidden.push({ inputs, outputs, words, weights, thresholds });
    } else {
      const shift = int(raw.shift, `${at}.shift`, 0, 30, fail);
      const scale = intList(raw.scale, outputs, `${at}.scale`, -SCORE_LIMIT, SCORE_LIMIT, fail);
      const offset = intList(raw.offset, outputs, `${at}.offset`, -SCORE_LIMIT, SCORE_LIMIT, fail);
      for (let j = 0; j < outputs; j++) {
        if (Math.abs(scale[j]) * inputs + Math.abs(offset[j]) >= SCORE_LIMIT) fail(`${at}: scale and offset of output ${j} can overflow a 32-bit score`);
      }
      output = { inputs, outputs, words, weights, scale, offset, shift };
    }
  });
  if (!output) return fail("no output layer");
  const file = json as unknown as ModelFile;
  const id = modelId({ width, height, threshold }, file.layers);
  if (file.id !== id) fail(`id ${file.id} does not match the contents (${id}): the file was changed after export`);
  return { file, id, input: { width, height, threshold }, conv, hidden, output };
}

/** Largest kernel, pooling window and output channel count a "conv" layer may have. */
export const CONV_LIMITS = { kernel: 15, pool: 8, outputs: 1024 } as const;

const CONV_FIELDS = new Set(["kind", "input", "kernel", "outputs", "pool", "weights", "thresholds", "poolAnd"]);

function validateConv(raw: Record<string, unknown>, tensor: [number, number, number], at: string, fail: (m: string) => never): ConvStage {
  const [height, width, channels] = tensor;
  // a field this reader does not know (stride, padding, ...) would change what the layer means
  const unknown = Object.keys(raw).find((k) => !CONV_FIELDS.has(k));
  if (unknown !== undefined) fail(`${at}: unknown field ${JSON.stringify(unknown.slice(0, 40))} in a "conv" layer (version 2 has stride 1 and no padding)`);
  if (!Array.isArray(raw.input) || raw.input.length !== 3) return fail(`${at}.input must be [height, width, channels]`);
  const shape = raw.input.map((v, k) => int(v, `${at}.input[${k}]`, 1, 4096, fail));
  if (shape[0] !== height || shape[1] !== width || shape[2] !== channels)
    fail(`${at}: input ${shape.join("x")}, but the ${channels === 1 && conv0(at) ? "input image" : "previous layer"} gives ${height}x${width}x${channels}`);
  const kernel = int(raw.kernel, `${at}.kernel`, 1, CONV_LIMITS.kernel, fail);
  if (kernel > height || kernel > width) fail(`${at}: kernel ${kernel} is larger than its ${height}x${width} input`);
  const outputs = int(raw.outputs, `${at}.outputs`, 1, CONV_LIMITS.outputs, fail);
  if (outputs % 32 !== 0) fail(`${at}.outputs = ${outputs}: a "conv" layer's channels must fill whole 32-bit words (a multiple of 32)`);
  // channels is 1 (the image) or the previous convolution's outputs, a multiple of 32
  const pool = int(raw.pool, `${at}.pool`, 1, CONV_LIMITS.pool, fail);
  const convHeight = height - kernel + 1;
  const convWidth = width - kernel + 1;
  if (convHeight % pool !== 0 || convWidth % pool !== 0) fail(`${at}: pooling ${pool} does not divide the ${convHeight}x${convWidth} convolution output`);
  const inputs = kernel * kernel * channels;
  const weights = decodeWeights(raw.weights, inputs, outputs, at, fail);
  const thresholds = intList(raw.thresholds, outputs, `${at}.thresholds`, -inputs, inputs + 1, fail);
  if (!Array.isArray(raw.poolAnd)) return fail(`${at}.poolAnd must list the channels that pool with AND (may be empty)`);
  const poolAnd = new Uint32Array(wordsFor(outputs));
  let previous = -1;
  raw.poolAnd.forEach((v, k) => {
    const c = int(v, `${at}.poolAnd[${k}]`, 0, outputs - 1, fail);
    if (c <= previous) fail(`${at}.poolAnd must list distinct channels in ascending order`);
    previous = c;
    poolAnd[c >>> 5] |= 1 << (c & 31);
  });
  if (pool === 1 && raw.poolAnd.length) fail(`${at}.poolAnd lists channels, but the layer does not pool`);
  return {
    height,
    width,
    channels,
    kernel,
    outputs,
    pool,
    convHeight,
    convWidth,
    outHeight: convHeight / pool,
    outWidth: convWidth / pool,
    inputs,
    words: wordsFor(inputs),
    weights,
    thresholds,
    poolAnd,
  };
}

function conv0(at: string): boolean {
  return at === "layer 1";
}

function decodeWeights(raw: unknown, inputs: number, outputs: number, at: string, fail: (m: string) => never): Uint32Array {
  if (!Array.isArray(raw) || raw.length !== outputs) return fail(`${at}.weights must list ${outputs} rows`);
  const words = wordsFor(inputs);
  const out = new Uint32Array(words * outputs);
  const mask = lastWordMask(inputs);
  raw.forEach((row, j) => {
    if (typeof row !== "string" || row.length !== 8 * words || !/^[0-9a-f]*$/.test(row)) {
      fail(`${at}.weights row ${j} must be ${8 * words} lowercase hex digits (${words} word${words === 1 ? "" : "s"})`);
    }
    for (let k = 0; k < words; k++) out[j * words + k] = parseInt((row as string).slice(8 * k, 8 * k + 8), 16) >>> 0;
    if ((out[j * words + words - 1] & ~mask) !== 0) fail(`${at}.weights row ${j} sets bits beyond its ${inputs} inputs: a weight that is not ±1`);
  });
  return out;
}

function int(v: unknown, name: string, lo: number, hi: number, fail: (m: string) => never): number {
  if (typeof v !== "number" || !Number.isInteger(v)) return fail(`${name} must be an integer, got ${JSON.stringify(v)}`);
  if (v < lo || v > hi) fail(`${name} = ${v} is outside [${lo}, ${hi}]`);
  return v;
}

function intList(v: unknown, n: number, name: string, lo: number, hi: number, fail: (m: string) => never): Int32Array {
  if (!Array.isArray(v) || v.length !== n) return fail(`${name} must list ${n} integers`);
  return Int32Array.from(v, (x, k) => int(x, `${name}[${k}]`, lo, hi, fail));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The layers in one line: "784-128-64-10" for an MLP; convolutions as "c5x32p2" (kernel 5,
 * 32 channels, 2x2 pooling) before the dense sizes, e.g. "c5x32p2-c3x64p2-c3x64-576-10".
 */
export function describeLayers(model: Model): string {
  const conv = model.conv.map((c) => `c${c.kernel}x${c.outputs}${c.pool > 1 ? `p${c.pool}` : ""}`);
  return [...conv, model.hidden[0]?.inputs ?? model.output.inputs, ...model.hidden.map((h) => h.outputs), model.output.outputs].join("-");
}
