/**
 * The C generator: committed C is what the tables generate, generation is deterministic, the
 * formatting helpers are right, and the generated C agrees with the TypeScript reference on
 * random models full of edge cases (sizes that are not multiples of 32, neurons that are always
 * or never on, extreme scales), on the host and on the emulated Cortex-M0, both layer methods.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cArray, columnsForm, hexWord, int32 } from "../firmware-codegen/src/generate.ts";
import { cFromModel } from "../firmware-codegen/src/pipeline.ts";
import { CORTEX_M0, HOST_GCC, variant } from "../firmware-codegen/src/targets.ts";
import { verifyBackends } from "../firmware-codegen/src/verify.ts";
import { generateC, checkGenerated } from "../host/cli/codegen.ts";
import { lastWordMask, wordsFor } from "../host/lib/binary.ts";
import { encodeRow, modelId, SCORE_LIMIT, validateModel, type ModelLayer } from "../host/lib/model/format.ts";
import { GENERATED_C_DIR, TABLES_DIR } from "../host/lib/paths.ts";
import { SeededRng } from "../host/lib/rng.ts";
import { SHIPPED_MODELS } from "./shipped.ts";

describe.each(SHIPPED_MODELS)("generated C of '%s'", (name) => {
  it("is up to date with the weight tables (regenerate: npm run bnn -- codegen --model NAME)", async () => {
    await expect(checkGenerated(name, join(GENERATED_C_DIR, name))).resolves.toBeUndefined();
  });
  it("is generated deterministically", async () => {
    const a = await generateC(join(TABLES_DIR, `${name}.ts`));
    const b = await generateC(join(TABLES_DIR, `${name}.ts`));
    expect(a).toEqual(b);
    expect(a.files["bnn_model.c"]).not.toMatch(/\d{4}-\d\d-\d\d|\/work\/|\/tmp\//);
  });
});

describe("formatting helpers", () => {
  it("write C arrays, hex words and every int32", () => {
    expect(cArray("uint32_t", "w", [1, 0xffffffff, 3], hexWord, 2)).toBe("static const uint32_t w[3] = {\n    0x00000001u, 0xffffffffu,\n    0x00000003u,\n};\n");
    expect(int32(-2147483648)).toBe("(-2147483647 - 1)");
    expect(int32(-5)).toBe("-5");
  });
});

function randomModel(seed: number, hidden: number[]): ReturnType<typeof validateModel> {
  const rng = new SeededRng(seed);
  const sizes = [784, ...hidden, 10];
  const layers: ModelLayer[] = [];
  for (let k = 1; k < sizes.length; k++) {
    const n = sizes[k - 1];
    const m = sizes[k];
    const words = wordsFor(n);
    const rowsText: string[] = [];
    for (let j = 0; j < m; j++) {
      const row = new Uint32Array(words);
      const density = rng.next();
      for (let i = 0; i < n; i++) if (rng.next() < density) row[i >>> 5] |= 1 << (i & 31);
      row[words - 1] &= lastWordMask(n);
      rowsText.push(encodeRow(row, 0, words));
    }
    if (k < sizes.length - 1) {
      // mostly thresholds near the middle, some at the extremes -n (always on) and n + 1 (never)
      const thresholds = Array.from({ length: m }, () => {
        const r = rng.next();
        return r < 0.1 ? -n : r < 0.2 ? n + 1 : Math.round(rng.uniform(-n / 4, n / 4));
      });
      layers.push({ kind: "sign", inputs: n, outputs: m, weights: rowsText, thresholds });
    } else {
      const limit = Math.floor(SCORE_LIMIT / (2 * n)) - 1;
      const scale = Array.from({ length: m }, (_, j) => (j === 0 ? limit : j === 1 ? -limit : Math.round(rng.uniform(-1000, 1000))));
      const offset = Array.from({ length: m }, () => Math.round(rng.uniform(-1e6, 1e6)));
      layers.push({ kind: "score", inputs: n, outputs: m, weights: rowsText, scale, offset, shift: 10 });
    }
  }
  const input = { width: 28, height: 28, threshold: 100 };
  return validateModel({ format: "bnn-mlp", version: 1, name: "random", id: modelId(input, layers), input, layers });
}

function randomInputs(seed: number, count: number): Buffer {
  const rng = new SeededRng(seed);
  const words = new Uint32Array(count * 25);
  for (let r = 0; r < count; r++) {
    const density = r === 0 ? 0 : r === 1 ? 1 : rng.next();
    for (let i = 0; i < 784; i++) if (rng.next() < density) words[r * 25 + (i >>> 5)] |= 1 << (i & 31);
  }
  return Buffer.from(words.buffer);
}

describe("random models with edge cases", () => {
  it.each([
    [1, [37, 33]],
    [2, [100]],
    [3, [64, 31, 65]],
  ])("seed %i, hidden %j: C equals the reference on host and Cortex-M0, rows and columns", async (seed, hidden) => {
    const model = randomModel(seed, hidden);
    const dir = await cFromModel(model, mkdtempSync(join(tmpdir(), "bnn-random-")));
    const rows = ["-DBNN_HIDDEN_METHOD=1"];
    const backends = [HOST_GCC, variant(HOST_GCC, "host-rows", "", rows), CORTEX_M0, variant(CORTEX_M0, "m0-rows", "", rows)];
    const results = await verifyBackends(model, dir, randomInputs(seed, 300), backends);
    for (const r of results) expect({ name: r.name, status: r.status, agree: r.agree, message: r.message }).toEqual({ name: r.name, status: "ok", agree: 300, message: undefined });
  });

  it("sizes the bit-sliced counters so they never overflow", () => {
    const model = randomModel(4, [40]);
    const form = columnsForm({ ...model.hidden[0], thresholds: Int16Array.from(model.hidden[0].thresholds) });
    expect(form.planes).toBeGreaterThanOrEqual(11); // 784 inputs need 2^B > ~1.5 * 784
    expect(form.outWords).toBe(2);
    expect(form.lastMask).toBe(0xff);
  });
});
