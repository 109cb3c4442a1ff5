/** Reading the serial result stream (format: src/shared/stream-format.ts) out of noisy text. */
import { STREAM_VERSION, streamChecksum, type StreamResult } from "../../../src/shared/stream-format.ts";

const LINE = /@(bnn (\d+) seq=(\d+) src=([a-z]+) digit=(-?\d+) label=(-?\d+) us=(\d+) backend=([a-z]+) model=([0-9a-f]{8}) scores=(-?\d+(?:,-?\d+)*))\*([0-9a-f]{2})/;

/** The result in a line of text, or undefined if there is none or its checksum fails. */
export function parseResult(text: string): StreamResult | undefined {
  const m = LINE.exec(text);
  if (!m || streamChecksum(m[1]) !== m[11] || Number(m[2]) !== STREAM_VERSION) return undefined;
  return { seq: Number(m[3]), source: m[4], digit: Number(m[5]), label: Number(m[6]), inferenceUs: Number(m[7]), backend: m[8], model: m[9], scores: m[10].split(",").map(Number) };
}
