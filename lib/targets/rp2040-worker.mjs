// A worker thread that runs one rp2040js emulation (./rp2040.ts runRp2040) and posts its result:
// lib/targets/rp2040-parallel.ts splits a long run's records over several of these, one
// per core. Plain JavaScript that registers tsx itself: a worker thread does not inherit the
// TypeScript loader of the thread that started it (the CLI's tsx, or vitest's).
import { register } from "tsx/esm/api";
import { parentPort, workerData } from "node:worker_threads";

register();
const { runRp2040 } = await import("./rp2040.ts");
try {
  // progress every 50 records read (one read per record: the harness reads a record at a time)
  let reads = 0;
  const onRead = () => {
    if (++reads % 50 === 0) parentPort.postMessage({ reads });
  };
  // workerData arrives as Uint8Arrays (a structured clone): Buffer views of them, no copy
  const asBuffer = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const r = runRp2040(
    asBuffer(workerData.elf),
    { [workerData.inputName]: asBuffer(workerData.input) },
    { maxInstructions: workerData.maxInstructions, onRead },
  );
  parentPort.postMessage({ exitOk: r.exitOk, output: r.written.get(workerData.outputName) });
} catch (e) {
  parentPort.postMessage({ error: e instanceof Error ? e.message : String(e) });
}
