/**
 * The speed figures of the footprint report (footprint.ts): executed instructions per inference
 * under QEMU, with cycles and microseconds by each core's stated rule (cycles.ts), the Cortex-M0
 * cost of each layer, and the RP2040 build on rp2040js, counted by its cycle counter and priced
 * with the TRM table.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { disassemble, m0plusCycles, traceCost, type Insn } from "./cycles.ts";
import { buildBench, M0_COUNT, type CountTarget } from "./icount.ts";
import { runRp2040, rp2040jsVersion } from "../targets/rp2040.ts";
import { RP2040_CFLAGS, RP2040_LINK } from "../targets/targets.ts";

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

/** What every speed figure of a report runs: the model's C, the records of the averaged images, the worst image's alone. */
export interface SpeedRun {
  modelDir: string;
  records: Buffer;
  recordBytes: number;
  worstRecord: Buffer;
  /** The worst image's index in the test set. */
  worst: number;
  buildDir: string;
}

/**
 * The bench program of the model built for `t` with `flags`, disassembled once: a function that
 * traces it under QEMU with `data` as its input records and prices each instruction by `cost`.
 */
async function tracer(t: CountTarget, objdump: string, cost: typeof m0plusCycles, run: SpeedRun, flags: string[], tag: string) {
  const elf = await buildBench(t, [join(run.modelDir, "bnn_model.c")], [run.modelDir], run.buildDir, flags, tag);
  const insns = await disassemble(objdump, elf);
  return (data: Buffer) => {
    writeFileSync(join(run.buildDir, "bnn_in.bin"), data);
    return traceCost(t.qemu, t.qemuArgs, elf, run.buildDir, insns, cost);
  };
}

/**
 * Each layer's mean cost on the Cortex-M0: builds that stop after layer 1, 2, ... (the
 * generator's BNN_STOP_AFTER), run on the same records; a layer costs the difference between
 * stopping after it and after the one before (the output layer: the whole inference minus the
 * last hidden layer's stop). The probe's compare per layer is included: the per-layer figures
 * add up to a few instructions more than the plain build's mean.
 */
export async function m0LayerCosts(hiddenLayers: number, run: SpeedRun): Promise<{ instructions: number; cycles: number }[]> {
  const images = run.records.length / run.recordBytes;
  const upTo: { instructions: number; cycles: number }[] = [{ instructions: 0, cycles: 0 }];
  // stop after layer 1, 2, ..., then 0: the whole inference in the same code
  for (const k of [...Array.from({ length: hiddenLayers }, (_, i) => i + 1), 0]) {
    const traced = await tracer(M0_COUNT, "arm-none-eabi-objdump", m0plusCycles, run, ["-O2", `-DBNN_STOP_AFTER=${k}`], `stop${k}`);
    const base = await traced(Buffer.alloc(0));
    const all = await traced(run.records);
    upTo.push({ instructions: (all.instructions - base.instructions) / images, cycles: (all.cycles - base.cycles) / images });
  }
  return upTo.slice(1).map((c, k) => ({ instructions: c.instructions - upTo[k].instructions, cycles: c.cycles - upTo[k].cycles }));
}

/** A core QEMU runs, how its cycles are priced, and the clock its microseconds are at. */
export interface QemuCore {
  core: string;
  cycleModel: string;
  t: CountTarget;
  objdump: string;
  cost: typeof m0plusCycles;
  clockMHz: number;
}

/** One core's figure: the bench build for `t` traced under QEMU over all records, then the worst one alone, each instruction priced by `cost`. */
export async function qemuSpeed({ core, cycleModel, t, objdump, cost, clockMHz }: QemuCore, run: SpeedRun): Promise<SpeedFigure> {
  const { records, recordBytes, worstRecord, worst } = run;
  const runOn = await tracer(t, objdump, cost, run, ["-O2"], "report");
  const base = await runOn(Buffer.alloc(0));
  const all = await runOn(records);
  const one = await runOn(worstRecord);
  const images = records.length / recordBytes;
  const meanInstructions = (all.instructions - base.instructions) / images;
  const meanCycles = (all.cycles - base.cycles) / images;
  const worstInstructions = one.instructions - base.instructions;
  const worstCycles = one.cycles - base.cycles;
  return {
    core,
    images,
    meanInstructions,
    meanCycles,
    worstImage: worst,
    worstInstructions,
    worstCycles,
    clockMHz,
    meanUs: meanCycles / clockMHz,
    worstUs: worstCycles / clockMHz,
    cycleModel,
    cyclesEstimated: true,
    trmMeanCycles: null,
    trmWorstCycles: null,
  };
}

/**
 * The RP2040 build (c/harness/rp2040.ld) on rp2040js: one run over all records, the emulator's
 * cycle counter and instruction count read at every record the bench loop asks for, so each
 * image's cost is the difference between two reads (the loop's few instructions included, as
 * in the QEMU counts). The same run's trace is also priced with the TRM table.
 */
export async function rp2040Speed({ modelDir, records, recordBytes, worstRecord, worst, buildDir }: SpeedRun): Promise<SpeedFigure> {
  const elf = await buildBench(
    { name: "rp2040", cc: "arm-none-eabi-gcc", cflags: RP2040_CFLAGS.filter((f) => !f.startsWith("-O")), link: RP2040_LINK },
    [join(modelDir, "bnn_model.c")],
    [modelDir],
    buildDir,
    ["-O2"],
    "report",
  );
  const insns = await disassemble("arm-none-eabi-objdump", elf);
  let trm = 0;
  let prev: { pc: number; insn: Insn | undefined } | undefined;
  const trmAtRead: number[] = [];
  const r = runRp2040(
    readFileSync(elf),
    { "bnn_in.bin": Buffer.concat([records, worstRecord]) },
    {
      onInstruction(pc) {
        if (prev) trm += prev.insn ? m0plusCycles(prev.insn, pc !== prev.pc + prev.insn.size) : 1;
        prev = { pc, insn: insns.get(pc) };
      },
      onRead: () => trmAtRead.push(trm),
    },
  );
  if (!r.exitOk) throw new Error("rp2040js: the bench program stopped with an error");
  const images = records.length / recordBytes;
  // the averaged images, then the worst one
  if (r.reads.length !== images + 2) throw new Error(`rp2040js: ${r.reads.length} record reads for ${images + 1} images`);
  const per = (k: number) => ({
    instructions: r.reads[k + 1].instructions - r.reads[k].instructions,
    cycles: r.reads[k + 1].cycles - r.reads[k].cycles,
    trm: trmAtRead[k + 1] - trmAtRead[k],
  });
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
