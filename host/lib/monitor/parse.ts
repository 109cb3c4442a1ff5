/**
 * Reading the serial result stream (format: src/shared/stream-format.ts) out of noisy text:
 * version 2 lines, and version 1 lines of older firmware. A line is a result only if its
 * checksum holds AND every field is one the protocol allows (docs/serial-protocol.md). A line
 * that starts like a result but has no checksum at its end was cut short (the firmware's log
 * buffer cuts lines at about 150 characters): `classifyLine` tells it apart from noise.
 */
import { argmax } from "../binary.ts";
import { NO_DIGIT_REASONS } from "../../../src/shared/no-digit.ts";
import { crc16Text, hexDigits, MAX_DEFICIT, runnersUp, type StreamResult } from "../../../src/shared/stream-format.ts";

export const SOURCES = ["touch", "camera", "samples"] as const;
export const BACKENDS = ["native", "bytecode"] as const;
/** Reasons the program gives for "no digit": the one list is src/shared/no-digit.ts's. */
export { NO_DIGIT_REASONS };
/** Classes of the MNIST models the protocol carries. */
export const CLASSES = 10;
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

const V2 = /@(bnn2 (\d+) ([a-z]+) (-|\d) (-?\d+) (\d+) (\d+) ([a-z]+) ([0-9a-f]{8}) ([a-z]+|\d:\d+(?:,\d:\d+)*) ([0-9a-f]{4}))\*([0-9a-f]{4})/;
const V1 = /@(bnn (\d+) seq=(\d+) src=([a-z]+) digit=(-?\d+) label=(-?\d+) us=(\d+) backend=([a-z]+) model=([0-9a-f]{8}) scores=(-?\d+(?:,-?\d+)*))\*([0-9a-f]{2})/;

function xor8(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return hexDigits(x & 0xff, 2);
}

/** Why the fields of a checksum-valid line are impossible, or undefined when they are not. */
export function impossibleFields(r: ParsedResult): string | undefined {
  if (!Number.isSafeInteger(r.seq) || r.seq > U32) return `seq ${r.seq} is not a u32`;
  if (!(SOURCES as readonly string[]).includes(r.source)) return `unknown source ${r.source}`;
  if (!(BACKENDS as readonly string[]).includes(r.backend)) return `unknown backend ${r.backend}`;
  if (!Number.isInteger(r.label) || r.label < -1 || r.label >= CLASSES) return `label ${r.label} is not -1..9`;
  if (!Number.isSafeInteger(r.inferenceUs) || r.inferenceUs > U32) return `inference time ${r.inferenceUs} is not a u32`;
  if (!Number.isSafeInteger(r.totalMs) || r.totalMs > U32) return `total time ${r.totalMs} is not a u32`;
  if (r.scores) {
    if (r.scores.length !== CLASSES) return `${r.scores.length} scores, not ${CLASSES}`;
    if (r.scores.some((s) => !Number.isSafeInteger(s) || s < I32_MIN || s > I32_MAX)) return "a score is not an int32";
    if (r.digit !== argmax(r.scores)) return `digit ${r.digit} is not the highest score`;
  }
  if (r.digit < 0) {
    if (!NO_DIGIT_REASONS.includes(r.noDigit)) return `unknown no-digit reason ${r.noDigit}`;
    return undefined;
  }
  if (!Number.isInteger(r.digit) || r.digit >= CLASSES) return `digit ${r.digit} is not 0..9`;
  const d = r.runnersUp;
  if (d.length !== 4) return "not two runners-up";
  if (d[0] === r.digit || d[2] === r.digit || d[0] === d[2]) return "a runner-up repeats a digit";
  if (d[1] > d[3] || d[3] > MAX_DEFICIT) return "runners-up out of order";
  return undefined;
}

function v2(m: RegExpExecArray): ParsedResult | undefined {
  if (hexDigits(crc16Text(m[1]), 4) !== m[12]) return undefined;
  const noDigit = m[4] === "-";
  const top = m[10];
  if (noDigit === /\d/.test(top[0])) return undefined; // a reason exactly when there is no digit
  return {
    version: 2,
    seq: Number(m[2]),
    source: m[3],
    digit: noDigit ? -1 : Number(m[4]),
    label: Number(m[5]),
    inferenceUs: Number(m[6]),
    totalMs: Number(m[7]),
    backend: m[8],
    model: m[9],
    runnersUp: noDigit ? [] : top.split(/[,:]/).map(Number),
    noDigit: noDigit ? top : "",
    scoresCrc: parseInt(m[11], 16),
  };
}

function v1(m: RegExpExecArray): ParsedResult | undefined {
  if (xor8(m[1]) !== m[11] || m[2] !== "1") return undefined;
  const scores = m[10].split(",").map(Number);
  const digit = Number(m[5]);
  return {
    version: 1,
    seq: Number(m[3]),
    source: m[4],
    digit,
    label: Number(m[6]),
    inferenceUs: Number(m[7]),
    totalMs: 0,
    backend: m[8],
    model: m[9],
    scores,
    runnersUp: digit >= 0 && digit < CLASSES && scores.length === CLASSES ? runnersUp(scores, digit, V1_SCORE_SHIFT) : [],
    noDigit: "",
    scoresCrc: 0,
  };
}

/** The result in a line of text, or undefined if there is none, its checksum fails or a field is impossible. */
export function parseResult(text: string): ParsedResult | undefined {
  const a = V2.exec(text);
  const r = a ? v2(a) : (() => {
    const b = V1.exec(text);
    return b ? v1(b) : undefined;
  })();
  if (r && r.version === 1 && r.runnersUp.length !== 4) return undefined;
  return r && impossibleFields(r) === undefined ? r : undefined;
}

export type LineKind = "result" | "cut" | "invalid" | "other";

/**
 * What a line is: a result; a result line cut short (it starts like one, `@bnn2 ` or `@bnn 1 `,
 * and no `*` of its checksum follows); an invalid one (damaged, impossible); or other text.
 */
export function classifyLine(text: string): { kind: LineKind; result?: ParsedResult } {
  const result = parseResult(text);
  if (result) return { kind: "result", result };
  const at = text.search(/@bnn(2 | 1 )/);
  if (at < 0) return { kind: text.includes("@bnn") ? "invalid" : "other" };
  // cut short: nothing of the checksum arrived (a damaged checksum is damage, not a cut)
  return { kind: text.slice(at).includes("*") ? "invalid" : "cut" };
}
