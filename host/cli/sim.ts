/**
 * `bnn sim` (npm start): the simulated board. Starts a Jacdac hub of its own (in this process, on
 * a free port or --port), the simulated input device and classifier (devices/), and the program
 * (src/main.ts) in the DeviceScript VM, headless; shows each result line of its serial stream as
 * it arrives, checks it against the TypeScript reference computed from the same input, and ends
 * with the stream summary of host/lib/monitor/summary.ts plus the reference check. While the board
 * starts it says each stage, and every few seconds what it still waits for
 * (host/lib/sim/startup.ts). Every process it starts is known by PID and stopped on exit, Ctrl-C
 * or failure; they also exit by themselves if this process is killed (host/lib/sim/lifeline.cjs).
 *
 * --draw: the touch panel draws what a web page sends instead of MNIST (host/lib/draw/): the page
 * is served on 127.0.0.1, each finished digit goes to the simulated panel (devices/touch.ts
 * --stdin), so into the program, and each result line comes back to the page with the host's
 * reference for the same strokes; the page's Save appends labelled samples to --save.
 */
import { rmSync } from "node:fs";
import { join, relative } from "node:path";
import { defineCommand, onlyWith, usageError } from "../lib/args.ts";
import { FRAME_HEIGHT, FRAME_WIDTH } from "../lib/camera/photo.ts";
import { startDevsRun } from "../lib/devs/cli.ts";
import { drawPage } from "../lib/draw/page.ts";
import { DEFAULT_SAVE_FILE, saveFile } from "../lib/draw/save.ts";
import { startDrawServer, type DrawServer } from "../lib/draw/server.ts";
import { DrawSession } from "../lib/draw/session.ts";
import { ExitCode, UserError } from "../lib/errors.ts";
import { readStrokeFile, type StrokeSample } from "../lib/strokes/format.ts";
import { SAMPLE_DIGITS } from "../lib/export/digits.ts";
import { TEST_IMAGES } from "../lib/mnist.ts";
import { readModelFile } from "../lib/model/format.ts";
import { boardLine } from "../lib/monitor/lines.ts";
import { parseResult } from "../lib/monitor/parse.ts";
import { runnersUpText } from "../lib/monitor/render.ts";
import { Tally, type Summary } from "../lib/monitor/summary.ts";
import { displayPath, resolveModelPath, ROOT, shippedModels } from "../lib/paths.ts";
import { programEntry } from "../lib/export/entry.ts";
import { startHub } from "../lib/sim/hub.ts";
import { StartupReporter } from "../lib/sim/startup.ts";
import { makeRunDir } from "../lib/sim/run-dir.ts";
import { agreesWithReference, inputReference, sessionReference, type Reference, type SimSource } from "../lib/sim/reference.ts";
import { onInterrupt, start, type Managed } from "../lib/sim/processes.ts";
import { DEFAULT_PANEL_SIZE } from "../lib/touch/strokes-from-image.ts";
import type { StreamResult } from "../../src/shared/stream-format.ts";
import { DIGIT_TIMEOUT_MS } from "../../src/shared/touch-samples.ts";

/** Pen-up time between two drawn digits; the program's digit timeout is 600 ms. */
const TOUCH_DIGIT_GAP_MS = 800;

export interface SimSummary extends Summary {
  source: string;
  /** Results whose digit and scores equal the TypeScript reference's for the same input. */
  agreeWithReference: number;
  /** p50 bytecode inference over p50 native, when both backends reported results. */
  nativeSpeedup: number | null;
  /** The test images the input device served (null with --draw). */
  firstImage: number | null;
  lastImage: number | null;
  /** --draw: digits the page sent, drawings it saved. */
  drawn?: number;
  saved?: number;
  /** --strokes: the file replayed and the samples of it. */
  strokeFile?: string;
  firstSample?: number;
  lastSample?: number;
}

/**
 * --strokes: the samples of a stroke file the simulated panel replays, `first` on, `count` of
 * them (all when undefined). The panel is DEFAULT_PANEL_SIZE square and draws at least a point.
 */
