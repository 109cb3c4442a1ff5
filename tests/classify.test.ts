/**
 * Stroke files (lib/strokes/format.ts, docs/strokes.md) and `bnn classify --strokes`: strokes
 * give the digit and scores the firmware's C service gives for them (the committed wasm build,
 * through its classify_strokes command: the C twin of the rasterizer and the inference),
 * no-digit inputs their reason; bad input gets one line. (`bnn classify --image` and `--ink`:
 * tests/classify-image.test.ts.)
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCommittedWasm, serviceCommand, type WasmBnn } from "../lib/targets/wasm-abi.ts";
import { loadMnist } from "../lib/mnist.ts";
import { readModelFile } from "../lib/model/format.ts";
import { resolveModelPath } from "../lib/paths.ts";
import { CLASSIFIER } from "../lib/services.ts";
import { parseStrokeText, sampleLine, toFlat, toPoints } from "../lib/strokes/format.ts";
import { strokesFromImage } from "../lib/strokes/from-image.ts";
import { encodeStrokes, strokePairCount } from "../src/shared/stroke-raster.ts";
import { scratchDir } from "./helpers.ts";
import { bnn, expectOneLineError, jsonLines } from "./run-bnn.ts";

const one = {
  width: 240,
  height: 240,
  strokes: [
    [
      [120, 30],
      [121, 120],
      [121, 210],
    ],
  ],
};
const line = (v: unknown) => JSON.stringify(v);

describe("stroke files", () => {
  it("reads one sample, an array, and JSON lines, into the rasterizer's flat form", () => {
    const a = parseStrokeText(line({ ...one, label: 1, id: "x" }), "a.json", "json");
    expect(a).toEqual([{ width: 240, height: 240, strokes: [[120, 30, 121, 120, 121, 210]], label: 1, id: "x", line: 1 }]);
    const b = parseStrokeText(`[\n${line(one)},\n${line({ ...one, strokes: [], label: null })}\n]`, "b.json", "json");
    expect(b.map((s) => [s.line, s.strokes.length, s.label])).toEqual([
      [2, 1, undefined],
      [3, 0, undefined],
    ]);
    const c = parseStrokeText(`\uFEFF${line(one)}\r\n\r\n  \n${line({ width: 3, height: 2, strokes: [[[2, 1]]], label: 0 })}\n`, "c.jsonl", "jsonl");
    expect(c.map((s) => [s.line, s.strokes, s.label])).toEqual([
      [1, [[120, 30, 121, 120, 121, 210]], undefined],
      [4, [[2, 1]], 0],
    ]);
    expect(toFlat(toPoints(c[0].strokes))).toEqual(c[0].strokes);
    expect(parseStrokeText(sampleLine({ ...c[1], id: 'é\n"' }), "d.jsonl", "jsonl")[0]).toMatchObject({ strokes: [[2, 1]], label: 0, id: 'é\n"' });
  });

  // biome-ignore format: a table, one bad stroke file per row
  const bad: [string, string, "json" | "jsonl", RegExp][] = [
    ["a float coordinate", `${line(one)}\n\n${line({ ...one, strokes: [[[1, 2], [3.5, 4]]] })}`, "jsonl", /^f:3: strokes\[0\]\[1\]: x 3\.5 is not an integer$/],
    ["a point outside the panel", line({ ...one, strokes: [[[1, 2]], [[0, 240]]] }), "json", /^f:1: strokes\[1\]\[0\]: \(0, 240\) is outside the 240x240 panel/],
    ["a negative coordinate", line({ ...one, strokes: [[[-1, 2]]] }), "json", /^f:1: strokes\[0\]\[0\]: \(-1, 2\) is outside/],
    ["label 10", line({ ...one, label: 10 }), "json", /^f:1: label 10 is not a digit 0\.\.9/],
    ["a label as a string", line({ ...one, label: "7" }), "json", /^f:1: label "7" is not a digit/],
    ["a misspelt key", line({ ...one, lable: 1 }), "json", /^f:1: unknown key "lable"/],
    ["no width", line({ height: 240, strokes: [] }), "json", /^f:1: the sample has no "width"/],
    ["a panel of 0", line({ ...one, width: 0 }), "json", /^f:1: width 0 is not an integer 1\.\.65535/],
    ["a panel too wide", line({ ...one, height: 65536 }), "json", /^f:1: height 65536 is not an integer 1\.\.65535/],
    ["a stroke without points", line({ ...one, strokes: [[]] }), "json", /^f:1: strokes\[0\] has no point/],
    ["a point of three numbers", line({ ...one, strokes: [[[1, 2, 3]]] }), "json", /^f:1: strokes\[0\]\[0\] is a point \[x, y\]; this is \[1,2,3\]/],
    ["points not in a stroke", line({ ...one, strokes: [[1, 2]] }), "json", /^f:1: strokes\[0\]\[0\] is a point \[x, y\]; this is 1/],
    ["an id that is a number", line({ ...one, id: 5 }), "json", /^f:1: id 5 is not a string/],
    ["a coordinate beyond doubles", '{"width": 9, "height": 9, "strokes": [[[1e400, 4]]]}', "json", /^f:1: strokes\[0\]\[0\]: x Infinity is not an integer$/],
    ["a cut line", line(one).slice(0, 41), "jsonl", /^f:1:42: not valid JSON: found the end of the text where/],
    ["text after the sample", line(one) + " x", "jsonl", /^f:1:\d+: not valid JSON: found 'x' after the value$/],
    ["a key twice", '{"width": 1, "width": 2}', "json", /^f:1:\d+: not valid JSON: key "width" appears twice/],
    ["deep nesting", "[".repeat(100000), "json", /not valid JSON: nested more than 32 deep/],
    ["an array on a .jsonl line", "[]", "jsonl", /^f:1: a line of a \.jsonl file holds one sample object/],
    ["a sample that is a number", "[1]", "json", /^f:1: a sample is an object/],
    ["an empty .json", "  \n", "json", /^f:1: the file is empty/],
    ["a .jsonl of blank lines", "\n\n", "jsonl", /^f:1: the file holds no sample/],
    ["an empty array", "[]", "json", /^f:1: the file holds no sample/],
  ];
  it.each(bad)("refuses %s in one line naming file:line", (_name, text, kind, message) => {
    let err: Error | undefined;
    try {
      parseStrokeText(text, "f", kind);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).toBe("UserError");
    expect(err!.message.split("\n")).toHaveLength(1);
    expect(err!.message).toMatch(message);
  });

  it("names the line of the defect in a pretty-printed .json", () => {
    const text = JSON.stringify(
      [
        one,
        {
          ...one,
          strokes: [
            [
              [1, 2],
              [3, 4.25],
            ],
          ],
        },
      ],
      null,
      2,
    );
    const at = text.split("\n").findIndex((l) => l.includes("4.25")) + 1;
    expect(() => parseStrokeText(text, "p.json", "json")).toThrow(new RegExp(`^p.json:${at}: strokes\\[0\\]\\[1\\]: y 4.25 is not an integer`));
  });
});

// --- bnn classify -------------------------------------------------------------------------------

const work = scratchDir("classify");
const mnist = loadMnist("test");
const model = readModelFile(resolveModelPath("default"));
const MODEL_ID32 = parseInt(model.id.slice(0, 8), 16);

/** The C service's answer for strokes (load in pieces, then classify_strokes), as the board's native path asks it. */
function wasmStrokes(bnnWasm: WasmBnn, seq: number, strokes: number[][], w: number, h: number): { status: number; digit: number; scores: number[] } {
  const pairs = strokePairCount(strokes);
  const data = Buffer.alloc(4 * pairs);
  encodeStrokes(strokes, data);
  for (let o = 0; o < data.length; o += 230) {
    const piece = data.subarray(o, o + 230);
    const p = Buffer.alloc(6 + piece.length);
    p.writeUInt32LE(seq, 0);
    p.writeUInt16LE(o, 4);
    piece.copy(p, 6);
    serviceCommand(bnnWasm, CLASSIFIER.cmdLoad, p);
  }
  const cmd = Buffer.alloc(14);
  cmd.writeUInt32LE(MODEL_ID32, 0);
  cmd.writeUInt32LE(seq, 4);
  cmd.writeUInt16LE(w, 8);
  cmd.writeUInt16LE(h, 10);
  cmd.writeUInt16LE(pairs, 12);
  const r = Buffer.from(serviceCommand(bnnWasm, CLASSIFIER.cmdClassifyStrokes, cmd)!);
  expect(r.readUInt32LE(0)).toBe(seq);
  const scores: number[] = [];
  for (let o = 12; o + 4 <= r.length; o += 4) scores.push(r.readInt32LE(o));
  return { status: r[4], digit: r.readInt8(5), scores };
}

