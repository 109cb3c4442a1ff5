/**
 * The limits of the generated C (lib/model/limits.ts), at their boundaries: exactly at a
 * limit the generator writes C that is clean under ASan/UBSan and equals the reference; one over,
 * the generator and the trainer refuse with one line. The C entry point checks its own
 * preconditions (tests/service.test.ts fuzzes them), and a build whose BNN_MAX_OUT_WORDS is too
 * small for its model does not compile.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { C_DIR } from "../lib/paths.ts";
import { cFromModel } from "../lib/codegen/pipeline.ts";
import { HOST_GCC, STRICT, variant } from "../lib/targets/targets.ts";
import { run } from "../lib/run.ts";
import { verifyBackends } from "../lib/measure/verify.ts";
import { UserError } from "../lib/errors.ts";
import { serializeModel } from "../lib/model/format.ts";
import { C_LIMITS, cLimitProblems } from "../lib/model/limits.ts";
import { randomInputs, randomModel, scratchDir } from "./helpers.ts";
import { bnn, expectOneLineError } from "./run-bnn.ts";

const work = scratchDir("limits");
const ROWS = variant(HOST_GCC, "host-gcc-rows", "rows", ["-DBNN_HIDDEN_METHOD=1"]);

async function refused(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UserError);
  return (e as UserError).message;
}

describe("hidden layer width", () => {
  it(`exactly ${C_LIMITS.hiddenWidth} neurons: C clean under ASan/UBSan, equal to the reference, both layer methods`, async () => {
    const model = randomModel(21, [C_LIMITS.hiddenWidth, 33]);
    const dir = await cFromModel(model, scratchDir("w1024"));
    const results = await verifyBackends(model, dir, randomInputs(21, 60), [HOST_GCC, ROWS]);
    for (const r of results)
      expect({ name: r.name, status: r.status, agree: r.agree, message: r.message }).toEqual({ name: r.name, status: "ok", agree: 60, message: undefined });
  });

  it(`${C_LIMITS.hiddenWidth + 1} neurons: the generator refuses, in one line from the CLI`, async () => {
    const model = randomModel(22, [C_LIMITS.hiddenWidth + 1]);
    expect(await refused(cFromModel(model, scratchDir("w1025")))).toMatch(/hidden layer 1 has 1025 neurons; the C holds at most 1024 per hidden layer/);
    const path = join(work, "wide.json");
    writeFileSync(path, serializeModel(model.file));
    expectOneLineError(
      await bnn(["verify", "--model", path, "--backends", "host-gcc", "--images", "5"]),
      3,
      /does not fit the generated C: hidden layer 1 has 1025 neurons/,
    );
  });

  it(`the trainer refuses --hidden ${C_LIMITS.hiddenWidth + 1} before training and accepts ${C_LIMITS.hiddenWidth}`, async () => {
    expectOneLineError(
      await bnn(["train", "--preset", "tiny", "--hidden", `64,${C_LIMITS.hiddenWidth + 1}`, "--out", join(work, "t1025")]),
      2,
      /--hidden must list layer sizes between 1 and 1024/,
    );
    const r = await bnn([
      "train",
      "--preset",
      "tiny",
      "--hidden",
      String(C_LIMITS.hiddenWidth),
      "--epochs",
      "1",
      "--limit",
      "300",
      "--validation",
      "100",
      "--out",
      join(work, "t1024"),
    ]);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("bnn:"))).toEqual([]);
    expect(r.code).toBe(0);
  });

  it("a build whose BNN_MAX_OUT_WORDS is below the model's widest layer does not compile", async () => {
    const model = randomModel(23, [100]); // 4 words
    const dir = await cFromModel(model, scratchDir("maxwords"));
    const compile = (words: number) =>
      run("gcc", [...STRICT, `-DBNN_MAX_OUT_WORDS=${words}`, `-I${C_DIR}`, `-I${dir}`, "-c", join(dir, "bnn_model.c"), "-o", join(dir, "m.o")], {
        allowFail: true,
      });
    expect((await compile(4)).code).toBe(0);
    const small = await compile(3);
    expect(small.code).not.toBe(0);
    expect(small.stderr).toMatch(/bnn_max_out_words_fits/);
  });
});

describe("input bits and classes (the classifier service's packets)", () => {
  it(`exactly ${C_LIMITS.inputBits} input bits (57 words, a 236-byte command): generated, equal to the reference`, async () => {
    const model = randomModel(24, { width: 48, height: 38, hidden: [40] });
    expect(model.input.width * model.input.height).toBe(C_LIMITS.inputBits);
    const dir = await cFromModel(model, scratchDir("in1824"));
    const [r] = await verifyBackends(model, dir, randomInputs(24, 40, C_LIMITS.inputBits), [HOST_GCC]);
    expect([r.status, r.agree]).toEqual(["ok", 40]);
  });

  it("one more input bit, or one more class than a report holds, is refused", async () => {
    expect(await refused(cFromModel(randomModel(25, { width: 1825, height: 1, hidden: [8] }), scratchDir("in1825")))).toMatch(
      /the input has 1825 bits; the classifier service carries at most 1824/,
    );
    expect(cLimitProblems(784, [{ inputs: 784, outputs: 64 }], { inputs: 64, outputs: C_LIMITS.outputs })).toEqual([]);
    expect(await refused(cFromModel(randomModel(26, { hidden: [16], outputs: C_LIMITS.outputs + 1 }), scratchDir("out57")))).toMatch(
      /the output layer has 57 classes; the classifier service reports at most 56/,
    );
  });
});
