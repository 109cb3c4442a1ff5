import { describe, it, expect } from "vitest";
import { barChartSvg, confusionMatrixSvg, learningCurvesSvg } from "../lib/report/svg.ts";
import { ProgressBar, formatDuration, formatRate } from "../lib/report/progress.ts";
import { bnn } from "./run-bnn.ts";

const history = [1, 2, 3, 4, 5].map((epoch) => ({
  epoch,
  trainLoss: 1 / epoch,
  trainAccuracy: 0.8 + epoch * 0.03,
  validationAccuracy: 0.78 + epoch * 0.028,
  lr: 0.01,
}));

function wellFormed(svg: string): void {
  expect(svg.startsWith("<svg")).toBe(true);
  expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
  expect(svg).not.toMatch(/NaN|Infinity|undefined/);
}

describe("svg charts", () => {
  it("learning curves: labels, determinism, escaping", () => {
    const svg = learningCurvesSvg(history, { title: "run <1> & co", testAccuracy: 0.93 });
    wellFormed(svg);
    expect(svg).toContain("accuracy");
    expect(svg).toContain("loss");
    expect(svg).toContain("validation");
    expect(svg).toContain("test 93.00%");
    expect(svg).toContain("stroke-dasharray");
    expect(svg).toContain("run &lt;1&gt; &amp; co");
    expect(svg).not.toContain("run <1>");
    expect(learningCurvesSvg(history, { title: "run <1> & co", testAccuracy: 0.93 })).toBe(svg);
  });

  it("learning curves survive empty and single-epoch histories", () => {
    wellFormed(learningCurvesSvg([]));
    wellFormed(learningCurvesSvg(history.slice(0, 1)));
  });

  it("confusion matrix: counts, row accuracy, overall accuracy", () => {
    const m = [
      [8, 2, 0],
      [1, 3, 0],
      [0, 0, 5],
    ];
    const svg = confusionMatrixSvg(m, { title: "<test>", labels: ["a", "b", "c"] });
    wellFormed(svg);
    for (const s of [">8<", ">2<", ">3<", ">5<", ">a<", ">b<", ">c<", "predicted", "true"]) expect(svg).toContain(s);
    expect(svg).toContain("80.0%"); // 8 / 10
    expect(svg).toContain("75.0%"); // 3 / 4
    expect(svg).toContain("100.0%"); // 5 / 5
    expect(svg).toContain("accuracy 84.21% (16/19)");
    expect(svg).toContain("&lt;test&gt;");
    expect(confusionMatrixSvg(m, { title: "<test>", labels: ["a", "b", "c"] })).toBe(svg);
  });

  it("bar chart: labels and values", () => {
    const items = [
      { label: "digit <0>", value: 99.1 },
      { label: "digit 1", value: 97.45 },
    ];
    const svg = barChartSvg(items, { title: "per-class", unit: "%" });
    wellFormed(svg);
    expect(svg).toContain("digit &lt;0&gt;");
    expect(svg).toContain("99.1%");
    expect(svg).toContain("97.5%");
    expect(barChartSvg(items, { title: "per-class", unit: "%" })).toBe(svg);
  });
});

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 80, write: (s: string) => (writes.push(s), true) } };
}

