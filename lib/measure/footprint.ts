/**
 * The footprint and speed report of a model's generated C: flash (weights, constants, code),
 * RAM (static buffers, stack), binary operations per layer, executed instructions per inference
 * on the emulated Cortex-M0, rv32imc and Xtensa LX106, and cycles and microseconds: estimated
 * for an RP2040 (Cortex-M0+ at 125 MHz, TRM timings), an ESP32-C3-like rv32imc at 160 MHz and
 * the LX106 at 160 MHz (stated rules, cycles.ts), and counted by rp2040js's cycle counter for
 * the RP2040 build (rp2040.ts), beside the TRM pricing of that same run.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { C_DIR } from "../paths.ts";
import { m0plusCycles, rv32Cycles, xtensaCycles } from "./cycles.ts";
import type { CModel } from "../codegen/c-model.ts";
import { M0_COUNT, RV32_COUNT, XTENSA_COUNT } from "./icount.ts";
import { m0LayerCosts, qemuSpeed, rp2040Speed, type QemuCore, type SpeedFigure, type SpeedRun } from "./speed.ts";
import { run } from "../run.ts";
import { serviceFootprint, serviceFootprintMarkdown, type ServiceFootprint } from "./service-footprint.ts";

/** The cores QEMU traces for the report, and how each prices its instructions. */
const M0_CORE: QemuCore = {
  core: "Cortex-M0 code, RP2040 (Cortex-M0+) timings",
  cycleModel: "Cortex-M0+ TRM timings over the QEMU trace (estimate)",
  t: M0_COUNT,
  objdump: "arm-none-eabi-objdump",
  cost: m0plusCycles,
  clockMHz: 125,
};
const RV32_CORE: QemuCore = {
  core: "rv32imc, ESP32-C3-like estimate",
  cycleModel: "in-order rule over the QEMU trace (estimate)",
  t: RV32_COUNT,
  objdump: "riscv64-unknown-elf-objdump",
  cost: rv32Cycles,
  clockMHz: 160,
};
const XTENSA_CORE: QemuCore = {
  core: "Xtensa LX106 (ESP8266 configuration), estimate",
  cycleModel: "5-stage in-order rule over the QEMU trace (estimate)",
  t: XTENSA_COUNT,
  objdump: "xtensa-lx106-elf-objdump",
  cost: xtensaCycles,
  clockMHz: 160,
};

export interface LayerFootprint {
  layer: number;
  inputs: number;
  outputs: number;
  /** XNOR bit operations (inputs x outputs) and 32-bit word operations of the rows form. */
  binaryOps: number;
  wordOps: number;
  /** Bytes in flash of the form compiled by default (columns for hidden layers). */
  weightBytes: number;
  constantBytes: number;
  /** Bits / 8: the information content of the layer's weights. */
  bitBytes: number;
  /** Convolutions: the output tensor (after pooling) and the positions the patch is evaluated at. */
  conv?: { kernel: number; channels: number; pool: number; outHeight: number; outWidth: number; positions: number };
  /** Cortex-M0 under QEMU: mean executed instructions of this layer per inference, and their TRM cycles. */
  m0Instructions: number;
  m0Cycles: number;
}

export interface Report {
  model: string;
  id: string;
  layers: LayerFootprint[];
  flashBytes: { weights: number; constants: number; code: number; total: number };
  /** Bits of weights, and how far weights + constants in flash are above bits / 8. */
  weightBits: number;
  overheadPercent: number;
  ramBytes: { static: number; stack: number; total: number };
  /** Flash and RAM of the classifier service with this model, per configuration of the service. */
  service: ServiceFootprint;
  speed: SpeedFigure[];
  notes: string[];
}

/** Flash and RAM of bnn_model.c compiled for Cortex-M0+ (gcc -O2), from nm and -fstack-usage. */
async function m0Footprint(modelDir: string, buildDir: string): Promise<{ weights: number; constants: number; code: number; ram: number; stack: number }> {
  const obj = join(buildDir, "bnn_model.o");
  await run(
    "arm-none-eabi-gcc",
    [
      "-std=c99",
      "-O2",
      "-mcpu=cortex-m0plus",
      "-mthumb",
      "-ffreestanding",
      "-fstack-usage",
      `-I${C_DIR}`,
      `-I${modelDir}`,
      "-c",
      join(modelDir, "bnn_model.c"),
      "-o",
      obj,
    ],
    { cwd: buildDir },
  );
  const nm = (await run("arm-none-eabi-nm", ["-S", "--size-sort", obj])).stdout.toString("utf8");
  let weights = 0;
  let constants = 0;
  let code = 0;
  let ram = 0;
  for (const line of nm.split("\n")) {
    const m = /^[0-9a-f]+ ([0-9a-f]+) (\w) (\S+)/.exec(line);
    if (!m) continue;
    const size = parseInt(m[1], 16);
    const type = m[2].toLowerCase();
    if (type === "t") code += size;
    else if (type === "r") /_(weights|columns)$/.test(m[3]) ? (weights += size) : (constants += size);
    else if (type === "b" || type === "d") ram += size;
  }
  const su = readdirSync(buildDir).find((f) => f.endsWith(".su"));
  let stack = 0;
  if (su) for (const line of readFileSync(join(buildDir, su), "utf8").split("\n")) if (/\bbnn_classify\t/.test(line)) stack = Number(line.split("\t")[1]);
  return { weights, constants, code, ram, stack };
}

