/** The `bnn` CLI as a user meets it: reproducible training, refusals, and one-line errors. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { scratchDir } from "./helpers.ts";
import { bnn, expectOneLineError } from "./run-bnn.ts";

const work = scratchDir("cli");
const tinyA = join(work, "a");
const tinyB = join(work, "b");

beforeAll(async () => {
  for (const dir of [tinyA, tinyB]) {
    const r = await bnn(["train", "--preset", "tiny", "--out", dir]);
    expect(r.code, r.stderr).toBe(0);
  }
}, 120_000);

describe("bnn train", () => {
  it("is reproducible: same seed and options give a byte-identical model file", () => {
    expect(readFileSync(join(tinyA, "model.json"))).toEqual(readFileSync(join(tinyB, "model.json")));
  });

  it("writes metrics and pictures next to the model", () => {
    const m = JSON.parse(readFileSync(join(tinyA, "metrics.json"), "utf8"));
    expect(m.seed).toBe(1);
    expect(m.testTotal).toBe(10000);
    expect(m.history).toHaveLength(3);
    for (const f of ["curves.svg", "confusion.svg", "per-class.svg"]) expect(readFileSync(join(tinyA, f), "utf8")).toMatch(/^<svg/);
  });

  it("never overwrites an existing model without --force", async () => {
    const before = readFileSync(join(tinyA, "model.json"));
    expectOneLineError(await bnn(["train", "--preset", "tiny", "--out", tinyA, "--seed", "9"]), 4, /exists; pass --force/);
    expect(readFileSync(join(tinyA, "model.json"))).toEqual(before);
  });

  it("rejects unknown presets and nonsense options", async () => {
    expectOneLineError(await bnn(["train", "--preset", "huge"]), 2, /--preset must be one of tiny, default, large/);
    expectOneLineError(await bnn(["train", "--epochs", "0"]), 2, /--epochs must be at least 1/);
    expectOneLineError(await bnn(["train", "--epochs", "two"]), 2, /--epochs needs a decimal number/);
    expectOneLineError(await bnn(["train", "--hidden", "128,x"]), 2, /--hidden must list layer sizes/);
    expectOneLineError(await bnn(["train", "--lr", "0.001", "--lr-end", "0.1"]), 2, /--lr-end/);
    expectOneLineError(await bnn(["train", "--frobnicate"]), 2, /Unknown option '--frobnicate'/);
    expectOneLineError(await bnn(["fly"]), 2, /unknown command 'fly'/);
  });

  it("names a missing dataset", async () => {
    const r = await bnn(["eval", "--model", tinyA], { BNN_MNIST_DIR: join(work, "nowhere") });
    expectOneLineError(r, 3, /MNIST file missing: .*nowhere/);
  });
});

describe("bnn eval", () => {
  it("prints accuracy and the confusion matrix, and JSON with a top-level accuracy", async () => {
    const text = await bnn(["eval", "--model", tinyA]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/test accuracy: \d+\.\d\d %/);
    expect(text.stdout).toMatch(/confusion matrix/);
    const json = JSON.parse((await bnn(["eval", "--model", tinyA, "--json"])).stdout);
    const metrics = JSON.parse(readFileSync(join(tinyA, "metrics.json"), "utf8"));
    expect(json.accuracy).toBe(metrics.testAccuracy);
    expect(json.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(10000);
  });

  it("says on stderr what it is doing, then its progress with rate and ETA, and keeps stdout for the result", async () => {
    const r = await bnn(["eval", "--model", tinyA, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.trim().split("\n");
    // the first line comes before the evaluation, the progress lines while it runs (a plain line each 10 %)
    expect(lines[0]).toMatch(/^eval: model \S+ \(id [0-9a-f]{16}\) on the 10000 MNIST test images \.\.\.$/);
    const progress = lines.slice(1).filter((l) => /^eval +\d+% +\d+\/10000 +[\d.]+k? img\/s +eta \d+:\d\d/.test(l));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[progress.length - 1]).toMatch(/ 100% +10000\/10000 /);
    expect(JSON.parse(r.stdout).total).toBe(10000);
  });

  it("dumps every test image's integer scores, and refuses to overwrite the dump", async () => {
    const dump = join(work, "scores.jsonl");
    expect((await bnn(["eval", "--model", tinyA, "--dump", dump])).code).toBe(0);
    const lines = readFileSync(dump, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(10000);
    expect(lines[0].scores).toHaveLength(10);
    expect(lines.every((l: { scores: number[] }) => l.scores.every(Number.isInteger))).toBe(true);
    expectOneLineError(await bnn(["eval", "--model", tinyA, "--dump", dump]), 4, /exists; pass --force/);
  });

  it("rejects an unknown model name", async () => {
    expectOneLineError(await bnn(["eval", "--model", "nosuch"]), 3, /no shipped model named 'nosuch'/);
  });
});

/** A parsed model file as the edits below break it. */
// biome-ignore lint/suspicious/noExplicitAny: the edits write fields and values that a model file's type forbids, on purpose
type BrokenModel = any;

