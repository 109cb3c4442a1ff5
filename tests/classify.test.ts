/**
 * Stroke files (host/lib/strokes/format.ts, docs/strokes.md) and `bnn classify`.
 */
import { describe, expect, it } from "vitest";
import { parseStrokeText, sampleLine, toFlat, toPoints } from "../host/lib/strokes/format.ts";

const one = { width: 240, height: 240, strokes: [[[120, 30], [121, 120], [121, 210]]] };
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
    expect(parseStrokeText(sampleLine({ ...c[1], id: "é\n\"" }), "d.jsonl", "jsonl")[0]).toMatchObject({ strokes: [[2, 1]], label: 0, id: "é\n\"" });
  });

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
    const text = JSON.stringify([one, { ...one, strokes: [[[1, 2], [3, 4.25]]] }], null, 2);
    const at = text.split("\n").findIndex((l) => l.includes("4.25")) + 1;
    expect(() => parseStrokeText(text, "p.json", "json")).toThrow(new RegExp(`^p.json:${at}: strokes\\[0\\]\\[1\\]: y 4.25 is not an integer`));
  });
});
