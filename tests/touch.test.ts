/**
 * The touch input path: the CST816S decoder and the Digit Touch server in the DeviceScript VM
 * (src/touch/cst816s.test.ts, against tests/fixtures/cst816s-dumps.json), rasterization
 * (src/shared/stroke-raster.ts) in Node and in the VM with identical bytes, the program's stroke
 * collection, and MNIST images -> strokes -> raster -> the shipped model. The DeviceScript runs
 * use `devs run --test`, which opens no network port. (The simulated panel, devices/touch.ts:
 * tests/touch-panel.test.ts.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { devsTest } from "../lib/devs/cli.ts";
import { loadMnist } from "../lib/mnist.ts";
import { readModelFile } from "../lib/model/format.ts";
import { classify } from "../lib/model/infer.ts";
import { resolveModelPath, ROOT } from "../lib/paths.ts";
import { strokesFromImage } from "../lib/strokes/from-image.ts";
import { RASTER_BITS as RASTER_PIXELS, rasterizeBits } from "../src/shared/stroke-raster.ts";
import { addSample, addSamplesPayload, DIGIT_TIMEOUT_MS, digitReady, encodeSamples, MAX_POINTS, newStrokeSet, takeDigit } from "../src/shared/touch-samples.ts";

/** The raster as 784 values 0/1 (element 28 r + c), for measuring. */
function rasterize(strokes: number[][], w: number, h: number): Uint8Array {
  const bits = new Uint8Array(100);
  rasterizeBits(strokes, w, h, bits);
  return Uint8Array.from({ length: 784 }, (_, e) => (bits[e >> 3] >> (e & 7)) & 1);
}
/** The raster as the model's packed input words. */
function rasterWords(strokes: number[][], w: number, h: number): Uint32Array {
  const words = new Uint32Array(25);
  rasterizeBits(strokes, w, h, new Uint8Array(words.buffer));
  return words;
}

interface DumpCase {
  name: string;
  regs: string;
  width?: number;
  height?: number;
  expect: { valid: boolean; gesture: number; fingers: number; event: number; x: number; y: number; pressed: boolean };
}

const dumps = JSON.parse(readFileSync(join(ROOT, "tests", "fixtures", "cst816s-dumps.json"), "utf8")) as { cases: DumpCase[] };

/** Center of mass (pixel index) and bounding box of an image's pixels >= 1. */
function measure(px: Uint8Array): { cx: number; cy: number; w: number; h: number; ink: number } {
  let s = 0;
  let sx = 0;
  let sy = 0;
  let minX = 99;
  let maxX = -1;
  let minY = 99;
  let maxY = -1;
  for (let i = 0; i < RASTER_PIXELS; i++) {
    const v = px[i];
    if (!v) continue;
    const x = i % 28;
    const y = Math.floor(i / 28);
    s += v;
    sx += v * x;
    sy += v * y;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  return { cx: sx / s, cy: sy / s, w: maxX - minX + 1, h: maxY - minY + 1, ink: s };
}

describe("CST816S / FT6x36 driver (DeviceScript)", () => {
  it("embeds exactly the dumps of tests/fixtures/cst816s-dumps.json", () => {
    const text = readFileSync(join(ROOT, "src", "touch", "cst816s.test.ts"), "utf8");
    const rows = [
      ...text.matchAll(
        /\{ name: "([^"]*)", regs: hex`([0-9a-f ]*)`, width: (\d+), height: (\d+), valid: (true|false), gesture: (\d+), fingers: (\d+), event: (\d+), x: (\d+), y: (\d+), pressed: (true|false)(?:, controller: "([a-z0-9]+)")? \}/g,
      ),
    ].map((m) => ({
      name: m[1],
      ...(m[12] ? { controller: m[12] } : {}),
      regs: m[2],
      ...(m[3] !== "0" ? { width: Number(m[3]), height: Number(m[4]) } : {}),
      expect: {
        valid: m[5] === "true",
        gesture: Number(m[6]),
        fingers: Number(m[7]),
        event: Number(m[8]),
        x: Number(m[9]),
        y: Number(m[10]),
        pressed: m[11] === "true",
      },
    }));
    expect(rows).toEqual(dumps.cases);
    expect(rows.length).toBeGreaterThanOrEqual(10);
  });

  it("decodes the register dumps and serves replayed touches in the VM (exit code 0)", async () => {
    const r = await devsTest("src/touch/cst816s.test.ts");
    expect(r.output).toContain(`cst816s dumps: ${dumps.cases.length}/${dumps.cases.length} decoded as expected`);
    expect(r.output).toMatch(/tests: 3, pass: 3, error: 0/);
    expect(r.code).toBe(0);
  });
});

