/**
 * A semihosting harness on rp2040js over many records, split over worker threads: rp2040js is an
 * interpreter (tens of millions of instructions a second), so the CNN's 10,000 test images take
 * minutes on one core. Each worker runs its own emulator on a contiguous run of whole records;
 * the outputs are joined in record order, so the result is the one run's, byte for byte (the
 * harness treats records independently: c/harness/semihost_main.c). The calling thread only
 * waits, so its event loop stays free.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

const WORKER = new URL("./rp2040-worker.mjs", import.meta.url);

/** Fewer records than this per worker are not worth a worker's start-up (about 0.2 s). */
const MIN_RECORDS_PER_WORKER = 200;

export interface ParallelRun {
  /** SYS_EXIT with ADP_Stopped_ApplicationExit in every part. */
  exitOk: boolean;
  /** The parts' bnn_out.bin joined, or undefined when a part wrote none. */
  output: Buffer | undefined;
}

interface PartResult {
  exitOk?: boolean;
  output?: Uint8Array;
  error?: string;
}

/** The records a worker has read so far (every 50, ./rp2040-worker.mjs). */
interface PartProgress {
  reads: number;
}

function runPart(
  elf: Buffer,
  input: Buffer,
  files: { inputName: string; outputName: string },
  maxInstructions: number,
  onReads: (reads: number) => void,
): Promise<PartResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: { elf, input, maxInstructions, ...files } });
    let result: PartResult | undefined;
    worker.on("message", (m: PartResult | PartProgress) => {
      if ("reads" in m) onReads(m.reads);
      else result = m;
    });
    worker.once("error", reject);
    worker.once("exit", (code) => (result ? resolve(result) : reject(new Error(`rp2040js worker exited with code ${code} and no result`))));
  });
}

/**
 * Runs `elf` with `input` (records of `recordBytes`; 0: one part) as the file `inputName`, in up
 * to one worker per core; a part stops with an error after 1e8 + `instructionsPerByte` per byte of
 * its input (a program that never exits).
 */
export async function runRp2040Parallel(
  elf: Buffer,
  input: Buffer,
  recordBytes: number,
  files: { inputName: string; outputName: string },
  instructionsPerByte: number,
  onProgress?: (records: number) => void,
): Promise<ParallelRun> {
  const records = recordBytes > 0 ? Math.floor(input.length / recordBytes) : 0;
  const parts = Math.max(1, Math.min(availableParallelism(), Math.floor(records / MIN_RECORDS_PER_WORKER)));
  const per = Math.ceil(records / parts);
  const slices: Buffer[] = [];
  for (let p = 0; p < parts; p++) {
    // the last part also takes any bytes after the last whole record, as one run would
    slices.push(input.subarray(p * per * recordBytes, p === parts - 1 ? input.length : Math.min(records, (p + 1) * per) * recordBytes));
  }
  // a part's reads include the one that finds the end of its input
  const reads = slices.map(() => 0);
  const report = (p: number, n: number) => {
    reads[p] = n;
    onProgress?.(reads.reduce((a, b) => a + Math.max(0, b - 1), 0));
  };
  const results = await Promise.all(slices.map((s, p) => runPart(elf, s, files, 1e8 + s.length * instructionsPerByte, (n) => report(p, n))));
  const failed = results.find((r) => r.error);
  if (failed) throw new Error(failed.error);
  const outputs = results.map((r) => r.output);
  return {
    exitOk: results.every((r) => r.exitOk),
    output: outputs.every((o) => o === undefined) ? undefined : Buffer.concat(outputs.map((o) => Buffer.from(o ?? new Uint8Array(0)))),
  };
}
