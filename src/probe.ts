// The stage probe: times each stage of the board's path for a few fixed digits, with ds.millis(),
// on whatever runs it: the simulator's VM (`bnn bench stages`), a stock board, an emulated RP2040
// with real firmware. Self-contained: no input device, no hub, no network needed; the native
// stages run only when a classifier service with this program's model is bound (firmware with
// the service, or the simulated classifier), else their lines say `n/a`.
//
// Output, one line per stage and case (docs/probe.md; a stable format, parsed by
// lib/probe/parse.ts):
//   @probe start native|bytecode-only <model id, 8 hex digits>
//   @probe <stage> <source> <case> <ms per run>|n/a <runs>
//   @probe done <total ms>
// Each stage runs `runs` times back to back (ms is the mean, one decimal), between two yields
// (ds.sleep(0)): the VM's clock only advances at a yield, and the firmware's main loop runs.
// A native stage's runs each start after 120 ms of untimed sleep, so the runtime's packet
// throttle is in credit as it is for a digit of the program (timeNative).
import * as ds from "@devicescript/core";
import { packPixels, scores } from "./bnn";
import { classifyFrameNative, classifyHeldFrameNative, classifyNative, classifyStrokesNative, nativeAvailable, uploadNative } from "./classifier";
import { PROGRAM_MODEL } from "./generated/models/default";
import { preprocess } from "./shared/camera-preprocess";
import { encodeStrokes, rasterizeBits, strokePairCount } from "./shared/stroke-raster";
import { formatResult, scoreFields } from "./shared/stream-format";
import { FIXTURE_COUNT as FRAME_COUNT, FIXTURE_FRAMES, FIXTURE_HEIGHT, FIXTURE_WIDTH } from "./generated/preprocess-fixture";
import { FIXTURE_PANELS, FIXTURE_STROKES } from "./generated/rasterize-fixture";

/** Stroke fixtures 0..2: MNIST test digits 0, 1, 2 drawn as strokes on a 240 x 240 panel. */
const TOUCH_CASES = 3;
const RUNS = 4;
const TIMEOUT_MS = 2000;
/** The DeviceScript runtime lets a program send 5 packets at once, then one per 20 ms (jdiface.c). */
const THROTTLE_CREDIT_MS = 120;

function line(stage: string, src: string, k: number, ms: number, runs: number) {
  const tenths = Math.round(ms * 10);
  console.log("@probe " + stage + " " + src + " " + k + " " + Math.floor(tenths / 10) + "." + (tenths % 10) + " " + runs);
}

function na(stage: string, src: string, k: number) {
  console.log("@probe " + stage + " " + src + " " + k + " n/a 0");
}

/**
 * The mean ms of `runs` runs of an async stage. The VM's clock advances only when a fiber
 * yields, so the stage starts right after a yield and is read after one more: the figure
 * includes that one scheduler round.
 */
async function time(stage: string, src: string, k: number, runs: number, fn: () => Promise<void>) {
  await ds.sleep(0);
  const t0 = ds.millis();
  for (let r = 0; r < runs; r++) await fn();
  await ds.sleep(0);
  line(stage, src, k, (ds.millis() - t0) / runs, runs);
}

/**
 * As time(), for a stage that sends packets to the service: each run starts with the runtime's
 * packet throttle in credit (THROTTLE_CREDIT_MS of sleep before it, not timed), as a digit of the
 * program finds it, since digits come far more than 100 ms apart. Back to back, the runs would
 * time the throttle (one packet per 20 ms once 5 went out), not the path. `prepare(run)`, if
 * given, runs untimed before each run's sleep; fn gets the run's number too.
 */
async function timeNative(stage: string, src: string, k: number, runs: number, fn: (run: number) => Promise<void>, prepare?: (run: number) => Promise<void>) {
  let total = 0;
  for (let r = 0; r < runs; r++) {
    if (prepare) await prepare(r);
    await ds.sleep(THROTTLE_CREDIT_MS);
    const t0 = ds.millis();
    await fn(r);
    await ds.sleep(0);
    total += ds.millis() - t0;
  }
  line(stage, src, k, total / runs, runs);
}

const start = ds.millis();
const m = PROGRAM_MODEL;
const native = await nativeAvailable(m.MODEL_ID32, 1500);
console.log("@probe start " + (native ? "native" : "bytecode-only") + " " + m.MODEL_ID.slice(0, 8));
let seq = 1000;