describe("rasterize (src/shared/stroke-raster.ts)", () => {
  const mnist = loadMnist("test");

  it("is deterministic and gives 784 bits", () => {
    const strokes = strokesFromImage(mnist.images, 0);
    const a = rasterize(strokes, 240, 240);
    const b = rasterize(structuredClone(strokes), 240, 240);
    expect(a.length).toBe(RASTER_PIXELS);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it("scales the ink to 20 px and centres its mass on (14, 14), like MNIST", () => {
    // the move centres the mass of the pen's disc centres; the pixels' mass follows within a pixel
    for (let i = 0; i < 50; i++) {
      const m = measure(rasterize(strokesFromImage(mnist.images, i), 240, 240));
      expect(Math.abs(m.cx - 14)).toBeLessThanOrEqual(1);
      expect(Math.abs(m.cy - 14)).toBeLessThanOrEqual(1);
      expect(Math.max(m.w, m.h)).toBeGreaterThanOrEqual(19);
      expect(Math.max(m.w, m.h)).toBeLessThanOrEqual(22);
    }
    // a small digit in a corner of the panel comes out the same size and place as a large one
    const big = rasterize([[40, 40, 200, 40, 80, 220]], 240, 240);
    const small = rasterize([[0, 0, 16, 0, 4, 18]], 240, 240);
    expect(measure(small).h).toBe(measure(big).h);
    expect(Math.abs(measure(small).cx - 14)).toBeLessThanOrEqual(0.75);
  });

  it("handles a dot, no strokes and points outside the panel", () => {
    const dot = measure(rasterize([[120, 120]], 240, 240));
    expect(dot.w).toBeLessThanOrEqual(3);
    expect(Math.abs(dot.cx - 14)).toBeLessThanOrEqual(0.75);
    expect(rasterize([], 240, 240).every((v) => v === 0)).toBe(true);
    expect(rasterize([[], []], 240, 240).every((v) => v === 0)).toBe(true);
    const clamped = rasterize([[-100, -100, 500, 500]], 240, 240);
    expect(Buffer.from(clamped).equals(Buffer.from(rasterize([[0, 0, 239, 239]], 240, 240)))).toBe(true);
  });

  it("is the same under translation and under scaling by 2 (property), and always sets some ink", () => {
    const point = fc.tuple(fc.integer({ min: 0, max: 110 }), fc.integer({ min: 0, max: 110 }));
    const strokes = fc.array(fc.array(point, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 }).map((ss) => ss.map((s) => s.flat()));
    fc.assert(
      fc.property(strokes, fc.integer({ min: 0, max: 19 }), (ss, shift) => {
        const whole = rasterize(ss, 240, 240);
        const moved = rasterize(
          ss.map((s) => s.map((v) => v + shift)),
          240,
          240,
        );
        const doubled = rasterize(
          ss.map((s) => s.map((v) => 2 * v)),
          240,
          240,
        );
        return whole.some((v) => v === 1) && Buffer.from(moved).equals(Buffer.from(whole)) && Buffer.from(doubled).equals(Buffer.from(whole));
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  // the fixture (src/generated/rasterize-fixture.ts) is checked fresh by tests/regen.test.ts
  it("gives the same bytes in the DeviceScript VM as in Node (exit code 0)", async () => {
    const r = await devsTest("src/touch/rasterize.test.ts");
    expect(r.output).toMatch(/rasterize: (\d+)\/\1 identical to Node/);
    expect(r.output).toMatch(/tests: 2, pass: 2, error: 0/);
    expect(r.code).toBe(0);
  });
});

describe("stroke collection", () => {
  it("splits strokes at pen-up samples and at gaps, and times out the digit", () => {
    const s = newStrokeSet();
    addSample(s, 1, 2, true, 0);
    addSample(s, 3, 4, true, 10);
    addSample(s, 3, 4, false, 20);
    addSample(s, 5, 6, true, 200);
    addSample(s, 7, 8, true, 210);
    addSample(s, 9, 9, true, 500); // pen-up sample lost: the gap ends the stroke
    expect(digitReady(s, 500 + DIGIT_TIMEOUT_MS - 1, DIGIT_TIMEOUT_MS)).toBe(false);
    expect(digitReady(s, 500 + DIGIT_TIMEOUT_MS, DIGIT_TIMEOUT_MS)).toBe(true);
    expect(takeDigit(s)).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 9],
    ]);
    expect(digitReady(s, 5000, DIGIT_TIMEOUT_MS)).toBe(false);
  });

  it("caps the points of a digit", () => {
    const s = newStrokeSet();
    for (let i = 0; i < MAX_POINTS + 50; i++) addSample(s, i % 200, i % 7, true, i);
    expect(s.points).toBe(MAX_POINTS);
  });

  it("reads batched sample reports and counts lost samples", () => {
    const s = newStrokeSet();
    const sample = (x: number, pressed = true) => ({ time: 0, x, y: 2 * x, pressed, fingers: pressed ? 1 : 0 });
    expect(addSamplesPayload(s, encodeSamples(65534, [sample(1), sample(2), sample(3)]), 0)).toBe(3);
    expect(addSamplesPayload(s, encodeSamples(1, [sample(4), sample(4, false)]), 10)).toBe(2);
    expect(s.lostSamples).toBe(0);
    addSamplesPayload(s, encodeSamples(10, [sample(7)]), 20);
    expect(s.lostSamples).toBe(7);
    expect(addSamplesPayload(s, new Uint8Array(2), 30)).toBe(0);
    expect(takeDigit(s)).toEqual([
      [1, 2, 2, 4, 3, 6, 4, 8],
      [7, 14],
    ]);
  });

  it("keeps two digits apart by the panel's clock when the caller looks only after both arrived", () => {
    const s = newStrokeSet();
    const at = (time: number, x: number, pressed = true) => ({ time, x, y: x, pressed, fingers: pressed ? 1 : 0 });
    // digit A, the pen up for the digit timeout by the panel's clock, digit B: all received at
    // caller time 0, with no look in between (a busy program)
    addSamplesPayload(s, encodeSamples(0, [at(100, 1), at(110, 2), at(120, 2, false)]), 0);
    addSamplesPayload(s, encodeSamples(3, [at(120 + DIGIT_TIMEOUT_MS, 7), at(130 + DIGIT_TIMEOUT_MS, 8), at(140 + DIGIT_TIMEOUT_MS, 8, false)]), 0);
    // ... and a third in the same report as the end of the second, across the 16-bit clock's wrap
    addSamplesPayload(s, encodeSamples(6, [at(65530, 20), at((65530 + DIGIT_TIMEOUT_MS) & 0xffff, 30)]), 0);
    expect(digitReady(s, 0, DIGIT_TIMEOUT_MS)).toBe(true);
    expect(takeDigit(s)).toEqual([[1, 1, 2, 2]]);
    expect(digitReady(s, 0, DIGIT_TIMEOUT_MS)).toBe(true);
    expect(takeDigit(s)).toEqual([[7, 7, 8, 8]]);
    expect(digitReady(s, 0, DIGIT_TIMEOUT_MS)).toBe(true);
    expect(takeDigit(s)).toEqual([[20, 20]]);
    // the digit still being drawn is complete only by the caller's timeout, as before
    expect(digitReady(s, DIGIT_TIMEOUT_MS - 1, DIGIT_TIMEOUT_MS)).toBe(false);
    expect(digitReady(s, DIGIT_TIMEOUT_MS, DIGIT_TIMEOUT_MS)).toBe(true);
    expect(takeDigit(s)).toEqual([[30, 30]]);
    // a pause shorter than the timeout stays within one digit
    addSamplesPayload(s, encodeSamples(8, [at(1000, 1), at(1000 + DIGIT_TIMEOUT_MS - 1, 2)]), 0);
    expect(takeDigit(s)).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });
});

describe("MNIST images as strokes (lib/strokes/from-image.ts)", () => {
  const mnist = loadMnist("test");

  it("is deterministic and stays on the panel", () => {
    for (let i = 0; i < 20; i++) {
      const a = strokesFromImage(mnist.images, i);
      expect(a).toEqual(strokesFromImage(mnist.images, i));
      expect(a.length).toBeGreaterThan(0);
      for (const s of a) for (const v of s) expect(v >= 0 && v < 240).toBe(true);
    }
    expect(strokesFromImage(new Uint8Array(784), 0)).toEqual([]);
  });

  it("strokes -> raster -> shipped model: the first 300 test digits are mostly recognized", () => {
    const model = readModelFile(resolveModelPath("default"));
    let correct = 0;
    for (let i = 0; i < 300; i++) {
      if (classify(model, rasterWords(strokesFromImage(mnist.images, i), 240, 240)).digit === mnist.labels[i]) correct++;
    }
    console.log(`touch: strokes -> raster -> model: ${correct}/300 = ${((correct / 300) * 100).toFixed(1)}% on MNIST test 0..299`);
    expect(correct / 300).toBeGreaterThan(0.6);
  });
});
