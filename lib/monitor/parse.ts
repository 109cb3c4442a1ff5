/**
 * The one validator of the serial result stream (format: src/shared/stream-format.ts, rules:
 * docs/serial-protocol.md): version 2 lines, and version 1 lines of older firmware. `bnn monitor`,
 * `bnn sim` and the formatter's tests (tests/monitor-grammar.test.ts) all judge lines here.
 *
 * A line is cut into pieces at each `@bnn`, and each piece is judged on its own: text before the
 * first is a prefix (DMESG's `> `, the simulator's `WASM> `), not part of any result. A piece is a
 * result only if its checksum holds, nothing but whitespace (or a terminal colour code) follows
 * the checksum, and every field is one the program can write: each number as the formatter writes
 * it, each field within what src/app.ts gives for the line's source and backend. A piece that
 * starts like a result but has no `*` was cut short (the firmware's log buffer cuts lines at about
 * 150 characters): it is told apart from damage.
 */
import { argmax } from "../binary.ts";
import { NO_DIGIT_REASONS } from "../../src/shared/no-digit.ts";
import { crc16Text, hexDigits, MAX_DEFICIT, runnersUp, type StreamResult } from "../../src/shared/stream-format.ts";

export const SOURCES = ["touch", "camera", "samples"] as const;
export const BACKENDS = ["native", "bytecode"] as const;
/** Reasons the program gives for "no digit": the one list is src/shared/no-digit.ts's. */
export { NO_DIGIT_REASONS };
/** Classes of the MNIST models the protocol carries. */
export const CLASSES = 10;

/** The camera's no-digit reason (src/app.ts): a frame without ink or contrast. */
const CAMERA_REASONS: readonly string[] = ["faint"];
/** Touch: strokeNoDigit's reasons, every one of no-digit.ts's list but the camera's. */
const TOUCH_REASONS: readonly string[] = NO_DIGIT_REASONS.filter((r) => !CAMERA_REASONS.includes(r));

/**
 * What each source puts in a line (src/app.ts). Labels: only the sample digits compiled into the
 * program have one (0..9); touch and camera lines say -1. No-digit reasons: touch strokes are
 * judged before any classifier (strokeNoDigit) and a backend that finds no point says "empty"; a
 * camera frame without ink is "faint"; sample digits are always classified (a classifier finds
 * nothing only in strokes or frames).
 */
const SOURCE_RULES: Record<(typeof SOURCES)[number], { labeled: boolean; reasons: readonly string[] }> = {
  touch: { labeled: false, reasons: TOUCH_REASONS },
  camera: { labeled: false, reasons: CAMERA_REASONS },
  samples: { labeled: true, reasons: [] },
};
/** Touch reasons found before any classifier runs (all but "empty", which a backend gives too): such a line's inference time is 0. */
const REJECTED_BEFORE_CLASSIFYING: readonly string[] = TOUCH_REASONS.filter((r) => r !== "empty");

const U32 = 2 ** 32 - 1;
const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;
/** Version 1 lines came from the shipped models only, whose scores are units times 2^24. */
const V1_SCORE_SHIFT = 24;

export interface ParsedResult extends StreamResult {
  version: 1 | 2;
  /** The ten scores (version 1 lines carry them; version 2 carries their CRC). */
  scores?: number[];
}

export type LineKind = "result" | "cut" | "invalid" | "other";

/** A verdict on a piece of a line (or a whole line): a result, or why it is not one. */
export interface Verdict {
  kind: LineKind;
  result?: ParsedResult;
  /** Why it is not a result (cut, invalid). */
  why?: string;
}

/** Thrown by the field readers below: the rule a piece breaks. */
class Refused extends Error {}

function refuse(why: string): never {
  throw new Refused(why);
}

// ---- fields, one reader per kind of field -----------------------------------------------------

/** A number as the formatter writes one ("" + n): digits, no sign, no leading zero; a u32. */
function u32(text: string, what: string): number {
  if (!/^(?:0|[1-9][0-9]*)$/.test(text)) refuse(`${what} '${text}' is not a number as the program writes one (no sign, no leading zero)`);
  const n = Number(text);
  if (n > U32) refuse(`${what} ${text} is not a u32`);
  return n;
}

function oneOf<T extends string>(text: string, values: readonly T[], what: string): T {
  if (!(values as readonly string[]).includes(text)) refuse(`unknown ${what} '${text}'`);
  return text as T;
}

const HEX = /^[0-9a-f]*$/;

/** `text` is exactly `digits` lowercase hex digits (one compiled pattern for every width, not one built per line). */
function isHex(text: string, digits: number): boolean {
  return text.length === digits && HEX.test(text);
}

