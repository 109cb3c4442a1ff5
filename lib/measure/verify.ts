/**
 * The verification matrix: every test image through every backend, integer scores and every
 * hidden layer's packed output compared with the TypeScript reference. A difference is reported
 * with the image, the layer and the neuron where it starts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { IMAGE_PIXELS, type MnistSet } from "../mnist.ts";
import type { Model } from "../model/format.ts";
import { classify, type Trace } from "../model/infer.ts";
import { packPixels } from "../model/input.ts";
import { yielder } from "../event-loop.ts";
import {
  CORTEX_M0,
  DEVICESCRIPT_VM,
  HOST_CLANG,
  HOST_GCC,
  missingTool,
  RP2040_JS,
  RV32IMC,
  RV32IMC_ZBB,
  variant,
  XTENSA_LX106,
  WASM_COMMITTED,
  WASM_SYSTEM_CLANG,
  type Target,
} from "../targets/targets.ts";
import { instantiateWasm, runWasm } from "../targets/wasm-abi.ts";

const ROWS = ["-DBNN_HIDDEN_METHOD=1"];

/** Every backend runs the default (columns) hidden layers; the -rows ones run the row/popcount form. */
export const BACKENDS: Target[] = [
  HOST_GCC,
  variant(HOST_GCC, "host-gcc-rows", "as host-gcc, hidden layers as rows of XOR + POPCNT", ROWS),
  HOST_CLANG,
  WASM_SYSTEM_CLANG,
  WASM_COMMITTED,
  CORTEX_M0,
  variant(CORTEX_M0, "cortex-m0-rows", "as cortex-m0, hidden layers as rows of XOR + software popcount", ROWS),
  RV32IMC,
  RV32IMC_ZBB,
  variant(RV32IMC_ZBB, "rv32-zbb-rows", "as rv32imc-zbb, hidden layers as rows of XOR + cpop", ROWS),
  RP2040_JS,
  {
    ...variant(RP2040_JS, "rp2040js-rows", "as rp2040js, hidden layers as rows of XOR + software popcount", ROWS),
    sample: (convolutional: boolean) =>
      convolutional
        ? {
            images: 1000,
            why: "the rows method's convolutions cost about 3.7 M instructions an image on the Cortex-M0+ (about 0.1 s each on rp2040js): the first 1,000 images; QEMU's cortex-m0-rows runs the same code on all 10,000",
          }
        : undefined,
  },
  XTENSA_LX106,
  variant(XTENSA_LX106, "xtensa-lx106-rows", "as xtensa-lx106, hidden layers as rows of XOR + software popcount", ROWS),
  DEVICESCRIPT_VM,
];

export interface Layout {
  inputWords: number;
  outputs: number;
  /** Packed output words of each hidden layer: the convolutions' tensors first, then the dense layers. */
  hiddenWords: number[];
  /** The output tensor [height, width, channels] of each convolution (the first hidden layers). */
  convShapes: [number, number, number][];
  recordWords: number;
}

export function layoutOf(model: Model): Layout {
  const convShapes = model.conv.map((c): [number, number, number] => [c.outHeight, c.outWidth, c.outputs]);
  const hiddenWords = [...convShapes.map(([h, w, c]) => (h * w * c + 31) >>> 5), ...model.hidden.map((h) => (h.outputs + 31) >>> 5)];
  return {
    inputWords: (model.input.width * model.input.height + 31) >>> 5,
    outputs: model.output.outputs,
    hiddenWords,
    convShapes,
    recordWords: model.output.outputs + hiddenWords.reduce((a, b) => a + b, 0),
  };
}

/** Packed input records of the first `count` images. */
export function inputRecords(model: Model, set: MnistSet, count: number): Buffer {
  const words = layoutOf(model).inputWords;
  const out = new Uint32Array(count * words);
  for (let i = 0; i < count; i++) out.set(packPixels(set.images, model.input.threshold, IMAGE_PIXELS, i * IMAGE_PIXELS), i * words);
  return Buffer.from(out.buffer);
}

