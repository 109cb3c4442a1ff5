/**
 * The shipped models: the stroke-set figures they are shipped with (metrics.json strokeTest) are
 * re-measured through the touch path; the test accuracy (metrics.json, the README) is
 * re-measured by an implementation that shares nothing with the XNOR/popcount reference (±1
 * multiply-accumulate over unpacked weights), and the weight tables (as Node reads them) hold
 * exactly the model's numbers. (That the tables are fresh is tests/regen.test.ts's check.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTables } from "../host/lib/export/load-tables.ts";
import { dotMac, unpackSigns, wordsFor } from "../host/lib/binary.ts";
import { loadMnist } from "../host/lib/mnist.ts";
import { evaluate } from "../host/lib/model/evaluate.ts";
import { readModelFile } from "../host/lib/model/format.ts";
import { MODELS_DIR, ROOT, resolveModelPath, shippedModels, tablesPath } from "../host/lib/paths.ts";
import { classifyStrokes, ClassifyTally } from "../host/lib/classify/run.ts";
import { readStrokeFile } from "../host/lib/strokes/format.ts";
import { HERSHEY_SET_PATH } from "../host/lib/strokes/hershey-set.ts";

function u32s(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

describe.each(shippedModels())("shipped model '%s'", (name) => {
  const path = resolveModelPath(name);
  const model = readModelFile(path);
  const metrics = JSON.parse(readFileSync(join(MODELS_DIR, name, "metrics.json"), "utf8"));

  it("has the recorded test accuracy, re-measured with ±1 multiply-accumulate (no popcount, no packing)", () => {
    const test = loadMnist("test");
    const e = evaluate(model, test);
    expect(metrics.id).toBe(model.id);
    expect(e.correct).toBe(metrics.testCorrect);
    expect(e.accuracy).toBe(metrics.testAccuracy);
    // the same network as ±1 vectors: unpacked rows (one flat array per layer), products summed
    // in plain loops, the hidden sign by threshold, the argmax with the lowest index on ties
    const layers = [...model.hidden, model.output].map((l) => {
      const w = new Int8Array(l.outputs * l.inputs);
      for (let j = 0; j < l.outputs; j++) w.set(unpackSigns(l.weights.subarray(j * wordsFor(l.inputs), (j + 1) * wordsFor(l.inputs)), l.inputs), j * l.inputs);
      return { n: l.inputs, m: l.outputs, w };
    });
    expect(dotMac([1, -1, 1], [-1, -1, 1])).toBe(1);
    let correct = 0;
    for (let i = 0; i < test.count; i++) {
      let x = new Int8Array(784);
      for (let p = 0; p < 784; p++) x[p] = test.images[i * 784 + p] >= model.input.threshold ? 1 : -1;
      let best = -1;
      let bestScore = -Infinity;
      layers.forEach(({ n, m, w }, k) => {
        const y = new Int8Array(m);
        for (let j = 0; j < m; j++) {
          let s = 0;
          for (let q = 0, o = j * n; q < n; q++, o++) s += x[q] * w[o];
          if (k < model.hidden.length) y[j] = s >= model.hidden[k].thresholds[j] ? 1 : -1;
          else {
            const score = model.output.scale[j] * s + model.output.offset[j];
            if (score > bestScore) [best, bestScore] = [j, score];
          }
        }
        x = y;
      });
      if (best === test.labels[i]) correct++;
    }
    expect(correct).toBe(metrics.testCorrect);
  });

  it("has the recorded stroke-set figures (metrics.json strokeTest), re-measured through the touch path", () => {
    const tally = new ClassifyTally();
    for (const sample of readStrokeFile(join(ROOT, HERSHEY_SET_PATH))) tally.add(sample.label, classifyStrokes(model, sample));
    const got = tally.summary();
    expect(metrics.strokeTest.set).toBe(HERSHEY_SET_PATH);
    expect(got.samples).toBe(metrics.strokeTest.samples);
    expect(got.correct).toBe(metrics.strokeTest.correct);
    expect(got.confusion).toEqual(metrics.strokeTest.confusion);
    expect(got.noDigit).toEqual(metrics.strokeTest.noDigit);
  });

  it("has weight tables that decode to exactly the model's words and integers", () => {
    const t = loadTables(tablesPath(name));
    expect(t.MODEL_ID).toBe(model.id);
    expect(t.INPUT_THRESHOLD).toBe(model.input.threshold);
    model.hidden.forEach((h, k) => {
      // columns: bit j of column i is bit i of row j
      const columns = u32s(t[`L${k + 1}_COLUMNS`] as Uint8Array);
      const outWords = wordsFor(h.outputs);
      expect(columns.length).toBe(h.inputs * outWords);
      let differing = 0;
      for (let i = 0; i < h.inputs; i++) {
        for (let j = 0; j < h.outputs; j++) {
          const col = (columns[i * outWords + (j >>> 5)] >>> (j & 31)) & 1;
          const row = (h.weights[j * h.words + (i >>> 5)] >>> (i & 31)) & 1;
          if (col !== row) differing++;
        }
      }
      expect(differing).toBe(0);
      const th = t[`L${k + 1}_THRESHOLDS`] as Uint8Array;
      expect(Array.from(new Int16Array(th.buffer.slice(th.byteOffset, th.byteOffset + th.length)))).toEqual(Array.from(h.thresholds));
    });
    const L = `L${model.hidden.length + 1}`;
    expect(Array.from(u32s(t[`${L}_WEIGHTS`] as Uint8Array))).toEqual(Array.from(model.output.weights));
    expect(Array.from(new Int32Array(u32s(t[`${L}_SCALE`] as Uint8Array).buffer))).toEqual(Array.from(model.output.scale));
    expect(Array.from(new Int32Array(u32s(t[`${L}_OFFSET`] as Uint8Array).buffer))).toEqual(Array.from(model.output.offset));
  });

  it("has counter starts whose top plane is exactly 'sum >= threshold', for every +1-input count", () => {
    // The columns form (host/lib/model/columns.ts), checked from its definition: a neuron with
    // P +1 weights, |X| +1 inputs of which C meet a +1 weight has s = n - 2|X| - 2P + 4C; its
    // counter ends at kEven - floor(|X| / 2) - (|X| odd ? oddDec : 0) + C, in [0, 2^planes).
    const t = loadTables(tablesPath(name));
    let wrong = 0;
    let checked = 0;
    model.hidden.forEach((h, k) => {
      const planes = t[`L${k + 1}_PLANES`] as number;
      const kEven = u32s(t[`L${k + 1}_K_EVEN`] as Uint8Array);
      const oddDec = u32s(t[`L${k + 1}_ODD_DEC`] as Uint8Array);
      const n = h.inputs;
      for (let j = 0; j < h.outputs; j++) {
        let start = 0;
        for (let p = 0; p < planes; p++) start += ((kEven[(j >>> 5) * planes + p] >>> (j & 31)) & 1) * 2 ** p;
        const dec = (oddDec[j >>> 5] >>> (j & 31)) & 1;
        let P = 0;
        for (let i = 0; i < n; i++) P += (h.weights[j * h.words + (i >>> 5)] >>> (i & 31)) & 1;
        for (let x = 0; x <= n; x++) {
          const s0 = start - (x >> 1) - (x & 1 ? dec : 0);
          for (let c = Math.max(0, x + P - n); c <= Math.min(x, P); c++) {
            const end = s0 + c;
            const on = n - 2 * x - 2 * P + 4 * c >= h.thresholds[j];
            if (end < 0 || end >= 2 ** planes || (end >= 2 ** (planes - 1)) !== on) wrong++;
            checked++;
          }
        }
      }
    });
    expect(checked).toBeGreaterThan(0);
    expect(wrong).toBe(0);
  });
});
