/**
 * Generating a model's C from its TypeScript weight tables, and the committed WebAssembly build
 * of that C (what the simulator runs). `bnn codegen` and `bnn regen` both call this.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ExitCode, UserError } from "../errors.ts";
import { loadTables } from "../export/load-tables.ts";
import { displayPath, generatedDir, ROOT, tablesPath } from "../paths.ts";
import { modelFromTables } from "./c-model.ts";
import { generateHeader, generateSource } from "./generate.ts";
import { buildCommittedWasm, recordedWasmHash, wasmInputsHash } from "../targets/wasm.ts";
import { WASM_FILE } from "../targets/wasm-abi.ts";

export interface GeneratedC {
  name: string;
  /** The model's id (MODEL_ID of the tables, BNN_MODEL_ID of the C). */
  id: string;
  files: { "bnn_model.h": string; "bnn_model.c": string };
}

/** The C files the tables module at `tablesPath` generates (a pure function of the tables). */
export async function generateC(tablesPath: string): Promise<GeneratedC> {
  const model = modelFromTables(loadTables(tablesPath));
  const source = relative(ROOT, tablesPath);
  return { name: model.name, id: model.id, files: { "bnn_model.h": generateHeader(model, source), "bnn_model.c": generateSource(model, source) } };
}

/** True when the committed wasm in `dir` was built from exactly these C files and sources. */
export function wasmIsFresh(dir: string, c: GeneratedC["files"]): boolean {
  return recordedWasmHash(dir) === wasmInputsHash(c);
}

/** Rebuilds the committed wasm in `dir` (needs clang and lld); false when they are missing. */
export function rebuildWasm(dir: string, c: GeneratedC["files"]): Promise<boolean> {
  return buildCommittedWasm(dir, wasmInputsHash(c));
}

/**
 * Throws a one-line error (exit 5) unless the committed C and wasm of shipped model `name`
 * (generated/<name>/) are what its tables (src/generated/models/<name>.ts) generate now.
 */
export async function checkCommittedC(name: string): Promise<void> {
  const dir = generatedDir(name);
  const c = await generateC(tablesPath(name));
  for (const [file, text] of Object.entries(c.files)) {
    const path = join(dir, file);
    if (!existsSync(path) || readFileSync(path, "utf8") !== text)
      throw new UserError(`${displayPath(path)} is missing or stale: run npm run bnn -- regen`, ExitCode.Mismatch);
  }
  if (!wasmIsFresh(dir, c.files))
    throw new UserError(`${displayPath(join(dir, WASM_FILE))} is missing or stale: run npm run bnn -- regen (needs clang and lld)`, ExitCode.Mismatch);
}