describe("hand-edited or damaged model files", () => {
  const original = () => JSON.parse(readFileSync(join(tinyA, "model.json"), "utf8"));
  const cases: [string, (m: BrokenModel) => unknown, RegExp][] = [
    ["an unknown format version", (m) => ((m.version = 3), m), /unknown model format version 3/],
    ["a layer whose size does not chain", (m) => ((m.layers[1].inputs = 65), m), /inputs 65, but the previous layer gives 64/],
    ["a weight row of the wrong length", (m) => ((m.layers[0].weights[3] = m.layers[0].weights[3].slice(8)), m), /row 3 must be 200 lowercase hex digits/],
    ["a padding bit set (a weight that is not ±1)", (m) => ((m.layers[0].weights[0] = m.layers[0].weights[0].slice(0, 192) + "ffffffff"), m), /not ±1/],
    ["a non-integer threshold", (m) => ((m.layers[0].thresholds[5] = 1.5), m), /thresholds\[5\] must be an integer, got 1.5/],
    ["a NaN threshold", (m) => ((m.layers[1].thresholds[0] = "NaN"), m), /must be an integer, got "NaN"/],
    ["a changed threshold (id no longer matches)", (m) => ((m.layers[0].thresholds[0] += 2), m), /does not match the contents/],
    ["missing scales", (m) => (delete m.layers[2].scale, m), /scale must list 10 integers/],
  ];
  it.each(cases)("rejects %s", async (_what, edit, pattern) => {
    const path = join(work, `edited-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(edit(original())));
    expectOneLineError(await bnn(["eval", "--model", path]), 3, pattern);
  });

  it("rejects a truncated file", async () => {
    const path = join(work, "truncated.json");
    const text = readFileSync(join(tinyA, "model.json"), "utf8");
    writeFileSync(path, text.slice(0, text.length / 2));
    expectOneLineError(await bnn(["eval", "--model", path]), 3, /not valid JSON/);
  });
});

describe("bnn export and codegen", () => {
  it("writes tables that codegen turns into C, from outside the project, and refuses to overwrite a file it did not write", async () => {
    const out = join(work, "tables.ts");
    expect((await bnn(["export", "--model", tinyA, "--out", out])).code).toBe(0);
    const c = join(work, "c");
    const r = await bnn(["codegen", "--tables", out, "--out", c]);
    expect(r.stderr).toBe("");
    expect(readFileSync(join(c, "bnn_model.c"), "utf8")).toMatch(/^\/\* Generated by `bnn codegen` \(lib\/codegen\/generate\.ts\) from /);
    writeFileSync(out, readFileSync(out, "utf8").replace(/L1_THRESHOLDS = hex`\n {2}../, "L1_THRESHOLDS = hex`\n  0"));
    expectOneLineError(await bnn(["codegen", "--tables", out, "--out", c]), 3, /tables.ts:\d+: L1_THRESHOLDS holds something that is not hex byte pairs/);
    const mine = join(work, "mine.ts");
    writeFileSync(mine, "export const X = 1\n");
    expectOneLineError(await bnn(["export", "--model", tinyA, "--out", mine]), 4, /mine.ts exists; pass --force/);
    expect(readFileSync(mine, "utf8")).toBe("export const X = 1\n");
    expect(existsSync(out)).toBe(true);
  });
});

describe("help", () => {
  it("every subcommand has --help", async () => {
    for (const c of ["train", "eval", "export", "bench"]) {
      const r = await bnn([c, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`usage: bnn ${c}`));
    }
    expect((await bnn(["--help"])).stdout).toMatch(/commands:/);
  });
});

describe("commands measure the model they are given, by path", () => {
  it("verify: a model of one's own agrees on every backend that applies; the committed wasm and the program's bytecode do not apply", async () => {
    const r = await bnn(["verify", "--model", tinyA, "--images", "50", "--json"]);
    // stderr: at most the progress lines of a run that takes over 5 s
    expect(r.stderr.split("\n").filter((l) => l && !/^verify tiny: \d+\/\d+ backends done/.test(l))).toEqual([]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { model: string; backends: { name: string; status: string; agree: number }[] };
    expect(out.model).toBe("tiny");
    const shippedOnly = ["wasm32-committed", "devicescript-vm"];
    for (const name of shippedOnly) expect(out.backends.find((b) => b.name === name)?.status).toBe("not applicable");
    for (const b of out.backends.filter((b) => !shippedOnly.includes(b.name))) expect([b.name, b.status, b.agree]).toEqual([b.name, "ok", 50]);
  });

  it("bench wasm and report: the given model's figures, not a shipped model's of the same name", async () => {
    const w = await bnn(["bench", "wasm", "--model", tinyA, "--json"]);
    expect(w.code, w.stderr).toBe(0);
    expect(JSON.parse(w.stdout)).toMatchObject({ model: "tiny", digitsIdentical: true });
    const r = await bnn(["report", "--model", tinyA, "--images", "3", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { model: string; layers: { inputs: number; outputs: number }[] };
    expect(report.layers.map((l) => [l.inputs, l.outputs])).toEqual([
      [784, 64],
      [64, 32],
      [32, 10],
    ]); // tiny, not default's 784-128-64-10
    expect(r.stderr).toMatch(/report: Cortex-M0 instructions under QEMU: 3 images and the worst one/); // progress on stderr
  });

  it("leave nothing in the temporary folder", async () => {
    const tmp = join(work, "tmp");
    mkdirSync(tmp);
    for (const args of [
      ["verify", "--model", tinyA, "--images", "5", "--backends", "host-gcc,cortex-m0"],
      ["bench", "wasm", "--model", tinyA],
    ]) {
      expect((await bnn(args, { TMPDIR: tmp })).code).toBe(0);
      expect(readdirSync(tmp).filter((f) => !f.startsWith("tsx-"))).toEqual([]); // tsx keeps its compile cache there
    }
  });
});

describe("version", () => {
  it("bnn --version prints the package version", async () => {
    const r = await bnn(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`bnn ${JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version}`);
  });
});
