/**
 * The shipped models: the stroke-set figures they are shipped with (metrics.json strokeTest) are
 * re-measured through the touch path; the test accuracy (metrics.json, the README) is
 * re-measured by an implementation that shares nothing with the XNOR/popcount reference (±1
 * multiply-accumulate over unpacked weights, convolutions and OR/AND pooling included), and the
 * weight tables (as Node reads them) hold exactly the model's numbers. (That the tables are fresh is tests/regen.test.ts's check.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTables } from "../host/lib/export/load-tables.ts";
import { dotMac, testBit, wordsFor } from "../host/lib/binary.ts";
import { loadMnist } from "../host/lib/mnist.ts";
import { evaluate } from "../host/lib/model/evaluate.ts";
import { columnsForm, type RowsLayer } from "../host/lib/model/columns.ts";
import { readModelFile, type Model } from "../host/lib/model/format.ts";
import { MODELS_DIR, ROOT, resolveModelPath, shippedModels, tablesPath } from "../host/lib/paths.ts";
import { classifyStrokes, ClassifyTally } from "../host/lib/classify/run.ts";
import { readStrokeFile } from "../host/lib/strokes/format.ts";
import { HERSHEY_SET_PATH } from "../host/lib/strokes/hershey-set.ts";
import { breather, convSums, signRows } from "./float-network.ts";

function u32s(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** The layers of threshold neurons with their tables prefix: conv layers C1, C2, ..., then hidden layers L1, L2, ... */
function thresholdLayers(model: Model): [prefix: string, layer: RowsLayer][] {
  return [...model.conv.map((c, k): [string, RowsLayer] => [`C${k + 1}`, c]), ...model.hidden.map((h, k): [string, RowsLayer] => [`L${k + 1}`, h])];
}

describe.each(shippedModels())("shipped model '%s'", (name) => {
  const path = resolveModelPath(name);
  const model = readModelFile(path);
  const metrics = JSON.parse(readFileSync(join(MODELS_DIR, name, "metrics.json"), "utf8"));

  it("has the recorded test accuracy, re-measured with ±1 multiply-accumulate (no popcount, no packing)", async () => {
    const test = loadMnist("test");
    const e = evaluate(model, test);
    expect(metrics.id).toBe(model.id);
    expect(e.correct).toBe(metrics.testCorrect);
    expect(e.accuracy).toBe(metrics.testAccuracy);
    // the same network as ±1 tensors and vectors: unpacked rows (one flat array per layer),
    // products summed in plain loops (./float-network.ts's convSums for the convolutions); a
    // conv channel's bit by threshold at every position, then OR over each pool window (AND for
    // the poolAnd channels); the hidden sign by threshold, the argmax with the lowest index on ties
    const conv = model.conv.map((c) => ({
      c,
      rows: signRows(c.weights, c.inputs, c.outputs),
      sums: new Int32Array(c.convHeight * c.convWidth * c.outputs),
      and: Array.from({ length: c.outputs }, (_, co) => testBit(c.poolAnd, co)),
    }));
    const layers = [...model.hidden, model.output].map((l) => ({ n: l.inputs, m: l.outputs, w: signRows(l.weights, l.inputs, l.outputs) }));
    expect(dotMac([1, -1, 1], [-1, -1, 1])).toBe(1);
    let correct = 0;
    for (let i = 0; i < test.count; i++) {
      if (i % 50 === 0) await breather();
      let x = new Int8Array(784);
      for (let p = 0; p < 784; p++) x[p] = test.images[i * 784 + p] >= model.input.threshold ? 1 : -1;
      for (const { c, rows, sums, and } of conv) {
        convSums(c, rows, x, sums);
        const y = new Int8Array(c.outHeight * c.outWidth * c.outputs);
        for (let py = 0; py < c.outHeight; py++) {
          for (let px = 0; px < c.outWidth; px++) {
            for (let co = 0; co < c.outputs; co++) {
              let on = and[co];
              for (let dy = 0; dy < c.pool; dy++) {
                for (let dx = 0; dx < c.pool; dx++) {
                  const bit = sums[((py * c.pool + dy) * c.convWidth + px * c.pool + dx) * c.outputs + co] >= c.thresholds[co];
                  on = and[co] ? on && bit : on || bit;
                }
              }
              y[(py * c.outWidth + px) * c.outputs + co] = on ? 1 : -1;
            }
          }
        }
        x = y;
      }
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
    expect(t.CONV_LAYERS ?? 0).toBe(model.conv.length);
    model.conv.forEach((c, k) => {
      expect(t[`C${k + 1}_SHAPE`]).toEqual([c.height, c.width, c.channels, c.kernel, c.outputs, c.pool]);
      expect(Array.from(u32s(t[`C${k + 1}_POOL_AND`] as Uint8Array))).toEqual(Array.from(c.poolAnd));
    });
    // conv channels are stored like hidden neurons, over their kernel x kernel x channels patch
    thresholdLayers(model).forEach(([L, h]) => {
      // columns: bit j of column i is bit i of row j
      const columns = u32s(t[`${L}_COLUMNS`] as Uint8Array);
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
      expect(differing, L).toBe(0);
      const th = t[`${L}_THRESHOLDS`] as Uint8Array;
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
    // A conv channel is such a neuron at every position, n = kernel * kernel * channels.
    const t = loadTables(tablesPath(name));
    let wrong = 0;
    let checked = 0;
    thresholdLayers(model).forEach(([L, h]) => {
      const planes = t[`${L}_PLANES`] as number;
      const kEven = u32s(t[`${L}_K_EVEN`] as Uint8Array);
      const oddDec = u32s(t[`${L}_ODD_DEC`] as Uint8Array);
      // the tables hold the layer's columns form as columns.ts computes it
      const form = columnsForm(h);
      expect({ L, planes, kEven: Array.from(kEven), oddDec: Array.from(oddDec) }).toEqual({ L, planes: form.planes, kEven: Array.from(form.kEven), oddDec: Array.from(form.oddDec) });
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
