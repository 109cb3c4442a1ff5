/**
 * The C of the model a command was given: for a shipped model, its committed C (checked fresh
 * first); for any other model file, C generated from it (model -> tables -> C) into a temporary
 * folder that close() removes. verify, report and bench all measure the model they were given.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadTables } from "../export/load-tables.ts";
import { readModelFile, type Model } from "../model/format.ts";
import { generatedDir, MODELS_DIR, resolveModelPath, tablesPath } from "../paths.ts";
import { checkCommittedC } from "./codegen.ts";
import { modelFromTables, type CModel } from "./c-model.ts";
import { cFromModel } from "./pipeline.ts";

export interface ModelC {
  model: Model;
  /** The C generator's view of the same model (read from its weight tables). */
  cmodel: CModel;
  /** A shipped model (its committed C) or a model file of the user's (C generated here). */
  shipped: boolean;
  /** The folder holding bnn_model.h/.c (and, for a shipped model, bnn_model.wasm). */
  dir: string;
  close(): void;
}

export async function modelC(spec: string): Promise<ModelC> {
  const path = resolveModelPath(spec);
  const model = readModelFile(path);
  const shipped = path === join(MODELS_DIR, model.file.name, "model.json");
  if (shipped) {
    await checkCommittedC(model.file.name);
    return { model, cmodel: modelFromTables(loadTables(tablesPath(model.file.name))), shipped, dir: generatedDir(model.file.name), close() {} };
  }
  const dir = mkdtempSync(join(tmpdir(), "bnn-c-"));
  const close = () => rmSync(dir, { recursive: true, force: true });
  try {
    await cFromModel(model, dir, path);
    return { model, cmodel: modelFromTables(loadTables(join(dir, "tables.mts"))), shipped, dir, close };
  } catch (e) {
    close();
    throw e;
  }
}
