/**
 * One run of the simulated board (`bnn sim`): a Jacdac hub of its own (in this process, on a free
 * port or the one given), the simulated input device and classifier (devices/*.ts, started by
 * path as Node processes: this library never imports them), and the program in the DeviceScript
 * VM, headless. Each result line of the program's serial stream is checked against the host's
 * reference for the same input (reference.ts, over lib/classify.ts) and counted
 * (lib/monitor/summary.ts); the run ends with a summary of both.
 *
 * While the board starts, each stage is said as it begins, and every few seconds what it still
 * waits for (startup.ts). Every process started is known by PID and stopped when the run ends, on
 * failure and on Ctrl-C / SIGTERM (processes.ts: they also exit by themselves if this process is
 * killed outright); the hub's port is closed and the run's folder removed (run-dir.ts).
 *
 * --draw: the touch panel draws what a web page sends (drawing.ts, lib/draw/): the page is
 * served on 127.0.0.1 before anything else starts, each finished digit goes to the simulated
 * panel (devices/touch.ts --stdin), so into the program, and each result line goes back to the
 * page with the host's reference for the same strokes; Ctrl-C ends such a run as a success.
 *
 * What the run says goes through a SimReporter (report.ts): the command decides how it is shown.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { FRAME_HEIGHT, FRAME_WIDTH } from "../image/photo.ts";
import { startDevsRun } from "../devs/cli.ts";
import { ExitCode, UserError } from "../errors.ts";
import type { Model } from "../model/format.ts";
import { boardLine } from "../monitor/lines.ts";
import { parseResult, type ParsedResult } from "../monitor/parse.ts";
import { Tally } from "../monitor/summary.ts";
import { displayPath, ROOT } from "../paths.ts";
import type { StrokeSample } from "../strokes/format.ts";
import { closeDrawing, showDrawing, startDrawing, type Drawing } from "./drawing.ts";
import { startHub, type Hub } from "../hub.ts";
import { onInterrupt, start, type Managed } from "../processes.ts";
import { agreesWithReference, inputReference, sessionReference, type Expected, type Reference, type SimSource } from "./reference.ts";
import type { SimReporter, SimSummary } from "./report.ts";
import { makeRunDir } from "../devs/run-dir.ts";
import { StartupReporter } from "./startup.ts";
import type { StreamResult } from "../../src/shared/stream-format.ts";

export interface SimOptions {
  source: SimSource;
  /** The program's model; the classifier serves it too unless classifierModel names another. */
  model: Model;
  /** The program, relative to the project (src/main.ts, src/generated/models/<name>.main.ts). */
  entry: string;
  /** native: start the simulated classifier; bytecode: do not (the program's fallback runs). */
  backend: "native" | "bytecode";
  /** The shipped model the simulated classifier runs (default: the program's). */
  classifierModel?: string;
  /** The first MNIST test image the input device serves (touch, camera; 0 for samples), or with `replay` the first sample of its file (for the messages). */
  first: number;
  /** Results to wait for (Infinity: with `draw`, until Ctrl-C). Touch and camera: the test images the device serves. */
  count: number;
  /** Seconds to wait for all results (not with `draw`). */
  timeoutS: number;
  /** Touch: pen-up ms between digits. */
  penUpMs: number;
  /** The hub's TCP port (0: a free one). */
  port: number;
  /** Fault injection: stop the simulated classifier after this many results, start it again 2 s later. */
  restartClassifierAt?: number;
  /** Touch: replay these samples of a stroke file on the simulated panel instead of MNIST. */
  replay?: { file: string; samples: StrokeSample[] };
  /** Touch: the digits come from the drawing page, served on 127.0.0.1:httpPort (0: a free port); its Save appends to saveFile. */
  draw?: { httpPort: number; saveFile: string };
}

/**
 * Runs the simulated board until `o.count` results arrived (or Ctrl-C with `draw`), then stops
 * everything and reports the summary. Fails (a UserError) when the run did not finish: a timeout,
 * the VM exiting, Ctrl-C / SIGTERM, a device that did not start; or when a result differs from
 * the reference.
 */
export async function runSimulation(o: SimOptions, reporter: SimReporter): Promise<SimSummary> {
  const run = new SimRun(o, reporter);
  const outcome = await run.run();
  const summary = run.summary(outcome);
  reporter.summary(summary);
  if (outcome) throw outcome;
  if (summary.agreeWithReference !== summary.results)
    throw new UserError(`${summary.results - summary.agreeWithReference} result(s) differ from the reference`, ExitCode.Mismatch);
  return summary;
}

/** How long a simulated device may take to say it is ready. */
const READY_MS = 30_000;

class SimRun {
  private readonly startup: StartupReporter;
  private readonly processes: Managed[] = [];
  private readonly tally = new Tally();
  private readonly seen = new Set<number>();
  private agree = 0;
  private reference: Reference | undefined;
  private hub!: Hub;
  private drawing: Drawing | undefined;
  /** The simulated touch panel, once started (--draw writes the page's digits to it). */
  private panel: Managed | undefined;
  private classifier: Managed | undefined;
  private stopping = false;
  private interrupted: UserError | undefined;
  /** --draw ends with Ctrl-C: the end of a session, not a failure. */
  private userEnded = false;
  private finish: ((error?: UserError) => void) | undefined;

