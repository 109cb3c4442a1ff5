/**
 * Every generated file the repository commits, in the order they are made (a file is generated
 * from files above it), with the one function that makes each. `bnn regen` writes them,
 * `bnn regen --check` compares them, and tests/regen.test.ts fails when any is stale.
 *
 *   models/<m>/model.json (trained, not generated)
 *     -> src/generated/models/<m>.ts                          weight tables (bnn export)
 *     -> src/generated/models/<m>.main.ts                     the program's entry with that model (not for default)
 *     -> firmware-codegen/generated/<m>/bnn_model.{h,c}   C (bnn codegen)
 *     -> firmware-codegen/generated/<m>/bnn_model.wasm(.sha256)   its WebAssembly build
 *     -> models/<m>/{curves,confusion,per-class}.svg     pictures (metrics.json + the test set)
 *   MNIST test set + default model -> src/generated/digits.ts (sample digits and the bytecode tests' expectations)
 *   src/shared/stroke-raster.ts -> src/generated/rasterize-fixture.ts
 *   src/shared/camera-preprocess.ts -> src/generated/preprocess-fixture.ts
 *   hersheytext's fonts -> data/strokes/hershey.jsonl + docs/strokes-hershey.svg   a stroke-drawn test set (lib/strokes/hershey-set.ts)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { generateC, rebuildWasm, wasmIsFresh } from "./codegen/codegen.ts";
import { MODELS_DIR, ROOT, generatedDir, shippedModels, tablesPath } from "./paths.ts";
import { WASM_FILE } from "./targets/wasm-abi.ts";
import { WASM_HASH_FILE } from "./targets/wasm.ts";
import { cameraFixtureSource, CAMERA_FIXTURE_PATH } from "./export/camera-fixture.ts";
import { DIGITS_PATH, generateDigits, SAMPLE_DIGITS } from "./export/digits.ts";
import { generateEntry, programEntry } from "./export/entry.ts";
import { rasterFixtureSource, RASTER_FIXTURE_PATH } from "./export/raster-fixture.ts";
import { generateTables } from "./export/tables.ts";
import { loadMnist } from "./mnist.ts";
import { evaluate } from "./model/evaluate.ts";
import { readModelFile } from "./model/format.ts";
import { MODEL_PICTURES, modelPictures } from "./train/pictures.ts";
import { HERSHEY_SET_PATH, HERSHEY_SET_SEED, HERSHEY_SHEET_PATH, hersheySet, sampleSheet, toJsonl, type StrokeSample } from "./strokes/hershey-set.ts";
import type { EpochRecord } from "./train/trainer.ts";
import { buildConvKernels, convKernelsFresh, CONV_KERNELS_BUILD, CONV_KERNELS_HASH, CONV_KERNELS_SOURCE } from "./train/conv-kernels-build.ts";

export type Freshness = "fresh" | "stale" | "missing";

export interface GeneratedFile {
  /** Repository-relative paths this entry writes. */
  paths: string[];
  /** What it is made from, for messages. */
  from: string;
  /** Compares the committed file(s) with what would be generated now. */
  status(): Promise<Freshness>;
  /** Writes the file(s); returns false when a tool it needs is missing (with `needs`). */
  write(): Promise<boolean>;
  needs?: string;
}

/** An entry whose content is a pure function computed here. */
function textFile(path: string, from: string, content: () => Promise<string>): GeneratedFile {
  const abs = join(ROOT, path);
  return {
    paths: [path],
    from,
    async status() {
      if (!existsSync(abs)) return "missing";
      return readFileSync(abs, "utf8") === (await content()) ? "fresh" : "stale";
    },
    async write() {
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, await content());
      return true;
    },
  };
}

function rel(abs: string): string {
  return relative(ROOT, abs);
}

