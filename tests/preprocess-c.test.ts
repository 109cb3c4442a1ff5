/**
 * The C port of the camera preprocessing (firmware-codegen/c/bnn_preprocess.c with its steps,
 * bnn_preprocess_ink.c and bnn_preprocess_geometry.c) against its reference,
 * src/shared/camera-preprocess.ts: the returned ink count and the 784 output bytes must be
 * identical for every frame. Host gcc with ASan and UBSan on the simulated camera's frames of
 * MNIST test images 0..999 and on fast-check frames (random sizes up to 128x128 and strips up to
 * 16384 pixels, uniform, two-level, noise, specks, single dark pixels, contrast at the limit,
 * shapes on shaded paper, camera frames of other sizes, frames of the largest size; the frames:
 * tests/preprocess-c-frames.ts);
 * the preconditions; the same frames (a subset) on Cortex-M0 under qemu-system-arm -M microbit
 * and on rv32imc; clean compiles with every compiler; the M0's executed instructions per frame
 * and code size (printed: docs/service.md, "Native camera preprocessing (C)").
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disassemble, m0plusCycles, traceCost } from "../lib/measure/cycles.ts";
import { M0_BIG_COUNT, M0_COUNT, RV32_COUNT, type CountTarget } from "../lib/measure/icount.ts";
import { C_DIR } from "../lib/paths.ts";
import { PREPROCESS_SOURCES, runQemuHarness, STRICT } from "../lib/targets/targets.ts";
import { run } from "../lib/run.ts";
import { FRAME_HEIGHT, FRAME_WIDTH } from "../lib/image/photo.ts";
import { MAX_FRAME_BYTES } from "../src/shared/camera-chunks.ts";
import { OUT_PIXELS, OUT_SIDE, preprocess } from "../src/shared/camera-preprocess.ts";
import { scratchDir } from "./helpers.ts";
import { camera, cameraFrame, framed, GENERATORS, NULL_FRAME, NULL_OUT, NULL_SCRATCH, preconditionCases, record, type Case } from "./preprocess-c-frames.ts";

const HARNESS = join(C_DIR, "harness");
const HARNESS_C = join(HARNESS, "preprocess_harness.c");
const build = scratchDir("preprocess-c");
const CAMERA_FRAMES = 1000;
const M0_CAMERA_FRAMES = 200;
const COUNT_FRAMES = 50;
const BIG_FRAMES = 10;
/** The micro:bit's harness holds frames up to this size (16 KB of RAM). */
const M0_FRAME_BYTES = 12288;
const RESULT_BYTES = 4 + OUT_PIXELS;
const SEED = 20250607;
const RUNS = 200;

/** bnn_status_t */
const ERR_NULL = -1;
const ERR_SIZE = -2;
const ERR_LIMIT = -3;

interface Result {
  rc: number;
  out: Uint8Array;
}

function parseResult(b: Buffer): Result {
  return { rc: b.readInt32LE(0), out: new Uint8Array(b.subarray(4, RESULT_BYTES)) };
}

function parseResults(b: Buffer, count: number): Result[] {
  expect(b.length).toBe(count * RESULT_BYTES);
  return Array.from({ length: count }, (_, k) => parseResult(b.subarray(k * RESULT_BYTES, (k + 1) * RESULT_BYTES)));
}

/** What the C must answer: the TypeScript's result, or the precondition's error with `out` untouched. */
async function reference(c: Case): Promise<Result> {
  const untouched = () => new Uint8Array(OUT_PIXELS).fill(0xa5);
  if (c.flags & (NULL_FRAME | NULL_OUT | NULL_SCRATCH)) return { rc: ERR_NULL, out: untouched() };
  if (c.width < 1 || c.height < 1) return { rc: ERR_SIZE, out: untouched() };
  if (c.width * c.height > MAX_FRAME_BYTES) return { rc: ERR_LIMIT, out: untouched() };
  const out = new Uint8Array(OUT_PIXELS).fill(0x5a);
  const rc = await preprocess(c.frame, c.width, c.height, out);
  return { rc, out };
}

/** undefined when identical, else the first difference, naming the frame. */
function difference(c: Case, got: Result, want: Result): string | undefined {
  const what = `${c.name} (${c.width}x${c.height}, flags ${c.flags})`;
  if (got.rc !== want.rc) return `${what}: returned ${got.rc}, the TypeScript ${want.rc}`;
  for (let i = 0; i < OUT_PIXELS; i++) {
    if (got.out[i] !== want.out[i]) return `${what}: first differing byte ${i} (row ${Math.floor(i / OUT_SIDE)}, column ${i % OUT_SIDE}): C ${got.out[i]}, TypeScript ${want.out[i]}`;
  }
  return undefined;
}

