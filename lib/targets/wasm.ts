/**
 * The WebAssembly build the simulator runs (the simulated classifier device): committed next to
 * the generated C as bnn_model.wasm, with bnn_model.wasm.sha256 naming the SHA-256 of everything
 * it was built from (sources and flags). A machine with only Node can run it; a test checks that
 * the recorded hash still matches the sources, and the verification matrix runs the committed
 * file on all test images.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { C_DIR } from "../paths.ts";
import { missingTool, runtimeCFiles, WASM_SYSTEM_CLANG, wasmFlags } from "./targets.ts";
import { WASM_FILE } from "./wasm-abi.ts";

export { WASM_FILE };

export const WASM_HASH_FILE = "bnn_model.wasm.sha256";

/** SHA-256 of the wasm build's inputs: flags and every source file, in a fixed order. */
export function wasmInputsHash(c: { "bnn_model.c": string; "bnn_model.h": string }): string {
  const h = createHash("sha256");
  h.update(JSON.stringify(wasmFlags()));
  h.update(c["bnn_model.c"]);
  h.update(c["bnn_model.h"]);
  const glue = [join("harness", "wasm_glue.c"), join("harness", "libc_min.c"), join("service", "bnn_service.c"), join("service", "bnn_service.h")];
  for (const f of [...runtimeCFiles(), ...glue]) h.update(readFileSync(join(C_DIR, f)));
  return h.digest("hex");
}

/** The recorded hash of the committed wasm, or undefined. */
export function recordedWasmHash(modelDir: string): string | undefined {
  const p = join(modelDir, WASM_HASH_FILE);
  return existsSync(p) && existsSync(join(modelDir, WASM_FILE)) ? readFileSync(p, "utf8").trim() : undefined;
}

/** Builds the wasm with the system clang into modelDir; returns false when clang is missing. */
export async function buildCommittedWasm(modelDir: string, hash: string): Promise<boolean> {
  if (missingTool(WASM_SYSTEM_CLANG)) return false;
  const tmp = mkdtempSync(join(tmpdir(), "bnn-wasm-"));
  try {
    const built = await WASM_SYSTEM_CLANG.build(modelDir, tmp);
    writeFileSync(join(modelDir, WASM_FILE), readFileSync(built));
    writeFileSync(join(modelDir, WASM_HASH_FILE), hash + "\n");
    return true;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
