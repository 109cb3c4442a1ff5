/**
 * `bnn sim`'s text: a result line as it arrives and the summary at the end (its --json prints
 * the same facts as JSON lines, its --raw the board's own stream).
 */
import { runnersUpText } from "../monitor/render.ts";
import type { StreamResult } from "../../src/shared/stream-format.ts";
import type { SimSummary } from "./report.ts";

/** Inference time at the resolution it was measured with: 1 µs by the service, 1 ms by the VM clock. */
function inferenceText(r: StreamResult): string {
  return r.backend === "bytecode" ? `${Math.round(r.inferenceUs / 1000)} ms` : `${(r.inferenceUs / 1000).toFixed(3)} ms`;
}

/** One result, labelled, and whether it equals the reference. */
export function resultText(r: StreamResult, reference: boolean): string {
  const label = r.label < 0 ? "label -  " : `label ${r.label} ${r.digit === r.label ? "✓" : "✗"}`;
  return `  #${String(r.seq).padStart(3)}  digit ${r.digit < 0 ? "-" : r.digit}  ${label}  ${runnersUpText(r).padEnd(16)}  ${inferenceText(r).padStart(7)}  ${r.backend.padEnd(8)}  ${reference ? "= reference" : "DIFFERS FROM REFERENCE"}`;
}

/**
 * The summary's lines, after an empty one; `source` is the run's input ("draw" for the drawing
 * page: no throughput, its pace is the person drawing), `backend` the one asked for.
 */
export function summaryLines(s: SimSummary, source: string, backend: string): string[] {
  const lines = [""];
  const labels = s.labeled > 0 ? `, ${s.correct} correct (${((100 * s.correct) / s.labeled).toFixed(1)} % against the labels)` : "";
  lines.push(`${s.results} digits${labels}, ${s.agreeWithReference}/${s.results} identical to the TypeScript reference`);
  for (const [b, l] of Object.entries(s.latency)) {
    const ms = (v: number) => (b === "bytecode" ? `${Math.round(v)} ms` : `${v.toFixed(3)} ms`);
    lines.push(
      `inference time ${b}: p50 ${ms(l.p50Ms)}, p99 ${ms(l.p99Ms)} (${b === "native" ? "measured by the service, 1 µs resolution" : "VM clock, 1 ms resolution"})`,
    );
  }
  if (s.nativeSpeedup) lines.push(`native is ${s.nativeSpeedup.toFixed(0)}x faster than the bytecode fallback (p50)`);
  if (s.throughput && source !== "draw") {
    // the inference mean is over the results the interval spans (the 2nd to the last), each
    // with one decimal, so the two figures are of the same results and comparable
    const where =
      source === "touch"
        ? "mostly the drawing itself (strokes at pen speed, then the pen-up before a digit counts as done)"
        : source === "camera"
          ? "mostly the frame transfer in Jacdac chunks"
          : `the VM${backend === "native" ? " and the Jacdac round trip through the hub" : " running the bytecode inference"}`;
    const inference = Object.entries(s.throughput.inferenceMeanMs)
      .map(([b, ms]) => `${b} inference ${ms.toFixed(b === "bytecode" ? 1 : 3)} ms mean`)
      .join(", ");
    lines.push(
      `throughput ${s.throughput.resultsPerSecond.toFixed(1)} digits/s: ${s.throughput.meanIntervalMs.toFixed(1)} ms between results (${inference}); the time goes to ${where}`,
    );
  }
  return lines;
}
