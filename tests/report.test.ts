import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, expect } from "vitest";
import { barChartSvg, confusionMatrixSvg, learningCurvesSvg } from "../lib/report/svg.ts";
import { ProgressBar, formatDuration, formatRate } from "../lib/report/progress.ts";
import { mapParts, serviceFootprint, serviceFootprintMarkdown, type ConfigFootprint } from "../lib/measure/service-footprint.ts";
import { generatedDir } from "../lib/paths.ts";
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
      for (const k of ["meanInstructions", "meanCycles", "worstInstructions", "worstCycles", "meanUs", "worstUs", "clockMHz"])
        expect(s[k], `${s.core} ${k}`).toBeGreaterThan(0);
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
    // the service per configuration (checked in detail below)
    expect(out.service.configurations.map((c: ConfigFootprint) => c.name)).toEqual(["touch-only", "camera-only", "both"]);
    for (const c of out.service.configurations) expect(c.image.ram).toBe(c.model.ram + c.service.ram + sumOf(c, "measuring entry", "ram"));
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

const sumOf = (c: ConfigFootprint, part: string, key: "flash" | "ram") => c.parts.filter((p) => p.part === part).reduce((a, p) => a + p[key], 0);

describe("the classifier service's flash and RAM per configuration (bnn report)", () => {
  it("reads a GNU ld map: split lines, alignment, archive members, nothing of the discarded sections", () => {
    const map = [
      "Discarded input sections",
      " .text.unused   0x00000000       0x40 bnn_service.o",
      "",
      "Linker script and memory map",
      "",
      "LOAD bnn_model.o",
      ".text           0x00008000      0x1a0",
      " *(.text .text.*)",
      " .text.bnn_columns_layer.constprop.0",
      "                0x00008000      0x154 bnn_model.o",
      " .text.bnn_service_command",
      "                0x00008154       0x3c /tmp/b/bnn_service.o",
      "                0x00008154                bnn_service_command",
      " *fill*         0x00008190        0x2 ",
      " .text          0x00008194        0xc /usr/lib/gcc/arm-none-eabi/12.2.1/thumb/v6-m/nofp/libgcc.a(_udivsi3.o)",
      " .rodata.bnn_l1_columns",
      "                0x000081a0      0x100 bnn_model.o",
      ".bss            0x20000000      0x424",
      " .bss.bnn_service_upload",
      "                0x20000000      0x400 bnn_service.o",
      " COMMON         0x20000400       0x24 bnn_raster.o",
      ".comment        0x00000000       0x26",
      " .comment       0x00000000       0x26 bnn_model.o",
      " .debug_info    0x00000000      0x100 bnn_model.o",
    ].join("\n");
    const parts = Object.fromEntries(mapParts(map).map((p) => [p.part, p]));
    expect(parts.model).toMatchObject({ text: 0x154, rodata: 0x100, data: 0, bss: 0, flash: 0x254, ram: 0 });
    expect(parts["service core"]).toMatchObject({ text: 0x3c, bss: 0x400, flash: 0x3c, ram: 0x400 });
    expect(parts.libgcc).toMatchObject({ text: 0xc, flash: 0xc, ram: 0 });
    expect(parts.alignment).toMatchObject({ text: 2, flash: 2 });
    expect(parts.rasterizer).toMatchObject({ bss: 0x24, ram: 0x24, flash: 0 });
    expect(() => mapParts("no map")).toThrow(/not a GNU ld map/);
  });

  it("links the default model with each configuration: the parts add up, a left-out command's C is not linked, touch-only pays for no frame", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bnn-service-footprint-"));
    try {
      const s = await serviceFootprint(generatedDir("default"), dir);
      const [touch, camera, both] = s.configurations;
      expect([touch.name, camera.name, both.name]).toEqual(["touch-only", "camera-only", "both"]);
      // the upload buffer each configuration needs (bnn_service.h): 400 stroke pairs, a 64x64 frame
      expect([touch.uploadBytes, camera.uploadBytes, both.uploadBytes]).toEqual([1600, 4096, 4096]);
      for (const c of s.configurations) {
        // the parts are the whole image, and the service is the image without the model and the entry
        for (const key of ["flash", "ram"] as const) {
          expect(
            c.parts.reduce((a, p) => a + p[key], 0),
            `${c.name} ${key}`,
          ).toBe(c.image[key]);
          expect(c.service[key], `${c.name} ${key}`).toBe(c.image[key] - c.model[key] - sumOf(c, "measuring entry", key));
        }
        for (const p of c.parts) {
          expect(p.flash).toBe(p.text + p.rodata + p.data);
          expect(p.ram).toBe(p.data + p.bss);
        }
        // the service core holds the upload buffer and the packed input
        expect(sumOf(c, "service core", "ram")).toBeGreaterThanOrEqual(c.uploadBytes + 100);
        expect(c.model.flash).toBeGreaterThan(10_000);
        expect(c.model.ram).toBe(both.model.ram);
      }
      // a command left out links none of its C
      expect(sumOf(touch, "camera preprocessing", "flash") + sumOf(touch, "camera preprocessing", "ram")).toBe(0);
      expect(sumOf(camera, "rasterizer", "flash") + sumOf(camera, "rasterizer", "ram")).toBe(0);
      for (const part of ["rasterizer", "camera preprocessing"]) expect(sumOf(both, part, "flash"), part).toBeGreaterThan(1000);
      expect(sumOf(touch, "rasterizer", "ram")).toBe(sumOf(both, "rasterizer", "ram"));
      // each one-input build costs less than both; touch-only's service, its core and all it adds
      // (the rasterizer walks its disc centres twice instead of keeping them), stays within 2 KB of RAM
      for (const key of ["flash", "ram"] as const) {
        expect(touch.service[key], key).toBeLessThan(both.service[key]);
        expect(camera.service[key], key).toBeLessThan(both.service[key]);
      }
      expect(sumOf(touch, "service core", "ram")).toBeLessThanOrEqual(2048);
      expect(touch.service.ram).toBeLessThanOrEqual(2048);
      // no camera frame in touch-only: the frame buffer and the 28x28 pixels are both gone
      expect(sumOf(both, "service core", "ram") - sumOf(touch, "service core", "ram")).toBeGreaterThanOrEqual(4096 - 1600 + 784);
      const table = serviceFootprintMarkdown(s).join("\n");
      for (const c of s.configurations) expect(table).toContain(`| ${c.name} (`);
      expect(table).toContain(`| ${touch.uploadBytes.toLocaleString("en-US")} |`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