describe("progress bar", () => {
  it("non-TTY: one plain line per 10% step and on finish", () => {
    const { writes, stream } = fakeStream(false);
    const bar = new ProgressBar({ label: "train", total: 100, stream });
    for (let i = 1; i <= 100; i++) bar.update(i, { loss: "0.5" });
    bar.finish({ acc: "97%" });
    expect(writes.length).toBe(10); // 10%..90% plus finish
    expect(writes[0]).toContain("10/100");
    expect(writes[9]).toContain("100/100");
    expect(writes[9]).toContain("acc 97%");
    expect(writes[9]).toContain("loss 0.5");
    for (const w of writes) {
      expect(w.endsWith("\n")).toBe(true);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: no carriage return or terminal escape in a log's lines
      expect(w).not.toMatch(/[\r\x1b]/);
    }
  });

  it("TTY: throttled \\r redraws, finish ends the line", () => {
    const { writes, stream } = fakeStream(true);
    const bar = new ProgressBar({ label: "train", total: 50, stream });
    bar.update(10);
    bar.update(20); // within 100 ms: throttled
    bar.finish();
    expect(writes.length).toBe(2);
    for (const w of writes) {
      expect(w.startsWith("\r")).toBe(true);
      expect(w).toContain("\x1b[K");
      expect(w).toMatch(/[█░]/);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the visible text, without the erase-line escape (ESC [ K)
      expect(w.replace(/\x1b\[K|\r|\n/g, "").length).toBeLessThan(80);
    }
    expect(writes[0]).toContain("10/50");
    expect(writes[1]).toContain("20/50");
    expect(writes[1].endsWith("\n")).toBe(true);
  });

  it("formats durations and rates", () => {
    expect(formatDuration(75)).toBe("1:15");
    expect(formatDuration(3725)).toBe("1:02:05");
    expect(formatDuration(5)).toBe("0:05");
    expect(formatDuration(Infinity)).toBe("--:--");
    expect(formatRate(48200)).toBe("48.2k/s");
    expect(formatRate(5)).toBe("5.0/s");
    expect(formatRate(2.5e6, "img")).toBe("2.5M img/s");
  });
});

describe("bnn report --json: speed on every core", () => {
  it("has the QEMU-traced, rp2040js and Xtensa rows, positive, worst image >= mean", async () => {
    const r = await bnn(["report", "--model", "default", "--images", "5", "--json"]);
    // stderr holds only the progress lines ("report: <what is measured>")
    expect(r.stderr.split("\n").filter((l) => l && !l.startsWith("report: "))).toEqual([]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const cores: string[] = out.speed.map((s: { core: string }) => s.core);
    expect(cores).toHaveLength(4);
    for (const pattern of [/^Cortex-M0 code/, /rp2040js/, /^rv32imc/, /^Xtensa LX106/]) expect(cores.some((c) => pattern.test(c))).toBe(true);
    for (const s of out.speed) {
      expect(s.images).toBe(5);
      for (const k of ["meanInstructions", "meanCycles", "worstInstructions", "worstCycles", "meanUs", "worstUs", "clockMHz"]) expect(s[k], `${s.core} ${k}`).toBeGreaterThan(0);
      expect(s.worstInstructions, s.core).toBeGreaterThanOrEqual(s.meanInstructions);
      expect(s.worstCycles, s.core).toBeGreaterThanOrEqual(s.meanCycles);
      expect(s.meanCycles, s.core).toBeGreaterThanOrEqual(s.meanInstructions);
      expect(typeof s.cycleModel).toBe("string");
    }
    const rp = out.speed.find((s: { core: string }) => /rp2040js/.test(s.core));
    const m0 = out.speed.find((s: { core: string }) => /^Cortex-M0 code/.test(s.core));
    // the emulator's counter is the one measured row; the others say they are estimates
    expect(out.speed.filter((s: { cyclesEstimated: boolean }) => !s.cyclesEstimated)).toEqual([rp]);
    expect(rp.trmMeanCycles).toBeGreaterThan(0);
    expect(rp.trmWorstCycles).toBeGreaterThanOrEqual(rp.trmMeanCycles);
    // the same ARMv6-M code: instruction counts within a few of QEMU's, cycles near the TRM pricing
    expect(Math.abs(rp.meanInstructions - m0.meanInstructions)).toBeLessThan(10);
    expect(rp.meanCycles / rp.trmMeanCycles).toBeGreaterThan(0.8);
    expect(rp.meanCycles / rp.trmMeanCycles).toBeLessThan(1.25);
    for (const s of out.speed.filter((s: { trmMeanCycles: number | null }) => s !== rp)) expect([s.trmMeanCycles, s.trmWorstCycles]).toEqual([null, null]);
    layersAddUp(out, m0.meanInstructions);
  });

  it("a CNN: conv layers with their shapes, and per-layer Cortex-M0 costs that add up", async () => {
    const r = await bnn(["report", "--model", "cnn", "--images", "2", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const conv = out.layers.filter((l: { conv?: unknown }) => l.conv);
    expect(conv.map((l: { conv: { kernel: number; outHeight: number } }) => [l.conv.kernel, l.conv.outHeight])).toEqual([
      [5, 12],
      [3, 5],
      [3, 3],
    ]);
    // conv 1: 5x5 patches at 24x24 positions, 32 channels
    expect(conv[0]).toMatchObject({ inputs: 25, outputs: 32, binaryOps: 25 * 32 * 576 });
    const m0 = out.speed.find((s: { core: string }) => /^Cortex-M0 code/.test(s.core));
    layersAddUp(out, m0.meanInstructions);
  });
});

/** Each layer costs something, and the layers' costs are the whole inference plus the stop probe's few instructions a layer. */
function layersAddUp(out: { layers: { m0Instructions: number; m0Cycles: number }[] }, mean: number): void {
  for (const l of out.layers) expect(l.m0Instructions).toBeGreaterThan(0);
  const sum = out.layers.reduce((a, l) => a + l.m0Instructions, 0);
  expect(sum).toBeGreaterThanOrEqual(mean);
  expect(sum - mean).toBeLessThan(20 * out.layers.length);
}
