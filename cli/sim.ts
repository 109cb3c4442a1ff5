/**
 * `bnn sim` (npm start): the simulated board. Parses and checks the options, then runs the board
 * (lib/sim/run.ts: a Jacdac hub of its own on a free port or --port, the simulated input
 * device and classifier of devices/, the program in the DeviceScript VM; each result line checked
 * against the TypeScript reference for the same input, lib/sim/reference.ts) and shows what
 * the run says in one of three ways: plain text (lib/sim/render.ts), --json lines, or --raw,
 * the board's own stream on stdout and the rest on stderr.
 *
 * --draw: the touch panel draws what a web page sends instead of MNIST (lib/draw/); the
 * page's Save appends labelled samples to --save.
 */
import { relative } from "node:path";
import { defineCommand, onlyWith, usageError } from "../lib/args.ts";
import { DEFAULT_SAVE_FILE, saveFile } from "../lib/draw/save.ts";
import { UserError } from "../lib/errors.ts";
import { SAMPLE_DIGITS } from "../lib/export/digits.ts";
import { programEntry } from "../lib/export/entry.ts";
import { TEST_IMAGES } from "../lib/mnist.ts";
import { readModelFile } from "../lib/model/format.ts";
import { displayPath, resolveModelPath, ROOT, shippedModels } from "../lib/paths.ts";
import { resultText, summaryLines } from "../lib/sim/render.ts";
import type { SimSource } from "../lib/sim/reference.ts";
import type { SimReporter } from "../lib/sim/report.ts";
import { runSimulation } from "../lib/sim/run.ts";
import { readStrokeFile, type StrokeSample } from "../lib/strokes/format.ts";
import { DEFAULT_PANEL_SIZE } from "../lib/strokes/from-image.ts";

/** Pen-up time between two drawn digits; the program's digit timeout is 600 ms. */
const TOUCH_DIGIT_GAP_MS = 800;

/**
 * --strokes: the samples of a stroke file the simulated panel replays, `first` on, `count` of
 * them (all when undefined). The panel is DEFAULT_PANEL_SIZE square and draws at least a point.
 */
