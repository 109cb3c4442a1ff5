// Pen samples of a Digit Touch panel (services/digittouch.md) and the strokes they make. Plain
// TypeScript with no imports: the DeviceScript program collects a digit's strokes with it, the
// simulated panel (devices/touch.ts) and the DeviceScript touch driver encode samples with it.
//
// Wire format of the `samples` report: seq u16, reserved u16, then up to 29 samples of 8 bytes
// (time u16, x u16, y u16, pressed u8, fingers u8), little-endian. The report's code comes from
// the service spec (DeviceScript: ds.DigitTouchCodes; Node: lib/services.ts).
//
// The caller owns the clock and decides that a digit is complete with `digitReady` (pen up for
// `timeoutMs`).

import type { ByteArray } from "./bits.js";

/** Default time the pen must stay up before a digit is complete. */
export const DIGIT_TIMEOUT_MS = 600;
/** A gap between samples longer than this ends the stroke even without a pen-up sample. */
export const STROKE_GAP_MS = 100;
/** Points kept per digit; later samples are dropped. */
export const MAX_POINTS = 1000;

export const SAMPLES_HEADER_SIZE = 4;
export const SAMPLE_SIZE = 8;
export const MAX_SAMPLES_PER_REPORT = 29;

export interface PenSample {
  /** Low 16 bits of the panel's clock, ms. */
  time: number;
  x: number;
  y: number;
  pressed: boolean;
  /** Touch points the controller sees (0 on pen-up). */
  fingers: number;
}

/** Encodes a `samples` report payload: `seq` is the sequence number of the first sample. */
export function encodeSamples(seq: number, samples: PenSample[]): Buffer {
  const out = Buffer.alloc(SAMPLES_HEADER_SIZE + SAMPLE_SIZE * samples.length);
  out[0] = seq & 0xff;
  out[1] = (seq >> 8) & 0xff;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    const o = SAMPLES_HEADER_SIZE + SAMPLE_SIZE * i;
    out[o] = s.time & 0xff;
    out[o + 1] = (s.time >> 8) & 0xff;
    out[o + 2] = s.x & 0xff;
    out[o + 3] = (s.x >> 8) & 0xff;
    out[o + 4] = s.y & 0xff;
    out[o + 5] = (s.y >> 8) & 0xff;
    out[o + 6] = s.pressed ? 1 : 0;
    out[o + 7] = s.fingers & 0xff;
  }
  return out;
}

export interface StrokeSet {
  /** Finished strokes, each [x0, y0, x1, y1, ...] in panel coordinates. */
  strokes: number[][];
  /** The stroke being drawn; empty when the pen is up. */
  current: number[];
  /** Points in strokes + current. */
  points: number;
  penDown: boolean;
  /** Caller's clock (ms) at the last sample; -1 before the first. */
  lastSampleMs: number;
  /** Panel clock (low 16 bits, ms) of the last sample from a report; -1 before the first. */
  lastPanelTime: number;
  /** Sequence number expected next from the panel; -1 before the first report. */
  nextSeq: number;
  /** Samples missing from the panel's sequence numbers since the set was created. */
  lostSamples: number;
  /**
   * Digits already complete by the panel's own clock (the pen stayed up for the digit timeout
   * between two samples) that the caller has not taken yet, oldest first: when the caller is
   * late (a busy or starved VM), the next digit's samples must not join the last one's.
   */
  ready: number[][][];
}

export function newStrokeSet(): StrokeSet {
  return { strokes: [], current: [], points: 0, penDown: false, lastSampleMs: -1, lastPanelTime: -1, nextSeq: -1, lostSamples: 0, ready: [] };
}

/** Moves the strokes of the digit being drawn to `ready`. */
function closeDigit(s: StrokeSet): void {
  endStroke(s);
  s.ready.push(s.strokes);
  s.strokes = [];
  s.points = 0;
}

