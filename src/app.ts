// The DeviceScript program: reads digits from an input source, classifies them with the BNN and
// streams one result line per digit to the console, which a board sends out over serial
// (format: src/shared/stream-format.ts). Its entry points pass the model: src/main.ts the
// default one, src/generated/models/<name>.main.ts (generated) each other shipped model.
//
// Input: a Digit Touch panel (src/touch/: strokes, a digit ends when the pen stays up), a Digit
// Camera (src/camera/: grayscale frames), or the sample MNIST test digits compiled into the image
// (src/generated/digits.ts) when no input device is bound. Classification: the firmware's classifier
// service (src/classifier.ts) when one is bound and runs this program's model; otherwise, or
// when it stops answering, the bytecode fallback (src/bnn.ts) for that digit, so no digit is lost.
import * as ds from "@devicescript/core";
import { packPixels, scores } from "./bnn";
import { preprocess } from "./shared/camera-preprocess";
import { yieldToFirmware } from "./yield";
import { cameraRole, captureFrame } from "./camera/frames";
import {
  classifierRole,
  classifyFrameNative,
  classifyNative,
  classifyStrokesNative,
  classifyWatchedFrameNative,
  nativeAvailable,
  nativeTakes,
  watchFrameNative,
  type NativeResult,
} from "./classifier";
import { encodeStrokes, rasterizeBits, strokePairCount } from "./shared/stroke-raster";
import { strokeNoDigit } from "./shared/no-digit";
import { addSamplesPayload, DIGIT_TIMEOUT_MS, digitReady, newStrokeSet, takeDigit } from "./shared/touch-samples";
import type { ConvTables, HiddenTables, OutputTables } from "./bnn";
import { formatResult, scoreFields } from "./shared/stream-format";

/** What the program needs of a model's weight tables (src/generated/models/<name>.ts). */
export interface ProgramModel {
  MODEL_ID: string;
  MODEL_ID32: number;
  INPUT_THRESHOLD: number;
  SCORE_SHIFT: number;
  CONV: ConvTables[];
  HIDDEN: HiddenTables[];
  OUTPUT: OutputTables;
}

/** Sample digits compiled into the image (src/generated/digits.ts): 28x28 grayscale, 784 bytes each. */
export interface SampleDigits {
  DIGIT_COUNT: number;
  DIGIT_LABELS: Buffer;
  DIGIT_PIXELS: Buffer;
}

const PIXELS = 784;
const NATIVE_TIMEOUT_MS = 500;
const SOURCE_WAIT_MS = 2000;

let useNative = false;
let source = "samples";
let model: ProgramModel = undefined;
let MODEL = "";

/** One digit's input, as each backend takes it. */
interface DigitInput {
  /**
   * Whether the bound classifier takes this input: its firmware serves the command and the
   * upload fits its buffer (src/classifier.ts nativeTakes); when not, the bytecode classifies it.
   */
  nativeTakes: () => boolean;
  /** One attempt at the native classifier (C preprocessing where the input needs it). */
  native: () => Promise<NativeResult>;
  /** The packed input bits for the bytecode fallback, computed only when it runs; undefined for no digit. */
  bits: () => Promise<Buffer>;
  /**
   * Why the input is no digit, known before any classification (touch: src/shared/no-digit.ts);
   * neither backend runs and the result line gives this reason. "" when it may be a digit.
   */
  rejected: string;
  /** What "no digit" means for this source when a backend finds nothing to classify (the reason in the result line). */
  noDigit: string;
}

/**
 * Classifies one digit and writes the result line; `since` is when the input became complete
 * (ds.millis()), for the line's input-to-line time.
 */
async function classifyAndReport(seq: number, input: DigitInput, label: number, since: number) {
  let inferenceUs = 0;
  let s: number[] = undefined;
  let none = input.rejected !== "";
  let backend = useNative ? "native" : "bytecode";
  if (useNative && !none && input.nativeTakes()) {
    let r = await input.native();
    if (!r && input.nativeTakes()) r = await input.native(); // one retry (none when the service said it lacks the command)
    if (r) {
      inferenceUs = r.inferenceUs;
      s = r.scores;
      none = r.noDigit;
    } else if (input.nativeTakes()) {
      console.log(`bnn: no answer from the classifier for digit ${seq}: bytecode fallback`);
      useNative = false;
    }
  }
  if (!s && !none) {
    backend = "bytecode";
    const t0 = ds.millis();
    const bits = await input.bits();
    if (bits) s = await scores(bits, model.CONV, model.HIDDEN, model.OUTPUT);
    else none = true;
    inferenceUs = (ds.millis() - t0) * 1000;
    if (!useNative && classifierRole.isBound) useNative = await nativeAvailable(model.MODEL_ID32, 0);
  }
  let digit = -1;
  let runnersUp: number[] = [];
  let crc = 0;
  if (!none) {
    const f = scoreFields(s, model.SCORE_SHIFT);
    digit = f.digit;
    runnersUp = f.runnersUp;
    crc = f.scoresCrc;
  }
  const line = formatResult({
    seq,
    source,
    digit,
    label,
    inferenceUs,
    totalMs: ds.millis() - since,
    backend,
    model: MODEL,
    runnersUp,
    noDigit: none ? (input.rejected !== "" ? input.rejected : input.noDigit) : "",
    scoresCrc: crc,
  });
  console.log(line);
}

