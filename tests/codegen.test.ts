/**
 * The C generator: committed C is what the tables generate, generation is deterministic, the
 * formatting helpers are right, and the generated C agrees with the TypeScript reference on
 * random models full of edge cases (sizes that are not multiples of 32, neurons that are always
 * or never on, extreme scales), on the host and on the emulated Cortex-M0, both layer methods.
 */
import { describe, expect, it } from "vitest";
import { cArray, hexWord, int32 } from "../lib/codegen/generate.ts";
import { columnsForm } from "../lib/model/columns.ts";
import { cFromModel } from "../lib/codegen/pipeline.ts";
import { CORTEX_M0, HOST_GCC, variant } from "../lib/targets/targets.ts";
import { verifyBackends } from "../lib/measure/verify.ts";
import { generateC } from "../lib/codegen/codegen.ts";
import { shippedModels, tablesPath } from "../lib/paths.ts";
import { randomInputs, randomModel, scratchDir } from "./helpers.ts";

// (that the committed C is what the tables generate is tests/regen.test.ts's check)
describe.each(shippedModels())("generated C of '%s'", (name) => {
  it("is generated deterministically", async () => {
    const a = await generateC(tablesPath(name));
    const b = await generateC(tablesPath(name));
    expect(a).toEqual(b);
    expect(a.files["bnn_model.c"]).not.toMatch(/\d{4}-\d\d-\d\d|\/work\/|\/tmp\//);
  });
});

describe("formatting helpers", () => {
  it("write C arrays, hex words and every int32", () => {
    expect(cArray("uint32_t", "w", [1, 0xffffffff, 3], hexWord, 2)).toBe(
      "static const uint32_t w[3] = {\n    0x00000001u, 0xffffffffu,\n    0x00000003u,\n};\n",
    );
    expect(int32(-2147483648)).toBe("(-2147483647 - 1)");
    expect(int32(-5)).toBe("-5");
  });
});

describe("random models with edge cases", () => {
  it.each([
    [1, [37, 33]],
    [2, [100]],
    [3, [64, 31, 65]],
  ])("seed %i, hidden %j: C equals the reference on host and Cortex-M0, rows and columns", async (seed, hidden) => {
    const model = randomModel(seed, hidden);
    const dir = await cFromModel(model, scratchDir("random"));
    const rows = ["-DBNN_HIDDEN_METHOD=1"];
    const backends = [HOST_GCC, variant(HOST_GCC, "host-rows", "", rows), CORTEX_M0, variant(CORTEX_M0, "m0-rows", "", rows)];
    const results = await verifyBackends(model, dir, randomInputs(seed, 300), backends);
    for (const r of results)
      expect({ name: r.name, status: r.status, agree: r.agree, message: r.message }).toEqual({ name: r.name, status: "ok", agree: 300, message: undefined });
  });

  it("sizes the bit-sliced counters so they never overflow", () => {
    const model = randomModel(4, [40]);
    const form = columnsForm({ ...model.hidden[0], thresholds: Int16Array.from(model.hidden[0].thresholds) });
    expect(form.planes).toBeGreaterThanOrEqual(11); // 784 inputs need 2^B > ~1.5 * 784
    expect(form.outWords).toBe(2);
    expect(form.lastMask).toBe(0xff);
  });
});
