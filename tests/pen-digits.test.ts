/**
 * Real pen digits (issue: real handwriting from people the models have never seen): the UNIPEN
 * reader on good and bad files and on the vendored UCI pen digits, `bnn import`, the stroke
 * file's `writer` key, `bnn classify`'s per-writer figures and confusion picture, the writer
 * splits, the pen digits' reshaping and their mixing into training (reproducible with a seed),
 * writer cross-validation.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ROOT } from "../lib/paths.ts";
import { SeededRng } from "../lib/rng.ts";
import { parseStrokeText, sampleLine } from "../lib/strokes/format.ts";
import { parseUnipen, readUnipenFile } from "../lib/strokes/unipen.ts";
import { PEN_DIGITS_PATH, PEN_STROKES, penDigits, reshapePen, writerFolds, writerSplit, writersOf } from "../lib/train/pen-digits.ts";
import { strokeNoDigit } from "../src/shared/no-digit.ts";
import { scratchDir } from "./helpers.ts";
import { bnn, expectOneLineError } from "./run-bnn.ts";

const opts = { panel: { width: 240, height: 240 }, box: { width: 500, height: 500 }, idPrefix: "t" };

/** A small UNIPEN file: two segments, a writer each way the reader knows. */
const GOOD = [
  ".INCLUDE dene.doc",
  '.LEXICON "0" "1"',
  ".WRITER_ID alice",
  '.SEGMENT DIGIT 0 ? "1"',
  ".PEN_DOWN",
  " 250 500",
  " 250 500",
  " 251 250",
  " 250 0",
  ".PEN_UP",
  ".DT 100",
  '.SEGMENT DIGIT 1 ? "7"',
  ".COMMENT 7 12 3",
  ".PEN_DOWN",
  " 0 500",
  " 500 500",
  ".PEN_UP",
  " 400 300",
  ".PEN_DOWN",
  " 100 250",
  ".PEN_UP",
  ".PEN_DOWN",
  " 500 500",
  " 250 0",
  ".PEN_UP",
  "",
].join("\n");