function modelEntries(name: string): GeneratedFile[] {
  const modelPath = join(MODELS_DIR, name, "model.json");
  const tables = tablesPath(name);
  const cDir = generatedDir(name);
  // computed once per run, when first needed: after the tables above them are written
  let cached: ReturnType<typeof generateC> | undefined;
  const c = () => (cached ??= generateC(tables));
  let drawn: Promise<Record<string, string>> | undefined;
  const pictures = () =>
    (drawn ??= (async () => {
      const metrics = JSON.parse(readFileSync(join(MODELS_DIR, name, "metrics.json"), "utf8")) as { history: EpochRecord[] };
      return modelPictures(metrics.history, evaluate(readModelFile(modelPath), loadMnist("test")), name);
    })());
  return [
    textFile(rel(tables), rel(modelPath), async () => generateTables(readModelFile(modelPath), rel(modelPath))),
    ...(name === "default" ? [] : [textFile(rel(programEntry(name)), `the program (src/app.ts) with ${rel(tables)}`, async () => generateEntry(name))]),
    textFile(rel(join(cDir, "bnn_model.h")), rel(tables), async () => (await c()).files["bnn_model.h"]),
    textFile(rel(join(cDir, "bnn_model.c")), rel(tables), async () => (await c()).files["bnn_model.c"]),
    {
      paths: [rel(join(cDir, WASM_FILE)), rel(join(cDir, WASM_HASH_FILE))],
      from: `the C of ${name}, c/service/, c/harness/wasm_glue.c (clang --target=wasm32)`,
      needs: "clang and lld",
      async status() {
        if (!existsSync(join(cDir, WASM_FILE))) return "missing";
        return wasmIsFresh(cDir, (await c()).files) ? "fresh" : "stale";
      },
      async write() {
        const files = (await c()).files;
        return wasmIsFresh(cDir, files) || (await rebuildWasm(cDir, files));
      },
    },
    ...MODEL_PICTURES.map((f) =>
      textFile(rel(join(MODELS_DIR, name, f)), `models/${name}/metrics.json and the MNIST test set`, async () => (await pictures())[f]),
    ),
  ];
}

/** The stroke-drawn test set and its sample sheet, generated once per run. */
function strokeSetEntries(): GeneratedFile[] {
  let set: StrokeSample[] | undefined;
  const samples = () => (set ??= hersheySet(HERSHEY_SET_SEED));
  const from = `the digits of hersheytext's fonts, lib/strokes/hershey-set.ts (seed ${HERSHEY_SET_SEED})`;
  return [textFile(HERSHEY_SET_PATH, from, async () => toJsonl(samples())), textFile(HERSHEY_SHEET_PATH, HERSHEY_SET_PATH, async () => sampleSheet(samples()))];
}

/** The CNN training kernels' WebAssembly build. */
function convKernelsEntry(): GeneratedFile {
  return {
    paths: [rel(CONV_KERNELS_BUILD), rel(CONV_KERNELS_HASH)],
    from: `${rel(CONV_KERNELS_SOURCE)} (clang --target=wasm32 -msimd128)`,
    needs: "clang and lld",
    async status() {
      if (!existsSync(CONV_KERNELS_BUILD)) return "missing";
      return convKernelsFresh() ? "fresh" : "stale";
    },
    async write() {
      return convKernelsFresh() || buildConvKernels();
    },
  };
}

/** Every generated file, in generation order. */
export function generatedFiles(): GeneratedFile[] {
  return [
    convKernelsEntry(),
    ...shippedModels().flatMap(modelEntries),
    textFile(rel(DIGITS_PATH), `MNIST test images 0..${SAMPLE_DIGITS - 1} and models/default`, async () =>
      generateDigits(loadMnist("test"), SAMPLE_DIGITS, readModelFile(join(MODELS_DIR, "default", "model.json"))),
    ),
    textFile(rel(RASTER_FIXTURE_PATH), "src/shared/stroke-raster.ts", async () => rasterFixtureSource()),
    textFile(rel(CAMERA_FIXTURE_PATH), "src/shared/camera-preprocess.ts", cameraFixtureSource),
    ...strokeSetEntries(),
  ];
}