describe("bnn classify --strokes", () => {
  const digits = Array.from({ length: 12 }, (_, i) => ({
    width: 240,
    height: 240,
    strokes: strokesFromImage(mnist.images, i),
    label: mnist.labels[i],
    id: `mnist-${i}`,
  }));
  const tall = (x: number) => Array.from({ length: 31 }, (_, k) => [x, 20 + 6 * k]).flat();
  const noDigits = [
    { width: 240, height: 240, strokes: [], label: 3, id: "empty" },
    { width: 240, height: 240, strokes: [[100, 100]], id: "tap" },
    { width: 320, height: 240, strokes: [Array.from({ length: 21 }, (_, k) => [40 + 10 * k, 120 + (k % 2)]).flat()], label: 7, id: "dash" },
    { width: 240, height: 240, strokes: [Array.from({ length: 20 }, (_, k) => [k % 2 ? 200 : 40, 40 + 8 * k]).flat()], id: "zigzag" },
  ];
  // a 1 as one straight vertical stroke on a panel of another size, without a label
  const one = { width: 480, height: 320, strokes: [tall(240)] };
  const samples = [...digits.slice(0, 6), ...noDigits, one, ...digits.slice(6)];
  const file = join(work, "s.jsonl");
  let wasm: WasmBnn;
  beforeAll(async () => {
    writeFileSync(file, samples.map((s) => sampleLine(s)).join("\n") + "\n");
    wasm = await loadCommittedWasm("default");
  });

  it("prints one JSON object per sample, in order, with the C service's digit and scores, and the table on stderr", async () => {
    const r = await bnn(["classify", "--strokes", file]);
    expect(r.code, r.stderr).toBe(0);
    const out = jsonLines(r.stdout);
    expect(out).toHaveLength(samples.length);
    const reasons: Record<string, string> = { empty: "empty", tap: "dot", dash: "line", zigzag: "scribble" };
    out.forEach((o, index) => {
      const s = samples[index];
      expect(Object.keys(o)).toEqual(["index", "id", "label", "digit", "noDigit", "scores", "correct"]);
      expect(o).toMatchObject({ index, id: "id" in s ? s.id : null, label: "label" in s ? s.label : null });
      const reason = "id" in s ? reasons[s.id as string] : undefined;
      if (reason) {
        expect(o).toMatchObject({ digit: null, noDigit: reason, scores: null, correct: "label" in s ? false : null });
        return;
      }
      const c = wasmStrokes(wasm, 100 + index, s.strokes, s.width, s.height);
      expect(c.status).toBe(CLASSIFIER.statusOk);
      expect(o).toMatchObject({ digit: c.digit, noDigit: null, scores: c.scores, correct: "label" in s ? c.digit === s.label : null });
    });
    // the straight 1 is a digit, and the network reads it as a 1
    expect(out[10]).toMatchObject({ id: null, digit: 1, noDigit: null });
    const correct = out.filter((o) => o.correct === true).length;
    const labeled = samples.filter((s) => "label" in s).length;
    expect(r.stderr).toContain(`${samples.length} samples, ${labeled} labeled; no digit: 1 dot, 1 empty, 1 line, 1 scribble`);
    expect(r.stderr).toContain(`accuracy: ${((100 * correct) / labeled).toFixed(2)} % (${correct}/${labeled};`);
    expect(r.stderr).toMatch(/confusion matrix \(rows: label, columns: digit, then no digit\)/);
    // the empty sample was labeled 3 and the dash 7: both in the no-digit column
    expect(r.stderr).toMatch(/\n {2}3: {2}(?: +\d+){10} +1 /);
    expect(r.stderr).toMatch(/\n {2}7: {2}(?: +\d+){10} +1 /);
  });

  it("--json: the same lines, then the summary on stdout and nothing on stderr", async () => {
    const plain = await bnn(["classify", "--strokes", file]);
    const r = await bnn(["classify", "--strokes", file, "--json", "--model", "default"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const out = jsonLines(r.stdout);
    expect(out.slice(0, -1)).toEqual(jsonLines(plain.stdout));
    const summary = out[out.length - 1].summary as Record<string, unknown> & { confusion: number[][]; perClass: (number | null)[] };
    const labeled = samples.filter((s) => "label" in s);
    expect(summary).toMatchObject({
      model: "default",
      id: model.id,
      samples: samples.length,
      labeled: labeled.length,
      noDigit: { dot: 1, empty: 1, line: 1, scribble: 1 },
    });
    expect(summary.confusion).toHaveLength(10);
    expect(summary.confusion.every((row) => row.length === 11)).toBe(true);
    expect(summary.confusion.flat().reduce((a, b) => a + b, 0)).toBe(labeled.length);
    expect(summary.confusion[3][10]).toBe(1);
    expect(summary.correct).toBe(out.filter((o) => o.correct === true).length);
    expect(summary.accuracy).toBeCloseTo((summary.correct as number) / labeled.length, 12);
    expect(summary.perClass[8]).toBeNull(); // no 8 among the samples
  });

  it("takes a model by path as the other commands do, and a .json array", async () => {
    const arr = join(work, "a.json");
    writeFileSync(
      arr,
      JSON.stringify(
        samples.slice(0, 3).map((s) => JSON.parse(sampleLine(s))),
        null,
        2,
      ),
    );
    const a = await bnn(["classify", "--strokes", arr, "--model", join(resolveModelPath("large"), "..")]);
    expect(a.code, a.stderr).toBe(0);
    const large = readModelFile(resolveModelPath("large"));
    expect(jsonLines(a.stdout).map((o) => o.digit)).toHaveLength(3);
    const b = await bnn(["classify", "--strokes", arr, "--model", "large", "--json"]);
    expect((jsonLines(b.stdout).pop()!.summary as { id: string }).id).toBe(large.id);
  });
});

describe("bnn classify refuses bad input in one line", () => {
  it.each([
    [
      "a float coordinate (file:line)",
      "f.jsonl",
      `${line(one)}\n${line({ ...one, strokes: [[[1.5, 2]]] })}\n`,
      3,
      /f\.jsonl:2: strokes\[0\]\[0\]: x 1\.5 is not an integer/,
    ],
    ["a point outside the panel", "o.json", line({ ...one, width: 100 }), 3, /o\.json:1: strokes\[0\]\[0\]: \(120, 30\) is outside the 100x240 panel/],
    ["label 10", "l.jsonl", line({ ...one, label: 10 }), 3, /l\.jsonl:1: label 10 is not a digit 0\.\.9/],
    ["a file that is neither .json nor .jsonl", "s.txt", line(one), 3, /s\.txt: a stroke file's name ends \.json .* or \.jsonl/],
  ])("%s", async (_name, file, text, code, message) => {
    writeFileSync(join(work, file), text);
    expectOneLineError(await bnn(["classify", "--strokes", join(work, file)]), code, message);
  });

  it("a missing file, neither or both inputs, an unknown model", async () => {
    expectOneLineError(await bnn(["classify", "--strokes", join(work, "missing.jsonl")]), 3, /cannot open .*missing\.jsonl: no such file or folder/);
    expectOneLineError(await bnn(["classify"]), 2, /give --strokes FILE or --image FILE/);
    expectOneLineError(await bnn(["classify", "--strokes", "a.jsonl", "--image", "b.png"]), 2, /give --strokes FILE or --image FILE \(one of them\)/);
    expectOneLineError(await bnn(["classify", "--image", "b.png", "--model", "huge"]), 3, /no shipped model named 'huge'/);
    expectOneLineError(await bnn(["classify", "--image", "b.png", "--ink", "8"]), 2, /--ink draws stroke samples; it needs --strokes FILE/);
    expectOneLineError(await bnn(["classify", "--strokes", "a.jsonl", "--ink", "0"]), 2, /--ink/);
  });
});