/** The reference's output records: scores, then each hidden layer's packed output. */
export async function referenceRecords(model: Model, input: Buffer): Promise<Buffer> {
  const L = layoutOf(model);
  const count = input.length / (4 * L.inputWords);
  const words = new Uint32Array(input.buffer.slice(input.byteOffset, input.byteOffset + input.length));
  const out = new Int32Array(count * L.recordWords);
  // a CNN's 10,000 images take seconds: the event loop runs between images every 50 ms
  const breathe = yielder();
  for (let i = 0; i < count; i++) {
    await breathe();
    const trace: Trace = { conv: [], hidden: [], scores: new Int32Array(0), digit: 0 };
    classify(model, words.subarray(i * L.inputWords, (i + 1) * L.inputWords), trace);
    let o = i * L.recordWords;
    out.set(trace.scores, o);
    o += L.outputs;
    for (const h of [...trace.conv!, ...trace.hidden]) {
      out.set(new Int32Array(h.buffer, h.byteOffset, h.length), o);
      o += h.length;
    }
  }
  return Buffer.from(out.buffer);
}

export interface Difference {
  image: number;
  /** 1-based layer where outputs first differ (the output layer is hidden.length + 1). */
  layer: number;
  /** In a convolution layer: the element of its output tensor (position * channels + channel). */
  neuron: number;
  /** In a convolution layer: where in its output tensor. */
  at?: { row: number; column: number; channel: number };
  expected: number;
  actual: number;
}

export interface Comparison {
  agree: number;
  total: number;
  first?: Difference;
}

export function compareRecords(model: Model, expected: Buffer, actual: Buffer): Comparison {
  const L = layoutOf(model);
  const total = expected.length / (4 * L.recordWords);
  const e = new Int32Array(expected.buffer.slice(expected.byteOffset, expected.byteOffset + expected.length));
  const a = new Int32Array(
    actual.buffer.slice(actual.byteOffset, actual.byteOffset + Math.min(actual.length, expected.length) - (Math.min(actual.length, expected.length) % 4)),
  );
  let agree = 0;
  let first: Difference | undefined;
  for (let i = 0; i < total; i++) {
    const base = i * L.recordWords;
    let same = base + L.recordWords <= a.length;
    for (let k = 0; same && k < L.recordWords; k++) same = e[base + k] === a[base + k];
    if (same) {
      agree++;
      continue;
    }
    first ??= locate(L, e, a, i);
  }
  return { agree, total, first };
}

function locate(L: Layout, e: Int32Array, a: Int32Array, image: number): Difference {
  const base = image * L.recordWords;
  if (base + L.recordWords > a.length) return { image, layer: 0, neuron: -1, expected: 0, actual: 0 };
  let o = base + L.outputs;
  for (let layer = 0; layer < L.hiddenWords.length; layer++) {
    for (let w = 0; w < L.hiddenWords[layer]; w++) {
      const x = (e[o + w] ^ a[o + w]) >>> 0;
      if (x) {
        const bit = 31 - Math.clz32(x & -x);
        const neuron = 32 * w + bit;
        const shape = L.convShapes[layer];
        const at = shape
          ? { row: Math.floor(neuron / shape[2] / shape[1]), column: Math.floor(neuron / shape[2]) % shape[1], channel: neuron % shape[2] }
          : undefined;
        return { image, layer: layer + 1, neuron, ...(at ? { at } : {}), expected: (e[o + w] >>> bit) & 1, actual: (a[o + w] >>> bit) & 1 };
      }
    }
    o += L.hiddenWords[layer];
  }
  for (let j = 0; j < L.outputs; j++)
    if (e[base + j] !== a[base + j]) return { image, layer: L.hiddenWords.length + 1, neuron: j, expected: e[base + j], actual: a[base + j] };
  return { image, layer: 0, neuron: -1, expected: 0, actual: 0 };
}

