/**
 * Model format version 2 ("conv" layers, docs/model-format.md §2.3): the validator rejects
 * each way a version-2 file can be wrong with one line naming the problem (also through the
 * CLI). The folding of trained convolution layers is tests/conv-fold.test.ts.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { setBit, wordsFor } from "../lib/binary.ts";
import { UserError } from "../lib/errors.ts";
import {
  encodeRow,
  modelId,
  readModelFile,
  serializeModel,
  validateModel,
  versionFor,
  type ConvLayer,
  type InputSpec,
  type ModelFile,
  type ModelLayer,
  type ScoreLayer,
} from "../lib/model/format.ts";
import { SeededRng } from "../lib/rng.ts";
import { scratchDir } from "./helpers.ts";
import { bnn, expectOneLineError } from "./run-bnn.ts";

const work = scratchDir("conv-format");

// ---------------------------------------------------------------------------------------------
// (a) version-2 files the validator must reject

interface ConvShape {
  kernel: number;
  outputs: number;
  pool: number;
  poolAnd?: number[];
}

interface NetShape {
  width: number;
  height: number;
  conv: ConvShape[];
  hidden?: number[];
  outputs?: number;
}

/** m random weight rows of n inputs, padding bits 0. */
function randomRows(rng: SeededRng, n: number, m: number): string[] {
  return Array.from({ length: m }, () => {
    const row = new Uint32Array(wordsFor(n));
    for (let i = 0; i < n; i++) if (rng.next() < 0.5) setBit(row, i);
    return encodeRow(row, 0, row.length);
  });
}

/** m thresholds in [-n, n + 1], the extremes included. */
function randomThresholds(rng: SeededRng, n: number, m: number): number[] {
  return Array.from({ length: m }, (_, j) => (j === 0 ? -n : j === 1 ? n + 1 : -n + rng.int(2 * n + 2)));
}

/** A valid model file of this shape (version from its layers, id computed). */
function modelFile(seed: number, shape: NetShape): ModelFile {
  const rng = new SeededRng(seed);
  const input: InputSpec = { width: shape.width, height: shape.height, threshold: 100 };
  const layers: ModelLayer[] = [];
  let [h, w, c] = [shape.height, shape.width, 1];
  for (const s of shape.conv) {
    const n = s.kernel * s.kernel * c;
    layers.push({
      kind: "conv",
      input: [h, w, c],
      kernel: s.kernel,
      outputs: s.outputs,
      pool: s.pool,
      weights: randomRows(rng, n, s.outputs),
      thresholds: randomThresholds(rng, n, s.outputs),
      poolAnd: s.poolAnd ?? [],
    });
    [h, w, c] = [(h - s.kernel + 1) / s.pool, (w - s.kernel + 1) / s.pool, s.outputs];
  }
  let n = h * w * c;
  for (const m of shape.hidden ?? []) {
    layers.push({ kind: "sign", inputs: n, outputs: m, weights: randomRows(rng, n, m), thresholds: randomThresholds(rng, n, m) });
    n = m;
  }
  const m = shape.outputs ?? 10;
  layers.push({
    kind: "score",
    inputs: n,
    outputs: m,
    weights: randomRows(rng, n, m),
    scale: Array.from({ length: m }, (_, j) => j - 5),
    offset: Array.from({ length: m }, (_, j) => 100 * j),
    shift: 0,
  });
  return { format: "bnn-mlp", version: versionFor(layers), name: "conv-test", id: modelId(input, layers), input, layers };
}