/**
 * `records`: input records of the images to average over; `worstRecord`: the input record of the
 * costliest image for the columns method (the most +1 inputs), test image `worst`. `onStep`
 * hears what is being measured (the runs take seconds each).
 */
export async function buildReport(
  m: CModel,
  modelDir: string,
  records: Buffer,
  worstRecord: Buffer,
  worst: number,
  onStep?: (what: string) => void,
): Promise<Report> {
  const buildDir = mkdtempSync(join(tmpdir(), "bnn-report-"));
  try {
    onStep?.("flash and RAM (arm-none-eabi-gcc, nm, -fstack-usage)");
    const fp = await m0Footprint(modelDir, buildDir);
    onStep?.("the classifier service with the model: touch-only, camera-only, both (arm-none-eabi-gcc, ld --gc-sections, the link map)");
    const service = await serviceFootprint(modelDir, buildDir);
    const recordBytes = 4 * ((m.width * m.height + 31) >>> 5);
    const convLayers: Omit<LayerFootprint, "m0Instructions" | "m0Cycles">[] = m.conv.map((c, k) => {
      const form = c.patch.form;
      const positions = c.outHeight * c.pool * c.outWidth * c.pool;
      return {
        layer: k + 1,
        inputs: c.patch.inputs,
        outputs: c.outputs,
        binaryOps: c.patch.inputs * c.outputs * positions,
        wordOps: c.patch.words * c.outputs * positions,
        weightBytes: 4 * form.columns.length,
        constantBytes: 4 * (form.kEven.length + form.oddDec.length + c.poolAnd.length),
        bitBytes: (c.patch.inputs * c.outputs) / 8,
        conv: { kernel: c.kernel, channels: c.channels, pool: c.pool, outHeight: c.outHeight, outWidth: c.outWidth, positions },
      };
    });
    const denseLayers = [...m.hidden, m.output].map((l, k) => {
      const hidden = k < m.hidden.length;
      const form = hidden ? m.hidden[k].form : undefined;
      return {
        layer: m.conv.length + k + 1,
        inputs: l.inputs,
        outputs: l.outputs,
        binaryOps: l.inputs * l.outputs,
        wordOps: l.words * l.outputs,
        weightBytes: form ? 4 * form.columns.length : 4 * l.weights.length,
        constantBytes: form ? 4 * (form.kEven.length + form.oddDec.length) : 8 * l.outputs,
        bitBytes: (l.inputs * l.outputs) / 8,
      };
    });
    const shapes = [...convLayers, ...denseLayers];
    const weightBits = shapes.reduce((s, l) => s + 8 * l.bitBytes, 0);
    const images = records.length / recordBytes;
    const run: SpeedRun = { modelDir, records, recordBytes, worstRecord, worst, buildDir };
    onStep?.(`Cortex-M0 instructions under QEMU: ${images} images and the worst one`);
    const m0 = await qemuSpeed(M0_CORE, run);
    onStep?.(`Cortex-M0 instructions per layer: ${shapes.length - 1} builds that stop after a layer, ${images} images each`);
    const perLayer = await m0LayerCosts(shapes.length - 1, run);
    const layers: LayerFootprint[] = shapes.map((l, k) => ({ ...l, m0Instructions: perLayer[k].instructions, m0Cycles: perLayer[k].cycles }));
    onStep?.(`RP2040 on rp2040js: ${images} images and the worst one`);
    const rp = await rp2040Speed(run);
    onStep?.(`rv32imc instructions under QEMU: ${images} images and the worst one`);
    const rv = await qemuSpeed(RV32_CORE, run);
    onStep?.(`Xtensa LX106 instructions under QEMU: ${images} images and the worst one`);
    const xt = await qemuSpeed(XTENSA_CORE, run);
    return {
      model: m.name,
      id: m.id,
      layers,
      flashBytes: { weights: fp.weights, constants: fp.constants, code: fp.code, total: fp.weights + fp.constants + fp.code },
      weightBits,
      overheadPercent: (100 * (fp.weights + fp.constants - weightBits / 8)) / (weightBits / 8),
      ramBytes: { static: fp.ram, stack: fp.stack, total: fp.ram + fp.stack },
      service,
      speed: [m0, rp, rv, xt],
      notes: [
        "Flash and RAM: bnn_model.c for Cortex-M0+ (arm-none-eabi-gcc -O2), sizes from arm-none-eabi-nm; stack of bnn_classify from -fstack-usage.",
        "The service with the model: one link per configuration of c/service/bnn_service.h (BNN_SERVICE_STROKES, BNN_SERVICE_FRAMES) for Cortex-M0+, from an entry that calls what the jacdac adapter calls (c/harness/service_size_main.c; its own bytes are left out), with --gc-sections, so only what a command reaches counts; the link map gives each object's part. 'Service' is everything it adds to the model: its core, the rasterizer and the camera preprocessing it serves, the libgcc routines they call (a firmware may link those anyway) and alignment. The model's figures there are what the link keeps of bnn_model.c (bnn_pack_pixels only with frames).",
        "Instructions: exact counts of the executed instructions under QEMU (one instruction per translation block, exec log), bench loop included (a few instructions per image).",
        "Cycles: each executed instruction priced by the Cortex-M0+ TRM timings (loads/stores 2, taken branches 2, BL 3, PUSH/POP 1+N, MULS 1 as on the RP2040); code and tables assumed in zero-wait-state memory. rv32imc: 1 cycle each, +1 per load and per taken branch or jump (an estimate, not a datasheet figure).",
        "RP2040 on rp2040js: the same C and flags linked for the RP2040 (code and tables in XIP flash, data in SRAM), run on rp2040js; cycles from its cycle counter, which treats XIP flash like SRAM (no cache misses), models no bus contention and no fetch wait states. Its trmMeanCycles are the same run's instructions priced with the TRM table above.",
        "Xtensa LX106 (the ESP8266's configuration; the ESP32's LX6 is another configuration of the ISA, docs/popcount.md): call0 ABI; cycles by a stated rule, not a datasheet figure: 1 per instruction, +1 per load, +2 per taken branch, jump, call or return; µs at 160 MHz (ESP8266 at 80 or 160 MHz, ESP32 at 160 or 240 MHz: scale by 160 / clock).",
      ],
    };
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
}

export function reportMarkdown(r: Report): string {
  const n = (x: number) => Math.round(x).toLocaleString("en-US");
  const lines = [
    `# Footprint and speed: model \`${r.model}\` (${r.id})`,
    "",
    "| layer | kind | inputs | outputs | XNOR bit ops | 32-bit word ops | weight bytes | constant bytes | Cortex-M0 instructions (mean) | est. RP2040 cycles |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...r.layers.map(
      (l) =>
        `| ${l.layer} | ${l.conv ? `conv ${l.conv.kernel}x${l.conv.kernel}x${l.conv.channels}${l.conv.pool > 1 ? `, pool ${l.conv.pool}` : ""} -> ${l.conv.outHeight}x${l.conv.outWidth}x${l.outputs}` : l.layer === r.layers.length ? "output" : "dense"} | ${l.inputs} | ${l.outputs} | ${n(l.binaryOps)} | ${n(l.wordOps)} | ${n(l.weightBytes)} | ${n(l.constantBytes)} | ${n(l.m0Instructions)} | ${n(l.m0Cycles)} |`,
    ),
    "",
    "Convolutions: inputs is the patch (kernel x kernel x channels), the bit and word operations count every position the patch is evaluated at. Per-layer instructions: builds that stop after each layer (-DBNN_STOP_AFTER), the difference of successive stops (the same code in every build: the layer to stop after is a volatile variable); they add up to the mean below plus a few instructions of the probe.",
    "",
    `**Flash**: ${n(r.flashBytes.total)} bytes = weights ${n(r.flashBytes.weights)} + thresholds/constants ${n(r.flashBytes.constants)} + code ${n(r.flashBytes.code)}. The weights are ${n(r.weightBits)} bits = ${n(r.weightBits / 8)} bytes; weights + constants are ${r.overheadPercent.toFixed(1)} % above that.`,
    "",
    `**RAM**: ${n(r.ramBytes.total)} bytes = static buffers ${n(r.ramBytes.static)} + stack of bnn_classify ${n(r.ramBytes.stack)}.`,
    "",
    ...serviceFootprintMarkdown(r.service),
    "",
    "| core | images | instructions / inference (mean) | est. cycles (mean) | µs at clock (mean) | worst image: instructions | cycles | µs |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...r.speed.map(
      (s) =>
        `| ${s.core} | ${s.images} | ${n(s.meanInstructions)} | ${n(s.meanCycles)}${s.cyclesEstimated ? "" : " (counted)"} | ${s.meanUs.toFixed(0)} µs at ${s.clockMHz} MHz | ${n(s.worstInstructions)} | ${n(s.worstCycles)} | ${s.worstUs.toFixed(0)} µs |`,
    ),
    "",
    ...r.speed
      .filter((s) => s.trmMeanCycles !== null && s.trmWorstCycles !== null)
      .map(
        (s) =>
          `${s.core}: its ${s.cycleModel} over the TRM pricing of the same run: ${(s.meanCycles / s.trmMeanCycles!).toFixed(3)} mean (${n(s.meanCycles)} / ${n(s.trmMeanCycles!)}), ${(s.worstCycles / s.trmWorstCycles!).toFixed(3)} worst (${n(s.worstCycles)} / ${n(s.trmWorstCycles!)}).`,
      ),
    "",
    ...r.notes.map((t) => `- ${t}`),
    "",
  ];
  return lines.join("\n");
}
