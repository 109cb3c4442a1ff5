/**
 * The firmware's stroke rasterizer (firmware-codegen/c/bnn_raster.c with its steps,
 * bnn_raster_steps.c) against the TypeScript
 * reference (src/shared/stroke-raster.ts): the same 25 input words and the same counts, on the
 * fixtures, on the first 1,000 MNIST test digits drawn as strokes and on random strokes (random
 * panels, points off the panel, dots, empty strokes, scribbles past the disc cap, panels up to
 * 65535 wide), on the host
 * under ASan/UBSan and on the emulated Cortex-M0.
 */
import fc from "fast-check";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { C_DIR, generatedDir } from "../lib/paths.ts";
import { CORTEX_M0, HOST_GCC, RASTER_SOURCES, type Target } from "../lib/targets/targets.ts";
import { loadMnist } from "../lib/mnist.ts";
import { fixtureCases } from "../lib/export/raster-fixture.ts";
import { DEFAULT_PANEL_SIZE, strokesFromImage } from "../lib/strokes/from-image.ts";
import { encodeStrokes, rasterizeBits, strokePairCount } from "../src/shared/stroke-raster.ts";
import { scratchDir } from "./helpers.ts";

interface Case {
  strokes: number[][];
  width: number;
  height: number;
}

function record(c: Case): Buffer {
  const n = strokePairCount(c.strokes);
  const b = Buffer.alloc(7 + 4 * n);
  b[0] = 1;
  b.writeUInt16LE(c.width, 1);
  b.writeUInt16LE(c.height, 3);
  b.writeUInt16LE(n, 5);
  encodeStrokes(c.strokes, b.subarray(7));
  return b;
}

/** What the reference gives: the 25 words and the counts, as the harness writes them. */
function expected(c: Case): Buffer {
  const out = Buffer.alloc(100 + 20);
  const info = rasterizeBits(c.strokes, c.width, c.height, out);
  [info.points, info.boxWidth, info.boxHeight, info.discs, info.ink].forEach((v, k) => out.writeInt32LE(v, 100 + 4 * k));
  return out;
}

async function runCases(t: Target, cases: Case[]): Promise<{ same: number; first?: string }> {
  const dir = scratchDir(`raster-${t.name}`);
  const built = await t.build(generatedDir("default"), dir, [], [join(C_DIR, "harness", "raster_harness.c"), ...RASTER_SOURCES]);
  const out = await t.execute(built, Buffer.concat(cases.map(record)), dir);
  let same = 0;
  let first: string | undefined;
  cases.forEach((c, k) => {
    const want = expected(c);
    const got = out.subarray(k * 120, (k + 1) * 120);
    if (got.equals(want)) same++;
    else first ??= `case ${k} (${JSON.stringify(c).slice(0, 120)}): first differing byte ${[...want].findIndex((v, i) => got[i] !== v)}`;
  });
  return { same, first };
}

const mnist = loadMnist("test");
const fixtures: Case[] = fixtureCases().map((c) => ({ strokes: c.strokes, width: c.panelWidth, height: c.panelHeight }));
const digits: Case[] = Array.from({ length: 1000 }, (_, i) => ({
  strokes: strokesFromImage(mnist.images, i),
  width: DEFAULT_PANEL_SIZE,
  height: DEFAULT_PANEL_SIZE,
}));

function randomCases(seed: number, runs: number): Case[] {
  const panel = fc.record({ width: fc.integer({ min: 1, max: 4000 }), height: fc.integer({ min: 1, max: 4000 }) });
  const arb = panel.chain(({ width, height }) =>
    fc.record({
      width: fc.constant(width),
      height: fc.constant(height),
      strokes: fc
        .array(fc.array(fc.tuple(fc.integer({ min: -50, max: width + 50 }), fc.integer({ min: -50, max: height + 50 })), { maxLength: 40 }), { maxLength: 5 })
        .map((ss) => ss.map((s) => s.flat())),
    }),
  );
  const cases = fc.sample(arb, { numRuns: runs, seed });
  // panels up to the largest: drawings too big for the C's 32-bit division of the fine coordinates (bnn_raster_fine)
  const big = fc.record({ width: fc.integer({ min: 30000, max: 65535 }), height: fc.integer({ min: 1, max: 65535 }) }).chain(({ width, height }) =>
    fc.record({
      width: fc.constant(width),
      height: fc.constant(height),
      strokes: fc
        .array(fc.array(fc.tuple(fc.integer({ min: 0, max: width }), fc.integer({ min: 0, max: height })), { minLength: 1, maxLength: 12 }), { maxLength: 3 })
        .map((ss) => ss.map((s) => s.flat())),
    }),
  );
  cases.push(...fc.sample(big, { numRuns: Math.ceil(runs / 10), seed: seed + 1 }));
  // scribbles: far more discs than the cap
  for (let k = 0; k < 5; k++)
    cases.push({ width: 240, height: 240, strokes: [Array.from({ length: 800 }, (_, i) => (i % 2 ? (i * 37) % 240 : (i * 53) % 240))] });
  return cases;
}

describe("C rasterizer = TypeScript rasterizer", () => {
  it("host gcc (ASan/UBSan): fixtures, 1,000 MNIST digits as strokes, 400 random stroke sets and 40 on panels up to 65535", async () => {
    const cases = [...fixtures, ...digits, ...randomCases(5, 400)];
    const r = await runCases(HOST_GCC, cases);
    expect(r.first).toBeUndefined();
    expect(r.same).toBe(cases.length);
  });

  it("Cortex-M0 (QEMU): fixtures, 200 MNIST digits, 100 random stroke sets and 10 on panels up to 65535", async () => {
    const cases = [...fixtures, ...digits.slice(0, 200), ...randomCases(6, 100)];
    const r = await runCases(CORTEX_M0, cases);
    expect(r.first).toBeUndefined();
    expect(r.same).toBe(cases.length);
  });
});
