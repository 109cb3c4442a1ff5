/**
 * The WebAssembly build's interface (c/harness/wasm_glue.c): the generated model and the
 * classifier service core compiled to wasm32, as the simulated classifier device
 * (devices/classifier.ts) and the verification matrix run them. The exports listed here are
 * the only ones the build keeps; the host provides env.now_us, a microsecond clock.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { generatedDir } from "../paths.ts";

export interface WasmBnn {
  memory: WebAssembly.Memory;
  bnn_wasm_packet_ptr(): number;
  bnn_wasm_report_ptr(): number;
  bnn_wasm_service_register(reg: number): number;
  bnn_wasm_service_command(cmd: number, len: number): number;
  bnn_wasm_service_observe(serviceClass: number, code: number, len: number): number;
  bnn_wasm_classify(): number;
  bnn_wasm_input_ptr(): number;
  bnn_wasm_scores_ptr(): number;
  bnn_wasm_hidden_ptr(layer: number): number;
  bnn_wasm_hidden_words(layer: number): number;
}

export const WASM_EXPORTS: readonly (keyof Omit<WasmBnn, "memory">)[] = [
  "bnn_wasm_classify",
  "bnn_wasm_input_ptr",
  "bnn_wasm_scores_ptr",
  "bnn_wasm_hidden_ptr",
  "bnn_wasm_hidden_words",
  "bnn_wasm_packet_ptr",
  "bnn_wasm_report_ptr",
  "bnn_wasm_service_register",
  "bnn_wasm_service_command",
  "bnn_wasm_service_observe",
];

/** The committed build of a shipped model: generated/<model>/bnn_model.wasm. */
export const WASM_FILE = "bnn_model.wasm";

export function committedWasmPath(model: string): string {
  return join(generatedDir(model), WASM_FILE);
}

/** Instantiates a wasm build; env.now_us is the host's microsecond clock (wrapping at 2^32). */
export async function instantiateWasm(bytes: Uint8Array): Promise<WasmBnn> {
  const { instance } = await WebAssembly.instantiate(bytes, { env: { now_us: () => Math.floor(performance.now() * 1000) >>> 0 } });
  return instance.exports as unknown as WasmBnn;
}

export async function loadCommittedWasm(model: string): Promise<WasmBnn> {
  return instantiateWasm(readFileSync(committedWasmPath(model)));
}

/** The service's answer to command `cmd` (its report payload), or undefined for a command without one. */
export function serviceCommand(bnn: WasmBnn, cmd: number, payload: Uint8Array): Uint8Array | undefined {
  const mem = new Uint8Array(bnn.memory.buffer);
  mem.set(payload, bnn.bnn_wasm_packet_ptr());
  const n = bnn.bnn_wasm_service_command(cmd, payload.length);
  if (n <= 0) return undefined;
  const at = bnn.bnn_wasm_report_ptr();
  return mem.slice(at, at + n);
}

/** Shows the service a report another service sent on the bus; true when it took it (watch_frame). */
export function serviceObserve(bnn: WasmBnn, serviceClass: number, code: number, payload: Uint8Array): boolean {
  if (payload.length > 236) return false;
  new Uint8Array(bnn.memory.buffer).set(payload, bnn.bnn_wasm_packet_ptr());
  return bnn.bnn_wasm_service_observe(serviceClass >>> 0, code, payload.length) === 1;
}

/** A register's value as the service reports it, or undefined for a register it does not have. */
export function serviceRegister(bnn: WasmBnn, register: number): Uint8Array | undefined {
  const n = bnn.bnn_wasm_service_register(register);
  if (n <= 0) return undefined;
  const at = bnn.bnn_wasm_report_ptr();
  return new Uint8Array(bnn.memory.buffer).slice(at, at + n);
}

/** Runs input records through a wasm build; output records as the C harness writes them. */
export function runWasm(bnn: WasmBnn, input: Buffer, inputWords: number, outputs: number, hiddenLayers: number): Buffer {
  const hiddenWords = Array.from({ length: hiddenLayers }, (_, l) => bnn.bnn_wasm_hidden_words(l));
  const recordOut = 4 * (outputs + hiddenWords.reduce((a, b) => a + b, 0));
  const count = input.length / (4 * inputWords);
  const out = Buffer.alloc(count * recordOut);
  const inPtr = bnn.bnn_wasm_input_ptr();
  const scoresPtr = bnn.bnn_wasm_scores_ptr();
  for (let i = 0; i < count; i++) {
    const mem = new Uint8Array(bnn.memory.buffer);
    mem.set(input.subarray(i * 4 * inputWords, (i + 1) * 4 * inputWords), inPtr);
    if (bnn.bnn_wasm_classify() < 0) throw new Error("wasm: bnn_classify failed");
    let o = i * recordOut;
    out.set(mem.subarray(scoresPtr, scoresPtr + 4 * outputs), o);
    o += 4 * outputs;
    hiddenWords.forEach((w, l) => {
      const p = bnn.bnn_wasm_hidden_ptr(l);
      out.set(mem.subarray(p, p + 4 * w), o);
      o += 4 * w;
    });
  }
  return out;
}