// The inputs of each source (built by functions: DeviceScript closures must not capture loop variables).

function bitsInput(seq: number, bits: Buffer): DigitInput {
  return {
    nativeTakes: () => nativeTakes(ds.BnnClassifierCodes.CmdClassify, 0),
    native: async () => await classifyNative(model.MODEL_ID32, seq, bits, NATIVE_TIMEOUT_MS),
    bits: async () => bits,
    rejected: "",
    noDigit: "empty",
  };
}

/** `watched`: the classifier was told to take this frame off the bus (watch_frame) as seq's upload. */
function frameInput(seq: number, frame: Buffer, width: number, height: number, watched: boolean): DigitInput {
  return {
    nativeTakes: () => nativeTakes(ds.BnnClassifierCodes.CmdClassifyFrame, width * height),
    native: async () =>
      watched
        ? await classifyWatchedFrameNative(model.MODEL_ID32, seq, frame, width, height, NATIVE_TIMEOUT_MS)
        : await classifyFrameNative(model.MODEL_ID32, seq, frame, width, height, NATIVE_TIMEOUT_MS),
    bits: async () => {
      const digit = Buffer.alloc(PIXELS);
      const ink = await preprocess(frame, width, height, digit, async () => {
        await yieldToFirmware();
      });
      return ink === 0 ? undefined : packPixels(digit, model.INPUT_THRESHOLD);
    },
    rejected: "",
    noDigit: "faint", // blank paper, or too little contrast
  };
}

function strokesInput(seq: number, digitStrokes: number[][], width: number, height: number): DigitInput {
  return {
    // a digit longer than the service's buffer (upload_capacity) goes to the bytecode
    nativeTakes: () => nativeTakes(ds.BnnClassifierCodes.CmdClassifyStrokes, 4 * strokePairCount(digitStrokes)),
    native: async () => {
      const pairs = strokePairCount(digitStrokes);
      const encoded = Buffer.alloc(4 * pairs);
      encodeStrokes(digitStrokes, encoded);
      return await classifyStrokesNative(model.MODEL_ID32, seq, encoded, pairs, width, height, NATIVE_TIMEOUT_MS);
    },
    bits: async () => {
      const bits = Buffer.alloc(100);
      return rasterizeBits(digitStrokes, width, height, bits).points > 0 ? bits : undefined;
    },
    // a tap, a dash, a scribble: no classifier is asked (an empty digit is caught here too)
    rejected: strokeNoDigit(digitStrokes, width, height),
    noDigit: "empty",
  };
}

async function fromSamples(samples: SampleDigits) {
  for (let i = 0; i < samples.DIGIT_COUNT; i++) {
    const since = ds.millis();
    const bits = packPixels(samples.DIGIT_PIXELS.slice(i * PIXELS, (i + 1) * PIXELS), model.INPUT_THRESHOLD);
    await classifyAndReport(i, bitsInput(i, bits), samples.DIGIT_LABELS[i], since);
  }
  console.log("bnn: done");
}

async function fromCamera() {
  const width = await cameraRole.width.read();
  const height = await cameraRole.height.read();
  for (let k = 0; ; k++) {
    // the classifier takes the camera's chunks of frame k as they pass (no second upload)
    const watched = useNative && nativeTakes(ds.BnnClassifierCodes.CmdWatchFrame, width * height);
    if (watched) await watchFrameNative(k, k);
    const frame = await captureFrame(k, 5000, 200);
    if (!frame || frame.length !== width * height) {
      console.log(`bnn: frame ${k} did not arrive whole`);
      continue;
    }
    const since = ds.millis();
    await classifyAndReport(k, frameInput(k, frame, width, height, watched), -1, since);
  }
}

const touchRole = new ds.DigitTouch();
const strokes = newStrokeSet();
touchRole.report().subscribe(async (pkt) => {
  if (pkt.spec.code === ds.DigitTouchCodes.ReportSamples) addSamplesPayload(strokes, pkt.payload, ds.millis());
});

async function fromTouch() {
  const width = await touchRole.width.read();
  const height = await touchRole.height.read();
  for (let k = 0; ; ) {
    if (!digitReady(strokes, ds.millis(), DIGIT_TIMEOUT_MS)) {
      await ds.sleep(20);
      continue;
    }
    const since = ds.millis();
    const seq = k++;
    await classifyAndReport(seq, strokesInput(seq, takeDigit(strokes), width, height), -1, since);
  }
}

/**
 * Runs the program with `tables` (never returns for touch and camera input). `samples` are
 * classified when no input device is bound; without them the program waits for a device.
 */
export async function runApp(tables: ProgramModel, samples?: SampleDigits) {
  model = tables;
  MODEL = tables.MODEL_ID.slice(0, 8);
  for (let t = 0; (t < SOURCE_WAIT_MS || !samples) && source === "samples"; t += 50) {
    if (touchRole.isBound) source = "touch";
    else if (cameraRole.isBound) source = "camera";
    else await ds.sleep(50);
  }
  useNative = await nativeAvailable(model.MODEL_ID32, 1000);
  console.log(`bnn: model ${model.MODEL_ID}, source ${source}, backend ${useNative ? "native" : "bytecode"}`);
  if (source === "touch") await fromTouch();
  else if (source === "camera") await fromCamera();
  else await fromSamples(samples);
}