export interface BackendResult {
  name: string;
  description: string;
  status: "ok" | "differs" | "unavailable" | "not applicable" | "error";
  agree: number;
  total: number;
  seconds: number;
  first?: Difference;
  message?: string;
  /** Why only the first `total` images were run (a sample), when they were. */
  sampled?: string;
}

export function describeDifference(d: Difference): string {
  if (d.neuron < 0) return `image ${d.image}: output missing or truncated`;
  const where = d.at ? `conv layer ${d.layer}, channel ${d.at.channel} at row ${d.at.row}, column ${d.at.column}` : `layer ${d.layer}, neuron ${d.neuron}`;
  return `first difference: image ${d.image}, ${where} (expected ${d.expected}, got ${d.actual})`;
}

/**
 * Runs each backend on the records; `modelDir` holds the generated bnn_model.c/.h. Backends run
 * side by side, one per core (their compilers and emulators are other processes, rp2040js runs
 * in worker threads); the results come back in the order of `backends`, `onResult` is called as
 * each finishes.
 */
export async function verifyBackends(
  model: Model,
  modelDir: string,
  input: Buffer,
  backends: Target[],
  onResult?: (r: BackendResult) => void,
  opts: { shipped?: boolean; onProgress?: (backend: string, done: number, total: number) => void } = {},
): Promise<BackendResult[]> {
  const expected = await referenceRecords(model, input);
  const L = layoutOf(model);
  const total = expected.length / (4 * L.recordWords);
  const results: BackendResult[] = new Array(backends.length);
  const buildDir = mkdtempSync(join(tmpdir(), "bnn-verify-"));
  const runOne = async (t: Target, index: number) => {
    // a folder of its own: two backends may run at once, and variants share their base's file names
    const dir = join(buildDir, `${index}-${t.name}`);
    mkdirSync(dir);
    const sample = t.sample?.(model.conv.length > 0);
    const images = sample ? Math.min(total, sample.images) : total;
    const base = {
      name: t.name,
      description: t.description,
      agree: 0,
      total: images,
      seconds: 0,
      ...(sample && images < total ? { sampled: sample.why } : {}),
    };
    const recordIn = input.subarray(0, images * 4 * L.inputWords);
    const recordOut = expected.subarray(0, images * 4 * L.recordWords);
    const missing = missingTool(t);
    const unavailable = missing ? `${missing} not found (Debian: apt-get install ${t.packages.join(" ")})` : t.unavailable?.();
    let result: BackendResult;
    if (t.shippedOnly && !opts.shipped) {
      result = { ...base, status: "not applicable", message: t.shippedOnly };
    } else if (unavailable) {
      result = { ...base, status: "unavailable", message: unavailable };
    } else {
      const t0 = performance.now();
      try {
        const built = await t.build(modelDir, dir);
        const actual = t.wasm
          ? runWasm(await instantiateWasm(readFileSync(built)), recordIn, L.inputWords, L.outputs, L.hiddenWords.length)
          : await t.execute(built, recordIn, dir, { recordBytes: 4 * L.inputWords, onProgress: (done) => opts.onProgress?.(t.name, done, images) });
        const c = compareRecords(model, recordOut, actual);
        result = { ...base, ...c, seconds: (performance.now() - t0) / 1000, status: c.agree === c.total ? "ok" : "differs" };
      } catch (e) {
        result = { ...base, seconds: (performance.now() - t0) / 1000, status: "error", message: (e as Error).message.split("\n").slice(0, 3).join(" | ") };
      }
    }
    results[index] = result;
    onResult?.(result);
  };
  try {
    // the slow ones first (longest first keeps both cores busy to the end)
    const order = [...backends.keys()].sort((a, b) => Number(!!backends[b].slow) - Number(!!backends[a].slow) || a - b);
    let next = 0;
    const lane = async () => {
      while (next < order.length) {
        const k = order[next++];
        await runOne(backends[k], k);
      }
    };
    await Promise.all(Array.from({ length: Math.min(backends.length, availableParallelism()) }, lane));
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
  return results;
}