function replaySamples(file: string, first: number, count: number | undefined): StrokeSample[] {
  const all = readStrokeFile(file);
  if (first >= all.length) throw usageError(`--first ${first}: ${displayPath(file)} holds ${all.length} samples`);
  if (count !== undefined && first + count > all.length) throw usageError(`--first + --count must stay within the ${all.length} samples of ${displayPath(file)}`);
  const picked = all.slice(first, count === undefined ? undefined : first + count);
  for (const s of picked) {
    if (s.width !== DEFAULT_PANEL_SIZE || s.height !== DEFAULT_PANEL_SIZE) throw new UserError(`${displayPath(file)}:${s.line}: the sample's panel is ${s.width}x${s.height}; the simulated panel is ${DEFAULT_PANEL_SIZE}x${DEFAULT_PANEL_SIZE}`);
    if (s.strokes.length === 0) throw new UserError(`${displayPath(file)}:${s.line}: the sample has no stroke; the simulated panel cannot draw nothing`);
  }
  return picked;
}

function portOption(text: string | undefined): number {
  if (text === undefined || text === "") return 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw usageError(`--port (or BNN_SIM_PORT) must be a TCP port number 0..65535; got '${text}'`);
  return n;
}

export const simCommand = defineCommand({
  name: "sim",
  summary: "run the DeviceScript program on a simulated board and show its serial result stream",
  options: {
    source: { type: "string", description: "input: touch = the simulated Digit Touch panel drawing MNIST test digits as strokes (with --draw: what you draw on a web page); camera = the simulated Digit Camera serving them as frames; samples = the test digits compiled into the program", default: "touch", choices: ["touch", "camera", "samples"] },
    count: { type: "int", description: `digits to classify (samples: at most ${SAMPLE_DIGITS}; --draw: stop after N, default: until Ctrl-C)`, default: SAMPLE_DIGITS, min: 1, max: TEST_IMAGES },
    first: { type: "int", description: "touch/camera: first MNIST test image (with --strokes: first sample of the file)", default: 0, min: 0, max: TEST_IMAGES - 1 },
    timeout: { type: "int", description: "seconds to wait for all results", default: 300, min: 5, max: 3600 },
    backend: { type: "string", description: "native: start the simulated classifier device (the firmware's C service in WebAssembly); bytecode: do not, so the program uses its DeviceScript fallback", default: "native", choices: ["native", "bytecode"] },
    model: { type: "string", description: "shipped model the program runs (src/main.ts for default, src/models/<name>.main.ts for the others)", default: "default", metavar: "name" },
    classifierModel: { type: "string", description: "model the simulated classifier runs (default: the program's); another one shows the model-id check", metavar: "name" },
    restartClassifierAt: { type: "int", description: "fault injection: stop the simulated classifier after N results, start it again 2 s later", min: 1, max: TEST_IMAGES, metavar: "N" },
    penUp: { type: "int", description: "touch: ms of pen-up between digits (more than the program's 600 ms digit timeout)", default: TOUCH_DIGIT_GAP_MS, min: 650, max: 10_000, metavar: "ms" },
    port: { type: "string", description: "TCP port of this run's Jacdac hub on 127.0.0.1 (default: $BNN_SIM_PORT, else a free one)", metavar: "port" },
    json: { type: "boolean", description: "print JSON lines: the hub and every process started, each result, then the summary" },
    raw: { type: "boolean", description: "print the program's console lines as a board would send them (pipe into `bnn monitor --stdin`); the rest goes to stderr" },
    draw: { type: "boolean", description: "touch: draw the digits yourself on a web page instead of replaying MNIST: serves it on 127.0.0.1 and prints its URL; each finished digit goes through the simulated touch panel into the program, and the page shows the board's result (digit, ten scores, the 28x28 input, latency, backend); runs until Ctrl-C, or --count digits" },
    strokes: { type: "string", description: "touch: replay the digits of a stroke file (docs/strokes.md, 240x240 panel) on the simulated panel instead of MNIST, at pen speed; each result is checked against `bnn classify` on the same strokes; --first/--count pick samples of the file (default: all)", metavar: "file" },
    httpPort: { type: "int", description: "--draw: TCP port of the drawing page on 127.0.0.1 (default: a free one)", min: 0, max: 65535, metavar: "port" },
    save: { type: "string", description: "--draw: file the page's Save appends each labelled drawing to, one JSON line in the stroke file format (docs/strokes.md); created if missing, never overwritten", default: DEFAULT_SAVE_FILE, metavar: "file" },
  },
  async run(o, _positionals, given) {
    onlyWith(given, "first", o.source !== "samples", "does not apply to --source samples (the program holds test images 0..39)");
    onlyWith(given, "draw", o.source === "touch", "only applies to --source touch (the page draws on the simulated touch panel)");
    onlyWith(given, "first", !o.draw, "does not apply with --draw (the digits come from the page)");
    onlyWith(given, "timeout", !o.draw, "does not apply with --draw (it runs until Ctrl-C, or until --count digits)");
    onlyWith(given, "httpPort", o.draw, "only applies with --draw");
    onlyWith(given, "strokes", o.source === "touch" && !o.draw, "only applies to --source touch without --draw (the panel replays the file's digits)");
    onlyWith(given, "save", o.draw, "only applies with --draw");
    onlyWith(given, "penUp", o.source === "touch", "only applies to --source touch");
    onlyWith(given, "classifierModel", o.backend === "native", "needs --backend native (no classifier runs with bytecode)");
    onlyWith(given, "restartClassifierAt", o.backend === "native", "needs --backend native (no classifier runs with bytecode)");
    if (o.json && o.raw) throw usageError("give --json or --raw, not both");
    if (!shippedModels().includes(o.model)) throw usageError(`--model: no shipped model '${o.model}' (shipped: ${shippedModels().join(", ")})`);
    if (o.classifierModel !== undefined && !shippedModels().includes(o.classifierModel)) throw usageError(`--classifier-model: no shipped model '${o.classifierModel}' (shipped: ${shippedModels().join(", ")})`);
    if (o.source === "samples" && o.model !== "default") throw usageError(`--model ${o.model}: the program with that model holds no sample digits (there is no room for them in the VM's image); use --source touch or camera`);
    const model = readModelFile(resolveModelPath(o.model));
    const entry = relative(ROOT, programEntry(o.model));
    if (o.source === "samples" && o.count > SAMPLE_DIGITS) throw usageError(`--count: the program holds ${SAMPLE_DIGITS} sample digits`);
    const replay = o.strokes === undefined ? undefined : replaySamples(o.strokes, o.first, given.has("count") ? o.count : undefined);
    if (o.source !== "samples" && !o.draw && !replay && o.first + o.count > TEST_IMAGES) throw usageError(`--first + --count must stay within the ${TEST_IMAGES} test images`);
    const port = portOption(o.port ?? process.env.BNN_SIM_PORT);
    const savePath = o.draw ? saveFile(o.save) : undefined;
    /** Results to wait for: with --draw, as many as are drawn unless --count is given. */
    const count = o.draw && !given.has("count") ? Infinity : replay ? replay.length : o.count;
    const firstImage = o.source === "samples" ? 0 : o.first;
    let session: DrawSession | undefined;
    /** --draw: the simulated panel, once started. */
    let panel: Managed | undefined;
    /** What the program should report for result `seq`, computed here by the board's own input paths, and the label. */
    const fromInput = o.draw ? undefined : inputReference(model, o.source as SimSource, firstImage, replay);
    const expected: Reference = (seq) => (session ? sessionReference(session)(seq) : fromInput!(seq));
    const say = (s: string) => {
      if (o.raw) console.error(s);
      else if (!o.json) console.log(s);
    };
    const event = (e: Record<string, unknown>) => {
      if (o.json) console.log(JSON.stringify(e));
    };
    /** Each start-up stage as it begins, and a line every few seconds while one lasts. */
    const startup = new StartupReporter(say);

    // --draw: the page's server first, so a busy --http-port costs nothing
    let drawServer: DrawServer | undefined;
    if (o.draw) {
      const s = new DrawSession({
        model,
        width: DEFAULT_PANEL_SIZE,
        height: DEFAULT_PANEL_SIZE,
        saveFile: savePath!,
        toPanel: (line) => panel?.write(line) ?? false,
        broadcast: (e, data) => drawServer?.broadcast(e, data),
        saved: (sample, file) => {
          event({ saved: { id: sample.id, label: sample.label, file } });
          say(`  saved ${sample.id} (label ${sample.label}) to ${displayPath(file)}`);
        },
      });
      session = s;
      drawServer = await startDrawServer({
        port: o.httpPort ?? 0,
        page: drawPage({ width: DEFAULT_PANEL_SIZE, height: DEFAULT_PANEL_SIZE, penUpMs: DIGIT_TIMEOUT_MS, save: displayPath(savePath!) }),
        routes: { "/digit": (b) => s.submit(b), "/save": (b) => s.save(b) },
        hello: () => s.hello(),
      });
    }
    const hub = await startHub(port).catch(async (e) => {
      await drawServer?.close();
      throw e;
    });
    const runDir = makeRunDir();
    event({ hub: { url: hub.url, port: hub.port } });
    say(`Jacdac hub of this run: ${hub.url}`);
    const processes: Managed[] = [];
    const launch = (name: string, m: Managed): Managed => {
      processes.push(m);
      event({ process: { name, pid: m.pid } });
      return m;
    };
    const device = (name: string, file: string, args: string[], input = false) =>
      launch(name, start(process.execPath, ["--import", "tsx", join(ROOT, "devices", file), "--url", hub.url, ...args], { cwd: ROOT, name: `the simulated ${name}`, input }));

    const tally = new Tally();
    const seen = new Set<number>();
    let agree = 0;
    let classifier: Managed | undefined;
    let stopping = false;
    let interrupted: UserError | undefined;
    /** --draw ends with Ctrl-C: the end of a session, not a failure. */
    let userEnded = false;
    let finish: ((error?: UserError) => void) | undefined;
    const onSignal = (sig: NodeJS.Signals) => {
      stopping = true;
      interrupted = new UserError(sig === "SIGINT" ? "interrupted" : "terminated", sig === "SIGINT" ? 130 : 143);
      if (finish && o.draw && sig === "SIGINT") {
        userEnded = true;
        return finish(undefined);
      }
      if (finish) finish(interrupted);
      else for (const p of processes) void p.stop(); // still starting up: what waits for them fails at once
    };
    onInterrupt(onSignal);
    let outcome: UserError | undefined;
    try {
      const startClassifier = async () => {
        const name = o.classifierModel ?? model.file.name;
        startup.begin(`starting the simulated classifier device (firmware C service + model '${name}', WebAssembly) ...`, "starting the simulated classifier device");
        classifier = device("classifier", "classifier.ts", ["--model", name]);
        await classifier.waitFor(/^classifier ready/, 30_000);
      };
      const step = async <T>(f: () => Promise<T>) => {
        try {
          return await f();
        } catch (e) {
          throw interrupted ?? e;
        }
      };
      if (o.backend === "native") await step(startClassifier);
      const range = ["--first", String(o.first), "--count", String(o.count)];
      if (o.source === "camera") {
        startup.begin(`starting the simulated camera (MNIST test images ${o.first}..${o.first + o.count - 1} as ${FRAME_WIDTH}x${FRAME_HEIGHT} frames) ...`, "starting the simulated camera");
        await step(() => device("camera", "camera.ts", range).waitFor(/^camera ready/, 30_000));
      }
      // samples every 2 ms in batches of 8; the panel starts drawing when the program reads its width
      const pen = ["--period", "2", "--batch", "8", "--gap", String(o.penUp), "--delay", "600000"];
      if (replay) {
        startup.begin(`starting the simulated touch panel (replaying ${replay.length} digits of ${displayPath(o.strokes!)}, samples ${o.first}..${o.first + replay.length - 1}) ...`, "starting the simulated touch panel");
        const replayPanel = device("touch panel", "touch.ts", ["--stdin", ...pen], true);
        await step(() => replayPanel.waitFor(/^touch ready/, 30_000));
        for (const sample of replay) replayPanel.write(JSON.stringify({ strokes: sample.strokes }) + "\n");
      } else if (o.source === "touch" && !o.draw) {
        startup.begin(`starting the simulated touch panel (drawing MNIST test digits ${o.first}..${o.first + o.count - 1} as strokes) ...`, "starting the simulated touch panel");
        await step(() => device("touch panel", "touch.ts", [...range, ...pen]).waitFor(/^touch ready/, 30_000));
      }
      if (o.draw) {
        startup.begin("starting the simulated touch panel (drawing the page's digits as strokes) ...", "starting the simulated touch panel");
        panel = device("touch panel", "touch.ts", ["--stdin", ...pen], true);
        await step(() => panel!.waitFor(/^touch ready/, 30_000));
      }
      startup.begin(`starting ${entry} in the DeviceScript VM ...`, "starting the DeviceScript CLI");
      const vm = launch("devs run", startDevsRun(entry, hub.url, runDir));
      vm.onLine((line) => startup.vmLine(line, entry));
      // --raw: the board's own stream only (a board never sends the DeviceScript CLI's lines)
      if (o.raw)
        vm.onLine((line) => {
          const board = boardLine(line);
          if (board !== undefined) console.log(board);
        });
      if (interrupted) throw interrupted;
      if (session && drawServer) {
        const s = session;
        vm.onLine((line) => s.programLine(line));
        panel!.onLine((line) => s.panelLine(line));
        event({ draw: { url: drawServer.url, port: drawServer.port, save: savePath } });
        say("");
        say(`  drawing page: ${drawServer.url}`);
        say(`  (open it in a browser on this machine; saves go to ${displayPath(savePath!)}; Ctrl-C stops everything)`);
        say("");
      }
      outcome = await new Promise<UserError | undefined>((resolve) => {
        finish = resolve;
        const timer = o.draw ? undefined : setTimeout(() => resolve(new UserError(`only ${tally.results} of ${o.count} results arrived within ${o.timeout} s (hub ${hub.url}; VM said: ${vm.recent().slice(-2).join(" | ") || "nothing"})`, ExitCode.Mismatch)), o.timeout * 1000);
        vm.onLine((line) => {
          if (!o.raw && /error|panic|exception|bnn: /i.test(line) && !line.includes("@bnn")) say(`  vm: ${line.replace(/^WASM>\s*/, "").trim()}`);
          const r = parseResult(line);
          if (!r || r.seq >= count || seen.has(r.seq)) return;
          seen.add(r.seq);
          const arrivedMs = performance.now();
          void expected(r.seq).then((ref) => {
            if (!ref) return say(`  a result for digit ${r.seq}, which was never drawn: ${line}`);
            const reference = agreesWithReference(r, ref.verdict, model.output.shift);
            const labeled: StreamResult = { ...r, label: ref.label };
            tally.add(labeled, arrivedMs);
            if (reference) agree++;
            session?.result(r, line, reference);
            report(labeled, reference);
          });
        });
        const report = (r: StreamResult, reference: boolean) => {
          if (o.restartClassifierAt === tally.results && classifier) {
            const old = classifier;
            say("fault injection: stopping the simulated classifier ...");
            void old
              .stop()
              .then(() => new Promise((done) => setTimeout(done, 2000)))
              .then(() => (stopping ? undefined : startClassifier()))
              .catch((e) => say(`  restart failed: ${(e as Error).message}`));
          }
          startup.end();
          event({ ...r, reference });
          const label = r.label < 0 ? "label -  " : `label ${r.label} ${r.digit === r.label ? "✓" : "✗"}`;
          if (!o.raw) say(`  #${String(r.seq).padStart(3)}  digit ${r.digit < 0 ? "-" : r.digit}  ${label}  ${runnersUpText(r).padEnd(16)}  ${inferenceText(r).padStart(7)}  ${r.backend.padEnd(8)}  ${reference ? "= reference" : "DIFFERS FROM REFERENCE"}`);
          if (tally.results === count) {
            clearTimeout(timer);
            resolve(undefined);
          }
        };
        void vm.exited.then((code) => {
          clearTimeout(timer);
          if (tally.results < count) resolve(new UserError(`the DeviceScript VM exited (code ${code}) after ${tally.results}${o.draw ? "" : ` of ${o.count}`} results`, ExitCode.Mismatch));
        });
      });
    } finally {
      stopping = true;
      startup.end();
      onInterrupt(undefined);
      if (drawServer) {
        session?.setStatus({ text: "bnn sim stopped", ready: false, stopped: true });
        await drawServer.close();
      }
      for (const p of processes.reverse()) await p.stop();
      await hub.close();
      rmSync(runDir, { recursive: true, force: true });
    }
    const s = tally.summary(outcome ? outcome.message : userEnded ? "ended with Ctrl-C" : "all results arrived", 0);
    const p50 = (b: string) => s.latency[b]?.p50Ms;
    const summary: SimSummary = {
      ...s,
      source: o.source,
      agreeWithReference: agree,
      nativeSpeedup: p50("native") && p50("bytecode") ? p50("bytecode")! / p50("native")! : null,
      firstImage: o.draw || replay ? null : firstImage,
      lastImage: o.draw || replay ? null : firstImage + o.count - 1,
      ...(replay ? { strokeFile: displayPath(o.strokes!), firstSample: o.first, lastSample: o.first + replay.length - 1 } : {}),
      ...(session ? { drawn: session.sent, saved: session.savedCount } : {}),
    };
    if (o.json) console.log(JSON.stringify({ summary }));
    else if (summary.results > 0) printSummary(summary, o.draw ? "draw" : o.source, o.backend, o.raw ? console.error : console.log);
    if (outcome) throw outcome;
    if (agree !== summary.results) throw new UserError(`${summary.results - agree} result(s) differ from the reference`, ExitCode.Mismatch);
  },
});

