/**
 * Measurements of the generated C: executed instructions per inference for each popcount
 * method and hidden-layer method on the cores without a popcount instruction (Cortex-M0,
 * rv32imc) and with one (rv32imc + Zbb). These numbers choose the defaults in
 * c/bnn_popcount.h and c/bnn_layers.h (docs/popcount.md).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { C_DIR } from "../paths.ts";
import { floatBaseline, intPerBitBaseline } from "./baselines.ts";
import type { CModel } from "../codegen/c-model.ts";
import { run } from "../run.ts";
import { WASM_SYSTEM_CLANG } from "../targets/targets.ts";
import { instantiateWasm, type WasmBnn } from "../targets/wasm-abi.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBench, instructionsPerInference, M0_BIG_COUNT, M0_COUNT, RV32_COUNT, RV32_ZBB_COUNT, type CountTarget } from "./icount.ts";

export interface Variant {
  name: string;
  defines: string[];
}

const POP = { HW: 1, LIBGCC: 2, SWAR: 3, TABLE: 4, CSA: 5, NIBBLE: 6 } as const;

const rows = (m: keyof typeof POP): Variant => ({ name: `rows + ${m.toLowerCase()} popcount`, defines: [`-DBNN_POPCOUNT=${POP[m]}`, "-DBNN_HIDDEN_METHOD=1"] });
const columns = (m: keyof typeof POP): Variant => ({
  name: `columns (bit-sliced counters) + ${m.toLowerCase()}`,
  defines: [`-DBNN_POPCOUNT=${POP[m]}`, "-DBNN_HIDDEN_METHOD=2"],
});

export const SOFTWARE_VARIANTS: Variant[] = [rows("LIBGCC"), rows("SWAR"), rows("TABLE"), rows("CSA"), rows("NIBBLE"), columns("NIBBLE")];
export const HARDWARE_VARIANTS: Variant[] = [rows("HW"), columns("HW")];

export interface CountRow {
  target: string;
  variant: string;
  opt: string;
  instructions: number;
  images: number;
}

export async function popcountMatrix(
  modelDir: string,
  records: Buffer,
  recordBytes: number,
  opts: string[] = ["-O2"],
  onRow?: (r: CountRow) => void,
): Promise<CountRow[]> {
  const buildDir = mkdtempSync(join(tmpdir(), "bnn-bench-"));
  const rowsOut: CountRow[] = [];
  const plan: [CountTarget, Variant[]][] = [
    [M0_COUNT, SOFTWARE_VARIANTS],
    [RV32_COUNT, SOFTWARE_VARIANTS],
    [RV32_ZBB_COUNT, HARDWARE_VARIANTS],
  ];
  try {
    for (const [target, variants] of plan) {
      for (const v of variants) {
        for (const opt of opts) {
          const elf = await buildBench(target, [join(modelDir, "bnn_model.c")], [modelDir], buildDir, [opt, ...v.defines], "v");
          const r = await instructionsPerInference(target, elf, records, recordBytes, buildDir);
          const row = { target: target.name, variant: v.name, opt, instructions: Math.round(r.perInference), images: r.images };
          rowsOut.push(row);
          onRow?.(row);
        }
      }
    }
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
  return rowsOut;
}

// ---- XNOR/popcount C against the baselines ----

export interface Contender {
  name: string;
  /** C source files (generated into the build folder when `text` is given). */
  sources: (buildDir: string) => string[];
  defines: string[];
}

export function contenders(model: CModel, modelDir: string, source: string): Contender[] {
  const write = (dir: string, file: string, text: string) => {
    const p = join(dir, file);
    writeFileSync(p, text);
    return [p];
  };
  return [
    { name: "xnor-popcount", sources: () => [join(modelDir, "bnn_model.c")], defines: [] },
    { name: "float32-mac", sources: (d) => write(d, "float_model.c", floatBaseline(model, source)), defines: [] },
    { name: "int-per-bit", sources: (d) => write(d, "int_per_bit_model.c", intPerBitBaseline(model, source)), defines: [] },
  ];
}

export interface HostTiming {
  name: string;
  inferenceNs: number;
  checksum: string;
}

/** Wall-clock ns per inference on this machine (gcc -O2, all records, `rounds` passes). */
export async function hostTimings(
  cs: Contender[],
  modelDir: string,
  records: Buffer,
  rounds: number,
  flags: string[] = ["-O2"],
  onContender?: (name: string) => void,
): Promise<HostTiming[]> {
  const buildDir = mkdtempSync(join(tmpdir(), "bnn-host-bench-"));
  try {
    const timings: HostTiming[] = [];
    for (const c of cs) {
      onContender?.(c.name);
      const exe = join(buildDir, `${c.name}.bin`);
      await run("gcc", [
        "-std=c99",
        ...flags,
        ...c.defines,
        `-I${C_DIR}`,
        `-I${modelDir}`,
        ...c.sources(buildDir),
        join(C_DIR, "harness", "bench_host_main.c"),
        "-o",
        exe,
      ]);
      const out = JSON.parse((await run(exe, [String(rounds)], { input: records })).stdout.toString("utf8"));
      timings.push({ name: c.name, inferenceNs: out.inferenceNs, checksum: out.checksum });
    }
    return timings;
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
}

/** Executed ARMv6-M instructions per inference of each contender (big-memory M0 machine). */
export async function m0Counts(
  cs: Contender[],
  modelDir: string,
  records: Buffer,
  recordBytes: number,
  onContender?: (name: string) => void,
): Promise<{ name: string; instructions: number; images: number }[]> {
  const buildDir = mkdtempSync(join(tmpdir(), "bnn-m0-bench-"));
  try {
    const out = [];
    for (const c of cs) {
      onContender?.(c.name);
      const elf = await buildBench(M0_BIG_COUNT, c.sources(buildDir), [modelDir], buildDir, ["-O2", ...c.defines], c.name);
      const r = await instructionsPerInference(M0_BIG_COUNT, elf, records, recordBytes, buildDir);
      out.push({ name: c.name, instructions: Math.round(r.perInference), images: r.images });
    }
    return out;
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
}

/** A wasm32 build of the model for in-process timing. */
export async function buildWasm(modelDir: string): Promise<WasmBnn> {
  const buildDir = mkdtempSync(join(tmpdir(), "bnn-wasm-"));
  try {
    return await instantiateWasm(readFileSync(await WASM_SYSTEM_CLANG.build(modelDir, buildDir)));
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
}