/** Compares a batch; returns the number of identical results and the differences. */
async function compare(cases: Case[], results: Result[]): Promise<{ identical: number; differences: string[] }> {
  const differences: string[] = [];
  for (let k = 0; k < cases.length; k++) {
    const d = difference(cases[k], results[k], await reference(cases[k]));
    if (d) differences.push(d);
  }
  return { identical: cases.length - differences.length, differences };
}

/** One harness process that answers a record at a time (results are flushed per record). */
class Harness {
  private child: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: Result) => void; reject: (e: Error) => void }[] = [];
  private stderr = "";
  private exited?: string;
  private exitCode: number | null = null;

  constructor(exe: string) {
    this.child = spawn(exe, [], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.on("data", (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      while (this.buffer.length >= RESULT_BYTES && this.waiting.length > 0) {
        const r = parseResult(this.buffer.subarray(0, RESULT_BYTES));
        this.buffer = this.buffer.subarray(RESULT_BYTES);
        this.waiting.shift()!.resolve(r);
      }
    });
    this.child.stderr.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
    this.child.on("close", (code, signal) => {
      this.exitCode = code;
      this.exited = `the harness exited (${code ?? signal}) ${this.stderr.slice(0, 4000)}`;
      for (const w of this.waiting.splice(0)) w.reject(new Error(this.exited));
    });
  }

  call(c: Case): Promise<Result> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(record(c));
    });
  }

  async close(): Promise<{ code: number | null; stderr: string }> {
    const done = new Promise<number | null>((resolve) => this.child.on("close", (code) => resolve(code)));
    this.child.stdin.end();
    if (!this.exited) await done;
    return { code: this.exitCode, stderr: this.stderr };
  }
}

// ---- builds ----

/** The library's sources compiled into one relocatable object, which its size and the symbols it needs are measured on. */
function library(cc: string, flags: string[], out: string): Promise<unknown> {
  return run(cc, [...STRICT, ...flags, `-I${C_DIR}`, "-r", "-nostdlib", ...PREPROCESS_SOURCES, "-o", out]);
}

async function buildHost(): Promise<string> {
  const exe = join(build, "preprocess-host");
  await run("gcc", [...STRICT, "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", `-I${C_DIR}`, `-I${HARNESS}`, ...PREPROCESS_SOURCES, HARNESS_C, join(HARNESS, "preprocess_host_main.c"), "-o", exe]);
  return exe;
}

/** The harness on an emulated core (semihosting), with -O2 like the classifier's builds. */
async function buildEmulated(t: CountTarget): Promise<string> {
  const elf = join(build, `preprocess-${t.name}.elf`);
  await run(t.cc, [...STRICT, "-O2", ...t.cflags, "-ffreestanding", "-nostdlib", `-DBNN_HARNESS_FRAME_BYTES=${M0_FRAME_BYTES}`, `-I${C_DIR}`, `-I${HARNESS}`, ...PREPROCESS_SOURCES, HARNESS_C, join(HARNESS, "semihost_main.c"), join(HARNESS, "runtime.c"), join(HARNESS, "libc_min.c"), ...t.link, "-lgcc", "-o", elf]);
  return elf;
}

function runEmulated(t: CountTarget, elf: string, input: Buffer): Promise<Buffer> {
  return runQemuHarness(t, elf, input, scratchDir(`preprocess-${t.name}`));
}

/** The property frames the emulated cores run: a seeded sample of every generator that fits the micro:bit's harness. */
function emulatedSample(perGenerator: number): Case[] {
  return Object.values(GENERATORS).flatMap((g) => fc.sample(g.filter((c) => c.width * c.height <= M0_FRAME_BYTES), { seed: SEED, numRuns: perGenerator }));
}

function report(label: string, r: { identical: number; differences: string[] }, total: number): void {
  console.log(`${label}: ${r.identical}/${total} identical${r.differences.length ? `; differences:\n  ${r.differences.slice(0, 20).join("\n  ")}` : ""}`);
}

// ---- tests ----