describe("UNIPEN reader", () => {
  it("reads labels, strokes, writers; maps the tablet box onto the panel, y flipped", () => {
    const s = parseUnipen(GOOD, "g.tra", opts);
    // 240/500 = 0.48: (250, 500) -> (120, 0), (251, 250) -> (120, 120) after rounding, (250, 0) -> (120, 239 clamped from 240)
    expect(s[0]).toEqual({ width: 240, height: 240, strokes: [[120, 0, 120, 120, 120, 239]], label: 1, id: "t-0", writer: "alice", line: 4 });
    // .COMMENT <digit> <writer> <sample> names the writer (the UCI pen digits' way); a one-point stroke is dropped; pen-up points are not ink
    expect(s[1]).toMatchObject({
      strokes: [
        [0, 0, 239, 0],
        [239, 0, 120, 239],
      ],
      label: 7,
      writer: "12",
      line: 12,
    });
  });

  it("takes the box the file declares (.X_DIM, .Y_DIM): one scale, centred", () => {
    const s = parseUnipen(`.X_DIM 1000\n.Y_DIM 500\n.SEGMENT DIGIT 0 ? "0"\n.PEN_DOWN\n0 0\n1000 500\n.PEN_UP\n`, "d.tra", opts);
    // scale 0.24 (the longer side onto the panel), the 120-unit-high box centred at y 60..180
    expect(s[0].strokes).toEqual([[0, 180, 239, 60]]);
  });

  // biome-ignore format: a table, one bad UNIPEN file per row
  const bad: [string, string, RegExp][] = [
    ["a missing .PEN_UP", '.SEGMENT DIGIT 0 ? "3"\n.PEN_DOWN\n1 2\n.PEN_DOWN\n3 4\n.PEN_UP\n', /^f\.tra:2: \.PEN_DOWN without a \.PEN_UP before the next \.PEN_DOWN$/],
    ["a .PEN_UP missing before the next segment", '.SEGMENT DIGIT 0 ? "3"\n.PEN_DOWN\n1 2\n3 4\n.SEGMENT DIGIT 1 ? "4"\n', /^f\.tra:2: \.PEN_DOWN without a \.PEN_UP before the next \.SEGMENT$/],
    ["a point outside the box", '.SEGMENT DIGIT 0 ? "3"\n.PEN_DOWN\n1 2\n501 4\n.PEN_UP\n', /^f\.tra:4: point \(501, 4\) is outside the 500x500 tablet box \(--box\)$/],
    ["a point outside the declared box", '.X_DIM 100\n.Y_DIM 100\n.SEGMENT DIGIT 0 ? "3"\n.PEN_DOWN\n1 2\n50 -1\n.PEN_UP\n', /^f\.tra:6: point \(50, -1\) is outside the 100x100 tablet box the file declares/],
    ["a segment with no label", ".SEGMENT DIGIT 0 ?\n.PEN_DOWN\n1 2\n3 4\n.PEN_UP\n", /^f\.tra:1: \.SEGMENT without a label/],
    ["a label that is not a digit", '.SEGMENT DIGIT 0 ? "a"\n', /^f\.tra:1: \.SEGMENT label "a" is not a digit 0\.\.9$/],
    ["non-numeric coordinates", '.SEGMENT DIGIT 0 ? "3"\n.PEN_DOWN\n1 2\n3 x\n.PEN_UP\n', /^f\.tra:4: a point is "x y" \(numbers\); found '3 x'$/],
    ["a truncated file", '.SEGMENT DIGIT 0 ? "3"\n.PEN_DOWN\n1 2\n3 4', /^f\.tra:2: \.PEN_DOWN without a \.PEN_UP: the file ends inside a stroke \(truncated\?\)$/],
    ["a file cut after a segment", '.SEGMENT DIGIT 0 ? "3"\n.PEN_DOWN\n1 2\n3 4\n.PEN_UP\n.SEGMENT DIGIT 1 ? "4"\n', /^f\.tra:6: \.SEGMENT with no stroke/],
    ["a stroke before any segment", ".PEN_DOWN\n1 2\n.PEN_UP\n", /^f\.tra:1: \.PEN_DOWN before any \.SEGMENT/],
    ["a segment whose strokes are single points", '.SEGMENT DIGIT 0 ? "3"\n.PEN_DOWN\n1 2\n1 2\n.PEN_UP\n', /^f\.tra:1: the segment's strokes are all single points/],
    ["no segment", ".INCLUDE x\n", /^f\.tra:1: no \.SEGMENT/],
  ];
  it.each(bad)("refuses %s in one line naming file:line", (_name, text, message) => {
    expect(() => parseUnipen(text, "f.tra", opts)).toThrow(message);
  });

  it("reads the vendored UCI pen digits: 7,494 digits of 30 writers, as the data's README counts them", () => {
    const raw = gunzipSync(readFileSync(join(ROOT, PEN_DIGITS_PATH)));
    expect(createHash("md5").update(raw).digest("hex")).toBe("28e269fb7eaf8cb51af3f561743a0de5");
    const all = penDigits();
    expect(all.length).toBe(7494);
    expect(Array.from({ length: 10 }, (_, d) => all.filter((s) => s.label === d).length)).toEqual([780, 779, 780, 719, 780, 720, 720, 778, 719, 719]);
    expect(writersOf(all)).toEqual(Array.from({ length: 30 }, (_, i) => String(i + 1)));
    expect(all.every((s) => s.strokes.length > 0 && s.strokes.every((st) => st.length >= 4))).toBe(true);
    // the first digit, as the data's own stroke file (pendigits-train.jsonl) has it
    expect(all[0]).toMatchObject({ label: 8, writer: "12" });
    expect(all[0].strokes[0].slice(0, 8)).toEqual([128, 80, 128, 79, 128, 77, 128, 76]);
  });
});

describe("no digit on real digits", () => {
  it("refuses none of the 7,494 pen digits, written at their writers' size and place", () => {
    const refused = penDigits().filter((s) => strokeNoDigit(s.strokes, s.width, s.height) !== "");
    expect(refused.map((s) => `${s.id} ${strokeNoDigit(s.strokes, s.width, s.height)}`)).toEqual([]);
  });
});

describe("bnn import", () => {
  const work = scratchDir("import");
  it("writes a stroke file with writers from a gzip UNIPEN file; refuses to overwrite it", async () => {
    const src = join(work, "g.tra.gz");
    writeFileSync(src, gzipSync(GOOD));
    const out = join(work, "g.jsonl");
    const r = await bnn(["import", "--unipen", src, "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ samples: 2, writers: 2, perLabel: [0, 1, 0, 0, 0, 0, 0, 1, 0, 0] });
    const samples = parseStrokeText(readFileSync(out, "utf8"), "g.jsonl", "jsonl");
    expect(samples.map((s) => [s.label, s.writer, s.id])).toEqual([
      [1, "alice", "g-0"],
      [7, "12", "g-1"],
    ]);
    expectOneLineError(await bnn(["import", "--unipen", src, "--out", out]), 4, /exists; pass --force/);
    expect((await bnn(["import", "--unipen", src, "--out", out, "--force"])).code).toBe(0);
  });

  it.each(bad())("refuses a file with %s: one line naming file and line, exit 3", async (_name, text, message) => {
    const src = join(work, "bad.tra");
    writeFileSync(src, text);
    expectOneLineError(await bnn(["import", "--unipen", src, "--out", join(work, "bad.jsonl"), "--force"]), 3, message);
  });

  function bad(): [string, string, RegExp][] {
    return [
      ["a missing .PEN_UP", '.SEGMENT DIGIT 0 ? "3"\n.PEN_DOWN\n1 2\n', /bad\.tra:2: \.PEN_DOWN without a \.PEN_UP/],
      ["a point outside the box", '.SEGMENT DIGIT 0 ? "3"\n.PEN_DOWN\n1 2\n1 900\n.PEN_UP\n', /bad\.tra:4: point \(1, 900\) is outside/],
      ["a segment with no label", ".SEGMENT DIGIT 0\n", /bad\.tra:1: \.SEGMENT without a label/],
      ["non-numeric coordinates", '.SEGMENT DIGIT 0 ? "3"\n.PEN_DOWN\nx y\n.PEN_UP\n', /bad\.tra:3: a point is "x y"/],
    ];
  }
});

describe("the writer key of stroke files", () => {
  const one = {
    width: 240,
    height: 240,
    strokes: [
      [
        [120, 30],
        [121, 210],
      ],
    ],
    label: 1,
  };
  it("is an optional string, written back by sampleLine", () => {
    const [s] = parseStrokeText(JSON.stringify({ ...one, writer: "w 7" }), "w.json", "json");
    expect(s.writer).toBe("w 7");
    expect(JSON.parse(sampleLine(s))).toMatchObject({ writer: "w 7" });
    expect(parseStrokeText(JSON.stringify(one), "w.json", "json")[0].writer).toBeUndefined();
  });
  it.each([
    ["a number", 7, /^f:1: writer 7 is not a string of 1\.\.100 characters$/],
    ["null", null, /^f:1: writer null is not a string/],
    ["empty", "", /^f:1: writer "" is not a string/],
  ])("refuses a writer that is %s", (_n, writer, message) => {
    expect(() => parseStrokeText(JSON.stringify({ ...one, writer }), "f", "json")).toThrow(message);
  });
  it("classify refuses it in one line, exit 3", async () => {
    const f = join(scratchDir("writer"), "w.jsonl");
    writeFileSync(f, JSON.stringify(one) + "\n" + JSON.stringify({ ...one, writer: 12 }) + "\n");
    expectOneLineError(await bnn(["classify", "--strokes", f]), 3, /w\.jsonl:2: writer 12 is not a string/);
  });
});

describe("bnn classify by writer", () => {
  const work = scratchDir("by-writer");
  // three writers' digits from the vendored set: some read right, some wrong
  const picked = penDigits()
    .filter((s) => ["3", "14", "27"].includes(s.writer!))
    .filter((_, i) => i % 9 === 0);
  const file = join(work, "pen.jsonl");
  writeFileSync(file, picked.map((s) => sampleLine(s)).join("\n") + "\n");

  it("gives accuracy per writer and the worst writer, equal to the per-sample lines", async () => {
    const r = await bnn(["classify", "--strokes", file, "--json", "--model", "default"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const summary = lines.pop().summary;
    const want = ["3", "14", "27"].map((writer) => {
      const mine = lines.filter((l) => picked[l.index].writer === writer);
      const correct = mine.filter((l) => l.correct).length;
      return { writer, samples: mine.length, correct, accuracy: correct / mine.length };
    });
    expect(summary.perWriter).toEqual(want);
    const worst = want.reduce((a, b) => (b.accuracy < a.accuracy ? b : a));
    expect(summary.worstWriter).toEqual({ writer: worst.writer, accuracy: worst.accuracy });
    expect(summary.correct).toBe(want.reduce((a, w) => a + w.correct, 0));
  });

  it("prints the per-writer table on stderr and draws the confusion matrix with --svg (no overwrite)", async () => {
    const svg = join(work, "c.svg");
    const r = await bnn(["classify", "--strokes", file, "--svg", svg]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/per writer \(3; worst: \d+, [\d.]+ %\)/);
    expect(r.stderr).toMatch(/^\s+14\s+\d+\s+\d+\s+[\d.]+ %$/m);
    const picture = readFileSync(svg, "utf8");
    expect(picture).toMatch(/^<svg/);
    expect(picture).toContain(">none<");
    expectOneLineError(await bnn(["classify", "--strokes", file, "--svg", svg]), 4, /exists; pass --force/);
  });
});

describe("pen digits in training", () => {
  it("splits whole writers, seeded: validation and training apart, folds a partition", () => {
    const writers = writersOf(penDigits());
    const a = writerSplit(writers, 6, 1);
    expect(a).toEqual(writerSplit(writers, 6, 1));
    expect(a.validation.length).toBe(6);
    expect([...a.validation, ...a.train].sort()).toEqual([...writers].sort());
    expect(writerSplit(writers, 6, 2).validation).not.toEqual(a.validation);
    const folds = writerFolds(writers, 5, 1);
    expect(folds.map((f) => f.length)).toEqual([6, 6, 6, 6, 6]);
    expect(folds.flat().sort()).toEqual([...writers].sort());
  });

  it("reshapes a pen digit the same way for the same seed, on the panel", () => {
    const d = penDigits()[5].strokes;
    const a = reshapePen(d, PEN_STROKES, new SeededRng(9));
    expect(reshapePen(d, PEN_STROKES, new SeededRng(9))).toEqual(a);
    const many = Array.from({ length: 200 }, (_, k) => reshapePen(d, PEN_STROKES, new SeededRng(k)));
    expect(many.every((s) => s.every((st) => st.every((v) => Number.isInteger(v) && v >= 0 && v < 240)))).toBe(true);
    // pen lifts both ways: some digits come out with more strokes, some with fewer
    const counts = new Set(many.map((s) => s.length));
    expect(counts.size).toBeGreaterThan(1);
  });

  it("mixes pen digits into training reproducibly: the same seed, the same model; held-out writers recorded and measured", async () => {
    const work = scratchDir("pen-train");
    const run = async (dir: string, extra: string[]) => {
      const r = await bnn(["train", "--preset", "tiny", "--pen", "0.3", "--out", join(work, dir), "--json", ...extra]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(readFileSync(join(work, dir, "metrics.json"), "utf8"));
    };
    const [a, b, c, none] = await Promise.all([run("a", []), run("b", []), run("c", ["--seed", "2"]), run("none", ["--pen", "0"])]);
    expect(b.id).toBe(a.id);
    expect(c.id).not.toBe(a.id);
    expect(none.id).not.toBe(a.id);
    expect(none.penValidation).toBeUndefined();
    const pv = a.penValidation;
    expect(pv.writers.length).toBe(6);
    expect(pv.trainWriters.length).toBe(24);
    expect(pv.writers.some((w: string) => pv.trainWriters.includes(w))).toBe(false);
    expect(pv.samples).toBe(penDigits().filter((s) => pv.writers.includes(s.writer)).length);
    expect(a.history.every((h: { validationPenAccuracy?: number }) => typeof h.validationPenAccuracy === "number")).toBe(true);
    expect(readFileSync(join(work, "a", "curves.svg"), "utf8")).toContain("held-out pen writers");
  });

  it("bnn crossval: each fold's writers unseen, the figures add up", async () => {
    const r = await bnn(["crossval", "--preset", "tiny", "--pen", "0.3", "--folds", "3", "--epochs", "1", "--limit", "2000", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const cv = JSON.parse(r.stdout);
    expect(cv.folds.length).toBe(3);
    expect(cv.folds.flatMap((f: { writers: string[] }) => f.writers).sort()).toEqual(writersOf(penDigits()).sort());
    expect(cv.pooled.samples).toBe(7494);
    expect(cv.pooled.correct).toBe(cv.folds.reduce((a: number, f: { correct: number }) => a + f.correct, 0));
    const accs = cv.folds.map((f: { accuracy: number }) => f.accuracy);
    expect(cv.mean).toBeCloseTo(accs.reduce((a: number, b: number) => a + b, 0) / 3, 12);
    expect(cv.min).toBe(Math.min(...accs));
    expect(cv.pooled.perWriter.length).toBe(30);
  });
});

describe("the vendored data", () => {
  it("names its source and licence", () => {
    const readme = readFileSync(join(ROOT, "data/pendigits/README.md"), "utf8");
    expect(readme).toMatch(/Alpaydin/);
    expect(readme).toMatch(/CC BY 4\.0/);
    expect(readFileSync(join(ROOT, "NOTICE.md"), "utf8")).toMatch(/Pen-Based Recognition of\s+Handwritten Digits[\s\S]*CC BY 4\.0/);
    expect(readUnipenFile(join(ROOT, PEN_DIGITS_PATH), opts).length).toBe(7494);
  });
});
