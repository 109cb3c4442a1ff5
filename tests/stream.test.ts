/** The serial result stream format. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatResult, type StreamResult } from "../src/shared/stream-format.ts";
import { parseResult } from "../host/lib/monitor/parse.ts";

const result: StreamResult = { seq: 12, source: "touch", digit: 7, label: 7, inferenceUs: 8421, backend: "native", model: "191e9cb9", scores: [-5, 3, 0, 2147483647, -2147483648, 1, 2, 3, 4, 9] };

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