describe("C camera preprocessing (bnn_preprocess.c)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = new Harness(await buildHost());
  });
  afterAll(async () => {
    const r = await harness.close();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("compiles clean (-std=c99 -Wall -Wextra -Werror -pedantic) with gcc, clang, Cortex-M0+ and rv32imc gcc, at every size limit", async () => {
    const c = (cc: string, flags: string[], tag: string) => library(cc, flags, join(build, `${tag}.o`));
    const compiles: Promise<unknown>[] = [];
    for (const opt of ["-O0", "-O2", "-Os"]) {
      compiles.push(c("gcc", [opt], `gcc${opt}`));
      compiles.push(c("clang", [opt, "-Weverything", "-Wno-declaration-after-statement", "-Wno-padded", "-Wno-unknown-warning-option", "-Wno-unsafe-buffer-usage"], `clang${opt}`));
      compiles.push(c("arm-none-eabi-gcc", [opt, "-ffreestanding", "-mcpu=cortex-m0plus", "-mthumb"], `m0${opt}`));
      compiles.push(c("riscv64-unknown-elf-gcc", [opt, "-ffreestanding", "-march=rv32imc", "-mabi=ilp32"], `rv${opt}`));
    }
    for (const max of [1, 65535]) compiles.push(c("gcc", ["-O2", `-DBNN_PREPROCESS_MAX_PIXELS=${max}`], `max${max}`));
    await Promise.all(compiles);
    const bad = await run("gcc", [...STRICT, "-DBNN_PREPROCESS_MAX_PIXELS=65536", `-I${C_DIR}`, "-c", PREPROCESS_SOURCES[0], "-o", join(build, "bad.o")], { allowFail: true });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/BNN_PREPROCESS_MAX_PIXELS must be 1\.\.65535/);
    // the library includes only <stdint.h>, <stddef.h> and bnn_status.h besides its own headers
    const files = [...PREPROCESS_SOURCES, join(C_DIR, "bnn_preprocess.h"), join(C_DIR, "bnn_preprocess_state.h")];
    const includes = files.flatMap((f) => [...readFileSync(f, "utf8").matchAll(/#include\s+(\S+)/g)].map((m) => m[1]));
    expect(new Set(includes)).toEqual(new Set(['"bnn_preprocess.h"', '"bnn_preprocess_state.h"', "<stddef.h>", "<stdint.h>", '"bnn_status.h"']));
    // libgcc helpers: 64-bit multiply and (a few times a frame, for the deskew) 64-bit division, 32-bit division
    expect((await run("arm-none-eabi-nm", ["-u", join(build, "m0-O2.o")])).stdout.toString().match(/\S+$/gm)?.sort()).toEqual(["__aeabi_ldivmod", "__aeabi_lmul", "__aeabi_uidiv", "__aeabi_uidivmod"]);
  });

  it(`gives the TypeScript's bytes for the camera frames of MNIST test images 0..${CAMERA_FRAMES - 1} (host gcc, ASan + UBSan)`, async () => {
    const cases = Array.from({ length: CAMERA_FRAMES }, (_, k) => camera(k));
    const results = await Promise.all(cases.map((c) => harness.call(c)));
    const r = await compare(cases, results);
    report(`host gcc, camera frames 0..${CAMERA_FRAMES - 1}`, r, cases.length);
    expect(r.differences).toEqual([]);
    // every camera frame shows a digit
    expect(results.filter((x) => x.rc > 0).length).toBe(CAMERA_FRAMES);
  });

  it("refuses NULL and bad sizes before reading or writing anything, and takes the boundary sizes", async () => {
    const cases = preconditionCases();
    const results = await Promise.all(cases.map((c) => harness.call(c)));
    const r = await compare(cases, results);
    expect(r.differences).toEqual([]);
    expect(results.map((x) => x.rc)).toEqual([ERR_NULL, ERR_NULL, ERR_NULL, ERR_NULL, ERR_NULL, ERR_NULL, ERR_SIZE, ERR_SIZE, ERR_SIZE, ERR_SIZE, ERR_LIMIT, ERR_LIMIT, ERR_LIMIT, ERR_LIMIT, ERR_LIMIT, ERR_LIMIT, ERR_SIZE, ERR_LIMIT, 0, 0]);
  });

  describe(`fast-check frames (seed ${SEED}, ${RUNS} runs each)`, () => {
    for (const [name, arbitrary] of Object.entries(GENERATORS)) {
      it(name, async () => {
        let identical = 0;
        let digits = 0;
        await fc.assert(
          fc.asyncProperty(arbitrary, async (c) => {
            const [got, want] = await Promise.all([harness.call(c), reference(c)]);
            const d = difference(c, got, want);
            if (d) throw new Error(d);
            identical++;
            if (got.rc > 0) digits++;
          }),
          { seed: SEED, numRuns: RUNS },
        );
        console.log(`host gcc, ${name}: ${identical}/${RUNS} identical (${digits} with a digit)`);
      });
    }
  });

  const emulated: [CountTarget, string][] = [
    [M0_COUNT, "Cortex-M0 (qemu-system-arm -M microbit)"],
    [RV32_COUNT, "rv32imc (qemu-system-riscv32 -M virt)"],
  ];
  for (const [t, label] of emulated) {
    it(`gives the same bytes on ${label}: camera frames 0..${M0_CAMERA_FRAMES - 1}, fast-check frames, preconditions`, async () => {
      const cases = [...Array.from({ length: M0_CAMERA_FRAMES }, (_, k) => camera(k)), ...emulatedSample(15), ...preconditionCases().filter((c) => !framed(c.width, c.height) || c.width * c.height <= M0_FRAME_BYTES)];
      const out = await runEmulated(t, await buildEmulated(t), Buffer.concat(cases.map(record)));
      const r = await compare(cases, parseResults(out, cases.length));
      report(label, r, cases.length);
      expect(r.differences).toEqual([]);
    });
  }
});

describe("C camera preprocessing (bnn_preprocess.c): cost", () => {
  it(`costs (Cortex-M0, camera frames 0..${COUNT_FRAMES - 1} at 64x48 and 0..${BIG_FRAMES - 1} at 128x128): executed instructions per frame, code and RAM`, async () => {
    const dir = scratchDir("preprocess-count");
    const count = async (t: CountTarget, cases: Case[], frameBytes: number, tag: string) => {
      const elf = join(dir, `bench-${tag}.elf`);
      await run(t.cc, ["-std=c99", "-O2", ...t.cflags, "-ffreestanding", "-nostdlib", `-DBNN_HARNESS_FRAME_BYTES=${frameBytes}`, `-I${C_DIR}`, `-I${HARNESS}`, ...PREPROCESS_SOURCES, join(HARNESS, "preprocess_bench_main.c"), join(HARNESS, "runtime.c"), join(HARNESS, "libc_min.c"), ...t.link, "-lgcc", "-o", elf]);
      // the same trace as icount.ts's instructionsPerInference, also priced in Cortex-M0+ cycles
      const insns = await disassemble("arm-none-eabi-objdump", elf);
      writeFileSync(join(dir, "bnn_in.bin"), Buffer.alloc(0));
      const base = await traceCost(t.qemu, t.qemuArgs, elf, dir, insns, m0plusCycles);
      writeFileSync(join(dir, "bnn_in.bin"), Buffer.concat(cases.map(record)));
      const all = await traceCost(t.qemu, t.qemuArgs, elf, dir, insns, m0plusCycles);
      return { elf, frames: cases.length, instructions: (all.instructions - base.instructions) / cases.length, cycles: (all.cycles - base.cycles) / cases.length };
    };
    const us = (cycles: number) => (cycles / 125).toFixed(0);
    // the micro:bit holds the camera's 64x48 frames; mps2-an385 (same ARMv6-M code, 4 MB) the 16384-byte ones
    const small = await count(M0_COUNT, Array.from({ length: COUNT_FRAMES }, (_, k) => camera(k)), FRAME_WIDTH * FRAME_HEIGHT, "64x48");
    const big = await count(M0_BIG_COUNT, Array.from({ length: BIG_FRAMES }, (_, k) => ({ ...camera(k), width: 128, height: 128, frame: cameraFrame(k, 128, 128) })), MAX_FRAME_BYTES, "128x128");
    // code and RAM of the library alone, and the libgcc routines it calls
    const obj = join(dir, "bnn_preprocess-library.o");
    await library(M0_COUNT.cc, ["-O2", ...M0_COUNT.cflags, "-ffreestanding", "-fstack-usage"], obj);
    const [text, data, bss] = (await run("arm-none-eabi-size", [obj])).stdout.toString().split("\n")[1].trim().split(/\s+/).map(Number);
    const symbols = (await run("arm-none-eabi-nm", ["-S", small.elf])).stdout.toString();
    const sizeOf = (name: string) => {
      const m = new RegExp(`^[0-9a-f]+ ([0-9a-f]+) \\w ${name}$`, "m").exec(symbols);
      return m ? parseInt(m[1], 16) : 0;
    };
    const helpers = ["__muldi3", "__aeabi_ldivmod", "__udivsi3", "__aeabi_uidivmod"].map((s) => `${s} ${sizeOf(s)} B`).join(", ");
    // gcc names each source's stack usage <output>-<source>.su
    const stack = PREPROCESS_SOURCES.map((f) => readFileSync(`${obj}-${basename(f, ".c")}.su`, "utf8").trim().replace(/^.*\//gm, "")).join("\n");
    console.log(
      `Cortex-M0 (-O2 -mcpu=cortex-m0plus), per frame: 64x48 (mean of ${small.frames}) ${Math.round(small.instructions)} instructions, ${Math.round(small.cycles)} est. M0+ cycles (${us(small.cycles)} us at 125 MHz); ` +
        `128x128 (mean of ${big.frames}) ${Math.round(big.instructions)} instructions, ${Math.round(big.cycles)} cycles (${us(big.cycles)} us); library (bnn_preprocess*.c) text ${text} data ${data} bss ${bss}; libgcc: ${helpers}; stack:\n${stack}`,
    );
    expect(small.frames).toBe(COUNT_FRAMES);
    expect(small.instructions).toBeGreaterThan(1000);
    expect(big.instructions).toBeGreaterThan(small.instructions);
    expect(bss).toBe(672);
    expect(data).toBe(0);
  });
});
