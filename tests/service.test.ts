/**
 * The classifier service core (firmware-codegen/c/service): its C unit test (spec constants,
 * good payload, wrong length, model-id mismatch, unaligned payload) under ASan/UBSan, and
 * libFuzzer runs of bounded time on the command handler and bnn_classify with zero findings.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { converters } from "jacdac-ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SERVICE_SOURCES } from "../lib/targets/targets.ts";
import { run } from "../lib/run.ts";
import { C_DIR, GENERATED_C_DIR, ROOT } from "../lib/paths.ts";
import { customServiceSpecs } from "../lib/services.ts";

const SERVICE = join(C_DIR, "service");
const MODEL = join(GENERATED_C_DIR, "default");
const build = mkdtempSync(join(tmpdir(), "bnn-service-"));
const includes = [`-I${C_DIR}`, `-I${SERVICE}`, `-I${MODEL}`];
const core = [join(MODEL, "bnn_model.c"), ...SERVICE_SOURCES];
afterAll(() => rmSync(build, { recursive: true, force: true }));

describe("classifier service core", () => {
  it("passes its unit test under ASan/UBSan, checked against the spec and the C constants the spec tool writes", async () => {
    const exe = join(build, "test_service");
    // the C constants `devs build` writes from the specs, written here by the same spec tool
    writeFileSync(join(build, "constants.c"), customServiceSpecs().map((s) => converters().c(s)).join("\n"));
    await run("gcc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-DBNN_CHECK_DEVS_CONSTANTS", `-I${build}`, ...includes, ...core, join(SERVICE, "test_service.c"), join(SERVICE, "test_service_spec.c"), join(SERVICE, "test_service_uploads.c"), "-o", exe]);
    const r = await run(exe, [join(ROOT, "services", "bnnclassifier.md")], { allowFail: true });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("compiles clean for Cortex-M0+ and rv32imc", async () => {
    const flags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", "-ffreestanding", "-c", ...includes];
    await Promise.all(
      SERVICE_SOURCES.flatMap((src) => {
        const o = src.replace(/.*\//, "").replace(/\.c$/, ".o");
        return [
          run("arm-none-eabi-gcc", [...flags, "-mcpu=cortex-m0plus", "-mthumb", src, "-o", join(build, `m0-${o}`)]),
          run("riscv64-unknown-elf-gcc", [...flags, "-march=rv32imc", "-mabi=ilp32", src, "-o", join(build, `rv-${o}`)]),
        ];
      }),
    );
  });

  // 30 s in the full suite; npm run test:fast sets BNN_FUZZ_SECONDS=5
  const seconds = Number(process.env.BNN_FUZZ_SECONDS ?? 30);
  it(`survives a bounded libFuzzer run (${seconds} s) with zero findings`, async () => {
    const exe = join(build, "fuzz_service");
    await run("clang", ["-g", "-O1", "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all", ...includes, ...core, join(SERVICE, "fuzz_service.c"), "-o", exe]);
    const corpus = join(build, "corpus");
    mkdirSync(corpus, { recursive: true });
    const r = await run(exe, [corpus, `-max_total_time=${seconds}`, "-seed=1", `-artifact_prefix=${build}/`], { allowFail: true });
    expect(r.stderr).toMatch(/Done \d+ runs in \d+ second/);
    expect(r.code).toBe(0);
  });
});
