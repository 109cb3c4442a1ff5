/**
 * The classifier service core (firmware-codegen/c/service): its C unit test (spec constants,
 * good payload, wrong length, model-id mismatch, unaligned payload) under ASan/UBSan in every
 * configuration (touch-only, camera-only, both, classify-only, a set buffer size), each linked
 * with only the C it serves, and libFuzzer runs of bounded time on the command handler and
 * bnn_classify with zero findings.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { converters } from "jacdac-ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SANITIZE, SERVICE_CONFIGS, SERVICE_SOURCES, STRICT, type ServiceConfig } from "../lib/targets/targets.ts";
import { run } from "../lib/run.ts";
import { C_DIR, GENERATED_C_DIR, ROOT } from "../lib/paths.ts";
import { customServiceSpecs } from "../lib/services.ts";

const SERVICE = join(C_DIR, "service");
const MODEL = join(GENERATED_C_DIR, "default");
const build = mkdtempSync(join(tmpdir(), "bnn-service-"));
const includes = [`-I${C_DIR}`, `-I${SERVICE}`, `-I${MODEL}`];
const core = [join(MODEL, "bnn_model.c"), ...SERVICE_SOURCES];
const TESTS = ["test_service.c", "test_service_spec.c", "test_service_uploads.c", "test_service_config.c"].map((f) => join(SERVICE, f));
afterAll(() => rmSync(build, { recursive: true, force: true }));

const config = (name: string) => SERVICE_CONFIGS.find((c) => c.name === name)!;
/** Each configuration and the upload_capacity it must report (bnn_service.h: 400 pairs, a 64x64 frame). */
const CAPACITIES: { config: ServiceConfig; capacity: number }[] = [
  { config: config("touch-only"), capacity: 1600 },
  { config: config("camera-only"), capacity: 4096 },
  { config: config("both"), capacity: 4096 },
  {
    config: { name: "classify-only", commands: "classify", defines: ["-DBNN_SERVICE_STROKES=0", "-DBNN_SERVICE_FRAMES=0"], sources: [SERVICE_SOURCES[0]] },
    capacity: 0,
  },
  {
    config: { ...config("touch-only"), name: "touch-only, 512-byte buffer", defines: ["-DBNN_SERVICE_FRAMES=0", "-DBNN_SERVICE_UPLOAD_BYTES=512"] },
    capacity: 512,
  },
  {
    config: { ...config("camera-only"), name: "camera-only, 64x48 frames", defines: ["-DBNN_SERVICE_STROKES=0", "-DBNN_SERVICE_FRAME_PIXELS=3072"] },
    capacity: 3072,
  },
];

describe("classifier service core", () => {
  it("passes its unit test under ASan/UBSan, checked against the spec and the C constants the spec tool writes", async () => {
    const exe = join(build, "test_service");
    // the C constants `devs build` writes from the specs, written here by the same spec tool
    writeFileSync(
      join(build, "constants.c"),
      customServiceSpecs()
        .map((s) => converters().c(s))
        .join("\n"),
    );
    await run("gcc", [...STRICT, "-O1", "-g", ...SANITIZE, "-DBNN_CHECK_DEVS_CONSTANTS", `-I${build}`, ...includes, ...core, ...TESTS, "-o", exe]);
    const r = await run(exe, [join(ROOT, "services", "bnnclassifier.md")], { allowFail: true });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it.each(CAPACITIES.map((c) => ({ ...c, bytes: `${c.capacity} B` })))(
    "$config.name: serves its commands, answers the others not implemented, upload_capacity $bytes, links only its C",
    async ({ config: c, capacity }) => {
      const exe = join(build, `test_service_${c.name.replace(/\W+/g, "_")}`);
      // only the configuration's sources: a left-out command's C must not be referenced (the link fails)
      await run("gcc", [
        ...STRICT,
        "-O1",
        "-g",
        ...SANITIZE,
        ...c.defines,
        `-DTEST_UPLOAD_CAPACITY=${capacity}`,
        ...includes,
        join(MODEL, "bnn_model.c"),
        ...c.sources,
        ...TESTS,
        "-o",
        exe,
      ]);
      const r = await run(exe, [join(ROOT, "services", "bnnclassifier.md")], { allowFail: true });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    },
  );

  it("compiles clean for Cortex-M0+ and rv32imc in every configuration", async () => {
    const flags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", "-ffreestanding", "-c", ...includes];
    await Promise.all(
      CAPACITIES.flatMap(({ config: c }, k) =>
        c.sources.flatMap((src) => {
          const o = `${k}-${src.replace(/.*\//, "").replace(/\.c$/, ".o")}`;
          return [
            run("arm-none-eabi-gcc", [...flags, ...c.defines, "-mcpu=cortex-m0plus", "-mthumb", src, "-o", join(build, `m0-${o}`)]),
            run("riscv64-unknown-elf-gcc", [...flags, ...c.defines, "-march=rv32imc", "-mabi=ilp32", src, "-o", join(build, `rv-${o}`)]),
          ];
        }),
      ),
    );
  });

  // 30 s in the full suite; npm run test:fast sets BNN_FUZZ_SECONDS=5
  const seconds = Number(process.env.BNN_FUZZ_SECONDS ?? 30);
  // the default configuration for the whole time, the other two for a few seconds each
  it.each(SERVICE_CONFIGS.map((c) => ({ c, time: c.name === "both" ? seconds : Math.min(seconds, 3) })))(
    "survives a bounded libFuzzer run with zero findings: $c.name ($time s)",
    async ({ c, time }) => {
      const exe = join(build, `fuzz_service_${c.name}`);
      await run("clang", [
        "-g",
        "-O1",
        "-fsanitize=fuzzer,address,undefined",
        "-fno-sanitize-recover=all",
        ...c.defines,
        ...includes,
        join(MODEL, "bnn_model.c"),
        ...c.sources,
        join(SERVICE, "fuzz_service.c"),
        "-o",
        exe,
      ]);
      const corpus = join(build, `corpus-${c.name}`);
      mkdirSync(corpus, { recursive: true });
      const r = await run(exe, [corpus, `-max_total_time=${time}`, "-seed=1", `-artifact_prefix=${build}/`], { allowFail: true });
      expect(r.stderr).toMatch(/Done \d+ runs in \d+ second/);
      expect(r.code).toBe(0);
    },
  );
});
