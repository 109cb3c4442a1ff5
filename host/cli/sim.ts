/**
 * `bnn sim` (npm start): the simulated board. Starts the DeviceScript devtools hub and the
 * program (src/main.ts) in the DeviceScript VM, headless; shows each result line of its serial
 * stream as it arrives, checks it against the TypeScript reference, and ends with a summary.
 * Every process it starts is stopped on exit, Ctrl-C or failure.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { ExitCode, UserError } from "../lib/errors.ts";
import { IMAGE_PIXELS, loadMnist } from "../lib/mnist.ts";
import { readModelFile } from "../lib/model/format.ts";
import { classify, classifyImage } from "../lib/model/infer.ts";
import { packPixels } from "../lib/model/input.ts";
import { preprocess } from "../../src/camera/preprocess.ts";
import { FRAME_HEIGHT, FRAME_WIDTH, synthesizeFrame } from "../../devices/camera.ts";
import { rasterize } from "../../src/touch/rasterize.ts";
import { DEFAULT_PANEL_SIZE, strokesFromImage } from "../lib/touch/strokes-from-image.ts";
import { resolveModelPath, ROOT } from "../lib/paths.ts";
import { ensurePortFree, start } from "../lib/sim/processes.ts";
import { scoreBar } from "../lib/monitor/render.ts";
import { percentile } from "../lib/monitor/tally.ts";
import { parseResult } from "../lib/stream.ts";
import type { StreamResult } from "../../src/stream-format.ts";
import { defineCommand, usageError } from "./args.ts";
import { DEFAULT_DIGIT_COUNT } from "./digits.ts";

const HUB_PORTS = [8081, 8082, 8083];

function devsCli(): string {
  const require = createRequire(import.meta.url);
  return join(require.resolve("@devicescript/cli/package.json"), "..", "devicescript");
}



export const simCommand = defineCommand({
  name: "sim",
  summary: "run the DeviceScript program on a simulated board and show its serial result stream",
  options: {
    source: { type: "string", description: "input: touch = the simulated Digit Touch panel drawing MNIST test digits as strokes; camera = the simulated Digit Camera serving them as frames; samples = the test digits compiled into the program", default: "touch", choices: ["touch", "camera", "samples"] },
    count: { type: "int", description: `digits to classify (samples: at most ${DEFAULT_DIGIT_COUNT})`, default: DEFAULT_DIGIT_COUNT, min: 1, max: 10000 },
    first: { type: "int", description: "touch/camera: first MNIST test image", default: 0, min: 0, max: 9999 },
    timeout: { type: "int", description: "seconds to wait for all results", default: 300, min: 5, max: 3600 },
    backend: { type: "string", description: "native: start the simulated classifier device (the firmware's C service in WebAssembly); bytecode: do not, so the program uses its DeviceScript fallback", default: "native", choices: ["native", "bytecode"] },
    classifierModel: { type: "string", description: "model the simulated classifier runs (default: the program's); another one shows the model-id check", metavar: "name" },
    restartClassifierAt: { type: "int", description: "fault injection: stop the simulated classifier after N results, start it again 2 s later", min: 1, max: 10000, metavar: "N" },
    json: { type: "boolean", description: "print each result and the summary as JSON lines" },
  },
  async run(o) {
    const model = readModelFile(resolveModelPath("default"));
    const test = loadMnist("test");
    if (o.source === "samples" && o.count > DEFAULT_DIGIT_COUNT) throw usageError(`--count: the program holds ${DEFAULT_DIGIT_COUNT} sample digits`);
    if (o.source !== "samples" && o.first + o.count > test.count) throw usageError(`--first + --count must stay within the ${test.count} test images`);
    /** What the program should report for result `seq`, computed here the same way, and the label. */
    const expected = async (seq: number): Promise<{ scores: Int32Array; digit: number; label: number; image: number }> => {
      if (o.source === "samples") return { ...classifyImage(model, test.images, seq), label: test.labels[seq], image: seq };
      const image = o.first + seq;
      let pixels = new Uint8Array(IMAGE_PIXELS);
      if (o.source === "touch") pixels = rasterize(strokesFromImage(test.images, image), DEFAULT_PANEL_SIZE, DEFAULT_PANEL_SIZE);
      else await preprocess(synthesizeFrame(test.images, image * IMAGE_PIXELS, image), FRAME_WIDTH, FRAME_HEIGHT, pixels);
      return { ...classify(model, packPixels(pixels, model.input.threshold, IMAGE_PIXELS)), label: test.labels[image], image };
    };
    for (const port of HUB_PORTS) await ensurePortFree(port, "the DeviceScript devtools hub");
    const devs = devsCli();
    const say = (s: string) => {
      if (!o.json) console.log(s);
    };
    say("starting the DeviceScript devtools hub (headless) ...");
    const hub = start(process.execPath, [devs, "devtools", "--ci"], { cwd: ROOT, name: "devs devtools" });
    const results: (StreamResult & { reference: boolean; arrivedMs: number })[] = [];
    const seen = new Set<number>();
    let vm: ReturnType<typeof start> | undefined;
    let classifier: ReturnType<typeof start> | undefined;
    const devices: ReturnType<typeof start>[] = [];
    try {
      await hub.waitFor(/websocket\s*:\s*ws:\/\/127\.0\.0\.1:8081/, 60_000);
      const startClassifier = async () => {
        const name = o.classifierModel ?? model.file.name;
        say(`starting the simulated classifier device (firmware C service + model '${name}', WebAssembly) ...`);
        classifier = start(process.execPath, ["--import", "tsx", join(ROOT, "devices", "classifier.ts"), "--model", name], { cwd: ROOT, name: "the simulated classifier" });
        await classifier.waitFor(/^classifier ready/, 30_000);
      };
      if (o.backend === "native") await startClassifier();
      const range = ["--first", String(o.first), "--count", String(o.count)];
      if (o.source === "camera") {
        say(`starting the simulated camera (MNIST test images ${o.first}..${o.first + o.count - 1} as ${FRAME_WIDTH}x${FRAME_HEIGHT} frames) ...`);
        const camera = start(process.execPath, ["--import", "tsx", join(ROOT, "devices", "camera.ts"), ...range], { cwd: ROOT, name: "the simulated camera" });
        devices.push(camera);
        await camera.waitFor(/^camera ready/, 30_000);
      }
      if (o.source === "touch") {
        say(`starting the simulated touch panel (drawing MNIST test digits ${o.first}..${o.first + o.count - 1} as strokes) ...`);
        // samples every 2 ms in batches of 8; 800 ms pen-up between digits (the program's timeout is
        // 600 ms); the replay starts when the program reads the panel's width
        const touch = start(process.execPath, ["--import", "tsx", join(ROOT, "devices", "touch.ts"), ...range, "--period", "2", "--batch", "8", "--gap", "800", "--delay", "600000"], { cwd: ROOT, name: "the simulated touch panel" });
        devices.push(touch);
        await touch.waitFor(/^touch ready/, 30_000);
      }
      say("starting src/main.ts in the DeviceScript VM ...");
      vm = start(process.execPath, [devs, "run", "src/main.ts"], { cwd: ROOT, name: "devs run" });
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new UserError(`only ${results.length} of ${o.count} results arrived within ${o.timeout} s`, ExitCode.Mismatch)), o.timeout * 1000);
        vm!.onLine((line) => {
          if (/error|panic|exception|bnn: /i.test(line) && !line.includes("@bnn")) say(`  vm: ${line.replace(/^WASM>\s*/, "").trim()}`);
          const r = parseResult(line);
          if (!r || r.seq >= o.count || seen.has(r.seq)) return;
          seen.add(r.seq);
          const arrivedMs = performance.now();
          void expected(r.seq).then((ref) => {
            const reference = r.digit === ref.digit && r.scores.length === ref.scores.length && r.scores.every((s, k) => s === ref.scores[k]);
            results.push({ ...r, label: ref.label, reference, arrivedMs });
            report(r.seq, ref.label, reference);
          });
        });
        const report = (seq: number, label: number, reference: boolean) => {
          const r = results[results.length - 1];
          if (o.restartClassifierAt === results.length && classifier) {
            const old = classifier;
            say("fault injection: stopping the simulated classifier ...");
            void old.stop().then(() => new Promise((r) => setTimeout(r, 2000))).then(startClassifier).catch((e) => say(`  restart failed: ${(e as Error).message}`));
          }
          if (o.json) console.log(JSON.stringify({ ...r, reference }));
          else say(`  #${String(seq).padStart(3)}  digit ${r.digit}  label ${label} ${r.digit === label ? "✓" : "✗"}  ${scoreBar(r.scores)}  ${(r.micros / 1000).toFixed(3).padStart(7)} ms  ${r.backend.padEnd(8)}  ${reference ? "= reference" : "DIFFERS FROM REFERENCE"}`);
          if (results.length === o.count) {
            clearTimeout(timer);
            resolve();
          }
        };
        void vm!.exited.then((code) => {
          clearTimeout(timer);
          if (results.length < o.count) reject(new UserError(`the DeviceScript VM exited (code ${code}) after ${results.length} of ${o.count} results`, ExitCode.Mismatch));
        });
      });
      await done;
    } finally {
      await vm?.stop();
      for (const d of devices) await d.stop();
      await classifier?.stop();
      await hub.stop();
    }
    const correct = results.filter((r) => r.digit === r.label).length;
    const agree = results.filter((r) => r.reference).length;
    const byBackend = new Map<string, number[]>();
    for (const r of results) byBackend.set(r.backend, [...(byBackend.get(r.backend) ?? []), r.micros]);
    const latency = [...byBackend].map(([backend, us]) => {
      us.sort((a, b) => a - b);
      return { backend, count: us.length, p50ms: percentile(us, 50) / 1000, p99ms: percentile(us, 99) / 1000 };
    });
    const arrivals = results.map((r) => r.arrivedMs).sort((a, b) => a - b);
    const spanS = (arrivals[arrivals.length - 1] - arrivals[0]) / 1000;
    const digitsPerSecond = results.length > 1 && spanS > 0 ? (results.length - 1) / spanS : undefined;
    const meanIntervalMs = digitsPerSecond ? 1000 / digitsPerSecond : undefined;
    const meanInferenceMs = results.reduce((a, r) => a + r.micros, 0) / results.length / 1000;
    const median = (b: string) => latency.find((l) => l.backend === b)?.p50ms;
    const nativeVsBytecode = median("native") && median("bytecode") ? median("bytecode")! / median("native")! : undefined;
    const throughput = { digitsPerSecond, meanIntervalMs, meanInferenceMs, vmAndJacdacMs: meanIntervalMs !== undefined ? meanIntervalMs - meanInferenceMs : undefined };
    const summary = { source: o.source, count: results.length, correct, accuracy: correct / results.length, agreeWithReference: agree, latency, nativeVsBytecode, throughput, images: `MNIST test images ${o.source === "camera" ? o.first : 0}..${(o.source === "camera" ? o.first : 0) + o.count - 1}` };
    if (o.json) console.log(JSON.stringify({ summary }));
    else {
      say("");
      say(`${results.length} digits, ${correct} correct (${((100 * correct) / results.length).toFixed(1)} % against the labels), ${agree}/${results.length} identical to the TypeScript reference`);
      for (const l of latency) say(`inference time ${l.backend}: p50 ${l.p50ms.toFixed(3)} ms, p99 ${l.p99ms.toFixed(3)} ms (${l.backend === "native" ? "measured by the service, 1 µs resolution" : "VM clock, 1 ms resolution"})`);
      if (nativeVsBytecode) say(`native is ${nativeVsBytecode.toFixed(0)}x faster than the bytecode fallback (p50)`);
      if (digitsPerSecond && meanIntervalMs !== undefined) {
        say(`throughput ${digitsPerSecond.toFixed(1)} digits/s: ${meanIntervalMs.toFixed(1)} ms between results, of which ${meanInferenceMs.toFixed(3)} ms inference and ${Math.max(0, meanIntervalMs - meanInferenceMs).toFixed(1)} ms the rest: ${o.source === "touch" ? "mostly the drawing itself (strokes at pen speed, then 800 ms pen-up before a digit counts as done), " : o.source === "camera" ? "mostly the frame transfer in Jacdac chunks, " : ""}the VM${o.backend === "native" ? " and the Jacdac round trip through the hub" : ""}`);
      }
    }
    if (agree !== results.length) throw new UserError(`${results.length - agree} result(s) differ from the reference`, ExitCode.Mismatch);
  },
});
