/**
 * The C targets of the verification matrix and the benchmarks: how each is compiled and run.
 * Every target runs the same harness (c/harness/): input records in, scores and hidden-layer
 * outputs out, so results compare byte for byte with the TypeScript reference.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { C_DIR } from "../paths.ts";
import { rp2040jsMissing } from "./rp2040.ts";
import { runRp2040Parallel } from "./rp2040-parallel.ts";
import { run } from "../run.ts";
import { which } from "./toolchain.ts";
import { WASM_EXPORTS, WASM_FILE } from "./wasm-abi.ts";
import { runBytecode, shippedTables } from "../devs/bytecode-run.ts";

const HARNESS = join(C_DIR, "harness");
export const STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"];
/** AddressSanitizer and UndefinedBehaviorSanitizer, stopping at the first finding: the host builds that check the C. */
export const SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"];
const SERVICE_CORE = join(C_DIR, "service", "bnn_service.c");
/**
 * The hand-written C directly in firmware-codegen/c/ (layers, convolution, popcount, the
 * rasterizer and the camera preprocessing, with their headers), by name, sorted: what the model,
 * the service and the harnesses build with; the wasm build's hash and a firmware's copy
 * (lib/firmware/sources.ts) take them all, so a new file is never left out of either.
 */
export function runtimeCFiles(): string[] {
  return readdirSync(C_DIR, { withFileTypes: true })
    .filter((d) => d.isFile() && /\.[ch]$/.test(d.name))
    .map((d) => d.name)
    .sort();
}

/** The stroke rasterizer (bnn_raster.h): its pipeline and its steps. */
export const RASTER_SOURCES = ["bnn_raster.c", "bnn_raster_steps.c"].map((f) => join(C_DIR, f));
/** The camera preprocessing (bnn_preprocess.h): its pipeline and its steps. */
export const PREPROCESS_SOURCES = ["bnn_preprocess.c", "bnn_preprocess_ink.c", "bnn_preprocess_geometry.c"].map((f) => join(C_DIR, f));
/** The classifier service core and the preprocessing it runs (besides the model's C), every command served. */
export const SERVICE_SOURCES = [SERVICE_CORE, ...RASTER_SOURCES, ...PREPROCESS_SOURCES];

/** A configuration of the service (c/service/bnn_service.h): its defines and the C it links. */
export interface ServiceConfig {
  name: string;
  /** The commands it serves. */
  commands: string;
  defines: string[];
  sources: string[];
}

/** The configurations `bnn report` measures and the service's test runs: touch, camera, both. */
export const SERVICE_CONFIGS: readonly ServiceConfig[] = [
  { name: "touch-only", commands: "classify, load, classify_strokes", defines: ["-DBNN_SERVICE_FRAMES=0"], sources: [SERVICE_CORE, ...RASTER_SOURCES] },
  {
    name: "camera-only",
    commands: "classify, load, classify_frame, watch_frame",
    defines: ["-DBNN_SERVICE_STROKES=0"],
    sources: [SERVICE_CORE, ...PREPROCESS_SOURCES],
  },
  { name: "both", commands: "all (the default)", defines: [], sources: SERVICE_SOURCES },
];

export interface ExecuteOptions {
  /** The size of one input record: a target may then split the records over cores. */
  recordBytes?: number;
  /** Records done so far, from a target that can tell during its run (rp2040js, the bytecode). */
  onProgress?: (done: number) => void;
}

export interface Target {
  name: string;
  description: string;
  /** Tools that must be on PATH (the first missing one is reported). */
  tools: string[];
  /** Debian packages that bring the tools. */
  packages: string[];
  /**
   * Compiles the harness with the model's C in `modelDir`; returns what `execute` needs.
   * `program` replaces the classify harness (c/harness/harness.c) with other C files that
   * implement bnn_harness_run (e.g. the preprocessing harness and what it tests).
   */
  build(modelDir: string, buildDir: string, extraFlags?: string[], program?: string[]): Promise<string>;
  /** Runs input records through the built program, returns the output records. */
  execute(built: string, input: Buffer, buildDir: string, opts?: ExecuteOptions): Promise<Buffer>;
  /** The built file is WebAssembly, run in this process (execute is not used). */
  wasm?: boolean;
  /**
   * Runs in Node and takes minutes on a CNN's 10,000 images (rp2040js, the bytecode): a matrix
   * starts it first, so that it does not run alone at the end.
   */
  slow?: boolean;
  /** Applies only to the shipped models; says why (e.g. it runs a committed build). */
  shippedOnly?: string;
  /** Why the target cannot run beyond missing tools (an npm package absent), or undefined. */
  unavailable?(): string | undefined;
  /**
   * For a model with convolution layers: run only the first `images` records, and why (a
   * backend that would take far longer than the rest of the matrix). Undefined: all of them.
   */
  sample?(convolutional: boolean): { images: number; why: string } | undefined;
}