  constructor(
    private readonly o: SimOptions,
    private readonly out: SimReporter,
  ) {
    this.startup = new StartupReporter((line) => out.say(line));
    if (!o.draw) this.reference = inputReference(o.model, o.source, o.first, o.replay?.samples);
  }

  /** Starts everything and waits for the results; stops everything it started, however it ends. Undefined: the run finished. */
  async run(): Promise<UserError | undefined> {
    // --draw: the page's server first, so a busy --http-port costs nothing
    if (this.o.draw) {
      this.drawing = await startDrawing(this.o.model, this.o.draw.httpPort, this.o.draw.saveFile, (line) => this.panel?.write(line) ?? false, this.out);
      this.reference = sessionReference(this.drawing.session);
    }
    this.hub = await startHub(this.o.port).catch(async (e) => {
      await this.drawing?.server.close();
      throw e;
    });
    const runDir = makeRunDir();
    this.out.event({ hub: { url: this.hub.url, port: this.hub.port } });
    this.out.say(`Jacdac hub of this run: ${this.hub.url}`);
    onInterrupt((sig) => this.onSignal(sig));
    try {
      await this.startDevices();
      const vm = this.startVm(runDir);
      if (this.interrupted) throw this.interrupted;
      if (this.drawing) showDrawing(this.drawing, vm, this.panel!, this.out);
      return await this.results(vm);
    } finally {
      await this.stop(runDir);
    }
  }

  summary(outcome: UserError | undefined): SimSummary {
    const o = this.o;
    const s = this.tally.summary(outcome ? outcome.message : this.userEnded ? "ended with Ctrl-C" : "all results arrived", 0);
    const p50 = (b: string) => s.latency[b]?.p50Ms;
    const testImages = !o.draw && !o.replay;
    return {
      ...s,
      source: o.source,
      agreeWithReference: this.agree,
      nativeSpeedup: p50("native") && p50("bytecode") ? p50("bytecode")! / p50("native")! : null,
      firstImage: testImages ? o.first : null,
      lastImage: testImages ? o.first + o.count - 1 : null,
      ...(o.replay ? { strokeFile: displayPath(o.replay.file), firstSample: o.first, lastSample: o.first + o.replay.samples.length - 1 } : {}),
      ...(this.drawing ? { drawn: this.drawing.session.sent, saved: this.drawing.session.savedCount } : {}),
    };
  }

  private onSignal(sig: NodeJS.Signals): void {
    this.stopping = true;
    this.interrupted = new UserError(sig === "SIGINT" ? "interrupted" : "terminated", sig === "SIGINT" ? 130 : 143);
    if (this.finish && this.o.draw && sig === "SIGINT") {
      this.userEnded = true;
      this.finish(undefined);
      return;
    }
    if (this.finish) this.finish(this.interrupted);
    else for (const p of this.processes) void p.stop(); // still starting up: what waits for them fails at once
  }

  private launch(name: string, m: Managed): Managed {
    this.processes.push(m);
    this.out.event({ process: { name, pid: m.pid } });
    return m;
  }

  /** Starts devices/<file> on this run's hub, by path; `input`: with a stdin to write to. */
  private device(name: string, file: string, args: string[], input = false): Managed {
    return this.launch(
      name,
      start(process.execPath, ["--import", "tsx", join(ROOT, "devices", file), "--url", this.hub.url, ...args], {
        cwd: ROOT,
        name: `the simulated ${name}`,
        input,
      }),
    );
  }

