/** The serial result stream format. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatResult, type StreamResult } from "../src/shared/stream-format.ts";
import { parseResult } from "../host/lib/monitor/parse.ts";

const result: StreamResult = { seq: 12, source: "touch", digit: 7, label: 7, inferenceUs: 8421, backend: "native", model: "191e9cb9", scores: [-5, 3, 0, 2, -2147483648, 1, 2, 2147483647, 4, 9] };

describe("stream format", () => {
  it("round-trips, also amid DMESG noise", () => {
    expect(parseResult(formatResult(result))).toEqual(result);
    expect(parseResult(`WASM> [95m${formatResult(result)}[0m`)).toEqual(result);
    expect(parseResult(`12:01:03.5 DMESG: heap 1234 ${formatResult(result)} trailing`)).toEqual(result);
  });

  it("rejects damaged lines: a changed character fails the checksum", () => {
    const line = formatResult(result);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: line.length - 4 }), fc.constantFrom(..."0123456789,=-abz "), (at, ch) => {
        if (line[at] === ch) return;
        const damaged = line.slice(0, at) + ch + line.slice(at + 1);
        expect(parseResult(damaged)).toBeUndefined();
      }),
    );
    expect(parseResult(line.slice(0, -1))).toBeUndefined();
    expect(parseResult("garbage @bnn 1 seq=1")).toBeUndefined();
  });
});

describe("impossible results with a valid checksum", () => {
  // each line is well formed and its checksum is right, but the protocol does not allow it
  const cases: [string, Partial<StreamResult>][] = [
    ["digit 12", { digit: 12 }],
    ["digit -1", { digit: -1 }],
    ["a digit that is not the highest score", { digit: 3 }],
    ["11 scores", { scores: [...result.scores, 0] }],
    ["1 score", { scores: [5], digit: 0 }],
    ["a score beyond int32", { scores: [-5, 3, 0, 2, -2147483649, 1, 2, 2147483647, 4, 9] }],
    ["label 42", { label: 42 }],
    ["label -2", { label: -2 }],
    ["an unknown source", { source: "radio" }],
    ["an unknown backend", { backend: "gpu" }],
    ["seq 1e20", { seq: 1e20 }],
    ["seq beyond u32", { seq: 2 ** 32 }],
    ["an inference time beyond u32", { inferenceUs: 2 ** 32 }],
  ];
  it.each(cases)("refuses %s", (_name, change) => {
    const line = formatResult({ ...result, ...change });
    expect(line).toMatch(/\*[0-9a-f]{2}$/); // the checksum is valid for the line as written
    expect(parseResult(line)).toBeUndefined();
  });
  it("accepts the same line unchanged (control)", () => {
    expect(parseResult(formatResult(result))).toEqual(result);
  });
});

