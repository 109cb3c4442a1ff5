// The native path: the firmware's BNN classifier service (services/bnnclassifier.md), reached as a
// Jacdac role, so the same code talks to the C service on a board and to the simulated device
// (devices/classifier.ts) in the simulator. Three ways in: packed input bits (`classify`), the
// strokes of a touch digit (`load` + `classify_strokes`: the service rasterizes them in C) and a
// camera frame (`classify_frame`: the service preprocesses it in C). Uploads go in pieces of
// UPLOAD_PIECE bytes, each a buffer slice (no per-byte loop in bytecode). A camera frame need
// not be uploaded at all: after `watch_frame` the service takes the camera's own chunks off the
// bus while the program receives them (the runtime lets a program send one packet per 20 ms
// after a burst of 5, so uploading a 3 KB frame again costs some 14 packets, 276 ms on an
// emulated RP2040).
// A firmware may serve only some commands (docs/service.md, "Configuration"): what it holds is
// its upload_capacity register, and a command it leaves out is answered command_not_implemented;
// an input it does not take goes to the bytecode (nativeTakes), which computes the same bits.
// (Module state, not a class: DeviceScript closures cannot capture `this`.)
import * as ds from "@devicescript/core";
import { hex8, hexDigits } from "./shared/stream-format";

export interface NativeResult {
  /** The digit, or -1 when the service found nothing to classify (noDigit is then true). */
  digit: number;
  noDigit: boolean;
  inferenceUs: number;
  scores: number[];
}

/** Bytes of data per `load` piece: 236-byte payloads minus seq u32 and offset u16. */
const UPLOAD_PIECE = 230;

export const classifierRole = new ds.BnnClassifier();
let waitingSeq = -1;
/** The command whose answer is awaited. */
let waitingCmd = -1;
let answer: NativeResult = undefined;
let failed = false;
/** The last answer was BadUpload: the service does not hold the input (a lost packet). */
let badUpload = false;
/** The binding was checked and its model differs: not asked again until it rebinds. */
let mismatched = false;
/** Bytes the bound service's upload buffer holds (its upload_capacity), read with the model id. */
let uploadCapacity = 0;
/** Commands the bound service answered command_not_implemented (a build without them): not sent again until it rebinds. */
let notServed: number[] = [];

classifierRole.binding().subscribe((bound) => {
  if (!bound) {
    mismatched = false;
    uploadCapacity = 0;
    notServed = [];
  }
});

/** Code of the command a command_not_implemented report names: its first u16 (Jacdac's _base spec). */
function notImplementedCommand(p: Buffer): number {
  return p.length >= 2 ? p.getAt(0, "u16") : -1;
}

function isClassifyReport(code: number): boolean {
  return (
    code === ds.BnnClassifierCodes.ReportClassify || code === ds.BnnClassifierCodes.ReportClassifyStrokes || code === ds.BnnClassifierCodes.ReportClassifyFrame
  );
}

classifierRole.report().subscribe(async (pkt) => {
  if (pkt.spec.code === ds.BaseCodes.ReportCommandNotImplemented) {
    const cmd = notImplementedCommand(pkt.payload);
    if (cmd < 0 || notServed.indexOf(cmd) >= 0) return;
    notServed.push(cmd);
    console.log(`bnn: the classifier does not serve command 0x${hexDigits(cmd, 2)}: bytecode for that input`);
    if (cmd === waitingCmd) failed = true; // no answer will come
    return;
  }
  if (!isClassifyReport(pkt.spec.code)) return;
  const p = pkt.payload;
  if (p.length < 12 || p.getAt(0, "u32") !== waitingSeq) return;
  const status = p.getAt(4, "u8");
  if (status === ds.BnnClassifierStatus.NoDigit) {
    answer = { digit: -1, noDigit: true, inferenceUs: 0, scores: [] };
    return;
  }
  if (status === ds.BnnClassifierStatus.BadUpload) {
    badUpload = true;
    failed = true;
    return;
  }
  if (status !== ds.BnnClassifierStatus.Ok) {
    console.log(`bnn: classifier error status ${status} for seq ${waitingSeq}`);
    failed = true;
    return;
  }
  const scores: number[] = [];
  for (let o = 12; o + 4 <= p.length; o += 4) scores.push(p.getAt(o, "i32"));
  answer = { digit: p.getAt(5, "i8"), noDigit: false, inferenceUs: p.getAt(8, "u32"), scores };
});

