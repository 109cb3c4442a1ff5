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
import { disassemble, m0plusCycles, rv32Cycles, traceCost, xtensaCycles, type Insn } from "./cycles.ts";
import type { CModel } from "../codegen/c-model.ts";
import { buildBench, M0_COUNT, RV32_COUNT, XTENSA_COUNT, type CountTarget } from "./icount.ts";
import { runRp2040, rp2040jsVersion } from "../targets/rp2040.ts";
import { RP2040_CFLAGS, RP2040_LINK } from "../targets/targets.ts";
import { run } from "../run.ts";
import { writeFileSync } from "node:fs";

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

export interface SpeedFigure {
  core: string;
  images: number;
  meanInstructions: number;
  meanCycles: number;
  worstImage: number;
  worstInstructions: number;
  worstCycles: number;
  clockMHz: number;
  meanUs: number;
  worstUs: number;
  /** How the cycles were obtained; `cyclesEstimated` is false only for an emulator's counter. */
  cycleModel: string;
  cyclesEstimated: boolean;
  /** rp2040js only: the same run's executed instructions priced with the TRM table (cycles.ts), else null. */
  trmMeanCycles: number | null;
  trmWorstCycles: number | null;
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
  speed: SpeedFigure[];
  notes: string[];
}

/** Flash and RAM of bnn_model.c compiled for Cortex-M0+ (gcc -O2), from nm and -fstack-usage. */
async function m0Footprint(modelDir: string, buildDir: string): Promise<{ weights: number; constants: number; code: number; ram: number; stack: number }> {
  const obj = join(buildDir, "bnn_model.o");
  await run("arm-none-eabi-gcc", ["-std=c99", "-O2", "-mcpu=cortex-m0plus", "-mthumb", "-ffreestanding", "-fstack-usage", `-I${C_DIR}`, `-I${modelDir}`, "-c", join(modelDir, "bnn_model.c"), "-o", obj], { cwd: buildDir });
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
 * Each layer's mean cost on the Cortex-M0: builds that stop after layer 1, 2, ... (the
 * generator's BNN_STOP_AFTER), run on the same records; a layer costs the difference between
 * stopping after it and after the one before (the output layer: the whole inference minus the
 * last hidden layer's stop). The probe's compare per layer is included: the per-layer figures
 * add up to a few instructions more than the plain build's mean.
 */
async function m0LayerCosts(hiddenLayers: number, modelDir: string, records: Buffer, recordBytes: number, buildDir: string): Promise<{ instructions: number; cycles: number }[]> {
  const images = records.length / recordBytes;
  const upTo: { instructions: number; cycles: number }[] = [{ instructions: 0, cycles: 0 }];
  // stop after layer 1, 2, ..., then 0: the whole inference in the same code
  for (const k of [...Array.from({ length: hiddenLayers }, (_, i) => i + 1), 0]) {
    const elf = await buildBench(M0_COUNT, [join(modelDir, "bnn_model.c")], [modelDir], buildDir, ["-O2", `-DBNN_STOP_AFTER=${k}`], `stop${k}`);
    const insns = await disassemble("arm-none-eabi-objdump", elf);
    writeFileSync(join(buildDir, "bnn_in.bin"), Buffer.alloc(0));
    const base = await traceCost(M0_COUNT.qemu, M0_COUNT.qemuArgs, elf, buildDir, insns, m0plusCycles);
    writeFileSync(join(buildDir, "bnn_in.bin"), records);
    const all = await traceCost(M0_COUNT.qemu, M0_COUNT.qemuArgs, elf, buildDir, insns, m0plusCycles);
    upTo.push({ instructions: (all.instructions - base.instructions) / images, cycles: (all.cycles - base.cycles) / images });
  }
  return upTo.slice(1).map((c, k) => ({ instructions: c.instructions - upTo[k].instructions, cycles: c.cycles - upTo[k].cycles }));
}

async function speed(core: string, cycleModel: string, t: CountTarget, objdump: string, cost: typeof m0plusCycles, clockMHz: number, modelDir: string, records: Buffer, recordBytes: number, worstRecord: Buffer, worst: number, buildDir: string): Promise<SpeedFigure> {
  const elf = await buildBench(t, [join(modelDir, "bnn_model.c")], [modelDir], buildDir, ["-O2"], "report");
  const insns = await disassemble(objdump, elf);
  const runOn = async (data: Buffer) => {
    writeFileSync(join(buildDir, "bnn_in.bin"), data);
    return traceCost(t.qemu, t.qemuArgs, elf, buildDir, insns, cost);
  };
  const base = await runOn(Buffer.alloc(0));
  const all = await runOn(records);
  const one = await runOn(worstRecord);
  const images = records.length / recordBytes;
  const meanInstructions = (all.instructions - base.instructions) / images;
  const meanCycles = (all.cycles - base.cycles) / images;
  const worstInstructions = one.instructions - base.instructions;
  const worstCycles = one.cycles - base.cycles;
  return { core, images, meanInstructions, meanCycles, worstImage: worst, worstInstructions, worstCycles, clockMHz, meanUs: meanCycles / clockMHz, worstUs: worstCycles / clockMHz, cycleModel, cyclesEstimated: true, trmMeanCycles: null, trmWorstCycles: null };
}

/**
 * The RP2040 build (c/harness/rp2040.ld) on rp2040js: one run over all records, the emulator's
 * cycle counter and instruction count read at every record the bench loop asks for, so each
 * image's cost is the difference between two reads (the loop's few instructions included, as
 * in the QEMU counts). The same run's trace is also priced with the TRM table.
 */
async function rp2040Speed(modelDir: string, records: Buffer, recordBytes: number, worstRecord: Buffer, worst: number, buildDir: string): Promise<SpeedFigure> {
  const elf = await buildBench({ name: "rp2040", cc: "arm-none-eabi-gcc", cflags: RP2040_CFLAGS.filter((f) => !f.startsWith("-O")), link: RP2040_LINK }, [join(modelDir, "bnn_model.c")], [modelDir], buildDir, ["-O2"], "report");
  const insns = await disassemble("arm-none-eabi-objdump", elf);
  let trm = 0;
  let prev: { pc: number; insn: Insn | undefined } | undefined;
  const trmAtRead: number[] = [];
  const r = runRp2040(readFileSync(elf), { "bnn_in.bin": Buffer.concat([records, worstRecord]) }, {
    onInstruction(pc) {
      if (prev) trm += prev.insn ? m0plusCycles(prev.insn, pc !== prev.pc + prev.insn.size) : 1;
      prev = { pc, insn: insns.get(pc) };
    },
    onRead: () => trmAtRead.push(trm),
  });
  if (!r.exitOk) throw new Error("rp2040js: the bench program stopped with an error");
  const images = records.length / recordBytes;
  // the averaged images, then the worst one
  if (r.reads.length !== images + 2) throw new Error(`rp2040js: ${r.reads.length} record reads for ${images + 1} images`);
  const per = (k: number) => ({ instructions: r.reads[k + 1].instructions - r.reads[k].instructions, cycles: r.reads[k + 1].cycles - r.reads[k].cycles, trm: trmAtRead[k + 1] - trmAtRead[k] });
  const w = per(images);
  const meanCycles = (r.reads[images].cycles - r.reads[0].cycles) / images;
  const clockMHz = 125;
  return {
    core: "RP2040 (Cortex-M0+) build on rp2040js",
    images,
    meanInstructions: (r.reads[images].instructions - r.reads[0].instructions) / images,
    meanCycles,
    worstImage: worst,
    worstInstructions: w.instructions,
    worstCycles: w.cycles,
    clockMHz,
    meanUs: meanCycles / clockMHz,
    worstUs: w.cycles / clockMHz,
    cycleModel: `rp2040js ${rp2040jsVersion()} cycle counter (emulator)`,
    cyclesEstimated: false,
    trmMeanCycles: (trmAtRead[images] - trmAtRead[0]) / images,
    trmWorstCycles: w.trm,
  };
}

/**
 * `records`: input records of the images to average over; `worstRecord`: the input record of the
 * costliest image for the columns method (the most +1 inputs), test image `worst`. `onStep`
 * hears what is being measured (the runs take seconds each).
 */
export async function buildReport(m: CModel, modelDir: string, records: Buffer, worstRecord: Buffer, worst: number, onStep?: (what: string) => void): Promise<Report> {
  const buildDir = mkdtempSync(join(tmpdir(), "bnn-report-"));
  try {
    onStep?.("flash and RAM (arm-none-eabi-gcc, nm, -fstack-usage)");
    const fp = await m0Footprint(modelDir, buildDir);
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
    onStep?.(`Cortex-M0 instructions under QEMU: ${images} images and the worst one`);
    const m0 = await speed("Cortex-M0 code, RP2040 (Cortex-M0+) timings", "Cortex-M0+ TRM timings over the QEMU trace (estimate)", M0_COUNT, "arm-none-eabi-objdump", m0plusCycles, 125, modelDir, records, recordBytes, worstRecord, worst, buildDir);
    onStep?.(`Cortex-M0 instructions per layer: ${shapes.length - 1} builds that stop after a layer, ${images} images each`);
    const perLayer = await m0LayerCosts(shapes.length - 1, modelDir, records, recordBytes, buildDir);
    const layers: LayerFootprint[] = shapes.map((l, k) => ({ ...l, m0Instructions: perLayer[k].instructions, m0Cycles: perLayer[k].cycles }));
    onStep?.(`RP2040 on rp2040js: ${images} images and the worst one`);
    const rp = await rp2040Speed(modelDir, records, recordBytes, worstRecord, worst, buildDir);
    onStep?.(`rv32imc instructions under QEMU: ${images} images and the worst one`);
    const rv = await speed("rv32imc, ESP32-C3-like estimate", "in-order rule over the QEMU trace (estimate)", RV32_COUNT, "riscv64-unknown-elf-objdump", rv32Cycles, 160, modelDir, records, recordBytes, worstRecord, worst, buildDir);
    onStep?.(`Xtensa LX106 instructions under QEMU: ${images} images and the worst one`);
    const xt = await speed("Xtensa LX106 (ESP8266 configuration), estimate", "5-stage in-order rule over the QEMU trace (estimate)", XTENSA_COUNT, "xtensa-lx106-elf-objdump", xtensaCycles, 160, modelDir, records, recordBytes, worstRecord, worst, buildDir);
    return {
      model: m.name,
      id: m.id,
      layers,
      flashBytes: { weights: fp.weights, constants: fp.constants, code: fp.code, total: fp.weights + fp.constants + fp.code },
      weightBits,
      overheadPercent: (100 * (fp.weights + fp.constants - weightBits / 8)) / (weightBits / 8),
      ramBytes: { static: fp.ram, stack: fp.stack, total: fp.ram + fp.stack },
      speed: [m0, rp, rv, xt],
      notes: [
        "Flash and RAM: bnn_model.c for Cortex-M0+ (arm-none-eabi-gcc -O2), sizes from arm-none-eabi-nm; stack of bnn_classify from -fstack-usage.",
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
    ...r.layers.map((l) => `| ${l.layer} | ${l.conv ? `conv ${l.conv.kernel}x${l.conv.kernel}x${l.conv.channels}${l.conv.pool > 1 ? `, pool ${l.conv.pool}` : ""} -> ${l.conv.outHeight}x${l.conv.outWidth}x${l.outputs}` : l.layer === r.layers.length ? "output" : "dense"} | ${l.inputs} | ${l.outputs} | ${n(l.binaryOps)} | ${n(l.wordOps)} | ${n(l.weightBytes)} | ${n(l.constantBytes)} | ${n(l.m0Instructions)} | ${n(l.m0Cycles)} |`),
    "",
    "Convolutions: inputs is the patch (kernel x kernel x channels), the bit and word operations count every position the patch is evaluated at. Per-layer instructions: builds that stop after each layer (-DBNN_STOP_AFTER), the difference of successive stops (the same code in every build: the layer to stop after is a volatile variable); they add up to the mean below plus a few instructions of the probe.",
    "",
    `**Flash**: ${n(r.flashBytes.total)} bytes = weights ${n(r.flashBytes.weights)} + thresholds/constants ${n(r.flashBytes.constants)} + code ${n(r.flashBytes.code)}. The weights are ${n(r.weightBits)} bits = ${n(r.weightBits / 8)} bytes; weights + constants are ${r.overheadPercent.toFixed(1)} % above that.`,
    "",
    `**RAM**: ${n(r.ramBytes.total)} bytes = static buffers ${n(r.ramBytes.static)} + stack of bnn_classify ${n(r.ramBytes.stack)}.`,
    "",
    "| core | images | instructions / inference (mean) | est. cycles (mean) | µs at clock (mean) | worst image: instructions | cycles | µs |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...r.speed.map((s) => `| ${s.core} | ${s.images} | ${n(s.meanInstructions)} | ${n(s.meanCycles)}${s.cyclesEstimated ? "" : " (counted)"} | ${s.meanUs.toFixed(0)} µs at ${s.clockMHz} MHz | ${n(s.worstInstructions)} | ${n(s.worstCycles)} | ${s.worstUs.toFixed(0)} µs |`),
    "",
    ...r.speed
      .filter((s) => s.trmMeanCycles !== null && s.trmWorstCycles !== null)
      .map((s) => `${s.core}: its ${s.cycleModel} over the TRM pricing of the same run: ${(s.meanCycles / s.trmMeanCycles!).toFixed(3)} mean (${n(s.meanCycles)} / ${n(s.trmMeanCycles!)}), ${(s.worstCycles / s.trmWorstCycles!).toFixed(3)} worst (${n(s.worstCycles)} / ${n(s.trmWorstCycles!)}).`),
    "",
    ...r.notes.map((t) => `- ${t}`),
    "",
  ];
  return lines.join("\n");
}
