/**
 * The shipped models: the stroke-set figures they are shipped with (metrics.json strokeTest) and
 * their held-out pen writers' figures (penValidation) are re-measured through the touch path, and the weight tables (as Node reads them) hold exactly the
 * model's numbers. (The test accuracy is re-measured on the whole test set by tests/test-set.test.ts.) (That the tables are fresh is tests/regen.test.ts's check.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { yieldToEventLoop, yielder } from "../lib/event-loop.ts";
import { loadTables } from "../lib/export/load-tables.ts";
import { wordsFor } from "../lib/binary.ts";
import { columnsForm, type RowsLayer } from "../lib/model/columns.ts";
import { readModelFile, type Model } from "../lib/model/format.ts";
import { MODELS_DIR, ROOT, resolveModelPath, shippedModels, tablesPath } from "../lib/paths.ts";
import { classifyStrokes, ClassifyTally } from "../lib/classify.ts";
import { readStrokeFile } from "../lib/strokes/format.ts";
import { HERSHEY_SET_PATH } from "../lib/strokes/hershey-set.ts";
import { penDigits } from "../lib/train/pen-digits.ts";
import { PRESETS, type PresetName } from "../lib/train/presets.ts";

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

  it("has the recorded stroke-set figures (metrics.json strokeTest), re-measured through the touch path", async () => {
    const tally = new ClassifyTally();
    const breathe = yielder();
    for (const sample of readStrokeFile(join(ROOT, HERSHEY_SET_PATH))) {
      await breathe();
      tally.add(sample.label, classifyStrokes(model, sample));
    }
    const got = tally.summary();
    expect(metrics.strokeTest.set).toBe(HERSHEY_SET_PATH);
    expect(got.samples).toBe(metrics.strokeTest.samples);
    expect(got.correct).toBe(metrics.strokeTest.correct);
    expect(got.confusion).toEqual(metrics.strokeTest.confusion);
    expect(got.noDigit).toEqual(metrics.strokeTest.noDigit);
  });

  it("was trained by its preset as it stands (bnn train --preset NAME reproduces it)", () => {
    const recorded = JSON.parse(readFileSync(path, "utf8")).training;
    expect(recorded.preset).toBe(name);
    expect(recorded.options).toEqual(JSON.parse(JSON.stringify(PRESETS[name as PresetName])));
  });

  it("has the recorded pen-digit figures of its held-out writers (metrics.json penValidation), re-measured through the touch path", async () => {
    const pv = metrics.penValidation;
    expect(pv, "the shipped models are trained with pen digits and held-out writers").toBeDefined();
    const wanted = new Set<string>(pv.writers);
    expect(pv.trainWriters.some((w: string) => wanted.has(w))).toBe(false);
    const tally = new ClassifyTally();
    const breathe = yielder();
    for (const s of penDigits()) {
      if (!wanted.has(s.writer!)) continue;
      await breathe();
      tally.add(s.label, classifyStrokes(model, s), s.writer);
    }
    const got = tally.summary();
    expect(got.samples).toBe(pv.samples);
    expect(got.correct).toBe(pv.correct);
    expect(got.confusion).toEqual(pv.confusion);
    expect(got.perWriter).toEqual(pv.perWriter);
    expect(got.noDigit).toEqual({});
  });
});

describe.each(shippedModels())("shipped model '%s': weight tables", (name) => {
  const model = readModelFile(resolveModelPath(name));

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
    for (const [L, h] of thresholdLayers(model)) {
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
    }
    const L = `L${model.hidden.length + 1}`;
    expect(Array.from(u32s(t[`${L}_WEIGHTS`] as Uint8Array))).toEqual(Array.from(model.output.weights));
    expect(Array.from(new Int32Array(u32s(t[`${L}_SCALE`] as Uint8Array).buffer))).toEqual(Array.from(model.output.scale));
    expect(Array.from(new Int32Array(u32s(t[`${L}_OFFSET`] as Uint8Array).buffer))).toEqual(Array.from(model.output.offset));
  });

  it("has counter starts whose top plane is exactly 'sum >= threshold', for every +1-input count", async () => {
    // The columns form (lib/model/columns.ts), checked from its definition: a neuron with
    // P +1 weights, |X| +1 inputs of which C meet a +1 weight has s = n - 2|X| - 2P + 4C; its
    // counter ends at kEven - floor(|X| / 2) - (|X| odd ? oddDec : 0) + C, in [0, 2^planes).
    // A conv channel is such a neuron at every position, n = kernel * kernel * channels.
    const t = loadTables(tablesPath(name));
    let wrong = 0;
    let checked = 0;
    for (const [L, h] of thresholdLayers(model)) {
      const planes = t[`${L}_PLANES`] as number;
      const kEven = u32s(t[`${L}_K_EVEN`] as Uint8Array);
      const oddDec = u32s(t[`${L}_ODD_DEC`] as Uint8Array);
      // the tables hold the layer's columns form as columns.ts computes it
      const form = columnsForm(h);
      expect({ L, planes, kEven: Array.from(kEven), oddDec: Array.from(oddDec) }).toEqual({
        L,
        planes: form.planes,
        kEven: Array.from(form.kEven),
        oddDec: Array.from(form.oddDec),
      });
      const n = h.inputs;
      for (let j = 0; j < h.outputs; j++) {
        // a neuron is up to n^2 / 4 cases: the loop lets the worker's event loop run between neurons
        await yieldToEventLoop();
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
            if (end < 0 || end >= 2 ** planes || end >= 2 ** (planes - 1) !== on) wrong++;
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
    expect(wrong).toBe(0);
  });
});
