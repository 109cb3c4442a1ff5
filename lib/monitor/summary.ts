/**
 * The summary of a result stream, for `bnn monitor` (a board's serial port) and `bnn sim` (the
 * simulated board) alike. What a session saw: results, accuracy where labels are known, lines that looked
 * like results but failed their checksum, seq gaps and repeats, and latency percentiles per
 * backend. Every valid result is reported; gaps and repeats are only counted here: a seq equal
 * to the previous one is a repeat, a jump forward counts the seqs skipped as missing, a jump
 * back is a restart of the board's count.
 */
import type { StreamResult } from "../../src/shared/stream-format.ts";

/** Inference time reported in the results of one backend, and the time from input to line. */
export interface LatencyStats {
  results: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  /** From the input being complete (pen up, frame received) to the line, as the program measured it. */
  toLineP50Ms: number;
  toLineP99Ms: number;
}

/**
 * How fast results arrived (null with fewer than two): the mean interval between arrivals here
 * (this computer's clock), (last - first) / (n - 1), spans the work of results 2..n, so the
 * inference set beside it is the mean of those same results (the board's clock), per backend.
 */
export interface Throughput {
  resultsPerSecond: number;
  meanIntervalMs: number;
  /** Mean inference (ms) of the results after the first, per backend: the results the interval spans. */
  inferenceMeanMs: Record<string, number>;
}

export interface Summary {
  results: number;
  labeled: number;
  correct: number;
  /** correct / labeled, or null when no result had a label. */
  accuracy: number | null;
  /**
   * Pieces of lines, from an "@bnn" to the next or the line's end, that are not results (damaged,
   * bad checksum, text after the checksum, a field the program cannot write, other version).
   */
  invalidLines: number;
  /** Lines that start like a result but end before their checksum: cut short (the firmware's log buffer). */
  cutLines: number;
  /** Results with no digit (empty, a dot, a scribble...), by reason. */
  noDigit: Record<string, number>;
  /** Lines longer than the cap, cut: counted here only (a result in one is not read). */
  overlongLines: number;
  reconnects: number;
  seq: { missing: number; repeats: number; restarts: number };
  latency: Record<string, LatencyStats>;
  throughput: Throughput | null;
  ended: string;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export class Tally {
  results = 0;
  labeled = 0;
  correct = 0;
  invalidLines = 0;
  cutLines = 0;
  private noDigits = new Map<string, number>();
  reconnects = 0;
  private missing = 0;
  private repeats = 0;
  private restarts = 0;
  private lastSeq: number | undefined;
  private inferenceUs = new Map<string, number[]>();
  private totalMs = new Map<string, number[]>();
  private firstArrivalMs: number | undefined;
  private lastArrivalMs: number | undefined;
  /** The first result's backend: its first inference is the one the arrival interval does not span. */
  private firstBackend: string | undefined;

  /** Counts result `r`, which arrived at `arrivedMs` (a monotonic clock, ms). */
  add(r: StreamResult, arrivedMs = performance.now()): void {
    this.firstArrivalMs ??= arrivedMs;
    this.lastArrivalMs = arrivedMs;
    this.results++;
    if (r.label >= 0) {
      this.labeled++;
      if (r.label === r.digit) this.correct++;
    }
    const last = this.lastSeq;
    if (last !== undefined) {
      if (r.seq === last) this.repeats++;
      else if (r.seq > last + 1) this.missing += r.seq - last - 1;
      else if (r.seq < last) this.restarts++; // counting went back: the board restarted
    }
    this.lastSeq = r.seq;
    if (r.digit < 0) this.noDigits.set(r.noDigit, (this.noDigits.get(r.noDigit) ?? 0) + 1);
    this.firstBackend ??= r.backend;
    const list = this.inferenceUs.get(r.backend) ?? [];
    list.push(r.inferenceUs);
    this.inferenceUs.set(r.backend, list);
    const toLine = this.totalMs.get(r.backend) ?? [];
    toLine.push(r.totalMs);
    this.totalMs.set(r.backend, toLine);
  }

  summary(ended: string, overlongLines: number): Summary {
    const latency: Record<string, LatencyStats> = {};
    /** Mean inference of the results 2..n (the ones the arrival interval spans), per backend. */
    const inferenceMeanMs: Record<string, number> = {};
    for (const [backend, list] of [...this.inferenceUs].sort(([a], [b]) => a.localeCompare(b))) {
      // each list is in arrival order: the first result is the first of its backend's
      const spanned = backend === this.firstBackend ? list.slice(1) : list;
      if (spanned.length > 0) inferenceMeanMs[backend] = spanned.reduce((a, b) => a + b, 0) / spanned.length / 1000;
      const sorted = [...list].sort((a, b) => a - b);
      const toLine = [...(this.totalMs.get(backend) ?? [])].sort((a, b) => a - b);
      latency[backend] = {
        results: sorted.length,
        meanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length / 1000,
        p50Ms: percentile(sorted, 50) / 1000,
        p99Ms: percentile(sorted, 99) / 1000,
        toLineP50Ms: percentile(toLine, 50),
        toLineP99Ms: percentile(toLine, 99),
      };
    }
    const spanMs = this.results > 1 ? this.lastArrivalMs! - this.firstArrivalMs! : 0;
    const throughput =
      spanMs > 0 ? { resultsPerSecond: (1000 * (this.results - 1)) / spanMs, meanIntervalMs: spanMs / (this.results - 1), inferenceMeanMs } : null;
    return {
      results: this.results,
      labeled: this.labeled,
      correct: this.correct,
      accuracy: this.labeled ? this.correct / this.labeled : null,
      invalidLines: this.invalidLines,
      cutLines: this.cutLines,
      noDigit: Object.fromEntries([...this.noDigits].sort(([a], [b]) => a.localeCompare(b))),
      overlongLines,
      reconnects: this.reconnects,
      seq: { missing: this.missing, repeats: this.repeats, restarts: this.restarts },
      latency,
      throughput,
      ended,
    };
  }
}