/** 8x8 image -> conv 3x3, 32 channels, pool 2 (6x6 -> 3x3x32) -> score 288 -> 10. */
const BASE = modelFile(1, { width: 8, height: 8, conv: [{ kernel: 3, outputs: 32, pool: 2, poolAnd: [1, 5, 30] }] });
/** The same with two convolutions: 8x8 -> 3x3x32 -> conv 2x2, pool 1 -> 2x2x32 -> sign 128 -> 16 -> score. */
const TWO = modelFile(2, {
  width: 8,
  height: 8,
  conv: [
    { kernel: 3, outputs: 32, pool: 2, poolAnd: [0] },
    { kernel: 2, outputs: 32, pool: 1 },
  ],
  hidden: [16],
});
/** A non-square image, 8 wide and 6 high: conv 3x3 pool 2 -> [2, 3, 32]. */
const WIDE = modelFile(3, { width: 8, height: 6, conv: [{ kernel: 3, outputs: 32, pool: 2 }] });
/** No pooling: 8x8 -> conv 3x3 -> 6x6x32 -> score 1152. */
const UNPOOLED = modelFile(4, { width: 8, height: 8, conv: [{ kernel: 3, outputs: 32, pool: 1 }] });

/** The UserError validating `file` gives, which must be one line naming the file. */
function rejection(file: unknown): string {
  let error: unknown;
  try {
    validateModel(file, "bad.json");
  } catch (e) {
    error = e;
  }
  if (error === undefined) expect.fail("the validator accepted it");
  expect(error).toBeInstanceOf(UserError);
  const message = (error as UserError).message;
  expect(message).not.toContain("\n");
  expect(message).toMatch(/^bad\.json: /);
  return message;
}

/** A parsed model file as the edits below break it. */
// biome-ignore lint/suspicious/noExplicitAny: the edits write fields and values that a model file's type forbids, on purpose
type BrokenModel = any;

/** A copy of `base` edited by `edit`, with its id recomputed so that only the edit is wrong. */
function edited(base: ModelFile, edit: (m: BrokenModel) => void): ModelFile {
  const m = structuredClone(base);
  edit(m);
  m.id = modelId(m.input, m.layers);
  return m;
}

