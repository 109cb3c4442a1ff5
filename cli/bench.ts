/**
 * `bnn bench <subject>`: measured figures, ratios within one run where machines are noisy.
 *   train     training samples/s of a preset on this machine
 *   popcount  Cortex-M0 / rv32imc / rv32imc+Zbb instructions per inference, per popcount and layer method
 *   c         XNOR/popcount C vs float32 MAC C vs one-int-per-bit C: host ns and Cortex-M0 instructions
 *   wasm      the WebAssembly build vs the TypeScript reference, ns per inference in Node
 *   sim       the simulated board, native classifier vs bytecode fallback on the same digits
 *   stages    the stage probe (src/probe.ts) in the simulator's VM: ms per stage, per-digit sums
 */
import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { join } from "node:path";
import { buildWasm, contenders, hostTimings, m0Counts, popcountMatrix, type CountRow } from "../lib/measure/bench.ts";
import type { CModel } from "../lib/codegen/c-model.ts";
import { modelC } from "../lib/codegen/model-c.ts";
import { inputRecords, layoutOf } from "../lib/measure/verify.ts";
import { defineCommand, onlyWith, usageError } from "../lib/args.ts";
import { ExitCode, UserError } from "../lib/errors.ts";
import { loadMnist } from "../lib/mnist.ts";
import { requireMnistShape } from "../lib/model/evaluate.ts";
import type { Model } from "../lib/model/format.ts";
import { classify } from "../lib/model/infer.ts";
import { ROOT } from "../lib/paths.ts";
import { isNativeStage, SOURCES, STAGES, type StageFigure } from "../lib/probe/parse.ts";
import { PROBE_PROGRAM, runProbe } from "../lib/probe/run.ts";
import { BACKENDS, boardTotals, DIGIT_TIMEOUT_MS, type Backend, type Totals } from "../lib/probe/totals.ts";
import { PRESET_NAMES, PRESETS, type PresetName } from "../lib/train/presets.ts";
import { train } from "../lib/train/trainer.ts";
import type { SimSummary } from "../lib/sim/report.ts";

const SUBJECTS = ["train", "popcount", "c", "wasm", "sim", "stages"];

export const benchCommand = defineCommand({
  name: "bench",
  summary: `print measured figures (subjects: ${SUBJECTS.join(", ")})`,
  positionals: ["subject"],
  usage:
    "train: training samples/s; popcount: emulated-core instructions per popcount/layer method; c: XNOR C vs float32 and int-per-bit C; wasm: WebAssembly vs TypeScript reference; sim: the simulated board, native vs bytecode; stages: the stage probe (src/probe.ts) in the simulator's VM, ms per stage and per digit (docs/probe.md). Progress goes to stderr.",
  options: {
    preset: { type: "string", description: "train: network to train", default: "default", choices: PRESET_NAMES },
    epochs: { type: "int", description: "train: epochs to time", default: 2, min: 1, max: 100 },
    model: { type: "string", description: "popcount/c/wasm: shipped model name or path", default: "default", metavar: "name|path" },
    images: {
      type: "int",
      description:
        "popcount: test images per instruction count [default: 20]; c: per Cortex-M0 count, where the float32 baseline runs ~20 M traced instructions an image [default: 1]",
      min: 1,
      max: 10000,
    },
    backend: {
      type: "string",
      description:
        "stages: native = a run with the simulated classifier (native and bytecode stages timed), bytecode = a run without (native stages n/a), both = the two runs",
      default: "both",
      choices: ["native", "bytecode", "both"],
    },
    json: { type: "boolean", description: "print JSON" },
  },
  async run(o, positionals, given) {
    const subject = positionals[0];
    if (subject === undefined) throw usageError(`bench needs a subject: bnn bench <${SUBJECTS.join("|")}>`);
    if (!SUBJECTS.includes(subject)) throw usageError(`bench: unknown subject '${subject}' (subjects: ${SUBJECTS.join(", ")})`);
    onlyWith(given, "preset", subject === "train", "only applies to bench train");
    onlyWith(given, "epochs", subject === "train", "only applies to bench train");
    onlyWith(given, "model", ["popcount", "c", "wasm"].includes(subject), "only applies to bench popcount, c and wasm");
    onlyWith(given, "images", ["popcount", "c"].includes(subject), "only applies to bench popcount and c");
    onlyWith(given, "backend", subject === "stages", "only applies to bench stages");
    const out = (text: string) => {
      if (!o.json) console.log(text);
    };
    const progress = (text: string) => process.stderr.write(`bench ${subject}: ${text}\n`);
    if (subject === "train") return benchTrain(o.preset as PresetName, o.epochs, o.json, out);
    if (subject === "sim") return benchSim(o.json, out, progress);
    if (subject === "stages") return benchStages(o.backend === "both" ? BACKENDS : [o.backend as Backend], o.json, out, progress);
    const c = await modelC(o.model);
    try {
      const { model } = c;
      requireMnistShape(model, `bench ${subject}`);
      const test = loadMnist("test");
      const L = layoutOf(model);
      if (subject === "popcount") {
        const images = o.images ?? 20;
        out(`executed instructions per inference, model ${model.file.name}, mean of ${images} test images, gcc -O2`);
        const rows = await popcountMatrix(c.dir, inputRecords(model, test, images), 4 * L.inputWords, ["-O2"], (r: CountRow) =>
          out(`  ${r.target.padEnd(12)} ${r.variant.padEnd(44)} ${String(r.instructions).padStart(8)}`),
        );
        if (o.json) console.log(JSON.stringify({ bench: "popcount", model: model.file.name, images, rows }));
        return;
      }
      if (subject === "c") return await benchC(c.cmodel, c.dir, model, o.images ?? 1, o.json, out, progress);
      return await benchWasm(c.dir, model, o.json, out);
    } finally {
      c.close();
    }
  },
});

