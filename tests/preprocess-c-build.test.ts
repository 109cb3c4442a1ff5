/**
 * The C camera preprocessing (firmware-codegen/c/bnn_preprocess.c with its steps) as it is
 * built: clean compiles with every compiler and size limit, the headers it includes, the libgcc
 * routines it needs; and what it costs: the Cortex-M0's executed instructions per frame, code,
 * RAM and stack (printed: docs/service.md, "Native camera preprocessing (C)"). That it gives the
 * TypeScript's bytes is tests/preprocess-c.test.ts's.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { disassemble, m0plusCycles, traceCost } from "../lib/measure/cycles.ts";
import { M0_BIG_COUNT, M0_COUNT, type CountTarget } from "../lib/measure/icount.ts";
import { C_DIR } from "../lib/paths.ts";
import { linkBareMetal, PREPROCESS_SOURCES, STRICT } from "../lib/targets/targets.ts";
import { run } from "../lib/run.ts";
import { FRAME_HEIGHT, FRAME_WIDTH } from "../lib/image/photo.ts";
import { MAX_FRAME_BYTES } from "../src/shared/camera-chunks.ts";
import { scratchDir } from "./helpers.ts";
import { camera, cameraFrame, record, type Case } from "./preprocess-c-frames.ts";

const HARNESS = join(C_DIR, "harness");
const build = scratchDir("preprocess-c-build");
const COUNT_FRAMES = 50;
const BIG_FRAMES = 10;

/** The library's sources compiled into one relocatable object, which its size and the symbols it needs are measured on. */
function library(cc: string, flags: string[], out: string): Promise<unknown> {
  return run(cc, [...STRICT, ...flags, `-I${C_DIR}`, "-r", "-nostdlib", ...PREPROCESS_SOURCES, "-o", out]);
}

describe("C camera preprocessing (bnn_preprocess.c): build", () => {
  it("compiles clean (-std=c99 -Wall -Wextra -Werror -pedantic) with gcc, clang, Cortex-M0+ and rv32imc gcc, at every size limit", async () => {
    const c = (cc: string, flags: string[], tag: string) => library(cc, flags, join(build, `${tag}.o`));
    const compiles: Promise<unknown>[] = [];
    for (const opt of ["-O0", "-O2", "-Os"]) {
      compiles.push(c("gcc", [opt], `gcc${opt}`));
      compiles.push(
        c(
          "clang",
          [opt, "-Weverything", "-Wno-declaration-after-statement", "-Wno-padded", "-Wno-unknown-warning-option", "-Wno-unsafe-buffer-usage"],
          `clang${opt}`,
        ),
      );
      compiles.push(c("arm-none-eabi-gcc", [opt, "-ffreestanding", "-mcpu=cortex-m0plus", "-mthumb"], `m0${opt}`));
      compiles.push(c("riscv64-unknown-elf-gcc", [opt, "-ffreestanding", "-march=rv32imc", "-mabi=ilp32"], `rv${opt}`));
    }
    for (const max of [1, 65535]) compiles.push(c("gcc", ["-O2", `-DBNN_PREPROCESS_MAX_PIXELS=${max}`], `max${max}`));
    await Promise.all(compiles);
    const bad = await run("gcc", [...STRICT, "-DBNN_PREPROCESS_MAX_PIXELS=65536", `-I${C_DIR}`, "-c", PREPROCESS_SOURCES[0], "-o", join(build, "bad.o")], {
      allowFail: true,
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/BNN_PREPROCESS_MAX_PIXELS must be 1\.\.65535/);
    // the library includes only <stdint.h>, <stddef.h> and bnn_status.h besides its own headers
    const files = [...PREPROCESS_SOURCES, join(C_DIR, "bnn_preprocess.h"), join(C_DIR, "bnn_preprocess_state.h")];
    const includes = files.flatMap((f) => [...readFileSync(f, "utf8").matchAll(/#include\s+(\S+)/g)].map((m) => m[1]));
    expect(new Set(includes)).toEqual(new Set(['"bnn_preprocess.h"', '"bnn_preprocess_state.h"', "<stddef.h>", "<stdint.h>", '"bnn_status.h"']));
    // libgcc helpers: 64-bit multiply and (a few times a frame, for the deskew) 64-bit division, 32-bit division
    expect((await run("arm-none-eabi-nm", ["-u", join(build, "m0-O2.o")])).stdout.toString().match(/\S+$/gm)?.sort()).toEqual([
      "__aeabi_ldivmod",
      "__aeabi_lmul",
      "__aeabi_uidiv",
      "__aeabi_uidivmod",
    ]);
  });
});

describe("C camera preprocessing (bnn_preprocess.c): cost", () => {
  it(`costs (Cortex-M0, camera frames 0..${COUNT_FRAMES - 1} at 64x48 and 0..${BIG_FRAMES - 1} at 128x128): executed instructions per frame, code and RAM`, async () => {
    const dir = scratchDir("preprocess-count");
    const count = async (t: CountTarget, cases: Case[], frameBytes: number, tag: string) => {
      const elf = join(dir, `bench-${tag}.elf`);
      const main = join(HARNESS, "preprocess_bench_main.c");
      await linkBareMetal(
        t,
        ["-std=c99", "-O2", ...t.cflags, `-DBNN_HARNESS_FRAME_BYTES=${frameBytes}`, `-I${C_DIR}`, `-I${HARNESS}`, ...PREPROCESS_SOURCES, main],
        elf,
      );
      // the same trace as icount.ts's instructionsPerInference, also priced in Cortex-M0+ cycles
      const insns = await disassemble("arm-none-eabi-objdump", elf);
      writeFileSync(join(dir, "bnn_in.bin"), Buffer.alloc(0));
      const base = await traceCost(t.qemu, t.qemuArgs, elf, dir, insns, m0plusCycles);
      writeFileSync(join(dir, "bnn_in.bin"), Buffer.concat(cases.map(record)));
      const all = await traceCost(t.qemu, t.qemuArgs, elf, dir, insns, m0plusCycles);
      return {
        elf,
        frames: cases.length,
        instructions: (all.instructions - base.instructions) / cases.length,
        cycles: (all.cycles - base.cycles) / cases.length,
      };
    };
    const us = (cycles: number) => (cycles / 125).toFixed(0);
    // the micro:bit holds the camera's 64x48 frames; mps2-an385 (same ARMv6-M code, 4 MB) the 16384-byte ones
    const small = await count(
      M0_COUNT,
      Array.from({ length: COUNT_FRAMES }, (_, k) => camera(k)),
      FRAME_WIDTH * FRAME_HEIGHT,
      "64x48",
    );
    const big = await count(
      M0_BIG_COUNT,
      Array.from({ length: BIG_FRAMES }, (_, k) => ({ ...camera(k), width: 128, height: 128, frame: cameraFrame(k, 128, 128) })),
      MAX_FRAME_BYTES,
      "128x128",
    );
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
    const stack = PREPROCESS_SOURCES.map((f) =>
      readFileSync(`${obj}-${basename(f, ".c")}.su`, "utf8")
        .trim()
        .replace(/^.*\//gm, ""),
    ).join("\n");
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
