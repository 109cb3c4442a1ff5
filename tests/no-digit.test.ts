/**
 * src/shared/no-digit.ts: seeded no-digit sets (host/lib/strokes/degenerate.ts) are rejected,
 * the 10,000 MNIST test digits drawn as strokes are not, and hand cases (a straight 1 is a
 * digit). The counts are deterministic (fixed seeds, integer arithmetic); docs/strokes.md quotes
 * them.
 */
import { describe, expect, it } from "vitest";
import { devsTest } from "../host/lib/devs/cli.ts";
import { NO_DIGIT_REASONS as MONITOR_REASONS } from "../host/lib/monitor/parse.ts";
import { loadMnist, TEST_IMAGES } from "../host/lib/mnist.ts";
import { DEGENERATE_KINDS, degenerateSet } from "../host/lib/strokes/degenerate.ts";
import { strokesFromImage } from "../host/lib/touch/strokes-from-image.ts";
import { NO_DIGIT_REASONS, strokeNoDigit } from "../src/shared/no-digit.ts";

const PER_KIND = 400;

function tally(sets: number[][][], w: number, h: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of sets) {
    const why = strokeNoDigit(s, w, h) || "digit";
    out[why] = (out[why] ?? 0) + 1;
  }
  return out;
}

describe("strokeNoDigit", () => {
  it.each([
    [240, 240, 1],
    [320, 240, 2],
    [800, 480, 3],
  ])("rejects at least 99 %% of each no-digit kind on a %ix%i panel (seed %i)", (w, h, seed) => {
    for (const [k, kind] of DEGENERATE_KINDS.entries()) {
      const sets = degenerateSet(kind, PER_KIND, 1000 * seed + k, { panelWidth: w, panelHeight: h });
      const outside = sets.flatMap((s) => s.strokes.flatMap((st) => st.filter((v, i) => !Number.isInteger(v) || v < 0 || v >= (i % 2 ? h : w))));
      expect(outside, `${kind}: integer points inside the panel`).toEqual([]);
      const t = tally(sets.map((s) => s.strokes), w, h);
      expect(t.digit ?? 0, `${kind}: ${JSON.stringify(t)}`).toBeLessThanOrEqual(PER_KIND / 100);
      // measured: every one of them (docs/strokes.md)
      expect(t.digit ?? 0, `${kind}: ${JSON.stringify(t)}`).toBe(0);
      // and mostly for the reason of its kind (a short line may be "small", a tiny scrawl a "dot")
      expect(t[kind], `${kind}: ${JSON.stringify(t)}`).toBeGreaterThanOrEqual(kind === "small" ? PER_KIND * 0.4 : PER_KIND * 0.9);
    }
  });

  it("keeps at least 99 % of the 10,000 MNIST test digits drawn as strokes (measured: all of them)", () => {
    const test = loadMnist("test");
    const rejected: string[] = [];
    for (let i = 0; i < TEST_IMAGES; i++) {
      const why = strokeNoDigit(strokesFromImage(test.images, i), 240, 240);
      if (why) rejected.push(`${i} (label ${test.labels[i]}): ${why}`);
    }
    expect(rejected.length, rejected.slice(0, 10).join(", ")).toBeLessThanOrEqual(TEST_IMAGES / 100);
    expect(rejected).toEqual([]);
  });

  it("hand cases", () => {
    const line = (x0: number, y0: number, x1: number, y1: number, n = 20) => Array.from({ length: n + 1 }, (_, k) => [Math.round(x0 + ((x1 - x0) * k) / n), Math.round(y0 + ((y1 - y0) * k) / n)]).flat();
    const cases: [string, number[][], string][] = [
      ["a vertical 1", [line(120, 30, 120, 210)], ""],
      ["a vertical 1 of two points", [[118, 40, 121, 200]], ""],
      ["a 1 slanted by 30 degrees", [line(100, 40, 100 + 92, 200)], ""],
      ["a 1 drawn upwards", [line(120, 210, 110, 30)], ""],
      ["a horizontal dash", [line(40, 120, 200, 124)], "line"],
      ["a dash drawn right to left", [line(200, 100, 60, 90)], "line"],
      ["a short steep line (1/10 of the panel)", [line(120, 100, 122, 124)], "line"],
      ["a single tap", [[120, 120]], "dot"],
      ["a tap that moved 3 units", [[120, 120, 121, 122, 123, 120]], "dot"],
      ["two taps close together", [[50, 50], [52, 51]], "dot"],
      ["no stroke", [], "empty"],
      ["strokes without points", [[], []], "empty"],
      ["a tiny 0 (5 % of the panel)", [[120, 120, 126, 120, 126, 132, 120, 132, 120, 120]], "small"],
      ["a zigzag filling a box", [Array.from({ length: 16 }, (_, k) => [k % 2 ? 180 : 60, 60 + 8 * k]).flat()], "scribble"],
      ["a 7 in one stroke", [[60, 40, 180, 40, 100, 210]], ""],
      ["a 7 in two strokes, the first a flat line", [line(60, 40, 180, 40), line(180, 40, 100, 210)], ""],
      ["a 4 in two strokes, the second a vertical line", [[140, 30, 60, 150, 190, 150], line(150, 70, 150, 210)], ""],
      ["a 0 (an ellipse)", [Array.from({ length: 41 }, (_, k) => [Math.round(120 + 50 * Math.sin((k * Math.PI) / 20)), Math.round(120 - 80 * Math.cos((k * Math.PI) / 20))]).flat()], ""],
    ];
    for (const [name, strokes, want] of cases) expect(strokeNoDigit(strokes, 240, 240), name).toBe(want);
  });

  it("is the one list of reasons: the monitor takes its list from it", () => {
    expect([...MONITOR_REASONS]).toEqual(NO_DIGIT_REASONS);
    for (const r of ["empty", "dot", "small", "line", "scribble", "faint"]) expect(NO_DIGIT_REASONS).toContain(r);
  });
});

it("gives the same answers in the DeviceScript VM (src/touch/no-digit.test.ts, exit code 0)", async () => {
  const r = await devsTest("src/touch/no-digit.test.ts");
  expect(r.output).toMatch(/tests: 2, pass: 2, error: 0/);
  expect(r.code, r.output.slice(-2000)).toBe(0);
}, 120_000);
