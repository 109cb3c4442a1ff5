// The serial result stream: one line per digit, written by the DeviceScript program
// (console.log -> DMESG -> USB serial or the board's UART log pin) and read by `bnn monitor` and
// `bnn sim` (lib/monitor/parse.ts); docs/serial-protocol.md describes it. Plain TypeScript
// (imports only src/shared/), so the board and the host share it.
//
//   @bnn2 12 touch 7 -1 118 23 native 191e9cb9 3:41,9:50 c0de*5a3f
//
// Version 2, fields in this order, one space apart: seq, source (touch, camera, samples), digit
// (0..9, or - for no digit), label (-1 when unknown), inference µs, input-to-line ms (from the
// input being complete to the line: preprocessing, classification, formatting), backend
// (native, bytecode), model (first 8 hex digits of its id), the runners-up (the second and third
// digit with how far their score is below the winner's, in tenths of the model's score unit,
// capped at 9999; for no digit, the reason instead), the CRC-16 of the ten scores (int32
// little-endian, 4 hex digits), then `*` and the CRC-16 of everything between `@` and `*`.
// CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xffff) catches every change of up to 16
// adjacent bits, so a transposition of two neighbouring characters cannot pass.
// A line is at most 120 characters for every model (tests/stream.test.ts); the firmware's log
// buffer cuts longer ones at about 150.

import { argmax } from "./bits.js";

export const STREAM_VERSION = 2;
/** The longest line the format allows, worst case. */
export const MAX_LINE_LENGTH = 120;
/** Deficits are capped so the field keeps its width. */
export const MAX_DEFICIT = 9999;

export interface StreamResult {
  seq: number;
  source: string;
  /** The digit, or -1 for no digit (noDigit says why). */
  digit: number;
  label: number;
  inferenceUs: number;
  /** From the input being complete (pen up, frame received) to the result line. */
  totalMs: number;
  backend: string;
  model: string;
  /** Second and third digit and their deficits: [d2, deficit2, d3, deficit3] (tenths of a score unit). */
  runnersUp: number[];
  /** Why there is no digit ("" when there is one). */
  noDigit: string;
  /** CRC-16 of the ten int32 scores, little-endian. */
  scoresCrc: number;
}

const HEX = "0123456789abcdef";

function crcTable(): number[] {
  const t: number[] = [];
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t.push(c);
  }
  return t;
}

const CRC = crcTable();

/** CRC-16/CCITT-FALSE of the character codes (0..255) of `text`. */
export function crc16Text(text: string): number {
  let c = 0xffff;
  for (let i = 0; i < text.length; i++) c = ((c << 8) & 0xffff) ^ CRC[((c >> 8) ^ text.charCodeAt(i)) & 0xff];
  return c;
}

/** CRC-16/CCITT-FALSE of the scores as int32 little-endian bytes. */
export function scoresCrc16(scores: number[]): number {
  let c = 0xffff;
  for (let j = 0; j < scores.length; j++) {
    const v = scores[j];
    for (let b = 0; b < 4; b++) c = ((c << 8) & 0xffff) ^ CRC[((c >> 8) ^ ((v >> (8 * b)) & 0xff)) & 0xff];
  }
  return c;
}

/** An unsigned number as `digits` lowercase hex digits. */
export function hexDigits(n: number, digits: number): string {
  let s = "";
  for (let shift = 4 * (digits - 1); shift >= 0; shift -= 4) s = s + HEX[(n >>> shift) & 15];
  return s;
}

/** An unsigned 32-bit number as 8 lowercase hex digits. */
export function hex8(n: number): string {
  return hexDigits(n, 8);
}

/**
 * The runners-up of `scores` (lowest index first on ties, as the argmax), their deficits in
 * tenths of a score unit (scores are units times 2^scoreShift), capped at MAX_DEFICIT.
 */
export function runnersUp(scores: number[], winner: number, scoreShift: number): number[] {
  let second = -1;
  let third = -1;
  for (let j = 0; j < scores.length; j++) {
    if (j === winner) continue;
    if (second < 0 || scores[j] > scores[second]) {
      third = second;
      second = j;
    } else if (third < 0 || scores[j] > scores[third]) third = j;
  }
  const unit = 2 ** scoreShift;
  const out: number[] = [];
  for (const d of [second, third]) {
    if (d < 0) continue;
    let deficit = Math.floor(((scores[winner] - scores[d]) * 10) / unit);
    if (deficit > MAX_DEFICIT) deficit = MAX_DEFICIT;
    out.push(d);
    out.push(deficit);
  }
  return out;
}

/** What a result line says about a set of scores: the digit, the runners-up, the scores' CRC. */
export function scoreFields(scores: number[], scoreShift: number): { digit: number; runnersUp: number[]; scoresCrc: number } {
  const digit = argmax(scores);
  return { digit, runnersUp: runnersUp(scores, digit, scoreShift), scoresCrc: scoresCrc16(scores) };
}

export function formatResult(r: StreamResult): string {
  let top = r.noDigit;
  if (r.digit >= 0) {
    top = "";
    for (let k = 0; k + 1 < r.runnersUp.length; k += 2) top = top + (k > 0 ? "," : "") + r.runnersUp[k] + ":" + r.runnersUp[k + 1];
  }
  // concatenation: DeviceScript's compiler takes only a few substitutions per template
  const body =
    "bnn" +
    STREAM_VERSION +
    " " +
    r.seq +
    " " +
    r.source +
    " " +
    (r.digit < 0 ? "-" : "" + r.digit) +
    " " +
    r.label +
    " " +
    Math.round(r.inferenceUs) +
    " " +
    Math.round(r.totalMs) +
    " " +
    r.backend +
    " " +
    r.model +
    " " +
    top +
    " " +
    hexDigits(r.scoresCrc, 4);
  return "@" + body + "*" + hexDigits(crc16Text(body), 4);
}
