// DeviceScript test of src/shared/no-digit.ts: the VM gives Node's answers for hand cases (the
// same as tests/no-digit.test.ts's), and how long a check of a digit-sized stroke and of the
// program's most points as one-point taps take in the VM. Run by tests/no-digit.test.ts:
//   npx devs run src/touch/no-digit.test.ts --test --test-self-exit
import * as ds from "@devicescript/core";
import { describe, expect, test } from "@devicescript/test";
import { strokeNoDigit } from "../shared/no-digit";

/** n + 1 points from (x0, y0) to (x1, y1). */
function line(x0: number, y0: number, x1: number, y1: number, n: number): number[] {
  const out: number[] = [];
  for (let k = 0; k <= n; k++) {
    out.push(Math.round(x0 + ((x1 - x0) * k) / n));
    out.push(Math.round(y0 + ((y1 - y0) * k) / n));
  }
  return out;
}

function zigzag(): number[] {
  const out: number[] = [];
  for (let k = 0; k < 16; k++) {
    out.push(k % 2 ? 180 : 60);
    out.push(60 + 8 * k);
  }
  return out;
}

describe("no digit in DeviceScript", () => {
  test("gives Node's answers", () => {
    expect(strokeNoDigit([line(120, 30, 120, 210, 20)], 240, 240)).toBe("");
    expect(strokeNoDigit([line(100, 40, 192, 200, 20)], 240, 240)).toBe("");
    expect(strokeNoDigit([[60, 40, 180, 40, 100, 210]], 240, 240)).toBe("");
    expect(strokeNoDigit([line(40, 120, 200, 124, 20)], 240, 240)).toBe("line");
    expect(strokeNoDigit([line(120, 100, 122, 124, 20)], 240, 240)).toBe("line");
    expect(strokeNoDigit([[120, 120]], 240, 240)).toBe("dot");
    expect(
      strokeNoDigit(
        [
          [50, 50],
          [52, 51],
        ],
        240,
        240,
      ),
    ).toBe("dot");
    expect(strokeNoDigit([], 240, 240)).toBe("empty");
    expect(strokeNoDigit([[], []], 240, 240)).toBe("empty");
    expect(strokeNoDigit([[120, 120, 126, 120, 126, 132, 120, 132, 120, 120]], 240, 240)).toBe("small");
    expect(strokeNoDigit([zigzag()], 240, 240)).toBe("scribble");
    expect(
      strokeNoDigit(
        [
          [30, 40],
          [200, 210],
        ],
        240,
        240,
      ),
    ).toBe("taps");
    expect(
      strokeNoDigit(
        [
          [20, 30],
          [200, 40],
          [120, 220],
          [60, 150],
          [180, 100],
        ],
        240,
        240,
      ),
    ).toBe("taps");
    expect(
      strokeNoDigit(
        [
          [20, 30, 22, 31, 23, 33],
          [200, 40, 201, 40],
          [120, 220],
        ],
        240,
        240,
      ),
    ).toBe("taps");
    expect(
      strokeNoDigit(
        [
          [60, 40, 180, 40, 100, 210],
          [20, 220],
          [220, 20],
        ],
        240,
        240,
      ),
    ).toBe("");
    expect(
      strokeNoDigit(
        [
          [120, 40, 121, 49],
          [121, 90, 122, 99, 122, 108],
          [122, 150],
          [123, 195],
        ],
        240,
        240,
      ),
    ).toBe("");
  });
  test("checks a 1 of 61 points (both passes) within the VM's step limit", async () => {
    const one = [line(120, 30, 121, 210, 60)];
    let digits = 0;
    let ms = 0;
    for (let k = 0; k < 20; k++) {
      const t0 = ds.millis();
      if (strokeNoDigit(one, 240, 240) === "") digits++;
      ms += ds.millis() - t0;
      await ds.sleep(0);
    }
    console.log("no-digit: " + ms / 20 + " ms per check of a 61-point straight stroke (simulator VM)");
    expect(digits).toBe(20);
  });
  test("checks 1,000 one-point taps (the program's most points) twice within the VM's step limit", async () => {
    // spread over the panel, in no order
    const taps: number[][] = [];
    for (let k = 0; k < 1000; k++) taps.push([(k * 97) % 240, (k * 61 + (k >> 3) * 13) % 240]);
    await ds.sleep(0);
    // twice without a yield: a check takes under half the steps the VM allows (measured: three
    // in a row fail; with the stroke loop as it was before the taps rule, two did)
    const t0 = ds.millis();
    const why = strokeNoDigit(taps, 240, 240);
    const again = strokeNoDigit(taps, 240, 240);
    console.log("no-digit: " + (ds.millis() - t0) / 2 + " ms per check of 1,000 taps (simulator VM)");
    expect(why).toBe("taps");
    expect(again).toBe("taps");
  });
});