  /** Waits for what `f` starts; when Ctrl-C stopped it meanwhile, that is the error. */
  private async step<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw this.interrupted ?? e;
    }
  }

  private async startClassifier(): Promise<void> {
    const name = this.o.classifierModel ?? this.o.model.file.name;
    this.startup.begin(
      `starting the simulated classifier device (firmware C service + model '${name}', WebAssembly) ...`,
      "starting the simulated classifier device",
    );
    this.classifier = this.device("classifier", "classifier.ts", ["--model", name]);
    await this.classifier.waitFor(/^classifier ready/, READY_MS);
  }

  private async startDevices(): Promise<void> {
    const o = this.o;
    if (o.backend === "native") await this.step(() => this.startClassifier());
    const range = ["--first", String(o.first), "--count", String(o.count)];
    if (o.source === "camera") {
      this.startup.begin(
        `starting the simulated camera (MNIST test images ${o.first}..${o.first + o.count - 1} as ${FRAME_WIDTH}x${FRAME_HEIGHT} frames) ...`,
        "starting the simulated camera",
      );
      await this.step(() => this.device("camera", "camera.ts", range).waitFor(/^camera ready/, READY_MS));
    }
    if (o.replay) {
      const { file, samples } = o.replay;
      const panel = await this.startPanel(`replaying ${samples.length} digits of ${displayPath(file)}, samples ${o.first}..${o.first + samples.length - 1}`);
      for (const sample of samples) panel.write(JSON.stringify({ strokes: sample.strokes }) + "\n");
    } else if (o.draw) await this.startPanel("drawing the page's digits as strokes");
    else if (o.source === "touch") await this.startPanel(`drawing MNIST test digits ${o.first}..${o.first + o.count - 1} as strokes`, range);
  }

  /**
   * Starts the simulated touch panel (`what` it draws, for the start-up line) and waits until it
   * is ready: drawing the MNIST test digits of `range`, or without one the JSON lines written to
   * its stdin. It is this.panel from its start on, so a drawing page's digits reach it as soon as
   * it runs.
   */
  private async startPanel(what: string, range?: string[]): Promise<Managed> {
    this.startup.begin(`starting the simulated touch panel (${what}) ...`, "starting the simulated touch panel");
    // samples every 2 ms in batches of 8; the panel starts drawing when the program reads its width
    const pen = ["--period", "2", "--batch", "8", "--gap", String(this.o.penUpMs), "--delay", "600000"];
    const panel = (this.panel = this.device("touch panel", "touch.ts", [...(range ?? ["--stdin"]), ...pen], !range));
    await this.step(() => panel.waitFor(/^touch ready/, READY_MS));
    return panel;
  }

  private startVm(runDir: string): Managed {
    const { entry } = this.o;
    this.startup.begin(`starting ${entry} in the DeviceScript VM ...`, "starting the DeviceScript CLI");
    const vm = this.launch("devs run", startDevsRun(entry, this.hub.url, runDir));
    vm.onLine((line) => this.startup.vmLine(line, entry));
    vm.onLine((line) => {
      const board = boardLine(line);
      if (board !== undefined) this.out.boardLine(board);
    });
    return vm;
  }

  /** Checks each result line as it comes; resolves when all arrived, with the error when the run cannot finish. */
  private results(vm: Managed): Promise<UserError | undefined> {
    const o = this.o;
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const end = (error?: UserError) => {
        clearTimeout(timer);
        resolve(error);
      };
      this.finish = end;
      if (!o.draw)
        timer = setTimeout(
          () =>
            end(
              new UserError(
                `only ${this.tally.results} of ${o.count} results arrived within ${o.timeoutS} s (hub ${this.hub.url}; VM said: ${vm.recent().slice(-2).join(" | ") || "nothing"})`,
                ExitCode.Mismatch,
              ),
            ),
          o.timeoutS * 1000,
        );
      vm.onLine((line) => this.vmLine(line, () => end()));
      void vm.exited.then((code) => {
        clearTimeout(timer);
        if (this.tally.results < o.count)
          end(
            new UserError(`the DeviceScript VM exited (code ${code}) after ${this.tally.results}${o.draw ? "" : ` of ${o.count}`} results`, ExitCode.Mismatch),
          );
      });
    });
  }

  private vmLine(line: string, done: () => void): void {
    if (/error|panic|exception|bnn: /i.test(line) && !line.includes("@bnn")) this.out.vmNote(line.replace(/^WASM>\s*/, "").trim());
    const r = parseResult(line);
    if (!r || r.seq >= this.o.count || this.seen.has(r.seq)) return;
    this.seen.add(r.seq);
    const arrivedMs = performance.now();
    void this.reference!(r.seq).then((ref) => this.check(r, line, ref, arrivedMs, done));
  }

  private check(r: ParsedResult, line: string, ref: Expected | undefined, arrivedMs: number, done: () => void): void {
    if (!ref) {
      this.out.say(`  a result for digit ${r.seq}, which was never drawn: ${line}`);
      return;
    }
    const reference = agreesWithReference(r, ref.verdict, this.o.model.output.shift);
    const labeled: StreamResult = { ...r, label: ref.label };
    this.tally.add(labeled, arrivedMs);
    if (reference) this.agree++;
    this.drawing?.session.result(r, line, reference);
    this.injectFault();
    this.startup.end();
    this.out.result(labeled, reference);
    if (this.tally.results === this.o.count) done();
  }

  /** --restart-classifier-at N: after the Nth result, stop the simulated classifier, start it again 2 s later. */
  private injectFault(): void {
    const old = this.classifier;
    if (this.o.restartClassifierAt !== this.tally.results || !old) return;
    this.out.say("fault injection: stopping the simulated classifier ...");
    void old
      .stop()
      .then(() => new Promise((done) => setTimeout(done, 2000)))
      .then(() => (this.stopping ? undefined : this.startClassifier()))
      .catch((e) => this.out.say(`  restart failed: ${(e as Error).message}`));
  }

  private async stop(runDir: string): Promise<void> {
    this.stopping = true;
    this.startup.end();
    onInterrupt(undefined);
    if (this.drawing) await closeDrawing(this.drawing);
    for (const p of this.processes.reverse()) await p.stop();
    await this.hub.close();
    rmSync(runDir, { recursive: true, force: true });
  }
}