/** Ends the stroke being drawn, if any. */
export function endStroke(s: StrokeSet): void {
  if (s.current.length > 0) s.strokes.push(s.current);
  s.current = [];
  s.penDown = false;
}

function addPoint(s: StrokeSet, x: number, y: number, pressed: boolean, nowMs: number, gap: boolean): void {
  if (gap) endStroke(s);
  s.lastSampleMs = nowMs;
  if (!pressed) {
    endStroke(s);
    return;
  }
  s.penDown = true;
  const n = s.current.length;
  if (n >= 2 && s.current[n - 2] === x && s.current[n - 1] === y) return;
  if (s.points >= MAX_POINTS) return;
  s.current.push(x);
  s.current.push(y);
  s.points++;
}

/**
 * Adds one pen sample at the caller's time `nowMs`: a pressed sample extends the current stroke
 * (a new one after a pen-up or a gap of more than STROKE_GAP_MS), a released one ends it.
 */
export function addSample(s: StrokeSet, x: number, y: number, pressed: boolean, nowMs: number): void {
  addPoint(s, x, y, pressed, nowMs, s.penDown && s.lastSampleMs >= 0 && nowMs - s.lastSampleMs > STROKE_GAP_MS);
}

/**
 * Adds the samples of one `samples` report payload received at the caller's time `nowMs`;
 * returns how many it held. Stroke gaps are measured with the samples' own times (panel clock),
 * so batched reports do not split strokes; so is the end of a digit when the next one's samples
 * arrive before the caller saw it (a pen-up of `digitTimeoutMs` or more between two samples
 * closes the digit into `ready`).
 */
export function addSamplesPayload(s: StrokeSet, payload: ByteArray, nowMs: number, digitTimeoutMs: number = DIGIT_TIMEOUT_MS): number {
  if (payload.length < SAMPLES_HEADER_SIZE) return 0;
  const seq = payload[0] | (payload[1] << 8);
  if (s.nextSeq >= 0 && seq !== s.nextSeq) s.lostSamples += (seq - s.nextSeq + 65536) & 0xffff;
  let n = 0;
  for (let o = SAMPLES_HEADER_SIZE; o + SAMPLE_SIZE <= payload.length; o += SAMPLE_SIZE) {
    const time = payload[o] | (payload[o + 1] << 8);
    const x = payload[o + 2] | (payload[o + 3] << 8);
    const y = payload[o + 4] | (payload[o + 5] << 8);
    const since = s.lastPanelTime >= 0 ? (time - s.lastPanelTime) & 0xffff : 0;
    if (s.points > 0 && since >= digitTimeoutMs) closeDigit(s);
    const gap = s.penDown && s.lastPanelTime >= 0 && since > STROKE_GAP_MS;
    addPoint(s, x, y, payload[o + 6] !== 0, nowMs, gap);
    s.lastPanelTime = time;
    n++;
  }
  s.nextSeq = (seq + n) & 0xffff;
  return n;
}

export function hasInk(s: StrokeSet): boolean {
  return s.points > 0;
}

/**
 * True when the set holds ink and no sample came for `timeoutMs` (pen up; a stroke whose pen-up
 * sample was lost counts as ended).
 */
export function digitReady(s: StrokeSet, nowMs: number, timeoutMs: number): boolean {
  return s.ready.length > 0 || (s.points > 0 && s.lastSampleMs >= 0 && nowMs - s.lastSampleMs >= timeoutMs);
}

/**
 * The oldest digit closed by the panel's clock, if any; else ends the current stroke, returns
 * all strokes and empties the set for the next digit.
 */
export function takeDigit(s: StrokeSet): number[][] {
  if (s.ready.length > 0) {
    const first = s.ready[0];
    s.ready = s.ready.slice(1);
    return first;
  }
  endStroke(s);
  const strokes = s.strokes;
  s.strokes = [];
  s.points = 0;
  return strokes;
}
