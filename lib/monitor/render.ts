/**
 * How results and the summary are printed: `table` (aligned live rows with the runners-up),
 * `jsonl` (one JSON object per result, then {"summary": ...}) and `csv`.
 */
import type { StreamResult } from "../../src/shared/stream-format.ts";
import type { Summary } from "./summary.ts";

export const FORMATS = ["table", "jsonl", "csv"] as const;
export type Format = (typeof FORMATS)[number];

/** true/false when the label is known, null when it is not (label -1). */
export function correctness(r: StreamResult): boolean | null {
  return r.label < 0 ? null : r.label === r.digit;
}

const ms = (inferenceUs: number) => (inferenceUs / 1000).toFixed(2);

/**
 * The runners-up as people read them: "3 -4.1, 9 -5.0" (score units below the winner), or why
 * there is no digit. The sign comes with the number: a deficit of 0 (less than 0.1 unit below,
 * not a tie) is "0.0", where a "-" written before the figure made it "-0.0".
 */
export function runnersUpText(r: StreamResult): string {
  if (r.digit < 0) return `no digit: ${r.noDigit}`;
  const parts: string[] = [];
  for (let k = 0; k + 1 < r.runnersUp.length; k += 2) parts.push(`${r.runnersUp[k]} ${(-r.runnersUp[k + 1] / 10).toFixed(1)}`);
  return parts.join(", ");
}

export function header(format: Format): string | undefined {
  if (format === "table")
    return `${"seq".padStart(7)} ${"digit".padStart(5)} ${"label".padStart(5)} ok ${"runners-up".padEnd(18)} ${"infer ms".padStart(8)} ${"line ms".padStart(7)} ${"backend".padEnd(8)} ${"source".padEnd(7)} model`;
  if (format === "csv") return "seq,source,digit,label,correct,inference_ms,line_ms,backend,model,runners_up,no_digit";
  return undefined;
}

export function row(format: Format, r: StreamResult): string {
  const ok = correctness(r);
  if (format === "jsonl") return JSON.stringify({ ...r, correct: ok });
  const digit = r.digit < 0 ? "-" : String(r.digit);
  if (format === "csv")
    return [
      r.seq,
      r.source,
      digit,
      r.label,
      ok === null ? "" : String(ok),
      ms(r.inferenceUs),
      r.totalMs,
      r.backend,
      r.model,
      `"${r.runnersUp.join(",")}"`,
      r.noDigit,
    ].join(",");
  const mark = ok === null ? " " : ok ? "✓" : "✗";
  return `${String(r.seq).padStart(7)} ${digit.padStart(5)} ${(r.label < 0 ? "-" : String(r.label)).padStart(5)}  ${mark} ${runnersUpText(r).padEnd(18)} ${ms(r.inferenceUs).padStart(8)} ${String(r.totalMs).padStart(7)} ${r.backend.padEnd(8)} ${r.source.padEnd(7)} ${r.model}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The summary for people (table and csv modes print it on stderr). */
export function summaryText(s: Summary): string {
  const acc = s.accuracy === null ? "accuracy n/a (no labels)" : `accuracy ${(100 * s.accuracy).toFixed(2)} % (${s.correct}/${s.labeled} labeled)`;
  const lines = [
    `summary: ${plural(s.results, "result")}, ${acc}; ended: ${s.ended}`,
    `  skipped: ${plural(s.invalidLines, "invalid line")}, ${plural(s.overlongLines, "overlong line")}; ${plural(s.reconnects, "reconnect")}`,
    ...(s.cutLines
      ? [
          `  ${plural(s.cutLines, "result")} cut short before the checksum (a firmware's log buffer cuts lines at about 150 characters: update the firmware or the program)`,
        ]
      : []),
    ...(Object.keys(s.noDigit).length
      ? [
          `  no digit: ${Object.entries(s.noDigit)
            .map(([k, v]) => `${v} ${k}`)
            .join(", ")}`,
        ]
      : []),
    `  seq: ${s.seq.missing} missing, ${plural(s.seq.repeats, "repeat")}, ${plural(s.seq.restarts, "restart")}`,
  ];
  for (const [backend, l] of Object.entries(s.latency)) {
    // at the resolution it was measured with: the service's µs, the VM clock's whole ms (a mean: one decimal)
    const at = (v: number, mean = false) => (backend === "bytecode" ? v.toFixed(mean ? 1 : 0) : v.toFixed(3));
    lines.push(
      `  inference ${backend}: p50 ${at(l.p50Ms)} ms, p99 ${at(l.p99Ms)} ms, mean ${at(l.meanMs, true)} ms (${plural(l.results, "result")}); input to line p50 ${l.toLineP50Ms} ms, p99 ${l.toLineP99Ms} ms`,
    );
  }
  if (s.throughput) {
    // both over results 2..n, both with one decimal; the interval is how they arrived here, the
    // inference what the board measured (arrivals bunch up in pipes and USB, so the two clocks
    // can disagree by a little: the figures are not subtracted)
    const inference = Object.entries(s.throughput.inferenceMeanMs).map(([backend, v]) => `${backend} ${v.toFixed(1)} ms`);
    lines.push(
      `  throughput: ${s.throughput.resultsPerSecond.toFixed(1)} results/s, ${s.throughput.meanIntervalMs.toFixed(1)} ms between results as they arrived; mean inference of the same results (the board's clock): ${inference.join(", ")}`,
    );
  }
  return lines.join("\n");
}