function hexField(text: string, digits: number, what: string): string {
  if (!isHex(text, digits)) refuse(`${what} '${text}' is not ${digits} lowercase hex digits`);
  return text;
}

/** A digit: 0..9, one character. */
function digitField(text: string, what: string): number {
  if (!/^[0-9]$/.test(text)) refuse(`${what} '${text}' is not a digit 0..9`);
  return Number(text);
}

/** The label: -1 on touch and camera lines, 0..9 on samples lines (the only source with labels). */
function labelField(text: string, source: (typeof SOURCES)[number]): number {
  if (!/^(?:-1|[0-9])$/.test(text)) refuse(`label '${text}' is not -1 or 0..9 as the program writes them`);
  const label = Number(text);
  if (SOURCE_RULES[source].labeled && label < 0) refuse(`label -1 on a ${source} line: every ${source} digit has its label`);
  if (!SOURCE_RULES[source].labeled && label >= 0) refuse(`label ${label} on a ${source} line: only samples lines carry labels`);
  return label;
}

/** The runners-up `d:deficit,d:deficit` of a digit, as runnersUp() writes them. */
function runnersUpField(text: string, digit: number): number[] {
  const m = /^([0-9]):(0|[1-9][0-9]*),([0-9]):(0|[1-9][0-9]*)$/.exec(text);
  if (!m) refuse(`runners-up '${text}' are not two 'digit:deficit' with deficits as the program writes numbers`);
  const d = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  if (d[0] === digit || d[2] === digit || d[0] === d[2]) refuse("a runner-up repeats a digit");
  if (d[1] > MAX_DEFICIT || d[3] > MAX_DEFICIT) refuse(`a runner-up's deficit is beyond ${MAX_DEFICIT}`);
  // the second digit's score is at least the third's: its deficit is not larger (equal deficits
  // can come in either index order: a deficit counts tenths of a unit, scores differ by less)
  if (d[1] > d[3]) refuse("runners-up out of order: the second's deficit is larger than the third's");
  return d;
}

// ---- rules across fields ----------------------------------------------------------------------

/**
 * The times of one line. The input-to-line time (whole ms of the VM clock) contains the
 * inference: the bytecode inference is a difference of the same clock (whole ms, never more than
 * the total); the native one is the service's µs on the board's clock, within ms clock readings
 * that may each lag up to 1 ms: it is under total + 1 ms. A no-digit line found before any
 * classifier (touch strokes), or told by the service, has no inference time.
 */
function checkTimes(r: StreamResult): void {
  if (r.backend === "bytecode" && r.inferenceUs % 1000 !== 0) refuse(`bytecode inference ${r.inferenceUs} µs is not whole ms (the VM clock's steps)`);
  if (Math.floor(r.inferenceUs / 1000) > r.totalMs)
    refuse(`inference ${r.inferenceUs} µs is longer than the input-to-line total ${r.totalMs} ms it is part of`);
  if (r.digit < 0 && r.inferenceUs !== 0) {
    if (r.backend === "native") refuse(`inference ${r.inferenceUs} µs on a native no-digit line: the service's no-digit answer carries none`);
    if (REJECTED_BEFORE_CLASSIFYING.includes(r.noDigit)) refuse(`inference ${r.inferenceUs} µs for '${r.noDigit}', which is found before any classifier runs`);
  }
}

function v2(body: string): ParsedResult {
  const f = body.split(" ");
  if (f.length !== 11) refuse(`${f.length - 1} fields, not 10 (one space apart)`);
  const seq = u32(f[1], "seq");
  const source = oneOf(f[2], SOURCES, "source");
  const noDigit = f[3] === "-";
  const digit = noDigit ? -1 : digitField(f[3], "digit");
  const label = labelField(f[4], source);
  const inferenceUs = u32(f[5], "inference time");
  const totalMs = u32(f[6], "total time");
  const backend = oneOf(f[7], BACKENDS, "backend");
  const model = hexField(f[8], 8, "model");
  const scoresCrc = parseInt(hexField(f[10], 4, "scores CRC"), 16);
  let reason = "";
  let top: number[] = [];
  if (noDigit) {
    if (!NO_DIGIT_REASONS.includes(f[9])) refuse(`no digit with '${f[9]}', which is no known reason`);
    if (!SOURCE_RULES[source].reasons.includes(f[9]))
      refuse(`no-digit reason '${f[9]}' on a ${source} line, which gives ${SOURCE_RULES[source].reasons.join(", ") || "none"}`);
    reason = f[9];
    if (scoresCrc !== 0) refuse("a scores CRC on a no-digit line (no scores: the program writes 0000)");
  } else top = runnersUpField(f[9], digit);
  const r: ParsedResult = { version: 2, seq, source, digit, label, inferenceUs, totalMs, backend, model, runnersUp: top, noDigit: reason, scoresCrc };
  checkTimes(r);
  return r;
}