function includes(modelDir: string): string[] {
  return [`-I${C_DIR}`, `-I${HARNESS}`, `-I${modelDir}`];
}

function hostTarget(name: string, cc: string, description: string, flags: string[]): Target {
  return {
    name,
    description,
    tools: [cc],
    packages: [cc === "gcc" ? "gcc" : "clang"],
    async build(modelDir, buildDir, extra = [], program = [join(HARNESS, "harness.c")]) {
      const out = join(buildDir, `${name}.bin`);
      await run(cc, [...STRICT, ...flags, ...extra, ...includes(modelDir), join(modelDir, "bnn_model.c"), ...program, join(HARNESS, "host_main.c"), "-o", out]);
      return out;
    },
    async execute(built, input) {
      return (await run(built, [], { input })).stdout;
    },
  };
}

/**
 * A bare-metal ELF for an emulated core: the compiler's `args` (flags, sources, the harness's
 * main) with what every such program links, the start-up and semihosting runtime, the bit of libc
 * the C uses, the core's link script and libgcc. The classifier's harness, the benchmarks
 * (icount.ts) and the preprocessing's tests all build through it.
 */
export async function linkBareMetal(t: { cc: string; link: string[] }, args: string[], out: string): Promise<string> {
  await run(t.cc, ["-ffreestanding", "-nostdlib", ...args, join(HARNESS, "runtime.c"), join(HARNESS, "libc_min.c"), ...t.link, "-lgcc", "-o", out]);
  return out;
}

/** The harness (semihost_main.c) and the model's C as one bare-metal ELF. */
function bareMetalBuild(
  t: { name: string; cc: string; cflags: string[]; link: string[] },
  modelDir: string,
  buildDir: string,
  extra: string[],
  program = [join(HARNESS, "harness.c")],
): Promise<string> {
  const args = [...STRICT, ...t.cflags, ...extra, ...includes(modelDir), join(modelDir, "bnn_model.c"), ...program, join(HARNESS, "semihost_main.c")];
  return linkBareMetal(t, args, join(buildDir, `${t.name}.elf`));
}

/** The files of the semihosting harness (semihost_main.c): input records in, output records out. */
const HARNESS_IN = "bnn_in.bin";
const HARNESS_OUT = "bnn_out.bin";

/** What one emulator run of the semihosting harness gives: the bytes written to bnn_out.bin (undefined: none), or why it stopped with an error. */
type SemihostedRun = { output: Buffer | undefined } | { failure: string };

/**
 * One run of the semihosting harness on an emulator, the execute() of every emulated target:
 * `emulate` runs the program with `files` (the input records as bnn_in.bin); a failure throws,
 * prefixed with the target's name.
 */
async function runSemihosted(name: string, input: Buffer, emulate: (files: Record<string, Buffer>) => Promise<SemihostedRun>): Promise<Buffer> {
  const r = await emulate({ [HARNESS_IN]: input });
  if ("failure" in r) throw new Error(`${name}: ${r.failure}`);
  return r.output ?? Buffer.alloc(0);
}

/** Runs a semihosting harness ELF under QEMU with the files bnn_in.bin / bnn_out.bin in `dir`; returns the output records. */
export function runQemuHarness(t: { name: string; qemu: string; qemuArgs: string[] }, elf: string, input: Buffer, dir: string): Promise<Buffer> {
  return runSemihosted(t.name, input, async (files) => {
    for (const [file, data] of Object.entries(files)) writeFileSync(join(dir, file), data);
    writeFileSync(join(dir, HARNESS_OUT), Buffer.alloc(0));
    const r = await run(
      t.qemu,
      [...t.qemuArgs, "-nographic", "-monitor", "none", "-serial", "none", "-semihosting-config", "enable=on,target=native", "-kernel", elf],
      { cwd: dir, allowFail: true },
    );
    if (r.code !== 0) return { failure: `the emulated program stopped with an error (exit ${r.code}) ${r.stderr.trim()}` };
    return { output: readFileSync(join(dir, HARNESS_OUT)) };
  });
}

/** A bare-metal core under QEMU with semihosting: files bnn_in.bin / bnn_out.bin in the run folder. */
function emulatedTarget(t: {
  name: string;
  description: string;
  cc: string;
  qemu: string;
  packages: string[];
  cflags: string[];
  link: string[];
  qemuArgs: string[];
}): Target {
  return {
    name: t.name,
    description: t.description,
    tools: [t.cc, t.qemu],
    packages: t.packages,
    build: (modelDir, buildDir, extra = [], program = [join(HARNESS, "harness.c")]) => bareMetalBuild(t, modelDir, buildDir, extra, program),
    execute: (built, input, buildDir) => runQemuHarness(t, built, input, buildDir),
  };
}