async function probeTouch(k: number) {
  const strokes = FIXTURE_STROKES[k];
  const w = FIXTURE_PANELS[2 * k];
  const h = FIXTURE_PANELS[2 * k + 1];
  const bits = Buffer.alloc(100);
  // one run: a raster is some 42k-59k VM steps, several in a row would trip the VM's loop guard
  await time("raster", "touch", k, 1, async () => {
    rasterizeBits(strokes, w, h, bits);
  });
  const pairs = strokePairCount(strokes);
  const encoded = Buffer.alloc(4 * pairs);
  await time("encode", "touch", k, RUNS, async () => {
    encodeStrokes(strokes, encoded);
  });
  if (native) {
    await timeNative("native-strokes", "touch", k, RUNS, async () => {
      await classifyStrokesNative(m.MODEL_ID32, seq++, encoded, pairs, w, h, TIMEOUT_MS);
    });
    await timeNative("native-bits", "touch", k, RUNS, async () => {
      await classifyNative(m.MODEL_ID32, seq++, bits, TIMEOUT_MS);
    });
  } else {
    na("native-strokes", "touch", k);
    na("native-bits", "touch", k);
  }
  let s: number[] = undefined;
  await time("bytecode-scores", "touch", k, 1, async () => {
    s = await scores(bits, m.CONV, m.HIDDEN, m.OUTPUT);
  });
  await report("touch", k, s);
}

/** The result line of a digit, as src/app.ts makes and writes it once the scores are known. */
async function report(src: string, k: number, s: number[]) {
  let text = "";
  await time("format", src, k, RUNS, async () => {
    const f = scoreFields(s, m.SCORE_SHIFT);
    text = formatResult({
      seq: k,
      source: src,
      digit: f.digit,
      label: -1,
      inferenceUs: 0,
      totalMs: 0,
      backend: "bytecode",
      model: m.MODEL_ID.slice(0, 8),
      runnersUp: f.runnersUp,
      noDigit: "",
      scoresCrc: f.scoresCrc,
    });
  });
  await time("log", src, k, 1, async () => {
    console.log(text);
  });
}

const frameBytes = FIXTURE_WIDTH * FIXTURE_HEIGHT;

async function probeCamera(k: number) {
  const frame = FIXTURE_FRAMES.slice(k * frameBytes, (k + 1) * frameBytes);
  const pixels = Buffer.alloc(784);
  await time("preprocess", "camera", k, 1, async () => {
    await preprocess(frame, FIXTURE_WIDTH, FIXTURE_HEIGHT, pixels, async () => {
      await ds.sleep(0);
    });
  });
  let bits: Buffer = undefined;
  await time("pack", "camera", k, RUNS, async () => {
    bits = packPixels(pixels, m.INPUT_THRESHOLD);
  });
  if (native) {
    await timeNative("native-frame", "camera", k, RUNS, async () => {
      await classifyFrameNative(m.MODEL_ID32, seq++, frame, FIXTURE_WIDTH, FIXTURE_HEIGHT, TIMEOUT_MS);
    });
    // the frame already in the service, as watch_frame leaves it once the camera's chunks
    // passed: only classify_frame is timed, the upload before each run is not (and the
    // throttle it leaves in debt gets its credit back, as in the watched path, where the
    // program sent two packets, watch_frame and capture, and waited for the frame)
    const first = seq;
    seq += RUNS;
    await timeNative(
      "native-held-frame",
      "camera",
      k,
      RUNS,
      async (r) => {
        await classifyHeldFrameNative(m.MODEL_ID32, first + r, FIXTURE_WIDTH, FIXTURE_HEIGHT, TIMEOUT_MS);
      },
      async (r) => {
        await uploadNative(first + r, frame);
      },
    );
  } else {
    na("native-frame", "camera", k);
    na("native-held-frame", "camera", k);
  }
  let s: number[] = undefined;
  await time("bytecode-scores", "camera", k, 1, async () => {
    s = await scores(bits, m.CONV, m.HIDDEN, m.OUTPUT);
  });
  await report("camera", k, s);
}
// (cases by function calls: DeviceScript closures must not capture loop variables)
for (let k = 0; k < TOUCH_CASES; k++) await probeTouch(k);
for (let k = 0; k < FRAME_COUNT; k++) await probeCamera(k);
console.log("@probe done " + (ds.millis() - start));