/** Version 1 (older firmware): named fields, all ten scores, no input-to-line time, no "no digit". */
function v1(body: string): ParsedResult {
  const f = body.split(" ");
  const keys = ["seq", "src", "digit", "label", "us", "backend", "model", "scores"];
  if (f.length !== 2 + keys.length || keys.some((k, i) => !f[i + 2].startsWith(`${k}=`))) refuse("not the version 1 fields");
  const v = f.slice(2).map((x) => x.slice(x.indexOf("=") + 1));
  const source = oneOf(v[1], SOURCES, "source");
  const scores = v[7].split(",").map((s) => (/^-?(?:0|[1-9][0-9]*)$/.test(s) ? Number(s) : NaN));
  if (scores.length !== CLASSES) refuse(`${scores.length} scores, not ${CLASSES}`);
  if (scores.some((s) => !Number.isSafeInteger(s) || s < I32_MIN || s > I32_MAX)) refuse("a score is not an int32");
  const digit = digitField(v[2], "digit");
  if (digit !== argmax(scores)) refuse(`digit ${digit} is not the highest score (lowest index on ties)`);
  return {
    version: 1,
    seq: u32(v[0], "seq"),
    source,
    digit,
    label: labelField(v[3], source),
    inferenceUs: u32(v[4], "inference time"),
    totalMs: 0,
    backend: oneOf(v[5], BACKENDS, "backend"),
    model: hexField(v[6], 8, "model"),
    scores,
    runnersUp: runnersUp(scores, digit, V1_SCORE_SHIFT),
    noDigit: "",
    scoresCrc: 0,
  };
}

function xor8(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return hexDigits(x & 0xff, 2);
}

/** What a stream may put after a result's checksum: whitespace, a terminal's colour codes. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: a terminal's colour escapes (ESC [ ... m) are allowed here
const TRAILER = /^(?:\s|\x1b\[[0-9;]*m)*$/;

/** The verdict on one piece: text from an `@bnn` up to the next one or the end of the line. */
function judgePiece(piece: string): Verdict {
  const version = piece.startsWith("@bnn2 ") ? 2 : piece.startsWith("@bnn 1 ") ? 1 : 0;
  const star = piece.indexOf("*");
  // cut short: nothing of the checksum arrived (a damaged checksum is damage, not a cut)
  if (version && star < 0) return { kind: "cut", why: "cut short before its checksum" };
  try {
    if (!version) refuse("not a result line of version 2 or 1");
    const body = piece.slice(1, star);
    const sumDigits = version === 2 ? 4 : 2;
    const sum = piece.slice(star + 1, star + 1 + sumDigits);
    if (!isHex(sum, sumDigits)) refuse("no checksum after '*'");
    if (!TRAILER.test(piece.slice(star + 1 + sumDigits))) refuse("text after the checksum");
    if (sum !== (version === 2 ? hexDigits(crc16Text(body), 4) : xor8(body))) refuse("the checksum does not match");
    return { kind: "result", result: version === 2 ? v2(body) : v1(body) };
  } catch (e) {
    if (e instanceof Refused) return { kind: "invalid", why: e.message };
    throw e;
  }
}

/** Every `@bnn` piece of a line judged on its own (none when the line has no `@bnn`: other text). */
export function classifyPieces(text: string): Verdict[] {
  const out: Verdict[] = [];
  let at = text.indexOf("@bnn");
  while (at >= 0) {
    const next = text.indexOf("@bnn", at + 4);
    out.push(judgePiece(text.slice(at, next < 0 ? undefined : next)));
    at = next;
  }
  return out;
}

/**
 * What a line that should hold at most one result is: a result; a result line cut short (it
 * starts like one, `@bnn2 ` or `@bnn 1 `, and no `*` of its checksum follows); an invalid one
 * (damaged, impossible, or more than one `@bnn` in it); or other text.
 */
export function classifyLine(text: string): Verdict {
  const pieces = classifyPieces(text);
  if (pieces.length === 0) return { kind: "other" };
  if (pieces.length > 1) return { kind: "invalid", why: `${pieces.length} pieces starting with @bnn in one line` };
  return pieces[0];
}

/** The result in a line of text, or undefined if there is none, or it is not one the program can write. */
export function parseResult(text: string): ParsedResult | undefined {
  return classifyLine(text).result;
}