function replaySamples(file: string, first: number, count: number | undefined): StrokeSample[] {
  const all = readStrokeFile(file);
  if (first >= all.length) throw usageError(`--first ${first}: ${displayPath(file)} holds ${all.length} samples`);
  if (count !== undefined && first + count > all.length)
    throw usageError(`--first + --count must stay within the ${all.length} samples of ${displayPath(file)}`);
  const picked = all.slice(first, count === undefined ? undefined : first + count);
  for (const s of picked) {
    if (s.width !== DEFAULT_PANEL_SIZE || s.height !== DEFAULT_PANEL_SIZE)
      throw new UserError(
        `${displayPath(file)}:${s.line}: the sample's panel is ${s.width}x${s.height}; the simulated panel is ${DEFAULT_PANEL_SIZE}x${DEFAULT_PANEL_SIZE}`,
      );
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
    source: {
      type: "string",
      description:
        "input: touch = the simulated Digit Touch panel drawing MNIST test digits as strokes (with --draw: what you draw on a web page); camera = the simulated Digit Camera serving them as frames; samples = the test digits compiled into the program",
      default: "touch",
      choices: ["touch", "camera", "samples"],
    },
    count: {
      type: "int",
      description: `digits to classify (samples: at most ${SAMPLE_DIGITS}; --draw: stop after N, default: until Ctrl-C)`,
      default: SAMPLE_DIGITS,
      min: 1,
      max: TEST_IMAGES,
    },
    first: {
      type: "int",
      description: "touch/camera: first MNIST test image (with --strokes: first sample of the file)",
      default: 0,
      min: 0,
      max: TEST_IMAGES - 1,
    },
    timeout: { type: "int", description: "seconds to wait for all results", default: 300, min: 5, max: 3600 },
    backend: {
      type: "string",
      description:
        "native: start the simulated classifier device (the firmware's C service in WebAssembly); bytecode: do not, so the program uses its DeviceScript fallback",
      default: "native",
      choices: ["native", "bytecode"],
    },
    model: {
      type: "string",
      description: "shipped model the program runs (src/main.ts for default, src/generated/models/<name>.main.ts for the others)",
      default: "default",
      metavar: "name",
    },
    classifierModel: {
      type: "string",
      description: "model the simulated classifier runs (default: the program's); another one shows the model-id check",
      metavar: "name",
    },
    restartClassifierAt: {
      type: "int",
      description: "fault injection: stop the simulated classifier after N results, start it again 2 s later",
      min: 1,
      max: TEST_IMAGES,
      metavar: "N",
    },
    penUp: {
      type: "int",
      description: "touch: ms of pen-up between digits (more than the program's 600 ms digit timeout)",
      default: TOUCH_DIGIT_GAP_MS,
      min: 650,
      max: 10_000,
      metavar: "ms",
    },
    port: { type: "string", description: "TCP port of this run's Jacdac hub on 127.0.0.1 (default: $BNN_SIM_PORT, else a free one)", metavar: "port" },
    json: { type: "boolean", description: "print JSON lines: the hub and every process started, each result, then the summary" },
    raw: {
      type: "boolean",
      description: "print the program's console lines as a board would send them (pipe into `bnn monitor --stdin`); the rest goes to stderr",
    },
    draw: {
      type: "boolean",
      description:
        "touch: draw the digits yourself on a web page instead of replaying MNIST: serves it on 127.0.0.1 and prints its URL; each finished digit goes through the simulated touch panel into the program, and the page shows the board's result (digit, ten scores, the 28x28 input, latency, backend); runs until Ctrl-C, or --count digits",
    },
    strokes: {
      type: "string",
      description:
        "touch: replay the digits of a stroke file (docs/strokes.md, 240x240 panel) on the simulated panel instead of MNIST, at pen speed; each result is checked against `bnn classify` on the same strokes; --first/--count pick samples of the file (default: all)",
      metavar: "file",
    },
    httpPort: { type: "int", description: "--draw: TCP port of the drawing page on 127.0.0.1 (default: a free one)", min: 0, max: 65535, metavar: "port" },
    save: {
      type: "string",
      description:
        "--draw: file the page's Save appends each labelled drawing to, one JSON line in the stroke file format (docs/strokes.md); created if missing, never overwritten",
      default: DEFAULT_SAVE_FILE,
      metavar: "file",
    },
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
    if (o.classifierModel !== undefined && !shippedModels().includes(o.classifierModel))
      throw usageError(`--classifier-model: no shipped model '${o.classifierModel}' (shipped: ${shippedModels().join(", ")})`);
    if (o.source === "samples" && o.model !== "default")
      throw usageError(
        `--model ${o.model}: the program with that model holds no sample digits (there is no room for them in the VM's image); use --source touch or camera`,
      );
    const model = readModelFile(resolveModelPath(o.model));
    const entry = relative(ROOT, programEntry(o.model));
    if (o.source === "samples" && o.count > SAMPLE_DIGITS) throw usageError(`--count: the program holds ${SAMPLE_DIGITS} sample digits`);
    const replay =
      o.strokes === undefined ? undefined : { file: o.strokes, samples: replaySamples(o.strokes, o.first, given.has("count") ? o.count : undefined) };
    if (o.source !== "samples" && !o.draw && !replay && o.first + o.count > TEST_IMAGES)
      throw usageError(`--first + --count must stay within the ${TEST_IMAGES} test images`);
    const port = portOption(o.port ?? process.env.BNN_SIM_PORT);
    const draw = o.draw ? { httpPort: o.httpPort ?? 0, saveFile: saveFile(o.save) } : undefined;
    const source = o.source as SimSource;
    await runSimulation(
      {
        source,
        model,
        entry,
        backend: o.backend as "native" | "bytecode",
        classifierModel: o.classifierModel,
        first: source === "samples" ? 0 : o.first,
        // with --draw, as many as are drawn unless --count is given
        count: o.draw && !given.has("count") ? Infinity : replay ? replay.samples.length : o.count,
        timeoutS: o.timeout,
        penUpMs: o.penUp,
        port,
        restartClassifierAt: o.restartClassifierAt,
        replay,
        draw,
      },
      reporter(o.json ? "json" : o.raw ? "raw" : "text", o.draw ? "draw" : source, o.backend),
    );
  },
});

/**
 * How the run is shown. text: everything on stdout as lines for a person; json: one JSON line per
 * fact, result and the summary; raw: the board's own lines on stdout (for `bnn monitor --stdin`),
 * the person's lines on stderr, and no result lines of our own.
 */
function reporter(mode: "text" | "json" | "raw", source: string, backend: string): SimReporter {
  const print = mode === "raw" ? console.error : console.log;
  const say = (line: string) => {
    if (mode !== "json") print(line);
  };
  return {
    say,
    event: (e) => {
      if (mode === "json") console.log(JSON.stringify(e));
    },
    boardLine: (line) => {
      if (mode === "raw") console.log(line);
    },
    vmNote: (text) => {
      if (mode === "text") say(`  vm: ${text}`);
    },
    result: (r, reference) => {
      if (mode === "json") console.log(JSON.stringify({ ...r, reference }));
      else if (mode === "text") console.log(resultText(r, reference));
    },
    summary: (s) => {
      if (mode === "json") console.log(JSON.stringify({ summary: s }));
      else if (s.results > 0) for (const line of summaryLines(s, source, backend)) print(line);
    },
  };
}
