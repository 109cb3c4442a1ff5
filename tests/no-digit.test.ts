/**
 * src/shared/no-digit.ts: seeded no-digit sets (lib/strokes/degenerate.ts) are rejected,
 * real digits are not (the 10,000 MNIST test digits drawn as strokes, the 7,494 pen digits as
 * written and as the trainer reshapes them, the Hershey set), and hand cases (a straight 1 is a
 * digit, taps spread over the panel are not). The counts are deterministic (fixed seeds, integer
 * arithmetic); docs/strokes.md quotes them.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { devsTest } from "../lib/devs/cli.ts";
import { yielder } from "../lib/event-loop.ts";
import { NO_DIGIT_REASONS as MONITOR_REASONS } from "../lib/monitor/parse.ts";
import { loadMnist, TEST_IMAGES } from "../lib/mnist.ts";
import { ROOT } from "../lib/paths.ts";
import { SeededRng } from "../lib/rng.ts";
import { DEGENERATE_KINDS, degenerateSet, manyTaps } from "../lib/strokes/degenerate.ts";
import { readStrokeFile } from "../lib/strokes/format.ts";
import { HERSHEY_SET_PATH } from "../lib/strokes/hershey-set.ts";
import { strokesFromImage } from "../lib/strokes/from-image.ts";
import { PEN_STROKES, penDigits, reshapePen } from "../lib/train/pen-digits.ts";
import { NO_DIGIT_REASONS, strokeNoDigit, TAP_DIV } from "../src/shared/no-digit.ts";

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
      const t = tally(
        sets.map((s) => s.strokes),
        w,
        h,
      );
      expect(t.digit ?? 0, `${kind}: ${JSON.stringify(t)}`).toBeLessThanOrEqual(PER_KIND / 100);
      // measured: every one of them (docs/strokes.md)
      expect(t.digit ?? 0, `${kind}: ${JSON.stringify(t)}`).toBe(0);
      // and mostly for the reason of its kind (a short line may be "small", a tiny scrawl a "dot")
      expect(t[kind], `${kind}: ${JSON.stringify(t)}`).toBeGreaterThanOrEqual(kind === "small" ? PER_KIND * 0.4 : PER_KIND * 0.9);
    }
  });

  it("keeps at least 99 % of the 10,000 MNIST test digits drawn as strokes (measured: all of them)", async () => {
    const test = loadMnist("test");
    const rejected: string[] = [];
    const tick = yielder();
    const margin = new Margin();
    for (let i = 0; i < TEST_IMAGES; i++) {
      const strokes = strokesFromImage(test.images, i);
      const why = strokeNoDigit(strokes, 240, 240);
      if (why) rejected.push(`${i} (label ${test.labels[i]}): ${why}`);
      margin.add(strokes, 240, `mnist ${i}`);
      await tick();
    }
    expect(rejected.length, rejected.slice(0, 10).join(", ")).toBeLessThanOrEqual(TEST_IMAGES / 100);
    expect(rejected).toEqual([]);
    // the taps rule's margin (docs/strokes.md): 5 digits have more taps than other strokes (a
    // digit and two specks of the thinned image), their mean ink 12.7 times a tap's or more; the
    // lowest mean ink of any digit, 1.1 times a tap's, is a 1 broken into 4 pieces, 2 of them taps
    expect(margin.figures()).toEqual({ mostTaps: 5, mostTapsLeastMeanInk: "mnist 6564: 12.67", leastMeanInk: "mnist 6572: 1.13" });
  });

  it("hand cases", () => {
    const line = (x0: number, y0: number, x1: number, y1: number, n = 20) =>
      Array.from({ length: n + 1 }, (_, k) => [Math.round(x0 + ((x1 - x0) * k) / n), Math.round(y0 + ((y1 - y0) * k) / n)]).flat();
    // biome-ignore format: a table, one stroke set per row
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
      ["two taps far apart", [[30, 40], [200, 210]], "taps"],
      ["five taps over the panel", [[20, 30], [200, 40], [120, 220], [60, 150], [180, 100]], "taps"],
      ["taps that slid a little, and a tap", [[20, 30, 22, 31, 23, 33], [200, 40, 201, 40], [120, 220]], "taps"],
      ["a row of taps (a dotted line)", Array.from({ length: 12 }, (_, k) => [30 + 16 * k, 120]), "taps"],
      ["sixty taps and one stroke among them", [...Array.from({ length: 60 }, (_, k) => [(37 * k) % 240, (101 * k) % 240]), line(40, 40, 200, 200)], "taps"],
      ["a 7 and two stray taps", [[60, 40, 180, 40, 100, 210], [20, 220], [220, 20]], ""],
      ["a 7 in two strokes and a stray tap", [line(60, 40, 180, 40), line(180, 40, 100, 210), [200, 200]], ""],
      ["a 1 broken into four pieces, two of them taps (as MNIST test digit 6572 traced)", [[120, 40, 121, 49], [121, 90, 122, 99, 122, 108], [122, 150], [123, 195]], ""],
    ];
    for (const [name, strokes, want] of cases) expect(strokeNoDigit(strokes, 240, 240), name).toBe(want);
  });

  it("is the one list of reasons: the monitor takes its list from it", () => {
    expect([...MONITOR_REASONS]).toEqual(NO_DIGIT_REASONS);
    for (const r of ["empty", "dot", "small", "line", "scribble", "taps", "faint"]) expect(NO_DIGIT_REASONS).toContain(r);
  });
});

/** A stroke's ink as the rule measures it: a segment counts max + min / 2 of its |dx|, |dy|. */
function inkOf(st: number[]): number {
  let ink = 0;
  for (let i = 2; i + 1 < st.length; i += 2) {
    const dx = Math.abs(st[i] - st[i - 2]);
    const dy = Math.abs(st[i + 1] - st[i - 1]);
    ink += dx > dy ? dx + (dy >> 1) : dy + (dx >> 1);
  }
  return ink;
}

