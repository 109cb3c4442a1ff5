/** Imports a generated weight-tables module in Node (installs the `hex` tag first). */
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { UserError } from "../errors.ts";
import "./hex-polyfill.ts";

export interface Tables {
  MODEL_NAME: string;
  MODEL_ID: string;
  INPUT_WIDTH: number;
  INPUT_HEIGHT: number;
  INPUT_THRESHOLD: number;
  LAYER_SIZES: number[];
  HIDDEN_LAYERS: number;
  SCORE_SHIFT: number;
  [table: string]: unknown;
}

export async function loadTables(path: string): Promise<Tables> {
  if (!existsSync(path)) throw new UserError(`weight tables not found: ${path} (run bnn export)`);
  return (await import(pathToFileURL(path).href)) as Tables;
}