async function benchC(
  cmodel: CModel,
  dir: string,
  model: Model,
  images: number,
  json: boolean,
  out: (s: string) => void,
  progress: (s: string) => void,
): Promise<void> {
  const test = loadMnist("test");
  const L = layoutOf(model);
  const cs = contenders(cmodel, dir, `the weight tables of ${model.file.name}`);
  const all = inputRecords(model, test, test.count);
  out(`model ${model.file.name}: the same network as XNOR/popcount C, float32 multiply-accumulate C, one-int-per-bit C`);
  const host = await hostTimings(cs, dir, all, 3, ["-O2"], (n) => progress(`host timing of ${n} (10,000 images x 3)`));
  const [x, f, q] = host;
  out(`host (gcc -O2, ${cpus()[0]?.model ?? "cpu"}), ns per inference over 10,000 images x 3:`);
  for (const h of host) out(`  ${h.name.padEnd(14)} ${h.inferenceNs.toFixed(0).padStart(9)} ns   ${(h.inferenceNs / x.inferenceNs).toFixed(1)}x xnor`);
  const same = host.every((h) => h.checksum === x.checksum);
  out(`  digits identical across the three: ${same ? "yes" : "NO"}`);
  const m0 = await m0Counts(cs, dir, inputRecords(model, test, images), 4 * L.inputWords, (n) =>
    progress(`Cortex-M0 instructions of ${n} under QEMU (${images} image${images === 1 ? "" : "s"})`),
  );
  out(`Cortex-M0 (ARMv6-M code, gcc -O2), executed instructions per inference, mean of ${images} images:`);
  for (const m of m0) out(`  ${m.name.padEnd(14)} ${String(m.instructions).padStart(11)}   ${(m.instructions / m0[0].instructions).toFixed(1)}x xnor`);
  if (json) {
    console.log(
      JSON.stringify({
        bench: "c",
        model: model.file.name,
        images,
        host: host.map((h) => ({ ...h, ratioToXnor: h.inferenceNs / x.inferenceNs })),
        digitsIdentical: same,
        cortexM0: m0.map((m) => ({ ...m, ratioToXnor: m.instructions / m0[0].instructions })),
        floatOverXnorHost: f.inferenceNs / x.inferenceNs,
        intPerBitOverXnorHost: q.inferenceNs / x.inferenceNs,
        floatOverXnorM0: m0[1].instructions / m0[0].instructions,
        intPerBitOverXnorM0: m0[2].instructions / m0[0].instructions,
      }),
    );
  }
  if (!same) throw new UserError("bench c: the three implementations gave different digits", ExitCode.Mismatch);
}