/**
 * How far real digits are from the taps rule (taps: more than half the strokes have at most
 * 1/TAP_DIV of the panel of ink, and so has the mean stroke): how many digits have more taps than
 * other strokes, the least mean ink among them, and the least of all, in taps' ink (1: rejected).
 */
class Margin {
  mostTaps = 0;
  private mostLeast = [Infinity, ""] as [number, string];
  private least = [Infinity, ""] as [number, string];
  add(strokes: number[][], panel: number, id: string): void {
    const inked = strokes.filter((st) => st.length >= 2);
    const inks = inked.map(inkOf);
    const taps = inks.filter((v) => v * TAP_DIV <= panel).length;
    const mean = (inks.reduce((a, b) => a + b, 0) * TAP_DIV) / (inked.length * panel);
    if (2 * taps > inked.length) {
      this.mostTaps++;
      if (mean < this.mostLeast[0]) this.mostLeast = [mean, id];
    }
    if (mean < this.least[0]) this.least = [mean, id];
  }
  figures(): { mostTaps: number; mostTapsLeastMeanInk: string; leastMeanInk: string } {
    const f = ([v, id]: [number, string]) => (id ? `${id}: ${v.toFixed(2)}` : "");
    return { mostTaps: this.mostTaps, mostTapsLeastMeanInk: f(this.mostLeast), leastMeanInk: f(this.least) };
  }
}

describe("taps (issue 21: random taps over the panel were read as a digit)", () => {
  it("the issue's taps: 5, 20, 50, 200, 1,000 and a million one-point strokes over the panel are no digit", () => {
    for (const [k, count] of [5, 20, 50, 200, 1000, 1_000_000].entries()) {
      expect(strokeNoDigit(manyTaps(count, 7 + k), 240, 240), `${count} taps`).toBe("taps");
    }
  });

  it("keeps every one of the 7,494 pen digits, as written and as the trainer reshapes them (PEN_STROKES, 3 seeds)", async () => {
    const pen = penDigits();
    const tick = yielder();
    const margin = new Margin();
    const rejected: string[] = [];
    const reshapedRejected: Record<string, number> = {};
    for (const s of pen) {
      const why = strokeNoDigit(s.strokes, s.width, s.height);
      if (why) rejected.push(`${s.id} ${why}`);
      margin.add(s.strokes, s.width, s.id!);
      await tick();
    }
    expect(rejected).toEqual([]);
    // no pen digit has more taps than other strokes; the least mean ink a stroke is 6.5 taps' ink
    expect(margin.figures()).toEqual({ mostTaps: 0, mostTapsLeastMeanInk: "", leastMeanInk: "pendigits-1107: 6.50" });
    const reshapedMargin = new Margin();
    for (const seed of [1, 2, 3]) {
      const rng = new SeededRng(seed);
      for (const s of pen) {
        const strokes = reshapePen(s.strokes, PEN_STROKES, rng);
        const why = strokeNoDigit(strokes, 240, 240);
        if (why) reshapedRejected[why] = (reshapedRejected[why] ?? 0) + 1;
        reshapedMargin.add(strokes, 240, `${s.id} seed ${seed}`);
        await tick();
      }
    }
    expect(reshapedRejected.taps ?? 0).toBe(0);
    expect({ reshapedRejected, ...reshapedMargin.figures() }).toEqual({
      reshapedRejected: {},
      mostTaps: 0,
      mostTapsLeastMeanInk: "",
      leastMeanInk: "pendigits-1366 seed 2: 6.67",
    });
  });

  it("keeps every one of the Hershey set's 1,000 digits", async () => {
    const hershey = readStrokeFile(join(ROOT, HERSHEY_SET_PATH));
    const margin = new Margin();
    const rejected = hershey.filter((s) => strokeNoDigit(s.strokes, s.width, s.height) !== "").map((s) => s.id);
    for (const s of hershey) margin.add(s.strokes, Math.min(s.width, s.height), s.id!);
    expect(rejected).toEqual([]);
    // no stroke of the set is a tap; the least mean ink a stroke is 8.9 taps' ink
    expect(margin.figures()).toEqual({ mostTaps: 0, mostTapsLeastMeanInk: "", leastMeanInk: "hershey-serif_med-1-1: 8.89" });
  });
});

it("gives the same answers in the DeviceScript VM (src/touch/no-digit.test.ts, exit code 0)", async () => {
  const r = await devsTest("src/touch/no-digit.test.ts");
  expect(r.output).toMatch(/tests: 3, pass: 3, error: 0/);
  expect(r.code, r.output.slice(-2000)).toBe(0);
}, 120_000);
