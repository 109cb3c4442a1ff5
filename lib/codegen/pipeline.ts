/**
 * The one-way pipeline for a model that is not shipped: model file -> TypeScript weight tables
 * -> C, in a folder of the caller's. (Shipped models keep theirs committed: src/generated/models/,
 * firmware-codegen/generated/.) The C is generated from the tables, never from the model file.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadTables } from "../export/load-tables.ts";
import { generateTables } from "../export/tables.ts";
import type { Model } from "../model/format.ts";
import { modelFromTables } from "./c-model.ts";
import { generateHeader, generateSource } from "./generate.ts";

/** Writes `<dir>/tables.mts`, `<dir>/bnn_model.h` and `<dir>/bnn_model.c`; returns dir. */
export async function cFromModel(model: Model, dir: string, source = "model"): Promise<string> {
  const tablesPath = join(dir, "tables.mts"); // .mts: an ES module wherever dir is
  writeFileSync(tablesPath, generateTables(model, source));
  const c = modelFromTables(loadTables(tablesPath));
  writeFileSync(join(dir, "bnn_model.h"), generateHeader(c, "tables.mts"));
  writeFileSync(join(dir, "bnn_model.c"), generateSource(c, "tables.mts"));
  return dir;
}