/** True when a classifier is bound within `waitMs` and runs the model `modelId32`. */
export async function nativeAvailable(modelId32: number, waitMs: number): Promise<boolean> {
  for (let t = 0; t < waitMs && !classifierRole.isBound; t += 50) await ds.sleep(50);
  if (!classifierRole.isBound || mismatched) return false;
  const id = await classifierRole.modelId.read();
  if (id !== modelId32) {
    console.log(`bnn: the classifier runs model ${hex8(id)}, this program ${hex8(modelId32)}: not using it`);
    mismatched = true;
    return false;
  }
  uploadCapacity = await classifierRole.uploadCapacity.read();
  return true;
}

/**
 * True when the bound service takes an input through command `cmd` (a ds.BnnClassifierCodes
 * command) with an upload of `bytes`: it did not answer the command not implemented, and the
 * upload fits its upload_capacity (0 bytes: no upload). Else the bytecode classifies it.
 */
export function nativeTakes(cmd: number, bytes: number): boolean {
  return notServed.indexOf(cmd) < 0 && (bytes === 0 || bytes <= uploadCapacity);
}

/** The answer to command `cmd` for `seq` is awaited next. */
function expect(seq: number, cmd: number) {
  waitingSeq = seq;
  waitingCmd = cmd;
  answer = undefined;
  failed = false;
  badUpload = false;
}

async function awaitAnswer(timeoutMs: number): Promise<NativeResult> {
  const t0 = ds.millis();
  while (!answer && !failed && ds.millis() - t0 < timeoutMs) await ds.sleep(1);
  return answer;
}

/** Uploads `data` for `seq` in pieces (`load`). */
export async function uploadNative(seq: number, data: Buffer) {
  for (let o = 0; o < data.length; o += UPLOAD_PIECE) {
    const n = data.length - o < UPLOAD_PIECE ? data.length - o : UPLOAD_PIECE;
    await classifierRole.load(seq, o, data.slice(o, o + n));
  }
}

/** Classifies packed input bits; undefined when no good answer came within `timeoutMs`. */
export async function classifyNative(modelId32: number, seq: number, bits: Buffer, timeoutMs: number): Promise<NativeResult> {
  expect(seq, ds.BnnClassifierCodes.CmdClassify);
  await classifierRole.classify(modelId32, seq, bits);
  return await awaitAnswer(timeoutMs);
}

/** Rasterizes and classifies strokes in their upload form (`pairs` u16 pairs); undefined on no answer. */
export async function classifyStrokesNative(
  modelId32: number,
  seq: number,
  encoded: Buffer,
  pairs: number,
  panelWidth: number,
  panelHeight: number,
  timeoutMs: number,
): Promise<NativeResult> {
  expect(seq, ds.BnnClassifierCodes.CmdClassifyStrokes);
  await uploadNative(seq, encoded);
  await classifierRole.classifyStrokes(modelId32, seq, panelWidth, panelHeight, pairs);
  return await awaitAnswer(timeoutMs);
}

/** Preprocesses and classifies a grayscale frame; undefined on no answer. */
export async function classifyFrameNative(
  modelId32: number,
  seq: number,
  frame: Buffer,
  width: number,
  height: number,
  timeoutMs: number,
): Promise<NativeResult> {
  expect(seq, ds.BnnClassifierCodes.CmdClassifyFrame);
  await uploadNative(seq, frame);
  await classifierRole.classifyFrame(modelId32, seq, width, height);
  return await awaitAnswer(timeoutMs);
}

/** Asks the service to take camera frame `frameId` off the bus as the upload of `seq` (before the capture). */
export async function watchFrameNative(seq: number, frameId: number) {
  await classifierRole.watchFrame(seq, frameId);
}

/** Classifies the frame the service holds for `seq` (watched or uploaded); undefined on no answer or BadUpload. */
export async function classifyHeldFrameNative(modelId32: number, seq: number, width: number, height: number, timeoutMs: number): Promise<NativeResult> {
  expect(seq, ds.BnnClassifierCodes.CmdClassifyFrame);
  await classifierRole.classifyFrame(modelId32, seq, width, height);
  return await awaitAnswer(timeoutMs);
}

/**
 * Classifies a frame the service was told to watch (watchFrameNative); when it did not get the
 * frame whole (BadUpload), uploads `frame` and asks again. Undefined on no answer.
 */
export async function classifyWatchedFrameNative(
  modelId32: number,
  seq: number,
  frame: Buffer,
  width: number,
  height: number,
  timeoutMs: number,
): Promise<NativeResult> {
  const r = await classifyHeldFrameNative(modelId32, seq, width, height, timeoutMs);
  if (r || !badUpload) return r;
  return await classifyFrameNative(modelId32, seq, frame, width, height, timeoutMs);
}