/** The WebAssembly build against the TypeScript reference, same inputs, same process. */
async function benchWasm(dir: string, model: Model, json: boolean, out: (s: string) => void): Promise<void> {
  const test = loadMnist("test");
  const L = layoutOf(model);
  const records = inputRecords(model, test, test.count);
  const words = new Uint32Array(records.buffer.slice(records.byteOffset, records.byteOffset + records.length));
  const wasm = await buildWasm(dir);
  const inPtr = wasm.bnn_wasm_input_ptr();
  const time = (fn: () => number) => {
    fn(); // warm up
    const t0 = performance.now();
    const check = fn();
    return { ns: ((performance.now() - t0) * 1e6) / test.count, check };
  };
  const ts = time(() => {
    let c = 0;
    for (let i = 0; i < test.count; i++) c = (c * 31 + classify(model, words.subarray(i * L.inputWords, (i + 1) * L.inputWords)).digit) >>> 0;
    return c;
  });
  const wa = time(() => {
    let c = 0;
    const mem = new Uint32Array(wasm.memory.buffer);
    for (let i = 0; i < test.count; i++) {
      mem.set(words.subarray(i * L.inputWords, (i + 1) * L.inputWords), inPtr >>> 2);
      c = (c * 31 + wasm.bnn_wasm_classify()) >>> 0;
    }
    return c;
  });
  const same = ts.check === wa.check;
  out(`model ${model.file.name}, 10,000 test images in Node ${process.version}:`);
  out(`  TypeScript reference  ${ts.ns.toFixed(0).padStart(7)} ns per inference`);
  out(`  WebAssembly (C)       ${wa.ns.toFixed(0).padStart(7)} ns per inference   ${(ts.ns / wa.ns).toFixed(1)}x faster`);
  out(`  digits identical: ${same ? "yes" : "NO"}`);
  if (json)
    console.log(
      JSON.stringify({
        bench: "wasm",
        model: model.file.name,
        typescriptInferenceNs: ts.ns,
        wasmInferenceNs: wa.ns,
        speedup: ts.ns / wa.ns,
        digitsIdentical: same,
      }),
    );
  if (!same) throw new UserError("bench wasm: the WebAssembly build and the TypeScript reference gave different digits", ExitCode.Mismatch);
}

async function benchTrain(presetName: PresetName, epochs: number, json: boolean, out: (s: string) => void): Promise<void> {
  const preset = PRESETS[presetName];
  const r = await train(loadMnist("train"), { ...preset, epochs, lrEnd: preset.lr });
  const rates = r.history.map((h) => Math.round(h.samplesPerSecond));
  const result = {
    bench: "train",
    preset: presetName,
    layers: [
      ...("conv" in preset && preset.conv ? preset.conv.map((c) => `c${c.kernel}x${c.outputs}${c.pool > 1 ? `p${c.pool}` : ""}`) : [784]),
      ...preset.hidden,
      10,
    ],
    batch: preset.batch,
    samplesPerEpoch: r.trainSamples,
    epochSeconds: r.history.map((h) => Math.round(h.seconds * 1000) / 1000),
    samplesPerSecond: Math.max(...rates),
    samplesPerSecondEachEpoch: rates,
    threads: 1,
    cpu: cpus()[0]?.model ?? "unknown",
  };
  if (json) return console.log(JSON.stringify(result));
  out(`train ${presetName} (${result.layers.join("-")}, batch ${result.batch}, 1 thread, ${result.cpu})`);
  result.epochSeconds.forEach((s, k) => out(`  epoch ${k + 1}: ${s.toFixed(2)} s for ${r.trainSamples} images = ${rates[k]} samples/s`));
  out(`best: ${result.samplesPerSecond} samples/s`);
}

/** Runs the simulated board twice on the same sample digits (no drawing): native classifier, then bytecode. */
async function benchSim(json: boolean, out: (s: string) => void, progress: (s: string) => void): Promise<void> {
  const bin = join(ROOT, "bin", "bnn.mjs");
  const runs: Record<string, SimSummary> = {};
  for (const backend of ["native", "bytecode"]) {
    progress(`the ${backend} run`);
    const r = spawnSync(process.execPath, [bin, "sim", "--json", "--source", "samples", "--backend", backend], { encoding: "utf8" });
    if (r.status !== 0) throw new UserError(`bench sim: the ${backend} run failed: ${r.stderr.trim().split("\n")[0]}`, ExitCode.Mismatch);
    const lines = r.stdout.trim().split("\n");
    runs[backend] = (JSON.parse(lines[lines.length - 1]) as { summary: SimSummary }).summary;
  }
  const p50 = (b: string) => runs[b].latency[b].p50Ms;
  const result = {
    bench: "sim",
    digits: runs.native.results,
    nativeInferenceP50Ms: p50("native"),
    bytecodeInferenceP50Ms: p50("bytecode"),
    ratio: p50("bytecode") / p50("native"),
    nativeResultsPerSecond: runs.native.throughput?.resultsPerSecond ?? null,
    bytecodeResultsPerSecond: runs.bytecode.throughput?.resultsPerSecond ?? null,
  };
  if (json) return console.log(JSON.stringify(result));
  out(`simulated board, the ${result.digits} sample digits compiled into the program, each way:`);
  out(
    `  inference p50: native (wasm classifier) ${result.nativeInferenceP50Ms.toFixed(3)} ms, bytecode ${result.bytecodeInferenceP50Ms.toFixed(3)} ms: ${result.ratio.toFixed(0)}x`,
  );
  out(`  end to end: native ${result.nativeResultsPerSecond?.toFixed(1)} digits/s, bytecode ${result.bytecodeResultsPerSecond?.toFixed(1)} digits/s`);
}

