/**
 * Exact executed-instruction counts of the generated C on emulated cores: QEMU runs the bench
 * build (c/harness/bench_main.c) one instruction per translation block (-singlestep) and logs
 * every block it executes (-d exec,nochain); counting the log lines counts the instructions.
 * A run over N images minus a run over none is the cost of those N inferences.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { C_DIR } from "../paths.ts";
import { linkBareMetal, XTENSA_CFLAGS, XTENSA_LINK } from "../targets/targets.ts";
import { traceArgs } from "./cycles.ts";

const HARNESS = join(C_DIR, "harness");

export interface CountTarget {
  name: string;
  cc: string;
  qemu: string;
  cflags: string[];
  link: string[];
  qemuArgs: string[];
}

/** ARMv6-M code (what an RP2040's Cortex-M0+ runs) on QEMU's micro:bit (nRF51, Cortex-M0). */
export const M0_COUNT: CountTarget = {
  name: "cortex-m0",
  cc: "arm-none-eabi-gcc",
  qemu: "qemu-system-arm",
  cflags: ["-mcpu=cortex-m0plus", "-mthumb"],
  link: ["-T", join(HARNESS, "cortex-m0.ld")],
  qemuArgs: ["-M", "microbit"],
};

/**
 * The same ARMv6-M code on QEMU's mps2-an385, whose 4 MB of memory holds programs that do not
 * fit the micro:bit (the float32 and int-per-bit baselines). Counts are a property of the code
 * and the input, so they are the counts an M0 would execute.
 */
export const M0_BIG_COUNT: CountTarget = {
  name: "cortex-m0 (mps2 memory)",
  cc: "arm-none-eabi-gcc",
  qemu: "qemu-system-arm",
  cflags: ["-mcpu=cortex-m0plus", "-mthumb"],
  link: ["-T", join(HARNESS, "mps2.ld")],
  qemuArgs: ["-M", "mps2-an385"],
};

export const RV32_COUNT: CountTarget = {
  name: "rv32imc",
  cc: "riscv64-unknown-elf-gcc",
  qemu: "qemu-system-riscv32",
  cflags: ["-march=rv32imc", "-mabi=ilp32", "-mno-relax"],
  link: [join(HARNESS, "start-riscv32.S"), "-T", join(HARNESS, "riscv32.ld"), "-Wl,--no-warn-rwx-segments"],
  qemuArgs: ["-M", "virt", "-bios", "none", "-cpu", "rv32,zbb=false"],
};

export const RV32_ZBB_COUNT: CountTarget = {
  ...RV32_COUNT,
  name: "rv32imc-zbb",
  cflags: ["-march=rv32imc_zbb", "-mabi=ilp32", "-mno-relax"],
  qemuArgs: ["-M", "virt", "-bios", "none", "-cpu", "rv32,zbb=true"],
};

/**
 * Xtensa LX106 code (call0 ABI, no register windows, no loop/MAC16/MIN/MAX/SEXT options) on
 * QEMU's `sim` machine; SIMCALL semihosting (c/harness/semihost.h). -singlestep -d exec,nochain
 * logs one line per executed instruction on Xtensa as on ARM and RISC-V.
 */
export const XTENSA_COUNT: CountTarget = {
  name: "xtensa-lx106",
  cc: "xtensa-lx106-elf-gcc",
  qemu: "qemu-system-xtensa",
  cflags: XTENSA_CFLAGS.filter((f) => !f.startsWith("-O")),
  link: XTENSA_LINK,
  qemuArgs: ["-M", "sim", "-cpu", "lx106"],
};

/** Builds the bench program from C sources (the model's, or a baseline's) with optimization `opt`. */
export function buildBench(
  t: Pick<CountTarget, "name" | "cc" | "cflags" | "link">,
  sources: string[],
  includeDirs: string[],
  buildDir: string,
  opt: string[],
  tag: string,
): Promise<string> {
  const out = join(buildDir, `bench-${t.name.replace(/\W+/g, "-")}-${tag}.elf`);
  const args = ["-std=c99", ...opt, ...t.cflags, ...includeDirs.map((d) => `-I${d}`), `-I${C_DIR}`, `-I${HARNESS}`, ...sources, join(HARNESS, "bench_main.c")];
  return linkBareMetal(t, args, out);
}

function countRun(t: CountTarget, elf: string, cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(t.qemu, traceArgs(t.qemuArgs, elf), { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let count = 0;
    let tail = "";
    child.stderr.setEncoding("latin1");
    child.stderr.on("data", (chunk: string) => {
      const text = tail + chunk;
      let i = text.indexOf("Trace ");
      let last = 0;
      while (i >= 0) {
        count++;
        last = i + 6;
        i = text.indexOf("Trace ", last);
      }
      tail = text.slice(Math.max(last, text.length - 5));
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(count) : reject(new Error(`${t.qemu} exited with ${code} (the bench program failed)`))));
  });
}

/** Mean executed instructions per inference over the input records (and the program's fixed cost). */
export async function instructionsPerInference(
  t: CountTarget,
  elf: string,
  records: Buffer,
  recordBytes: number,
  buildDir: string,
): Promise<{ perInference: number; images: number; total: number }> {
  writeFileSync(join(buildDir, "bnn_in.bin"), Buffer.alloc(0));
  const base = await countRun(t, elf, buildDir);
  writeFileSync(join(buildDir, "bnn_in.bin"), records);
  const total = await countRun(t, elf, buildDir);
  const images = records.length / recordBytes;
  // includes the bench loop's few instructions per image (one semihosting read call and its set-up)
  return { perInference: (total - base) / images, images, total };
}