// biome-ignore format: a table, one damaged model per row
const cases: [what: string, base: ModelFile, edit: (m: BrokenModel) => void, message: RegExp][] = [
  ["a conv layer in a version-1 file", BASE, (m) => (m.version = 1), /layer 1: "conv" layers need format version 2/],
  ["version 3", BASE, (m) => (m.version = 3), /unknown model format version 3 \(this bnn reads versions 1 and 2\)/],
  ["outputs not a multiple of 32", BASE, (m) => (m.layers[0].outputs = 48), /layer 1\.outputs = 48: a "conv" layer's channels must fill whole 32-bit words \(a multiple of 32\)/],
  ["fewer than 32 outputs", BASE, (m) => (m.layers[0].outputs = 16), /layer 1\.outputs = 16: a "conv" layer's channels must fill whole 32-bit words \(a multiple of 32\)/],
  ["an unknown field (stride)", BASE, (m) => (m.layers[0].stride = 2), /layer 1: unknown field "stride" in a "conv" layer/],
  ["an input shape that is not the image's (two channels)", BASE, (m) => (m.layers[0].input = [8, 8, 2]), /layer 1: input 8x8x2, but the input image gives 8x8x1/],
  ["an input shape given as [width, height, channels]", WIDE, (m) => (m.layers[0].input = [8, 6, 1]), /layer 1: input 8x6x1, but the input image gives 6x8x1/],
  ["a second conv layer whose input is not the first one's output", TWO, (m) => (m.layers[1].input = [6, 6, 32]), /layer 2: input 6x6x32, but the previous layer gives 3x3x32/],
  ["an input that is not a [height, width, channels] list", BASE, (m) => (m.layers[0].input = [8, 8]), /layer 1\.input must be \[height, width, channels\]/],
  ["a kernel larger than its input", BASE, (m) => (m.layers[0].kernel = 9), /layer 1: kernel 9 is larger than its 8x8 input/],
  ["a kernel larger than the largest", BASE, (m) => (m.layers[0].kernel = 16), /layer 1\.kernel = 16 is outside \[1, 15\]/],
  ["a pooling that does not divide the convolution output", BASE, (m) => (m.layers[0].pool = 4), /layer 1: pooling 4 does not divide the 6x6 convolution output/],
  ["a pooling of 0", BASE, (m) => (m.layers[0].pool = 0), /layer 1\.pool = 0 is outside \[1, 8\]/],
  ["a threshold above n + 1", BASE, (m) => (m.layers[0].thresholds[3] = 11), /layer 1\.thresholds\[3\] = 11 is outside \[-9, 10\]/],
  ["a threshold below -n", BASE, (m) => (m.layers[0].thresholds[31] = -10), /layer 1\.thresholds\[31\] = -10 is outside \[-9, 10\]/],
  ["a threshold that is not an integer", BASE, (m) => (m.layers[0].thresholds[0] = 1.5), /layer 1\.thresholds\[0\] must be an integer, got 1\.5/],
  ["a threshold per output missing", BASE, (m) => m.layers[0].thresholds.pop(), /layer 1\.thresholds must list 32 integers/],
  ["a weight row of the wrong length", BASE, (m) => (m.layers[0].weights[2] = "000001ff00000000"), /layer 1\.weights row 2 must be 8 lowercase hex digits/],
  ["a weight row in capitals", BASE, (m) => (m.layers[0].weights[4] = "000001FF"), /layer 1\.weights row 4 must be 8 lowercase hex digits/],
  ["a weight row missing", BASE, (m) => m.layers[0].weights.pop(), /layer 1\.weights must list 32 rows/],
  ["a padding bit set (bit 9 of a 9-bit patch)", BASE, (m) => (m.layers[0].weights[7] = "00000200"), /layer 1\.weights row 7 sets bits beyond its 9 inputs: a weight that is not ±1/],
  ["poolAnd unsorted", BASE, (m) => (m.layers[0].poolAnd = [5, 1]), /layer 1\.poolAnd must list distinct channels in ascending order/],
  ["poolAnd with a channel twice", BASE, (m) => (m.layers[0].poolAnd = [1, 1]), /layer 1\.poolAnd must list distinct channels in ascending order/],
  ["poolAnd naming channel 32 of 32", BASE, (m) => (m.layers[0].poolAnd = [1, 32]), /layer 1\.poolAnd\[1\] = 32 is outside \[0, 31\]/],
  ["poolAnd naming channel -1", BASE, (m) => (m.layers[0].poolAnd = [-1]), /layer 1\.poolAnd\[0\] = -1 is outside \[0, 31\]/],
  ["poolAnd missing", BASE, (m) => delete m.layers[0].poolAnd, /layer 1\.poolAnd must list the channels that pool with AND \(may be empty\)/],
  ["poolAnd channels in a layer that does not pool", UNPOOLED, (m) => (m.layers[0].poolAnd = [3]), /layer 1\.poolAnd lists channels, but the layer does not pool/],
  ["a conv layer after a sign layer", TWO, (m) => m.layers.splice(3, 0, structuredClone(m.layers[1])), /layer 4: a "conv" layer must come before every "sign" layer/],
  ["a conv layer last", BASE, (m) => m.layers.pop(), /layer 1: kind "conv", expected "score"/],
  ["a misspelt kind in a version-2 file", BASE, (m) => (m.layers[0].kind = "Conv"), /layer 1: kind "Conv", expected "conv" or "sign"/],
  ["first dense inputs one short of the flattened conv output", BASE, (m) => (m.layers[1].inputs = 287), /layer 2: inputs 287, but the previous layer gives 288/],
  ["first dense inputs the image's, as if there were no convolution", BASE, (m) => (m.layers[1].inputs = 64), /layer 2: inputs 64, but the previous layer gives 288/],
  ["first dense inputs the unpooled conv output", BASE, (m) => (m.layers[1].inputs = 1152), /layer 2: inputs 1152, but the previous layer gives 288/],
];

describe("version-2 model files", () => {
  it("the test models are valid, with the shapes they claim", () => {
    const base = validateModel(BASE);
    expect(base.file.version).toBe(2);
    expect(base.conv.map((c) => [c.convHeight, c.convWidth, c.outHeight, c.outWidth, c.outputs, c.inputs])).toEqual([[6, 6, 3, 3, 32, 9]]);
    expect(base.conv[0].poolAnd).toEqual(Uint32Array.of((1 << 1) | (1 << 5) | (1 << 30)));
    expect(base.output.inputs).toBe(288);
    const two = validateModel(TWO);
    expect(two.conv.map((c) => [c.height, c.width, c.channels, c.outHeight, c.outWidth])).toEqual([
      [8, 8, 1, 3, 3],
      [3, 3, 32, 2, 2],
    ]);
    expect(two.hidden[0].inputs).toBe(128);
    expect(validateModel(WIDE).conv[0]).toMatchObject({ height: 6, width: 8, outHeight: 2, outWidth: 3 });
    expect(validateModel(UNPOOLED).output.inputs).toBe(6 * 6 * 32);
  });

  it.each(cases)("rejects %s", (_what, base, edit, message) => {
    expect(rejection(edited(base, edit))).toMatch(message);
  });

  it("names conv fields in the id, in the documented key order, and not name, float or training", () => {
    const conv = BASE.layers[0] as ConvLayer;
    const score = BASE.layers[1] as ScoreLayer;
    // keys in the order of docs/model-format.md §5, written out here rather than taken from format.ts
    const canonical = JSON.stringify({
      input: { width: 8, height: 8, threshold: 100 },
      layers: [
        {
          kind: "conv",
          input: conv.input,
          kernel: conv.kernel,
          outputs: conv.outputs,
          pool: conv.pool,
          weights: conv.weights,
          thresholds: conv.thresholds,
          poolAnd: conv.poolAnd,
        },
        { kind: "score", inputs: score.inputs, outputs: score.outputs, weights: score.weights, scale: score.scale, offset: score.offset, shift: score.shift },
      ],
    });
    expect(BASE.id).toBe(createHash("sha256").update(canonical, "utf8").digest("hex").slice(0, 16));
    // the same layer with its keys in another order has the same id
    const shuffled = {
      poolAnd: conv.poolAnd,
      thresholds: conv.thresholds,
      weights: conv.weights,
      pool: conv.pool,
      outputs: conv.outputs,
      kernel: conv.kernel,
      input: conv.input,
      kind: conv.kind,
    };
    expect(modelId(BASE.input, [shuffled, score])).toBe(BASE.id);
    expect(validateModel({ ...BASE, name: "other", training: { x: 1 }, float: [] }).id).toBe(BASE.id);
    // every conv field is part of the id: a changed poolAnd with the old id is an edit
    const m = structuredClone(BASE) as BrokenModel;
    m.layers[0].poolAnd = [1, 5];
    expect(rejection(m)).toMatch(/id [0-9a-f]{16} does not match the contents \([0-9a-f]{16}\): the file was changed after export/);
  });

  it("writes a model without conv layers as version 1 and one with them as version 2", () => {
    expect(modelFile(5, { width: 8, height: 8, conv: [] }).version).toBe(1);
    expect(BASE.version).toBe(2);
  });

  it("reads a version-2 file from disk, and the CLI refuses a bad one with one line and exit code 3", async () => {
    const good = join(work, "good-v2.json");
    writeFileSync(good, serializeModel(BASE));
    expect(readModelFile(good).conv).toHaveLength(1);
    const bad = join(work, "bad-v2.json");
    writeFileSync(bad, serializeModel(edited(BASE, (m) => (m.layers[0].poolAnd = [5, 1]))));
    expectOneLineError(await bnn(["eval", "--model", bad]), 3, /bad-v2\.json: layer 1\.poolAnd must list distinct channels in ascending order/);
    const v1 = join(work, "conv-in-v1.json");
    writeFileSync(v1, serializeModel(edited(BASE, (m) => (m.version = 1))));
    expectOneLineError(await bnn(["eval", "--model", v1]), 3, /conv-in-v1\.json: layer 1: "conv" layers need format version 2/);
  });
});

// ---------------------------------------------------------------------------------------------
// (b) the folding is exact: the folded layers against the float layers of ./float-network.ts

/** The BatchNorm kinds each layer gets: its first channels one of each, the rest drawn. */
