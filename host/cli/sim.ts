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
import { classifyImage } from "../lib/model/infer.ts";
import { resolveModelPath, ROOT } from "../lib/paths.ts";
import { ensurePortFree, start } from "../lib/sim/processes.ts";
import { parseResult } from "../lib/stream.ts";
import type { StreamResult } from "../../src/stream-format.ts";
import { defineCommand } from "./args.ts";
import { DEFAULT_DIGIT_COUNT } from "./digits.ts";

const HUB_PORTS = [8081, 8082, 8083];
const BARS = "▁▂▃▄▅▆▇█";

function devsCli(): string {
  const require = createRequire(import.meta.url);
  return join(require.resolve("@devicescript/cli/package.json"), "..", "devicescript");
}

function scoreBar(scores: number[]): string {
  const lo = Math.min(...scores);
  const hi = Math.max(...scores);
  return scores.map((s) => BARS[hi === lo ? 0 : Math.round(((s - lo) / (hi - lo)) * (BARS.length - 1))]).join("");
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

export const simCommand = defineCommand({
  name: "sim",
  summary: "run the DeviceScript program on a simulated board and show its serial result stream",
  options: {
    count: { type: "int", description: "digits to classify", default: DEFAULT_DIGIT_COUNT, min: 1, max: DEFAULT_DIGIT_COUNT },
    timeout: { type: "int", description: "seconds to wait for all results", default: 300, min: 5, max: 3600 },
    backend: { type: "string", description: "native: start the simulated classifier device (the firmware's C service in WebAssembly); bytecode: do not, so the program uses its DeviceScript fallback", default: "native", choices: ["native", "bytecode"] },
    classifierModel: { type: "string", description: "model the simulated classifier runs (default: the program's); another one shows the model-id check", metavar: "name" },
    restartClassifierAt: { type: "int", description: "fault injection: stop the simulated classifier after N results, start it again 2 s later", min: 1, max: 10000, metavar: "N" },
    json: { type: "boolean", description: "print each result and the summary as JSON lines" },
  },
  async run(o) {
    const model = readModelFile(resolveModelPath("default"));
    const test = loadMnist("test");
    for (const port of HUB_PORTS) await ensurePortFree(port, "the DeviceScript devtools hub");
    const devs = devsCli();
    const say = (s: string) => {
      if (!o.json) console.log(s);
    };
    say("starting the DeviceScript devtools hub (headless) ...");
    const hub = start(process.execPath, [devs, "devtools", "--ci"], { cwd: ROOT, name: "devs devtools" });
    const results: (StreamResult & { reference: boolean; arrivedMs: number })[] = [];
    let vm: ReturnType<typeof start> | undefined;
    let classifier: ReturnType<typeof start> | undefined;
    try {
      await hub.waitFor(/websocket\s*:\s*ws:\/\/127\.0\.0\.1:8081/, 60_000);
      const startClassifier = async () => {
        const name = o.classifierModel ?? model.file.name;
        say(`starting the simulated classifier device (firmware C service + model '${name}', WebAssembly) ...`);
        classifier = start(process.execPath, ["--import", "tsx", join(ROOT, "devices", "classifier.ts"), "--model", name], { cwd: ROOT, name: "the simulated classifier" });
        await classifier.waitFor(/^classifier ready/, 30_000);
      };
      if (o.backend === "native") await startClassifier();
      say("starting src/main.ts in the DeviceScript VM ...");
      vm = start(process.execPath, [devs, "run", "src/main.ts"], { cwd: ROOT, name: "devs run" });
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new UserError(`only ${results.length} of ${o.count} results arrived within ${o.timeout} s`, ExitCode.Mismatch)), o.timeout * 1000);
        vm!.onLine((line) => {
          if (/error|panic|exception|bnn: /i.test(line) && !line.includes("@bnn")) say(`  vm: ${line.replace(/^WASM>\s*/, "").trim()}`);
          const r = parseResult(line);
          if (!r || r.seq >= o.count || results.some((x) => x.seq === r.seq)) return;
          const ref = classifyImage(model, test.images, r.seq);
          const reference = r.digit === ref.digit && r.scores.length === ref.scores.length && r.scores.every((s, k) => s === ref.scores[k]);
          results.push({ ...r, reference, arrivedMs: performance.now() });
          if (o.restartClassifierAt === results.length && classifier) {
            const old = classifier;
            say("fault injection: stopping the simulated classifier ...");
            void old.stop().then(() => new Promise((r) => setTimeout(r, 2000))).then(startClassifier).catch((e) => say(`  restart failed: ${(e as Error).message}`));
          }
          if (o.json) console.log(JSON.stringify({ ...r, reference }));
          else say(`  #${String(r.seq).padStart(3)}  digit ${r.digit}  label ${r.label} ${r.digit === r.label ? "✓" : "✗"}  ${scoreBar(r.scores)}  ${(r.micros / 1000).toFixed(3).padStart(7)} ms  ${r.backend.padEnd(8)}  ${reference ? "= reference" : "DIFFERS FROM REFERENCE"}`);
          if (results.length === o.count) {
            clearTimeout(timer);
            resolve();
          }
        });
        void vm!.exited.then((code) => {
          clearTimeout(timer);
          if (results.length < o.count) reject(new UserError(`the DeviceScript VM exited (code ${code}) after ${results.length} of ${o.count} results`, ExitCode.Mismatch));
        });
      });
      await done;
    } finally {
      await vm?.stop();
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
    const summary = { count: results.length, correct, accuracy: correct / results.length, agreeWithReference: agree, latency, nativeVsBytecode, throughput, images: `MNIST test images 0..${o.count - 1}`, pixelsPerImage: IMAGE_PIXELS };
    if (o.json) console.log(JSON.stringify({ summary }));
    else {
      say("");
      say(`${results.length} digits, ${correct} correct (${((100 * correct) / results.length).toFixed(1)} % against the labels), ${agree}/${results.length} identical to the TypeScript reference`);
      for (const l of latency) say(`inference time ${l.backend}: p50 ${l.p50ms.toFixed(3)} ms, p99 ${l.p99ms.toFixed(3)} ms (${l.backend === "native" ? "measured by the service, 1 µs resolution" : "VM clock, 1 ms resolution"})`);
      if (nativeVsBytecode) say(`native is ${nativeVsBytecode.toFixed(0)}x faster than the bytecode fallback (p50)`);
      if (digitsPerSecond && meanIntervalMs !== undefined) {
        say(`throughput ${digitsPerSecond.toFixed(1)} digits/s: ${meanIntervalMs.toFixed(1)} ms between results, of which ${meanInferenceMs.toFixed(3)} ms inference and ${Math.max(0, meanIntervalMs - meanInferenceMs).toFixed(1)} ms the VM (packing, waiting) and, for native, the Jacdac round trip through the hub`);
      }
    }
    if (agree !== results.length) throw new UserError(`${results.length - agree} result(s) differ from the reference`, ExitCode.Mismatch);
  },
});