export const CORTEX_M0 = emulatedTarget({
  name: "cortex-m0",
  description: "arm-none-eabi-gcc -O2 -mcpu=cortex-m0plus -mthumb, qemu-system-arm -M microbit (semihosting)",
  cc: "arm-none-eabi-gcc",
  qemu: "qemu-system-arm",
  packages: ["gcc-arm-none-eabi", "qemu-system-arm"],
  cflags: ["-O2", "-mcpu=cortex-m0plus", "-mthumb"],
  link: ["-T", join(HARNESS, "cortex-m0.ld")],
  qemuArgs: ["-M", "microbit"],
});

/** Compiler and linker flags of the bare-metal Xtensa LX106 builds (verification and counts). */
export const XTENSA_CFLAGS = ["-O2", "-mtext-section-literals", "-mlongcalls"];
export const XTENSA_LINK = [join(HARNESS, "start-xtensa.S"), "-T", join(HARNESS, "xtensa-lx106.ld")];

/** rv32imc under qemu-system-riscv32 -M virt, without or with the Zbb extension (hardware cpop). */
function rv32Target(zbb: boolean): Target {
  return emulatedTarget({
    name: zbb ? "rv32imc-zbb" : "rv32imc",
    description: zbb
      ? "riscv64-unknown-elf-gcc -O2 -march=rv32imc_zbb (hardware cpop), qemu-system-riscv32 -cpu rv32,zbb=true"
      : "riscv64-unknown-elf-gcc -O2 -march=rv32imc (no Zbb), qemu-system-riscv32 -M virt (semihosting)",
    cc: "riscv64-unknown-elf-gcc",
    qemu: "qemu-system-riscv32",
    packages: ["gcc-riscv64-unknown-elf", "qemu-system-misc"],
    cflags: ["-O2", zbb ? "-march=rv32imc_zbb" : "-march=rv32imc", "-mabi=ilp32", "-mno-relax"],
    link: [join(HARNESS, "start-riscv32.S"), "-T", join(HARNESS, "riscv32.ld"), "-Wl,--no-warn-rwx-segments"],
    qemuArgs: ["-M", "virt", "-bios", "none", "-cpu", `rv32,zbb=${zbb}`],
  });
}

export const RV32IMC = rv32Target(false);
export const RV32IMC_ZBB = rv32Target(true);

/**
 * Xtensa LX106 (the ESP8266's configuration of the Xtensa ISA; the ESP32's LX6 and the
 * ESP32-S3's LX7 are other configurations of it) under QEMU's `sim` machine. Bare metal, call0
 * ABI, literals in the text section: c/harness/start-xtensa.S, xtensa-lx106.ld; semihosting
 * through SIMCALL (c/harness/semihost.h). What the LX106 build says about an ESP32:
 * docs/popcount.md, "Xtensa".
 */
export const XTENSA_LX106 = emulatedTarget({
  name: "xtensa-lx106",
  description: "xtensa-lx106-elf-gcc -O2 -mtext-section-literals -mlongcalls (call0 ABI), qemu-system-xtensa -M sim -cpu lx106 (SIMCALL semihosting)",
  cc: "xtensa-lx106-elf-gcc",
  qemu: "qemu-system-xtensa",
  packages: ["gcc-xtensa-lx106", "qemu-system-misc"],
  cflags: XTENSA_CFLAGS,
  link: XTENSA_LINK,
  qemuArgs: ["-M", "sim", "-cpu", "lx106"],
});

/** Compiler and linker flags of the RP2040 builds run on rp2040js (verification and cycles). */
export const RP2040_CFLAGS = ["-O2", "-mcpu=cortex-m0plus", "-mthumb"];
export const RP2040_LINK = ["-T", join(HARNESS, "rp2040.ld")];

/**
 * The Cortex-M0+ build linked for the RP2040's memory map, run in this process on rp2040js
 * (lib/targets/rp2040.ts: one emulator instance for all records, ARM semihosting
 * answered from memory). The same C and flags as cortex-m0; a second, independent emulator.
 */
