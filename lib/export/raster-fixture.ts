/**
 * The text of src/generated/rasterize-fixture.ts (one of the generated files of `bnn regen`): fixed
 * stroke sets and the input bits Node's run of src/shared/stroke-raster.ts gives for them, so the
 * DeviceScript test (src/touch/rasterize.test.ts) can check that the VM produces the same bits.
 *
 * The stroke sets: the strokes of MNIST test digits 0..5 (lib/strokes/from-image.ts)
 * and hand-made edge cases (a dot, a straight line, points outside the panel, a tall panel).
 */
import { tsHeader } from "./generated-header.ts";
import { join } from "node:path";
import { rasterizeBits } from "../../src/shared/stroke-raster.ts";
import { loadMnist } from "../mnist.ts";
import { GENERATED_TS_DIR } from "../paths.ts";
import { DEFAULT_PANEL_SIZE, strokesFromImage } from "../strokes/from-image.ts";

export const RASTER_FIXTURE_PATH = join(GENERATED_TS_DIR, "rasterize-fixture.ts");
export const FIXTURE_MNIST_DIGITS = 6;

export interface FixtureCase {
  name: string;
  panelWidth: number;
  panelHeight: number;
  strokes: number[][];
}

export function fixtureCases(): FixtureCase[] {
  const mnist = loadMnist("test");
  const cases: FixtureCase[] = [];
  for (let i = 0; i < FIXTURE_MNIST_DIGITS; i++) {
    cases.push({
      name: `mnist test ${i} (label ${mnist.labels[i]})`,
      panelWidth: DEFAULT_PANEL_SIZE,
      panelHeight: DEFAULT_PANEL_SIZE,
      strokes: strokesFromImage(mnist.images, i),
    });
  }
  cases.push({ name: "a dot", panelWidth: 240, panelHeight: 240, strokes: [[120, 120]] });
  cases.push({ name: "a diagonal line", panelWidth: 240, panelHeight: 240, strokes: [[30, 40, 200, 190]] });
  cases.push({
    name: "a plus, second stroke repeats points",
    panelWidth: 240,
    panelHeight: 240,
    strokes: [
      [60, 120, 180, 120],
      [120, 60, 120, 60, 120, 180],
    ],
  });
  cases.push({ name: "points outside the panel are clamped", panelWidth: 240, panelHeight: 240, strokes: [[-50, 10, 100, 300, 400, 20]] });
  cases.push({ name: "tall panel, a seven", panelWidth: 240, panelHeight: 320, strokes: [[40, 60, 200, 60, 90, 300]] });
  cases.push({ name: "no strokes", panelWidth: 240, panelHeight: 240, strokes: [] });
  return cases;
}

function hexLines(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let o = 0; o < bytes.length; o += 100) lines.push("  " + Buffer.from(bytes.subarray(o, o + 100)).toString("hex"));
  return "hex`\n" + lines.join("\n") + "\n`";
}

/** The text of src/generated/rasterize-fixture.ts. */
export function rasterFixtureSource(): string {
  const cases = fixtureCases();
  const bits = new Uint8Array(cases.length * 100);
  const info = cases.map((c, k) => rasterizeBits(c.strokes, c.panelWidth, c.panelHeight, bits.subarray(k * 100, (k + 1) * 100)));
  const out: string[] = [];
  out.push(tsHeader("bnn regen", "lib/export/raster-fixture.ts", "src/shared/stroke-raster.ts"));
  out.push("// Regenerate: npm run bnn -- regen");
  out.push("//");
  out.push("// Stroke sets and the 100 bytes of input bits Node's src/shared/stroke-raster.ts gives for each");
  out.push("// (case k at FIXTURE_BITS[100 * k ..]); src/touch/rasterize.test.ts checks DeviceScript gives the same.");
  out.push("");
  out.push(`export const FIXTURE_COUNT = ${cases.length}`);
  out.push(`export const FIXTURE_NAMES = [${cases.map((c) => JSON.stringify(c.name)).join(", ")}]`);
  out.push(`export const FIXTURE_PANELS = [${cases.map((c) => `${c.panelWidth}, ${c.panelHeight}`).join(", ")}]`);
  out.push("export const FIXTURE_STROKES: number[][][] = [");
  for (const c of cases) out.push(`    [${c.strokes.map((s) => `[${s.join(", ")}]`).join(", ")}],`);
  out.push("]");
  out.push("/** Ink pixels of each case. */");
  out.push(`export const FIXTURE_INK = [${info.map((i) => i.ink).join(", ")}]`);
  out.push(`export const FIXTURE_BITS = ${hexLines(bits)}`);
  return out.join("\n") + "\n";
}
