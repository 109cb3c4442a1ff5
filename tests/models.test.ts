/**
 * The shipped models: their recorded test accuracy is re-measured exactly, their weight tables
 * are up to date, and the tables (as Node imports them) hold exactly the model's numbers.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTables } from "../host/lib/export/load-tables.ts";
import { generateTables } from "../host/lib/export/tables.ts";
import { loadMnist } from "../host/lib/mnist.ts";
import { evaluate } from "../host/lib/model/evaluate.ts";
import { readModelFile } from "../host/lib/model/format.ts";
import { MODELS_DIR, resolveModelPath, TABLES_DIR } from "../host/lib/paths.ts";
import { SHIPPED_MODELS } from "./shipped.ts";

function u32s(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

describe.each(SHIPPED_MODELS)("shipped model '%s'", (name) => {
  const path = resolveModelPath(name);
  const model = readModelFile(path);
  const metrics = JSON.parse(readFileSync(join(MODELS_DIR, name, "metrics.json"), "utf8"));

  it("re-measures exactly the recorded test accuracy on the official test set", () => {
    const e = evaluate(model, loadMnist("test"));
    expect(metrics.id).toBe(model.id);
    expect(e.correct).toBe(metrics.testCorrect);
    expect(e.accuracy).toBe(metrics.testAccuracy);
  });

  it("has up-to-date weight tables (regenerate with: npm run bnn -- export --model NAME)", () => {
    const onDisk = readFileSync(join(TABLES_DIR, `${name}.ts`), "utf8");
    expect(onDisk).toBe(generateTables(model, `models/${name}/model.json`));
  });

  it("has weight tables that decode to exactly the model's words and integers", async () => {
    const t = await loadTables(join(TABLES_DIR, `${name}.ts`));
    expect(t.MODEL_ID).toBe(model.id);
    expect(t.INPUT_THRESHOLD).toBe(model.input.threshold);
    model.hidden.forEach((h, k) => {
      expect(Array.from(u32s(t[`L${k + 1}_WEIGHTS`] as Uint8Array))).toEqual(Array.from(h.weights));
      const th = t[`L${k + 1}_THRESHOLDS`] as Uint8Array;
      expect(Array.from(new Int16Array(th.buffer.slice(th.byteOffset, th.byteOffset + th.length)))).toEqual(Array.from(h.thresholds));
    });
    const L = `L${model.hidden.length + 1}`;
    expect(Array.from(u32s(t[`${L}_WEIGHTS`] as Uint8Array))).toEqual(Array.from(model.output.weights));
    expect(Array.from(new Int32Array(u32s(t[`${L}_SCALE`] as Uint8Array).buffer))).toEqual(Array.from(model.output.scale));
    expect(Array.from(new Int32Array(u32s(t[`${L}_OFFSET`] as Uint8Array).buffer))).toEqual(Array.from(model.output.offset));
  });
});
