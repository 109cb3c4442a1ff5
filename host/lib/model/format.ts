/**
 * The model file (JSON, format "bnn-mlp", version 1): the inference form of a trained binary
 * MLP. docs/model-format.md is the normative description; this module reads, validates and
 * writes it. Nothing here depends on how the model was trained.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { lastWordMask, wordsFor } from "../binary.ts";
import { UserError } from "../errors.ts";

export const MODEL_FORMAT = "bnn-mlp";
export const MODEL_VERSION = 1;
/**
 * A model's name: lowercase letters, digits and dashes, at most 40 characters. It names files
 * (src/models/<name>.ts, generated/<name>/), so a name read from a file is checked like one
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

export type ModelLayer = SignLayer | ScoreLayer;

/** Float BatchNorm parameters a layer was folded from (not part of the id; used to verify). */
export interface FloatLayer {
  gamma: number[];
  beta: number[];
  mean: number[];
  variance: number[];
}

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION;
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
  hidden: { inputs: number; outputs: number; words: number; weights: Uint32Array; thresholds: Int32Array }[];
  output: { inputs: number; outputs: number; words: number; weights: Uint32Array; scale: Int32Array; offset: Int32Array; shift: number };
}

export function modelId(input: InputSpec, layers: ModelLayer[]): string {
  const canonical = JSON.stringify({ input: { width: input.width, height: input.height, threshold: input.threshold }, layers: layers.map(canonicalLayer) });
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

function canonicalLayer(l: ModelLayer): unknown {
  return l.kind === "sign"
    ? { kind: l.kind, inputs: l.inputs, outputs: l.outputs, weights: l.weights, thresholds: l.thresholds }
    : { kind: l.kind, inputs: l.inputs, outputs: l.outputs, weights: l.weights, scale: l.scale, offset: l.offset, shift: l.shift };
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

export function readModelFile(path: string): Model {
  if (!existsSync(path)) throw new UserError(`model file not found: ${path}`);
  const text = readFileSync(path, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path}: not valid JSON (${(e as Error).message.split("\n")[0].slice(0, 120)})`);
  }
  return validateModel(json, path);
}

export function validateModel(json: unknown, where = "model"): Model {
  const fail = (msg: string): never => {
    throw new UserError(`${where}: ${msg}`);
  };
  if (!isObject(json)) return fail("not a model object");
  if (json.format !== MODEL_FORMAT) fail(`format is ${JSON.stringify(json.format)}, expected "${MODEL_FORMAT}"`);
  if (json.version !== MODEL_VERSION) fail(`unknown model format version ${JSON.stringify(json.version)} (this bnn reads version ${MODEL_VERSION})`);
  if (typeof json.name !== "string") fail("name is missing");
  if (!MODEL_NAME.test(json.name as string)) fail(`name ${JSON.stringify((json.name as string).slice(0, 50))}${(json.name as string).length > 50 ? "..." : ""} is not a model name (lowercase letters, digits and dashes, at most 40)`);
  if (typeof json.id !== "string") fail("id is missing");
  const input = json.input;
  if (!isObject(input)) return fail("input is missing");
  const width = int(input.width, "input.width", 1, 4096, fail);
  const height = int(input.height, "input.height", 1, 4096, fail);
  const threshold = int(input.threshold, "input.threshold", 0, 256, fail);
  if (!Array.isArray(json.layers) || json.layers.length < 1) return fail("layers must be a non-empty list");
  const layers = json.layers as unknown[];
  const hidden: Model["hidden"] = [];
  let output: Model["output"] | undefined;
  let expectIn = width * height;
  layers.forEach((raw, li) => {
    const at = `layer ${li + 1}`;
    if (!isObject(raw)) return fail(`${at} is not an object`);
    const last = li === layers.length - 1;
    const kind = raw.kind;
    if (kind !== (last ? "score" : "sign")) fail(`${at}: kind ${JSON.stringify(kind)}, expected "${last ? "score" : "sign"}"`);
    const inputs = int(raw.inputs, `${at}.inputs`, 1, 1 << 20, fail);
    const outputs = int(raw.outputs, `${at}.outputs`, 1, 1 << 20, fail);
    if (inputs !== expectIn) fail(`${at}: inputs ${inputs}, but the previous layer gives ${expectIn}`);
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
  return { file, id, input: { width, height, threshold }, hidden, output };
}

function decodeWeights(raw: unknown, inputs: number, outputs: number, at: string, fail: (m: string) => never): Uint32Array {
  if (!Array.isArray(raw) || raw.length !== outputs) return fail(`${at}.weights must list ${outputs} rows`);
  const words = wordsFor(inputs);
  const out = new Uint32Array(words * outputs);
  const mask = lastWordMask(inputs);
  raw.forEach((row, j) => {
    if (typeof row !== "string" || row.length !== 8 * words || !/^[0-9a-f]*$/.test(row)) {
      fail(`${at}.weights row ${j} must be ${8 * words} lowercase hex digits (${words} words)`);
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
