/**
 * The footprint and speed report of a model's generated C: flash (weights, constants, code),
 * RAM (static buffers, stack), binary operations per layer, executed instructions per inference
 * on the emulated Cortex-M0 and rv32imc, and estimated cycles and microseconds on an RP2040
 * (Cortex-M0+ at 125 MHz) and an ESP32-C3-like rv32imc at 160 MHz.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { C_DIR } from "./paths.ts";
import { disassemble, m0plusCycles, rv32Cycles, traceCost } from "./cycles.ts";
import { columnsForm, type CModel } from "./generate.ts";
import { buildBench, M0_COUNT, RV32_COUNT, type CountTarget } from "./icount.ts";
import { run } from "./toolchain.ts";
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
function m0Footprint(modelDir: string, buildDir: string): { weights: number; constants: number; code: number; ram: number; stack: number } {
  const obj = join(buildDir, "bnn_model.o");
  run("arm-none-eabi-gcc", ["-std=c99", "-O2", "-mcpu=cortex-m0plus", "-mthumb", "-ffreestanding", "-fstack-usage", `-I${C_DIR}`, `-I${modelDir}`, "-c", join(modelDir, "bnn_model.c"), "-o", obj], { cwd: buildDir });
  const nm = run("arm-none-eabi-nm", ["-S", "--size-sort", obj]).stdout.toString("utf8");
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

async function speed(core: string, t: CountTarget, objdump: string, cost: typeof m0plusCycles, clockMHz: number, modelDir: string, records: Buffer, recordBytes: number, worstRecord: Buffer, worst: number, buildDir: string): Promise<SpeedFigure> {
  const elf = buildBench(t, [join(modelDir, "bnn_model.c")], [modelDir], buildDir, ["-O2"], "report");
  const insns = disassemble(objdump, elf);
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
  return { core, images, meanInstructions, meanCycles, worstImage: worst, worstInstructions, worstCycles, clockMHz, meanUs: meanCycles / clockMHz, worstUs: worstCycles / clockMHz };
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
    const fp = m0Footprint(modelDir, buildDir);
    const recordBytes = 4 * ((m.width * m.height + 31) >>> 5);
    const layers: LayerFootprint[] = [...m.hidden, m.output].map((l, k) => {
      const hidden = k < m.hidden.length;
      const form = hidden ? columnsForm(m.hidden[k]) : undefined;
      return {
        layer: k + 1,
        inputs: l.inputs,
        outputs: l.outputs,
        binaryOps: l.inputs * l.outputs,
        wordOps: l.words * l.outputs,
        weightBytes: form ? 4 * form.columns.length : 4 * l.weights.length,
        constantBytes: form ? 4 * (form.kEven.length + form.oddDec.length) : 8 * l.outputs,
        bitBytes: (l.inputs * l.outputs) / 8,
      };
    });
    const weightBits = layers.reduce((s, l) => s + l.binaryOps, 0);
    const images = records.length / recordBytes;
    onStep?.(`Cortex-M0 instructions under QEMU: ${images} images and the worst one`);
    const m0 = await speed("Cortex-M0 code, RP2040 (Cortex-M0+) timings", M0_COUNT, "arm-none-eabi-objdump", m0plusCycles, 125, modelDir, records, recordBytes, worstRecord, worst, buildDir);
    onStep?.(`rv32imc instructions under QEMU: ${images} images and the worst one`);
    const rv = await speed("rv32imc, ESP32-C3-like estimate", RV32_COUNT, "riscv64-unknown-elf-objdump", rv32Cycles, 160, modelDir, records, recordBytes, worstRecord, worst, buildDir);
    return {
      model: m.name,
      id: m.id,
      layers,
      flashBytes: { weights: fp.weights, constants: fp.constants, code: fp.code, total: fp.weights + fp.constants + fp.code },
      weightBits,
      overheadPercent: (100 * (fp.weights + fp.constants - weightBits / 8)) / (weightBits / 8),
      ramBytes: { static: fp.ram, stack: fp.stack, total: fp.ram + fp.stack },
      speed: [m0, rv],
      notes: [
        "Flash and RAM: bnn_model.c for Cortex-M0+ (arm-none-eabi-gcc -O2), sizes from arm-none-eabi-nm; stack of bnn_classify from -fstack-usage.",
        "Instructions: exact counts of the executed instructions under QEMU (one instruction per translation block, exec log), bench loop included (a few instructions per image).",
        "Cycles: each executed instruction priced by the Cortex-M0+ TRM timings (loads/stores 2, taken branches 2, BL 3, PUSH/POP 1+N, MULS 1 as on the RP2040); code and tables assumed in zero-wait-state memory. rv32imc: 1 cycle each, +1 per load and per taken branch or jump (an estimate, not a datasheet figure).",
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
    "| layer | inputs | outputs | XNOR bit ops | 32-bit word ops | weight bytes | constant bytes |",
    "|---:|---:|---:|---:|---:|---:|---:|",
    ...r.layers.map((l) => `| ${l.layer} | ${l.inputs} | ${l.outputs} | ${n(l.binaryOps)} | ${n(l.wordOps)} | ${n(l.weightBytes)} | ${n(l.constantBytes)} |`),
    "",
    `**Flash**: ${n(r.flashBytes.total)} bytes = weights ${n(r.flashBytes.weights)} + thresholds/constants ${n(r.flashBytes.constants)} + code ${n(r.flashBytes.code)}. The weights are ${n(r.weightBits)} bits = ${n(r.weightBits / 8)} bytes; weights + constants are ${r.overheadPercent.toFixed(1)} % above that.`,
    "",
    `**RAM**: ${n(r.ramBytes.total)} bytes = static buffers ${n(r.ramBytes.static)} + stack of bnn_classify ${n(r.ramBytes.stack)}.`,
    "",
    "| core | images | instructions / inference (mean) | est. cycles (mean) | µs at clock (mean) | worst image: instructions | cycles | µs |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...r.speed.map((s) => `| ${s.core} | ${s.images} | ${n(s.meanInstructions)} | ${n(s.meanCycles)} | ${s.meanUs.toFixed(0)} µs at ${s.clockMHz} MHz | ${n(s.worstInstructions)} | ${n(s.worstCycles)} | ${s.worstUs.toFixed(0)} µs |`),
    "",
    ...r.notes.map((t) => `- ${t}`),
    "",
  ];
  return lines.join("\n");
}