/**
 * The stage probe in the simulator's VM, once per backend: with the simulated classifier (the
 * probe times the native stages and the bytecode ones) and without (native stages n/a).
 */
async function benchStages(backends: Backend[], json: boolean, out: (s: string) => void, progress: (s: string) => void): Promise<void> {
  const runs: { backend: Backend; model: string; probeMs: number; stages: StageFigure[]; totals: Totals }[] = [];
  for (const backend of backends) {
    progress(`the ${backend} run (${backend === "native" ? "with" : "without"} the simulated classifier) ...`);
    const r = await runProbe({ native: backend === "native", progress: (t) => progress(`  ${t}`) });
    runs.push({ backend, model: r.model, probeMs: r.probeMs, stages: r.stages, totals: boardTotals(r.stages) });
  }
  if (json) return console.log(JSON.stringify({ bench: "stages", program: PROBE_PROGRAM, runs }));
  const ms = (v: number | null) => (v === null ? "n/a" : v.toFixed(1));
  out(`stage probe (${PROBE_PROGRAM}) in the DeviceScript simulator's VM, model ${runs[0].model}: ms per run of each stage (VM clock)`);
  for (const run of runs) {
    const cases = (source: string) => [...new Set(run.stages.filter((s) => s.source === source).map((s) => s.case))].sort((a, b) => a - b);
    const width = Math.max(...SOURCES.map((s) => cases(s).length));
    out("");
    out(
      run.backend === "native"
        ? `with the simulated classifier (native stages timed), probe ${run.probeMs} ms in all:`
        : `without a classifier (bytecode only, native stages n/a), probe ${run.probeMs} ms in all:`,
    );
    out(`  ${"source".padEnd(7)} ${"stage".padEnd(16)} ${Array.from({ length: width }, (_, k) => `case ${k}`.padStart(8)).join("")}  runs`);
    for (const source of SOURCES) {
      for (const stage of STAGES[source]) {
        const figs = cases(source).map((k) => run.stages.find((s) => s.source === source && s.stage === stage && s.case === k)!);
        const runsText = [...new Set(figs.map((f) => f.runs))].join("/");
        out(`  ${source.padEnd(7)} ${stage.padEnd(16)} ${figs.map((f) => ms(f.ms).padStart(8)).join("")}  ${runsText.padStart(4)}`);
      }
    }
    out(
      `  pen-up → result line: the stages src/app.ts runs for one digit, summed (touch: after the ${DIGIT_TIMEOUT_MS} ms pen-up timeout; camera: from the whole frame):`,
    );
    for (const source of SOURCES) {
      for (const backend of BACKENDS) {
        const t = run.totals[source][backend];
        out(
          `  ${source.padEnd(7)} ${backend.padEnd(16)} ${t.cases.map((c) => ms(c.ms).padStart(8)).join("")}  mean ${ms(t.meanMs).padStart(6)} = ${t.stages.join(" + ")}`,
        );
      }
    }
  }
  out("");
  out("native-bits (classify of packed bits) is in no sum: it is the sample-digit path.");
  out(
    "ms: the mean of `runs` back-to-back runs between two yields, 1 ms VM clock steps. Simulator VM times, not a board's: on an emulated RP2040 bytecode per-pixel loops ran 10-160x slower (docs/probe.md).",
  );
  if (runs.some((r) => r.stages.some((s) => isNativeStage(s.stage) && s.ms !== null)))
    out("native stages include the Jacdac round trip through this run's hub to the classifier in WebAssembly.");
}