/** Inference time at the resolution it was measured with: 1 µs by the service, 1 ms by the VM clock. */
function inferenceText(r: StreamResult): string {
  return r.backend === "bytecode" ? `${Math.round(r.inferenceUs / 1000)} ms` : `${(r.inferenceUs / 1000).toFixed(3)} ms`;
}

function printSummary(s: SimSummary, source: string, backend: string, print: (line: string) => void): void {
  print("");
  const labels = s.labeled > 0 ? `, ${s.correct} correct (${((100 * s.correct) / s.labeled).toFixed(1)} % against the labels)` : "";
  print(`${s.results} digits${labels}, ${s.agreeWithReference}/${s.results} identical to the TypeScript reference`);
  for (const [b, l] of Object.entries(s.latency)) {
    const ms = (v: number) => (b === "bytecode" ? `${Math.round(v)} ms` : `${v.toFixed(3)} ms`);
    print(`inference time ${b}: p50 ${ms(l.p50Ms)}, p99 ${ms(l.p99Ms)} (${b === "native" ? "measured by the service, 1 µs resolution" : "VM clock, 1 ms resolution"})`);
  }
  if (s.nativeSpeedup) print(`native is ${s.nativeSpeedup.toFixed(0)}x faster than the bytecode fallback (p50)`);
  if (s.throughput && source !== "draw") {
    // the inference mean is over the results the interval spans (the 2nd to the last), each
    // with one decimal, so the two figures are of the same results and comparable
    const where = source === "touch" ? "mostly the drawing itself (strokes at pen speed, then the pen-up before a digit counts as done)" : source === "camera" ? "mostly the frame transfer in Jacdac chunks" : `the VM${backend === "native" ? " and the Jacdac round trip through the hub" : " running the bytecode inference"}`;
    const inference = Object.entries(s.throughput.inferenceMeanMs)
      .map(([b, ms]) => `${b} inference ${ms.toFixed(b === "bytecode" ? 1 : 3)} ms mean`)
      .join(", ");
    print(`throughput ${s.throughput.resultsPerSecond.toFixed(1)} digits/s: ${s.throughput.meanIntervalMs.toFixed(1)} ms between results (${inference}); the time goes to ${where}`);
  }
}
