/**
 * Reading the serial result stream (format: src/shared/stream-format.ts) out of noisy text. A
 * line is a result only if its checksum holds AND every field is one the protocol allows
 * (docs/serial-protocol.md): a digit in 0..9 that is the highest score (lowest index on ties),
 * ten scores within int32, a label in -1..9, a known source and backend, seq and inference time
 * within u32. Anything else is noise, however well its checksum matches.
 */
import { argmax } from "../binary.ts";
import { STREAM_VERSION, streamChecksum, type StreamResult } from "../../../src/shared/stream-format.ts";

const LINE = /@(bnn (\d+) seq=(\d+) src=([a-z]+) digit=(-?\d+) label=(-?\d+) us=(\d+) backend=([a-z]+) model=([0-9a-f]{8}) scores=(-?\d+(?:,-?\d+)*))\*([0-9a-f]{2})/;

export const SOURCES = ["touch", "camera", "samples"] as const;
export const BACKENDS = ["native", "bytecode"] as const;
/** Classes of the MNIST models the protocol carries. */
export const CLASSES = 10;
const U32 = 2 ** 32 - 1;
const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

/** Why the fields of a checksum-valid line are impossible, or undefined when they are not. */
export function impossibleFields(r: StreamResult): string | undefined {
  if (!Number.isSafeInteger(r.seq) || r.seq > U32) return `seq ${r.seq} is not a u32`;
  if (!(SOURCES as readonly string[]).includes(r.source)) return `unknown source ${r.source}`;
  if (!(BACKENDS as readonly string[]).includes(r.backend)) return `unknown backend ${r.backend}`;
  if (r.scores.length !== CLASSES) return `${r.scores.length} scores, not ${CLASSES}`;
  if (r.scores.some((s) => !Number.isSafeInteger(s) || s < I32_MIN || s > I32_MAX)) return "a score is not an int32";
  if (!Number.isInteger(r.digit) || r.digit < 0 || r.digit >= CLASSES) return `digit ${r.digit} is not 0..9`;
  if (r.digit !== argmax(r.scores)) return `digit ${r.digit} is not the highest score`;
  if (!Number.isInteger(r.label) || r.label < -1 || r.label >= CLASSES) return `label ${r.label} is not -1..9`;
  if (!Number.isSafeInteger(r.inferenceUs) || r.inferenceUs > U32) return `inference time ${r.inferenceUs} is not a u32`;
  return undefined;
}

/** The result in a line of text, or undefined if there is none, its checksum fails or a field is impossible. */
export function parseResult(text: string): StreamResult | undefined {
  const m = LINE.exec(text);
  if (!m || streamChecksum(m[1]) !== m[11] || Number(m[2]) !== STREAM_VERSION) return undefined;
  const r: StreamResult = { seq: Number(m[3]), source: m[4], digit: Number(m[5]), label: Number(m[6]), inferenceUs: Number(m[7]), backend: m[8], model: m[9], scores: m[10].split(",").map(Number) };
  return impossibleFields(r) === undefined ? r : undefined;
}
