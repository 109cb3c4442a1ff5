/**
 * The serial result stream (src/shared/stream-format.ts, version 2): round trips amid noise, a
 * CRC that catches a changed character and two swapped neighbours, the protocol's field rules,
 * lines of at most 120 characters for every shipped model in the worst case, version 1 lines of
 * older firmware still read, and lines cut short by a firmware's log buffer told from noise.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyLine, NO_DIGIT_REASONS, parseResult, type ParsedResult } from "../lib/monitor/parse.ts";
import { loadTables } from "../lib/export/load-tables.ts";
import { shippedModels, tablesPath } from "../lib/paths.ts";
import { formatResult, MAX_LINE_LENGTH, scoreFields, type StreamResult } from "../src/shared/stream-format.ts";

const scores = [-5, 3, 0, 2, -2147483648, 1, 2, 2147483647, 4, 9].map((s, j) => (j === 7 ? 90_000_000 : s * 1_000_000));
const result: StreamResult = {
  seq: 12,
  source: "samples",
  label: 7,
  inferenceUs: 8421,
  totalMs: 23,
  backend: "native",
  model: "191e9cb9",
  noDigit: "",
  ...scoreFields(scores, 24),
};
const parsed = (r: StreamResult): ParsedResult => ({ ...r, version: 2 });

describe("stream format, version 2", () => {
  it("round-trips, also amid DMESG noise", () => {
    expect(result.digit).toBe(7);
    expect(parseResult(formatResult(result))).toEqual(parsed(result));
    expect(parseResult(`WASM> \x1b[95m${formatResult(result)}\x1b[0m`)).toEqual(parsed(result));
    expect(parseResult(`12:01:03.5 DMESG: heap 1234 ${formatResult(result)}`)).toEqual(parsed(result));
    // text after the checksum is not a result's (issue 21)
    expect(parseResult(`12:01:03.5 DMESG: heap 1234 ${formatResult(result)} trailing`)).toBeUndefined();
    const none: StreamResult = { ...result, source: "touch", label: -1, inferenceUs: 0, digit: -1, runnersUp: [], noDigit: "scribble", scoresCrc: 0 };
    expect(parseResult(formatResult(none))).toEqual(parsed(none));
  });

  it("rejects a changed character and two swapped neighbouring characters (CRC-16)", () => {
    const line = formatResult(result);
    const body = [1, line.indexOf("*")]; // between '@' and '*'
    fc.assert(
      fc.property(fc.integer({ min: body[0], max: body[1] - 1 }), fc.constantFrom(..."0123456789,:-abz "), (at, ch) => {
        if (line[at] === ch) return;
        expect(parseResult(line.slice(0, at) + ch + line.slice(at + 1))).toBeUndefined();
      }),
      { seed: 3 },
    );
    for (let at = body[0]; at + 1 < body[1]; at++) {
      if (line[at] === line[at + 1]) continue;
      const swapped = line.slice(0, at) + line[at + 1] + line[at] + line.slice(at + 2);
      expect(parseResult(swapped), `swap at ${at}`).toBeUndefined();
    }
    expect(parseResult(line.slice(0, -1))).toBeUndefined();
  });

  it("is at most 120 characters for every shipped model, worst case", () => {
    for (const name of shippedModels()) {
      const t = loadTables(tablesPath(name));
      // every field at its widest: u32 counters, the longest source, backend and reason, scores at
      // the int32 extremes (the largest deficits, capped)
      const extreme = Array.from({ length: 10 }, (_, j) => (j === 9 ? 2147483647 : -2147483648));
      const worst: StreamResult = {
        seq: 2 ** 32 - 1,
        source: "samples",
        label: 9,
        inferenceUs: 4294967000,
        totalMs: 2 ** 32 - 1,
        backend: "bytecode",
        model: t.MODEL_ID.slice(0, 8),
        noDigit: "",
        ...scoreFields(extreme, t.SCORE_SHIFT),
      };
      const longestReason = [...NO_DIGIT_REASONS].sort((a, b) => b.length - a.length)[0];
      for (const r of [worst, { ...worst, source: "touch", label: -1, inferenceUs: 0, digit: -1, runnersUp: [], noDigit: longestReason, scoresCrc: 0 }]) {
        const line = formatResult(r);
        expect(line.length, `${name}: ${line}`).toBeLessThanOrEqual(MAX_LINE_LENGTH);
        expect(parseResult(line)).toEqual(parsed(r));
      }
    }
  });
});

describe("impossible results with a valid checksum", () => {
  const cases: [string, Partial<StreamResult>][] = [
    ["digit 12", { digit: 12 }],
    ["a runner-up that is the digit", { runnersUp: [7, 10, 3, 20] }],
    ["runners-up out of order", { runnersUp: [3, 20, 9, 10] }],
    ["one runner-up", { runnersUp: [3, 20] }],
    ["label 42", { label: 42 }],
    ["label -2", { label: -2 }],
    ["an unknown source", { source: "radio" }],
    ["an unknown backend", { backend: "gpu" }],
    ["an unknown no-digit reason", { digit: -1, runnersUp: [], noDigit: "bored" }],
    ["seq 1e20", { seq: 1e20 }],
    ["seq beyond u32", { seq: 2 ** 32 }],
    ["an inference time beyond u32", { inferenceUs: 2 ** 32 }],
  ];
  it.each(cases)("refuses %s", (_name, change) => {
    const line = formatResult({ ...result, ...change });
    expect(line).toMatch(/\*[0-9a-f]{4}$/); // the CRC is right for the line as written
    expect(parseResult(line)).toBeUndefined();
  });
});

describe("older lines and cut lines", () => {
  // version 1, as firmware before this version wrote it (XOR checksum, all ten scores)
  const v1 = (body: string) => {
    let x = 0;
    for (const ch of body) x ^= ch.charCodeAt(0);
    return `@${body}*${(x & 0xff).toString(16).padStart(2, "0")}`;
  };
  const v1Body =
    "bnn 1 seq=12 src=touch digit=7 label=-1 us=8421 backend=native model=191e9cb9 scores=-5000000,3000000,0,2000000,-2147483648,1000000,2000000,90000000,4000000,9000000";

  it("reads version 1 lines, with their scores", () => {
    const r = parseResult(v1(v1Body));
    expect(r).toMatchObject({ version: 1, seq: 12, digit: 7, runnersUp: scoreFields(scores, 24).runnersUp });
    expect(r?.scores).toHaveLength(10);
    expect(parseResult(v1(v1Body.replace("digit=7", "digit=3")))).toBeUndefined(); // not the highest score
  });

  it("tells a line cut before its checksum from noise and damage", () => {
    const line = formatResult(result);
    for (const cut of [20, 40, line.indexOf("*")]) expect(classifyLine(`> ${line.slice(0, cut)}`).kind).toBe("cut");
    expect(classifyLine(v1(v1Body).slice(0, 150)).kind).toBe("cut"); // a v1 line cut at ~150 by the firmware
    expect(classifyLine(line.replace("samples", "sampxes")).kind).toBe("invalid");
    expect(classifyLine("bnn: model 191e9cb9617a53af, source touch").kind).toBe("other");
    expect(classifyLine(line).kind).toBe("result");
  });
});