export const RP2040_JS: Target = {
  slow: true,
  name: "rp2040js",
  description: "arm-none-eabi-gcc -O2 -mcpu=cortex-m0plus -mthumb linked for the RP2040 (XIP flash, SRAM), run on rp2040js in Node",
  tools: ["arm-none-eabi-gcc"],
  packages: ["gcc-arm-none-eabi"],
  unavailable: rp2040jsMissing,
  build: (modelDir, buildDir, extra = []) =>
    bareMetalBuild({ name: "rp2040js", cc: "arm-none-eabi-gcc", cflags: RP2040_CFLAGS, link: RP2040_LINK }, modelDir, buildDir, extra),
  execute: (built, input, _buildDir, opts = {}) =>
    runSemihosted("rp2040js", input, async (files) => {
      // a guard against a program that never exits, scaled to the work: 5 M instructions per
      // image (25 input words, 100 bytes) is above the costliest shipped model's rows variant
      const r = await runRp2040Parallel(
        readFileSync(built),
        files[HARNESS_IN],
        opts.recordBytes ?? 0,
        { inputName: HARNESS_IN, outputName: HARNESS_OUT },
        5e4,
        opts.onProgress,
      );
      return r.exitOk ? { output: r.output } : { failure: "the program stopped with an error (main returned non-zero)" };
    }),
};

export const HOST_GCC = hostTarget("host-gcc", "gcc", "gcc -O2 -mpopcnt -fsanitize=address,undefined (x86-64 POPCNT)", ["-O2", "-mpopcnt", ...SANITIZE]);
export const HOST_CLANG = hostTarget("host-clang", "clang", "clang -O2, software popcount (no -mpopcnt)", ["-O2"]);

/** The same target built with extra compiler flags (e.g. the other hidden-layer method). */
export function variant(t: Target, name: string, description: string, flags: string[]): Target {
  return { ...t, name, description, build: (modelDir, buildDir, extra, program) => t.build(modelDir, buildDir, [...flags, ...(extra ?? [])], program) };
}

export function missingTool(t: Target): string | undefined {
  return t.tools.find((tool) => !which(tool));
}

/** clang flags of the wasm32 build (i32.popcnt via __builtin_popcount). */
export function wasmFlags(): string[] {
  return ["--target=wasm32", "-O2", "-nostdlib", "-Wl,--no-entry", ...WASM_EXPORTS.map((e) => `-Wl,--export=${e}`)];
}

export const WASM_SYSTEM_CLANG: Target = {
  wasm: true,
  name: "wasm32",
  description: "clang --target=wasm32 -O2 (i32.popcnt), run in Node's WebAssembly",
  tools: ["clang", "wasm-ld"],
  packages: ["clang", "lld"],
  async build(modelDir, buildDir, extra = []) {
    const out = join(buildDir, "bnn.wasm");
    await run("clang", [
      ...STRICT,
      ...wasmFlags(),
      ...extra,
      ...includes(modelDir),
      `-I${join(C_DIR, "service")}`,
      join(modelDir, "bnn_model.c"),
      ...SERVICE_SOURCES,
      join(HARNESS, "wasm_glue.c"),
      join(HARNESS, "libc_min.c"),
      "-o",
      out,
    ]);
    return out;
  },
  execute() {
    throw new Error("wasm32 runs in-process: use runWasm");
  },
};

/** The committed WebAssembly build (what the simulator runs); needs no toolchain. */
export const WASM_COMMITTED: Target = {
  wasm: true,
  shippedOnly: "only shipped models have a committed build (this model's C was generated just now)",
  name: "wasm32-committed",
  description: "the committed generated/<model>/bnn_model.wasm, run in Node's WebAssembly",
  tools: [],
  packages: [],
  async build(modelDir) {
    return join(modelDir, WASM_FILE);
  },
  execute() {
    throw new Error("wasm32-committed runs in-process: use runWasm");
  },
};

/**
 * The DeviceScript bytecode fallback (src/bnn.ts, the program's own inference when no classifier
 * service is bound) with the shipped model's TypeScript tables, compiled by devs and run in the
 * simulator's VM (lib/devs/bytecode-run.ts). Not C: it proves the tables and the bytecode,
 * which no C target touches. `build` finds the tables of the model named in bnn_model.h.
 */
export const DEVICESCRIPT_VM: Target = {
  slow: true,
  shippedOnly: "the DeviceScript program is built with the shipped models' tables (src/generated/models/<name>.ts)",
  name: "devicescript-vm",
  description: "the DeviceScript bytecode fallback (src/bnn.ts, columns method) with src/generated/models/<model>.ts, in the simulator's VM",
  tools: [],
  packages: [],
  async build(modelDir) {
    const m = /#define BNN_MODEL_NAME "([a-z0-9-]+)"/.exec(readFileSync(join(modelDir, "bnn_model.h"), "utf8"));
    if (!m) throw new Error(`${modelDir}/bnn_model.h names no model`);
    return shippedTables(m[1]);
  },
  execute(built, input, _buildDir, opts = {}) {
    return runBytecode(built, input, { progress: opts.onProgress });
  },
  sample: (convolutional) =>
    convolutional
      ? {
          images: 200,
          why: "a CNN takes the bytecode about 0.1 s of compute and 0.2 s of yields a digit in the simulator's VM (docs/cnn.md): a sample of the first 200 images",
        }
      : undefined,
};
